#include "raw_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "codec/decode.h"
#include "codec/encode.h"

namespace rmq::itest {
namespace {

using Clock = std::chrono::steady_clock;

template <typename EncodeFn>
Bytes encode_with(std::size_t size, EncodeFn&& encode) {
  Bytes out(size);
  out.resize(encode(std::span<std::uint8_t>(out)));
  return out;
}

}  // namespace

RawClient::RawClient(std::uint16_t port, codec::ProtocolVersion version, int receive_buffer)
    : version_(version) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (receive_buffer > 0) {
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

RawClient::~RawClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawClient::send(const Bytes& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::optional<RawPacket> RawClient::read(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    codec::FixedHeader header;
    if (codec::decode_fixed_header(buffer_, &header) == codec::HeaderStatus::kComplete &&
        buffer_.size() >= header.packet_size()) {
      RawPacket packet;
      packet.bytes.assign(buffer_.begin(),
                          buffer_.begin() + static_cast<long>(header.packet_size()));
      buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<long>(header.packet_size()));
      codec::DecodeOptions options;
      options.version = version_;
      const codec::DecodeResult r = codec::decode(packet.bytes, options);
      if (r.status != codec::DecodeStatus::kComplete) return std::nullopt;
      packet.view = r.packet;
      return packet;
    }
    const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    pollfd pfd{fd_, POLLIN, 0};
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
      return std::nullopt;
    }
    std::uint8_t chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return std::nullopt;
    buffer_.insert(buffer_.end(), chunk, chunk + n);
  }
}

bool RawClient::closed(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    pollfd pfd{fd_, POLLIN, 0};
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
    std::uint8_t chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return true;
    buffer_.insert(buffer_.end(), chunk, chunk + n);
    // Keep the last complete packet for the caller to inspect.
    codec::FixedHeader header;
    while (codec::decode_fixed_header(buffer_, &header) == codec::HeaderStatus::kComplete &&
           buffer_.size() >= header.packet_size()) {
      last_ = read(Millis(0));
    }
  }
}

std::optional<RawPacket> RawClient::handshake(codec::ConnectView connect) {
  connect.version = version_;
  if (!send(connect_bytes(connect))) return std::nullopt;
  return read();
}

bool RawClient::connect(const std::string& id, bool clean, std::uint16_t keep_alive,
                        const codec::Properties& properties) {
  codec::ConnectView c;
  c.client_id = id;
  c.clean_start = clean;
  c.keep_alive = keep_alive;
  c.properties = properties;
  const auto connack = handshake(c);
  return connack && connack->type() == codec::PacketType::kConnack &&
         connack->connack().reason_code == 0;
}

bool RawClient::subscribe(const std::string& filter, codec::QoS qos, std::uint16_t packet_id) {
  if (!send(subscribe_bytes(filter, qos, packet_id, version_))) return false;
  const auto suback = read();
  return suback && suback->type() == codec::PacketType::kSuback;
}

Bytes connect_bytes(const codec::ConnectView& connect) {
  return encode_with(codec::encoded_size(connect),
                     [&](std::span<std::uint8_t> out) { return codec::encode(connect, out); });
}

Bytes publish_bytes(const codec::PublishView& publish, codec::ProtocolVersion version) {
  return encode_with(codec::encoded_size(publish, version), [&](std::span<std::uint8_t> out) {
    return codec::encode(publish, version, out);
  });
}

Bytes publish_bytes(const std::string& topic, const std::string& payload, codec::QoS qos,
                    std::uint16_t packet_id, codec::ProtocolVersion version, bool dup) {
  codec::PublishView p;
  p.topic = topic;
  p.payload = {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()};
  p.qos = qos;
  p.packet_id = packet_id;
  p.dup = dup;
  return publish_bytes(p, version);
}

Bytes ack_bytes(codec::PacketType type, std::uint16_t packet_id, codec::ProtocolVersion version) {
  codec::AckView ack;
  ack.packet_id = packet_id;
  return encode_with(codec::encoded_size(type, ack, version), [&](std::span<std::uint8_t> out) {
    return codec::encode(type, ack, version, out);
  });
}

Bytes subscribe_bytes(const std::string& filter, codec::QoS qos, std::uint16_t packet_id,
                      codec::ProtocolVersion version) {
  codec::Subscription subs[1];
  subs[0].filter = filter;
  subs[0].options.max_qos = qos;
  codec::SubscribeView s;
  s.packet_id = packet_id;
  s.subscriptions = std::span<const codec::Subscription>(subs);
  return encode_with(codec::encoded_size(s, version),
                     [&](std::span<std::uint8_t> out) { return codec::encode(s, version, out); });
}

std::string payload_of(const codec::PublishView& p) {
  return std::string(p.payload.begin(), p.payload.end());
}

}  // namespace rmq::itest
