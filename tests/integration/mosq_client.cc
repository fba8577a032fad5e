#include "mosq_client.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>

#if defined(__SANITIZE_THREAD__)
#define RINGMQ_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RINGMQ_TSAN 1
#endif
#endif

#ifdef RINGMQ_TSAN
// libmosquitto 2.0 unlocks, on its network thread, a mutex the application thread locked when a
// server DISCONNECT arrives; that is the client library's business, not the broker's.
extern "C" const char* __tsan_default_suppressions() { return "mutex:libmosquitto.so.1\n"; }
#endif

namespace rmq::itest {
namespace {

struct LibraryInit {
  LibraryInit() { mosquitto_lib_init(); }
};

std::optional<std::string> read_string(const mosquitto_property* props, int id) {
  char* value = nullptr;
  if (mosquitto_property_read_string(props, id, &value, false) == nullptr) return std::nullopt;
  std::string out(value);
  std::free(value);
  return out;
}

void read_message_properties(const mosquitto_property* props, MosqMessage* m) {
  m->content_type = read_string(props, MQTT_PROP_CONTENT_TYPE);
  m->response_topic = read_string(props, MQTT_PROP_RESPONSE_TOPIC);
  void* data = nullptr;
  std::uint16_t length = 0;
  if (mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &data, &length, false)) {
    m->correlation_data = std::string(static_cast<char*>(data), length);
    std::free(data);
  }
  std::uint32_t u32 = 0;
  if (mosquitto_property_read_int32(props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, &u32, false)) {
    m->message_expiry = u32;
  }
  std::uint8_t byte = 0;
  if (mosquitto_property_read_byte(props, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, &byte, false)) {
    m->payload_format = byte;
  }
  for (const mosquitto_property* p = props; p != nullptr; p = mosquitto_property_next(p)) {
    if (mosquitto_property_identifier(p) == MQTT_PROP_USER_PROPERTY) {
      char* name = nullptr;
      char* value = nullptr;
      mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &name, &value, false);
      m->user_properties.emplace_back(name, value);
      std::free(name);
      std::free(value);
    } else if (mosquitto_property_identifier(p) == MQTT_PROP_SUBSCRIPTION_IDENTIFIER) {
      mosquitto_property_read_varint(p, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, &u32, false);
      m->subscription_ids.push_back(u32);
    }
  }
}

}  // namespace

MosqClient::MosqClient(MosqConfig config) : config_(std::move(config)) {
  static LibraryInit init;
  mosq_ = mosquitto_new(config_.id.empty() ? nullptr : config_.id.c_str(), config_.clean, this);
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION,
                       config_.v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
  // Our own thread runs mosquitto_loop(): calls from the test thread (publish, disconnect) must
  // hand their I/O to it instead of writing or closing the socket under it.
  mosquitto_threaded_set(mosq_, true);
  mosquitto_connect_v5_callback_set(mosq_, &MosqClient::on_connect);
  mosquitto_disconnect_v5_callback_set(mosq_, &MosqClient::on_disconnect);
  mosquitto_publish_v5_callback_set(mosq_, &MosqClient::on_publish);
  mosquitto_subscribe_v5_callback_set(mosq_, &MosqClient::on_subscribe);
  mosquitto_message_v5_callback_set(mosq_, &MosqClient::on_message);
  if (config_.will) {
    const MosqWill& w = *config_.will;
    mosquitto_property* props = nullptr;
    if (w.delay != 0) mosquitto_property_add_int32(&props, MQTT_PROP_WILL_DELAY_INTERVAL, w.delay);
    mosquitto_will_set_v5(mosq_, w.topic.c_str(), static_cast<int>(w.payload.size()),
                          w.payload.data(), w.qos, w.retain, props);
  }
}

MosqClient::~MosqClient() {
  if (connected()) mosquitto_disconnect(mosq_);
  stop_loop();
  mosquitto_destroy(mosq_);
}

