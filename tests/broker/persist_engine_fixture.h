// The fixture of persist_engine_test.cc: an in-process engine with one Broker per shard (2
// shards) on a data directory recovered before each start as broker/app/main.cc does, real
// loopback sockets, clients placed on chosen shards, and a blocking MQTT client whose packets are
// encoded and decoded with the codec. A restart stops the engine and starts a new one (new
// BrokerShared) on the same directory.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/broker_shared.h"
#include "broker/persist/recovery.h"
#include "codec/decode.h"
#include "codec/encode.h"
#include "engine/engine.h"
#include "tests/common/loopback_client.h"

namespace rmq::broker::persist_test {

using codec::PacketType;
using codec::ProtocolVersion;
using codec::QoS;
using Bytes = std::vector<std::uint8_t>;
constexpr ProtocolVersion kV311 = ProtocolVersion::kV311;
constexpr ProtocolVersion kV5 = ProtocolVersion::kV5;
constexpr int kReadTimeoutSeconds = 15;

// A decoded packet, copied out of the client's buffer.
struct Packet {
  PacketType type = PacketType::kReserved;  // kReserved: nothing read (timeout, close, malformed)
  std::uint16_t packet_id = 0;
  bool dup = false;
  bool retain = false;
  bool session_present = false;
  QoS qos = QoS::kAtMostOnce;
  std::uint8_t reason = 0;  // CONNACK, acks, first SUBACK code
  std::string topic;
  std::string payload;
  std::vector<std::pair<std::string, std::string>> user_properties;
};

inline Packet copy_of(const codec::PacketView& v) {
  Packet p;
  p.type = v.type;
  switch (v.type) {
    case PacketType::kConnack:
      p.session_present = v.as<codec::ConnackView>().session_present;
      p.reason = v.as<codec::ConnackView>().reason_code;
      break;
    case PacketType::kPublish: {
      const auto& m = v.as<codec::PublishView>();
      p.packet_id = m.packet_id;
      p.dup = m.dup;
      p.retain = m.retain;
      p.qos = m.qos;
      p.topic = m.topic;
      p.payload.assign(m.payload.begin(), m.payload.end());
      for (const codec::StringPair u : m.properties.user_properties) {
        p.user_properties.emplace_back(u.name, u.value);
      }
      break;
    }
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubrel:
    case PacketType::kPubcomp:
      p.packet_id = v.as<codec::AckView>().packet_id;
      p.reason = static_cast<std::uint8_t>(v.as<codec::AckView>().reason_code);
      break;
    case PacketType::kSuback: {
      const auto& s = v.as<codec::SubackView>();
      p.packet_id = s.packet_id;
      p.reason = s.reason_codes.empty() ? 0xFF : s.reason_codes[0];
      break;
    }
    default: break;
  }
  return p;
}

template <typename EncodeFn>
Bytes encode_with(std::size_t size, EncodeFn&& encode) {
  Bytes out(size);
  out.resize(encode(std::span<std::uint8_t>(out)));
  return out;
}

struct Pub {
  std::string_view topic;
  std::string_view payload;
  QoS qos = QoS::kAtLeastOnce;
  std::uint16_t packet_id = 0;
  bool retain = false;
  bool dup = false;
  const codec::StringPair* user_property = nullptr;  // 5.0 only
};

// A blocking MQTT client over a loopback socket.
class Client {
 public:
  Client(int fd, ProtocolVersion version) : fd_(fd), version_(version) {}
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool send(const Bytes& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return !bytes.empty();
  }

  // The next packet; type kReserved on timeout, close or a malformed packet.
  Packet read() {
    for (;;) {
      const std::span<const std::uint8_t> held(buffer_.data() + begin_, end_ - begin_);
      codec::FixedHeader header;
      if (codec::decode_fixed_header(held, &header) == codec::HeaderStatus::kComplete &&
          held.size() >= header.packet_size()) {
        codec::DecodeOptions options;
        options.version = version_;
        const codec::DecodeResult r = codec::decode(held.first(header.packet_size()), options);
        if (r.status != codec::DecodeStatus::kComplete) return {};
        begin_ += header.packet_size();
        return copy_of(r.packet);
      }
      if (!fill()) return {};
    }
  }

