// RawClient: a plain TCP socket speaking MQTT byte by byte, for tests that send what no client
// library would (malformed and protocol-violating packets) or look at the exact packets the
// broker sends. Valid packets are built with the codec; received ones are decoded with it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker_process.h"
#include "codec/packets.h"

namespace rmq::itest {

using Bytes = std::vector<std::uint8_t>;

// A received packet: its bytes and the view decoded from them (valid while `bytes` lives).
struct RawPacket {
  Bytes bytes;
  codec::PacketView view;
  codec::PacketType type() const { return view.type; }
  const codec::PublishView& publish() const { return view.as<codec::PublishView>(); }
  const codec::AckView& ack() const { return view.as<codec::AckView>(); }
  const codec::ConnackView& connack() const { return view.as<codec::ConnackView>(); }
  const codec::DisconnectView& disconnect() const { return view.as<codec::DisconnectView>(); }
};

class RawClient {
 public:
  // `receive_buffer`: SO_RCVBUF set before connecting (0: the kernel's default), to make a slow
  // reader.
  RawClient(std::uint16_t port, codec::ProtocolVersion version, int receive_buffer = 0);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool send(const Bytes& bytes);
  // The next whole packet, decoded as this client's version; nullopt on timeout or close.
  std::optional<RawPacket> read(Millis timeout = 3s);
  // True when the server closes the connection within `timeout` (packets before it are dropped;
  // the last one is kept in last()).
  bool closed(Millis timeout = 3s);
  const std::optional<RawPacket>& last() const { return last_; }

  // CONNECT with `connect` (its version set to this client's), then the CONNACK.
  std::optional<RawPacket> handshake(codec::ConnectView connect);
  // A connected client with `id`; false when CONNACK did not accept.
  bool connect(const std::string& id, bool clean = true, std::uint16_t keep_alive = 60,
               const codec::Properties& properties = {});
  bool subscribe(const std::string& filter, codec::QoS qos, std::uint16_t packet_id = 1);

  codec::ProtocolVersion version() const { return version_; }

 private:
  int fd_ = -1;
  codec::ProtocolVersion version_;
  Bytes buffer_;
  std::optional<RawPacket> last_;
};

// Valid packets, encoded with the codec.
Bytes connect_bytes(const codec::ConnectView& connect);
Bytes publish_bytes(const codec::PublishView& publish, codec::ProtocolVersion version);
Bytes publish_bytes(const std::string& topic, const std::string& payload, codec::QoS qos,
                    std::uint16_t packet_id, codec::ProtocolVersion version, bool dup = false);
Bytes ack_bytes(codec::PacketType type, std::uint16_t packet_id, codec::ProtocolVersion version);
Bytes subscribe_bytes(const std::string& filter, codec::QoS qos, std::uint16_t packet_id,
                      codec::ProtocolVersion version);
std::string payload_of(const codec::PublishView& p);

}  // namespace rmq::itest