bool MosqClient::connect(std::uint16_t port, Millis timeout) {
  mosquitto_property* props = nullptr;
  if (config_.v5) {
    if (config_.session_expiry) {
      mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                   *config_.session_expiry);
    }
    if (config_.topic_alias_max) {
      mosquitto_property_add_int16(&props, MQTT_PROP_TOPIC_ALIAS_MAXIMUM, *config_.topic_alias_max);
    }
    if (config_.receive_max) {
      mosquitto_property_add_int16(&props, MQTT_PROP_RECEIVE_MAXIMUM, *config_.receive_max);
    }
    if (config_.max_packet_size) {
      mosquitto_property_add_int32(&props, MQTT_PROP_MAXIMUM_PACKET_SIZE, *config_.max_packet_size);
    }
  }
  const int rc =
      mosquitto_connect_bind_v5(mosq_, "127.0.0.1", port, config_.keepalive, nullptr, props);
  mosquitto_property_free_all(&props);
  if (rc != MOSQ_ERR_SUCCESS) return false;
  running_ = true;
  thread_ = std::thread([this] { loop(); });
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return connack_ || closed_; });
  return connack_ && connack_code_ == 0;
}

void MosqClient::loop() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (!running_) return;
    }
    const int rc = mosquitto_loop(mosq_, 10, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
      std::lock_guard lock(mutex_);
      closed_ = true;
      connected_ = false;
      changed_.notify_all();
      return;
    }
  }
}

void MosqClient::stop_loop() {
  {
    std::lock_guard lock(mutex_);
    running_ = false;
  }
  if (thread_.joinable()) thread_.join();
}

int MosqClient::connack_code() const {
  std::lock_guard lock(mutex_);
  return connack_code_;
}
bool MosqClient::session_present() const {
  std::lock_guard lock(mutex_);
  return session_present_;
}
std::string MosqClient::assigned_client_id() const {
  std::lock_guard lock(mutex_);
  return assigned_id_;
}
std::optional<std::uint16_t> MosqClient::server_keep_alive() const {
  std::lock_guard lock(mutex_);
  return server_keep_alive_;
}
bool MosqClient::connected() const {
  std::lock_guard lock(mutex_);
  return connected_;
}
int MosqClient::last_publish_reason() const {
  std::lock_guard lock(mutex_);
  return last_publish_reason_;
}

std::vector<int> MosqClient::subscribe(const std::string& filter, int qos, int options,
                                       std::uint32_t subscription_id) {
  mosquitto_property* props = nullptr;
  if (subscription_id != 0) {
    mosquitto_property_add_varint(&props, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, subscription_id);
  }
  int mid = 0;
  const int rc = mosquitto_subscribe_v5(mosq_, &mid, filter.c_str(), qos, options, props);
  mosquitto_property_free_all(&props);
  if (rc != MOSQ_ERR_SUCCESS) return {};
  std::unique_lock lock(mutex_);
  std::vector<int> granted;
  changed_.wait_for(lock, 5s, [&] {
    for (auto& [m, codes] : subacks_) {
      if (m == mid) {
        granted = codes;
        return true;
      }
    }
    return closed_;
  });
  return granted;
}

bool MosqClient::publish(const std::string& topic, const std::string& payload, int qos, bool retain,
                         const MosqPublishProps& p) {
  mosquitto_property* props = nullptr;
  if (p.content_type)
    mosquitto_property_add_string(&props, MQTT_PROP_CONTENT_TYPE, p.content_type->c_str());
  if (p.response_topic) {
    mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, p.response_topic->c_str());
  }
  if (p.correlation_data) {
    mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, p.correlation_data->data(),
                                  static_cast<std::uint16_t>(p.correlation_data->size()));
  }
  if (p.message_expiry) {
    mosquitto_property_add_int32(&props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, *p.message_expiry);
  }
  if (p.payload_format) {
    mosquitto_property_add_byte(&props, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, *p.payload_format);
  }
  if (p.topic_alias) mosquitto_property_add_int16(&props, MQTT_PROP_TOPIC_ALIAS, *p.topic_alias);
  for (const auto& [name, value] : p.user_properties) {
    mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, name.c_str(),
                                       value.c_str());
  }
  int mid = 0;
  const int rc =
      mosquitto_publish_v5(mosq_, &mid, topic.empty() ? nullptr : topic.c_str(),
                           static_cast<int>(payload.size()), payload.data(), qos, retain, props);
  mosquitto_property_free_all(&props);
  if (rc != MOSQ_ERR_SUCCESS) return false;
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, 5s, [&] {
    return std::find(completed_mids_.begin(), completed_mids_.end(), mid) != completed_mids_.end();
  });
}