  bool connect(std::string_view id, bool clean, std::uint32_t expiry) {
    codec::ConnectView c;
    c.version = version_;
    c.clean_start = clean;
    c.client_id = id;
    if (expiry != 0) {
      c.properties.session_expiry_interval = expiry;
      c.properties.mark(codec::PropertyId::kSessionExpiryInterval);
    }
    return send(
        encode_with(codec::encoded_size(c), [&](auto out) { return codec::encode(c, out); }));
  }
  bool publish(const Pub& m) {
    codec::PublishView p;
    p.topic = m.topic;
    p.payload = codec::BinaryView(reinterpret_cast<const std::uint8_t*>(m.payload.data()),
                                  m.payload.size());
    p.qos = m.qos;
    p.packet_id = m.packet_id;
    p.retain = m.retain;
    p.dup = m.dup;
    if (m.user_property != nullptr) {
      p.properties.user_properties = std::span<const codec::StringPair>(m.user_property, 1);
    }
    return send(encode_with(codec::encoded_size(p, version_),
                            [&](auto out) { return codec::encode(p, version_, out); }));
  }
  bool ack(PacketType type, std::uint16_t packet_id) {
    codec::AckView a;
    a.packet_id = packet_id;
    return send(encode_with(codec::encoded_size(type, a, version_),
                            [&](auto out) { return codec::encode(type, a, version_, out); }));
  }
  bool subscribe(std::string_view filter, QoS qos, std::uint16_t packet_id) {
    codec::Subscription subs[1];
    subs[0].filter = filter;
    subs[0].options.max_qos = qos;
    codec::SubscribeView s;
    s.packet_id = packet_id;
    s.subscriptions = std::span<const codec::Subscription>(subs);
    return send(encode_with(codec::encoded_size(s, version_),
                            [&](auto out) { return codec::encode(s, version_, out); }));
  }
  bool disconnect() {
    const codec::DisconnectView d;
    return send(encode_with(codec::encoded_size(d, version_),
                            [&](auto out) { return codec::encode(d, version_, out); }));
  }
  // PINGREQ, and true when the next packet is its PINGRESP: everything the broker sent before
  // handling it has been read.
  bool pingresp_next() {
    Bytes ping(2);
    codec::encode_ping(PacketType::kPingreq, ping);
    return send(ping) && read().type == PacketType::kPingresp;
  }

