// MosqClient: a libmosquitto client for tests, driven from the test thread while its own thread
// runs the network loop. It never reconnects by itself, so a takeover or a server close is seen as
// it is.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "broker_process.h"

struct mosquitto;
struct mosquitto_message;
struct mqtt5__property;

namespace rmq::itest {

struct MosqMessage {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
  int mid = 0;
  std::optional<std::string> content_type;
  std::optional<std::string> response_topic;
  std::optional<std::string> correlation_data;
  std::optional<std::uint32_t> message_expiry;
  std::optional<std::uint8_t> payload_format;
  std::vector<std::pair<std::string, std::string>> user_properties;
  std::vector<std::uint32_t> subscription_ids;
};

struct MosqWill {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
  std::uint32_t delay = 0;  // 5.0 Will Delay Interval
};

struct MosqConfig {
  std::string id;
  bool v5 = false;
  bool clean = true;
  int keepalive = 60;
  std::optional<std::uint32_t> session_expiry;  // 5.0 CONNECT properties
  std::optional<std::uint16_t> topic_alias_max;
  std::optional<std::uint16_t> receive_max;
  std::optional<std::uint32_t> max_packet_size;
  std::optional<MosqWill> will;
};

// Properties a test attaches to one PUBLISH (5.0).
struct MosqPublishProps {
  std::optional<std::string> content_type;
  std::optional<std::string> response_topic;
  std::optional<std::string> correlation_data;
  std::optional<std::uint32_t> message_expiry;
  std::optional<std::uint8_t> payload_format;
  std::optional<std::uint16_t> topic_alias;
  std::vector<std::pair<std::string, std::string>> user_properties;
};

class MosqClient {
 public:
  explicit MosqClient(MosqConfig config);
  ~MosqClient();
  MosqClient(const MosqClient&) = delete;
  MosqClient& operator=(const MosqClient&) = delete;

  // Connects and waits for CONNACK; true when it accepted the connection.
  bool connect(std::uint16_t port, Millis timeout = 5s);
  int connack_code() const;
  bool session_present() const;
  std::string assigned_client_id() const;
  std::optional<std::uint16_t> server_keep_alive() const;

  // Subscribes and waits for SUBACK; returns the granted QoS / reason codes (empty on timeout).
  // `options`: 5.0 subscription option bits (no local 0x04, retain as published 0x08, retain
  // handling << 4).
  std::vector<int> subscribe(const std::string& filter, int qos, int options = 0,
                             std::uint32_t subscription_id = 0);
  // Publishes and waits until the flow completed (QoS 0: sent); false on error or timeout. `topic`
  // may be empty when props.topic_alias is set.
  bool publish(const std::string& topic, const std::string& payload, int qos, bool retain = false,
               const MosqPublishProps& props = {});
  // The 5.0 reason code of the last PUBACK/PUBREC, if any.
  int last_publish_reason() const;

  std::optional<MosqMessage> receive(Millis timeout = 5s);
  // True when no message arrives within `wait`.
  bool quiet(Millis wait = 300ms);

  void disconnect(int reason = 0);
  // Closes the socket without DISCONNECT (an abnormal disconnection for the server).
  void drop();
  // Waits until the server closed the connection; returns the 5.0 DISCONNECT reason code seen
  // (0 when none), or nullopt on timeout.
  std::optional<int> wait_closed(Millis timeout = 5s);
  bool connected() const;

 private:
  static void on_connect(mosquitto*, void*, int, int, const mqtt5__property*);
  static void on_disconnect(mosquitto*, void*, int, const mqtt5__property*);
  static void on_publish(mosquitto*, void*, int, int, const mqtt5__property*);
  static void on_subscribe(mosquitto*, void*, int, int, const int*, const mqtt5__property*);
  static void on_message(mosquitto*, void*, const ::mosquitto_message*, const mqtt5__property*);
  void loop();
  void stop_loop();

  MosqConfig config_;
  mosquitto* mosq_ = nullptr;
  std::thread thread_;
  bool running_ = false;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool connack_ = false;
  int connack_code_ = -1;
  bool session_present_ = false;
  std::string assigned_id_;
  std::optional<std::uint16_t> server_keep_alive_;
  bool connected_ = false;
  bool closed_ = false;
  int disconnect_reason_ = 0;
  std::vector<int> completed_mids_;
  int last_publish_reason_ = 0;
  std::vector<std::pair<int, std::vector<int>>> subacks_;
  std::deque<MosqMessage> messages_;
};

}  // namespace rmq::itest