std::optional<MosqMessage> MosqClient::receive(Millis timeout) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, timeout, [&] { return !messages_.empty(); })) return std::nullopt;
  MosqMessage m = std::move(messages_.front());
  messages_.pop_front();
  return m;
}

bool MosqClient::quiet(Millis wait) { return !receive(wait).has_value(); }

void MosqClient::disconnect(int reason) {
  mosquitto_disconnect_v5(mosq_, reason, nullptr);
  wait_closed(2s);
  stop_loop();
}

void MosqClient::drop() {
  const int fd = mosquitto_socket(mosq_);
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  wait_closed(2s);
  stop_loop();
}

std::optional<int> MosqClient::wait_closed(Millis timeout) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, timeout, [&] { return closed_; })) return std::nullopt;
  return disconnect_reason_;
}

void MosqClient::on_connect(mosquitto*, void* obj, int rc, int flags,
                            const mqtt5__property* props) {
  auto* self = static_cast<MosqClient*>(obj);
  std::lock_guard lock(self->mutex_);
  self->connack_ = true;
  self->connack_code_ = rc;
  self->connected_ = rc == 0;
  self->session_present_ = (flags & 1) != 0;
  if (auto id = read_string(props, MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER)) self->assigned_id_ = *id;
  std::uint16_t keep_alive = 0;
  if (mosquitto_property_read_int16(props, MQTT_PROP_SERVER_KEEP_ALIVE, &keep_alive, false)) {
    self->server_keep_alive_ = keep_alive;
  }
  self->changed_.notify_all();
}

void MosqClient::on_disconnect(mosquitto*, void* obj, int rc, const mqtt5__property*) {
  auto* self = static_cast<MosqClient*>(obj);
  std::lock_guard lock(self->mutex_);
  self->closed_ = true;
  self->connected_ = false;
  self->disconnect_reason_ = rc;
  self->changed_.notify_all();
}

void MosqClient::on_publish(mosquitto*, void* obj, int mid, int reason, const mqtt5__property*) {
  auto* self = static_cast<MosqClient*>(obj);
  std::lock_guard lock(self->mutex_);
  self->completed_mids_.push_back(mid);
  self->last_publish_reason_ = reason;
  self->changed_.notify_all();
}

void MosqClient::on_subscribe(mosquitto*, void* obj, int mid, int count, const int* granted,
                              const mqtt5__property*) {
  auto* self = static_cast<MosqClient*>(obj);
  std::lock_guard lock(self->mutex_);
  self->subacks_.emplace_back(mid, std::vector<int>(granted, granted + count));
  self->changed_.notify_all();
}

void MosqClient::on_message(mosquitto*, void* obj, const ::mosquitto_message* message,
                            const mqtt5__property* props) {
  auto* self = static_cast<MosqClient*>(obj);
  MosqMessage m;
  m.topic = message->topic;
  m.payload.assign(static_cast<const char*>(message->payload),
                   static_cast<std::size_t>(message->payloadlen));
  m.qos = message->qos;
  m.retain = message->retain;
  m.mid = message->mid;
  read_message_properties(props, &m);
  std::lock_guard lock(self->mutex_);
  self->messages_.push_back(std::move(m));
  self->changed_.notify_all();
}

}  // namespace rmq::itest