 private:
  bool fill() {
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == buffer_.size()) return false;
    ssize_t n = 0;
    do {
      n = ::recv(fd_, buffer_.data() + end_, buffer_.size() - end_, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    end_ += static_cast<std::size_t>(n);
    return true;
  }

  const int fd_;
  const ProtocolVersion version_;
  std::array<std::uint8_t, 64 * 1024> buffer_{};
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

inline bool wait_until(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

inline std::string numbered(std::string_view prefix, int i, std::size_t pad_to = 0) {
  std::string s = std::string(prefix) + std::to_string(i);
  if (s.size() < pad_to) s.resize(pad_to, '.');
  return s;
}

// What recovery handed each shard, one line per session (failure messages).
inline std::string describe(const persist::Recovery& r) {
  std::string out;
  for (std::size_t shard = 0; shard < r.shards.size(); ++shard) {
    for (const auto& [client, s] : r.shards[shard].state.sessions()) {
      std::size_t stages[3] = {};
      for (const persist::QueueEntry& e : s.queue) ++stages[static_cast<int>(e.stage)];
      out += "\n  shard " + std::to_string(shard) + " " + client + " generation " +
             std::to_string(s.generation) + (s.continues ? " (continues)" : "") + ": queued " +
             std::to_string(stages[0]) + ", awaiting ack " + std::to_string(stages[1]) +
             ", awaiting PUBCOMP " + std::to_string(stages[2]) + ", inbound QoS 2 " +
             std::to_string(s.inbound_qos2.size());
    }
    out += "\n  shard " + std::to_string(shard) + ": " +
           std::to_string(r.shards[shard].state.retained().size()) + " retained";
  }
  return out;
}

class PersistEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_log_level(LogLevel::kWarn);
    std::string pattern =
        (std::filesystem::temp_directory_path() / "ringmq-persist-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
  }
  void TearDown() override {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Recovers the data directory as broker/app/main.cc does, then starts the shards on it.
  void start() {
    BrokerConfig config;
    config.sys_interval = 0;
    config.persist.data_dir = dir_;
    config.persist.durability = Durability::kSync;
    config.persist.compact_bytes = compact_bytes_;
    engine::EngineConfig engine_config;
    engine_config.shards = 2;
    engine_config.pin_threads = false;
    engine_config.listen.push_back(engine::ListenAddress{"127.0.0.1", 0, nullptr});
    engine_config.max_pending_recv_bytes = config.max_packet_size + 64 * 1024;
    engine_config.max_queued_bytes_per_conn = config.send_hard_limit_bytes;
    // Clients still connected at a stop keep their sockets open: do not wait long for their EOF.
    engine_config.linger_timeout = std::chrono::milliseconds(100);
    shared_ = std::make_unique<BrokerShared>(config, engine_config.shards);
    persist::RecoveryOptions options;
    options.dir = dir_;
    options.shards = engine_config.shards;
    std::string error;
    std::unique_ptr<persist::Recovery> recovery = persist::recover(options, &error);
    ASSERT_NE(recovery, nullptr) << error;
    report_ = recovery->report;
    recovered_ = describe(*recovery);
    // Every stop here is clean: no torn tail to truncate, nothing skipped.
    EXPECT_TRUE(report_.warnings.empty()) << report_.warnings.front();
    EXPECT_EQ(report_.skipped_bytes, 0u);
    // Records that do not fit the state they replay into: none, except that compaction leaves the
    // records logged for a session between the switch to a new segment and its snapshot there
    // (no_session when the old segment is gone; the snapshot covers them).
    const persist::Anomalies& a = report_.anomalies;
    EXPECT_EQ(a.total() - (compacting() ? a.no_session : 0), 0u)
        << "no_session " << a.no_session << ", unknown_message " << a.unknown_message
        << ", duplicate_message " << a.duplicate_message << ", no_entry " << a.no_entry
        << ", duplicate_packet_id " << a.duplicate_packet_id << ", malformed " << a.malformed;
    shared_->set_recovery(std::move(recovery));
    auto started = engine::Engine::start(engine_config, [this](engine::Shard& shard) {
      return std::make_unique<Broker>(shard, *shared_);
    });
    ASSERT_TRUE(started.ok()) << started.status().message();
    engine_ = std::move(*started);
  }

  void stop() {
    if (engine_ != nullptr) {
      engine_->request_stop();
      engine_->wait();
      engine_.reset();
    }
    shared_.reset();
  }

  void restart() {
    stop();
    ASSERT_NO_FATAL_FAILURE(start());
  }

  // A TCP connection accepted by `shard` (the kernel's SO_REUSEPORT hash picks the shard; those
  // that land elsewhere are closed before they send anything). Null when none landed there.
  std::unique_ptr<Client> open_on(std::uint32_t shard, ProtocolVersion version) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      const std::uint64_t before[2] = {engine_->stats(0).accepted.value(),
                                       engine_->stats(1).accepted.value()};
      const int fd = test_support::connect_loopback(engine_->port(), kReadTimeoutSeconds);
      if (fd < 0) return nullptr;
      auto client = std::make_unique<Client>(fd, version);
      if (!wait_until([&] {
            return engine_->stats(0).accepted.value() + engine_->stats(1).accepted.value() >
                   before[0] + before[1];
          })) {
        return nullptr;
      }
      if (engine_->stats(shard).accepted.value() > before[shard]) return client;
    }
    return nullptr;
  }

  // Connects on `shard` and checks the CONNACK: accepted, with `session_present` as given.
  void connect(std::unique_ptr<Client>* out, std::uint32_t shard, ProtocolVersion version,
               std::string_view id, bool clean, std::uint32_t expiry, bool session_present) {
    std::unique_ptr<Client> client = open_on(shard, version);
    ASSERT_NE(client, nullptr) << "no connection landed on shard " << shard;
    ASSERT_TRUE(client->connect(id, clean, expiry));
    const Packet connack = client->read();
    ASSERT_EQ(connack.type, PacketType::kConnack) << id;
    ASSERT_EQ(connack.reason, 0) << id;
    ASSERT_EQ(connack.session_present, session_present) << id;
    *out = std::move(client);
  }

  void subscribe(Client& c, std::string_view filter, QoS qos) {
    ASSERT_TRUE(c.subscribe(filter, qos, 1));
    const Packet suback = c.read();
    ASSERT_EQ(suback.type, PacketType::kSuback);
    ASSERT_EQ(suback.reason, static_cast<std::uint8_t>(qos));
  }

  // Sends DISCONNECT and waits until the broker has closed the connection.
  void disconnect(std::unique_ptr<Client>& c) {
    const std::int64_t before = shared_->totals().clients_connected;
    ASSERT_TRUE(c->disconnect());
    ASSERT_EQ(c->read().type, PacketType::kReserved);  // closed by the broker
    c.reset();
    ASSERT_TRUE(wait_until([&] { return shared_->totals().clients_connected == before - 1; }));
  }

  // Publishes `messages` at QoS 1 with packet ids first_id, first_id+1, ... and checks one
  // successful PUBACK for each, in order.
  void publish_qos1(Client& pub, const std::vector<Pub>& messages, std::uint16_t first_id) {
    std::uint16_t id = first_id;
    for (Pub m : messages) {
      m.qos = QoS::kAtLeastOnce;
      m.packet_id = id++;
      ASSERT_TRUE(pub.publish(m));
    }
    for (std::uint16_t expect = first_id; expect != id; ++expect) {
      const Packet ack = pub.read();
      ASSERT_EQ(ack.type, PacketType::kPuback) << "packet id " << expect;
      ASSERT_EQ(ack.packet_id, expect);
      ASSERT_LT(ack.reason, 0x80);  // 5.0: 0x10 when nobody subscribes
    }
  }

  // Reads `count` QoS 1 PUBLISH packets carrying payloads numbered(prefix, first...), with DUP as
  // given, PUBACKing the first `ack_count`; returns their packet ids in `ids`.
  void receive_qos1(Client& c, std::string_view prefix, int first, int count, bool dup,
                    int ack_count, std::size_t pad_to, std::vector<std::uint16_t>* ids) {
    std::set<std::uint16_t> unacked;
    for (int i = first; i < first + count; ++i) {
      const Packet p = c.read();
      ASSERT_EQ(p.type, PacketType::kPublish) << "message " << i;
      ASSERT_EQ(p.payload, numbered(prefix, i, pad_to));
      ASSERT_EQ(p.qos, QoS::kAtLeastOnce);
      ASSERT_EQ(p.dup, dup) << "message " << i;
      ASSERT_TRUE(unacked.insert(p.packet_id).second) << "packet id in use: " << p.packet_id;
      if (ids != nullptr) ids->push_back(p.packet_id);
      if (i - first < ack_count) {
        ASSERT_TRUE(c.ack(PacketType::kPuback, p.packet_id));
        unacked.erase(p.packet_id);
      }
    }
    ASSERT_TRUE(c.pingresp_next());
  }

  bool compacting() const { return compact_bytes_ < 1024 * 1024; }

  std::string dir_;
  std::uint64_t compact_bytes_ = 64ull * 1024 * 1024;
  persist::RecoveryReport report_;  // of the last start
  std::string recovered_;           // describe() of the last start's recovery
  std::unique_ptr<BrokerShared> shared_;
  std::unique_ptr<engine::Engine> engine_;
};

}  // namespace rmq::broker::persist_test
