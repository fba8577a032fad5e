#include "broker/app/options.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sched.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>

#include "broker/acl_file.h"

namespace rmq::app {
namespace {

constexpr const char* kDescription =
    "ringmq: an MQTT 3.1/3.1.1/5.0 broker on io_uring.\n"
    "Every flag may also be set in the --config file as `name = value` (no dashes).";

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  const auto end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

// Removes a comment: '#' at the start of the line or after whitespace.
std::string strip_comment(const std::string& line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return line.substr(0, i);
    }
  }
  return line;
}

// Reads `path` into flag-style arguments; false with a one-line error naming the line.
bool read_config(const std::string& path, const std::set<std::string>& keys,
                 std::vector<std::string>* args, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "--config: cannot read '" + path + "'";
    return false;
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string text = trim(strip_comment(line));
    if (text.empty()) continue;
    const std::string where = path + ":" + std::to_string(number) + ": ";
    const auto eq = text.find('=');
    if (eq == std::string::npos) {
      *error = where + "expected `key = value`, got '" + text + "'";
      return false;
    }
    const std::string key = trim(text.substr(0, eq));
    std::string value = trim(text.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (keys.count(key) == 0) {
      *error = where + "unknown key '" + key + "'";
      return false;
    }
    args->push_back("--" + key);
    args->push_back(value);
  }
  return true;
}

// The value of --config if the command line has one.
std::string find_config(const std::vector<std::string>& args) {
  std::string path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) path = args[i + 1];
    if (args[i].rfind("--config=", 0) == 0) path = args[i].substr(9);
  }
  return path;
}

bool parse_log_level(const std::string& text, LogLevel* out) {
  static const std::pair<const char*, LogLevel> kLevels[] = {{"debug", LogLevel::kDebug},
                                                             {"info", LogLevel::kInfo},
                                                             {"warn", LogLevel::kWarn},
                                                             {"error", LogLevel::kError},
                                                             {"off", LogLevel::kOff}};
  for (const auto& [name, level] : kLevels) {
    if (text == name) {
      *out = level;
      return true;
    }
  }
  return false;
}

// Settings parsed as text or numbers by CLI11, checked and applied to Options afterwards.
struct Raw {
  std::vector<std::string> listen;
  std::string log_level = "info";
  std::string config;
  std::uint32_t threads = 0;
  std::uint32_t max_inflight = 100;
  std::uint32_t max_keepalive = 0;
  std::uint32_t topic_alias_maximum = 64;
  std::uint32_t connect_timeout_s = 10;
  std::uint32_t linger_ms = 2000;
  TlsRaw tls;
  PersistRaw persist;
  std::string allow_anonymous;
  std::string pin_threads = "true";
};

bool parse_bool(const std::string& text, bool* out) {
  if (text == "true") {
    *out = true;
    return true;
  }
  if (text == "false") {
    *out = false;
    return true;
  }
  return false;
}

void add_auth_flags(CLI::App& app, Raw& raw, Options& o) {
  app.add_option("--password-file", o.password_file,
                 "Mosquitto password file (user:$7$... lines, as mosquitto_passwd or `ringmq "
                 "passwd` write them); clients with a user name must match it. Reloaded on SIGHUP")
      ->type_name("FILE");
  app.add_option("--allow-anonymous", raw.allow_anonymous,
                 "Accept clients that give no user name: true or false (default: true unless a "
                 "password file, a PSK file or client certificates are required)")
      ->type_name("BOOL");
}

bool finish_auth(const Raw& raw, Options& o, std::string* error) {
  if (!raw.allow_anonymous.empty()) {
    bool allow = false;
    if (!parse_bool(raw.allow_anonymous, &allow)) {
      *error = "--allow-anonymous: '" + raw.allow_anonymous + "' is not true or false";
      return false;
    }
    o.allow_anonymous = allow;
  }
  return true;
}

void add_flags(CLI::App& app, Raw& raw, Options& o) {
  broker::BrokerConfig& b = o.broker;
  app.add_option("--config", raw.config,
                 "Read settings from FILE (`name = value` lines, # comments)")
      ->type_name("FILE");
  app.add_option("--listen", raw.listen,
                 "Address to listen on, host:port or [ipv6]:port; repeatable "
                 "(default 0.0.0.0:1883)")
      ->type_name("HOST:PORT");
  app.add_option("--threads", raw.threads,
                 "Shard threads, one io_uring each; 0 = one per online CPU")
      ->check(CLI::Range(0u, 1024u))
      ->capture_default_str();
  app.add_option("--pin-threads", raw.pin_threads,
                 "Pin shard i to the i-th allowed CPU: true or false (false lets the kernel move "
                 "shards, e.g. beside other busy processes on few cores)")
      ->type_name("BOOL")
      ->capture_default_str();
  app.add_option("--max-connections", o.engine.max_connections,
                 "Open connections across all threads; more are accepted and closed at once")
      ->check(CLI::Range(1u, 10'000'000u))
      ->capture_default_str();
  app.add_option("--max-packet-size", b.max_packet_size,
                 "Largest packet accepted from a client, bytes (announced to MQTT 5 clients)")
      ->check(CLI::Range(64u, 268'435'460u))
      ->capture_default_str();
  app.add_option("--max-inflight", raw.max_inflight,
                 "Unacknowledged QoS 1/2 messages per client, each way (MQTT 5 Receive Maximum)")
      ->check(CLI::Range(1u, 65535u))
      ->capture_default_str();
  app.add_option("--max-queued-messages", b.max_queued_messages,
                 "Messages queued per session while offline or over the inflight limit; 0 = no "
                 "limit")
      ->capture_default_str();
  app.add_option("--max-queued-bytes", b.max_queued_bytes,
                 "Bytes queued per session while offline or over the inflight limit; 0 = no limit")
      ->capture_default_str();
  app.add_option("--send-queue-soft-limit", b.send_budget_bytes,
                 "Bytes waiting to be sent to one client above which QoS 0 messages to it are "
                 "dropped (counted)")
      ->capture_default_str();
  app.add_option("--send-queue-hard-limit", b.send_hard_limit_bytes,
                 "Bytes waiting to be sent to one client above which it is disconnected")
      ->capture_default_str();
  app.add_option("--slow-subscriber-timeout", b.slow_subscriber_timeout_s,
                 "Seconds a client may keep losing messages to the send or session queue limits "
                 "before it is disconnected; 0 = never")
      ->capture_default_str();
  app.add_option("--retained-max-count", b.retained_max_count,
                 "Retained messages kept; new topics over it are refused")
      ->capture_default_str();
  app.add_option("--retained-max-bytes", b.retained_max_bytes,
                 "Bytes of retained messages kept; new ones over it are refused")
      ->capture_default_str();
  app.add_option("--max-keepalive", raw.max_keepalive,
                 "Largest keep alive accepted, seconds; MQTT 5 clients asking for more get it as "
                 "Server Keep Alive, 3.1.1 clients are refused; 0 = no maximum")
      ->check(CLI::Range(0u, 65535u))
      ->capture_default_str();
  app.add_option("--topic-alias-maximum", raw.topic_alias_maximum,
                 "Topic aliases an MQTT 5 client may set up towards the broker (announced in "
                 "CONNACK); 0 = none")
      ->check(CLI::Range(0u, 65535u))
      ->capture_default_str();
  app.add_option("--connect-timeout", raw.connect_timeout_s,
                 "Seconds a new connection has to complete CONNECT (and enhanced "
                 "authentication) before it is closed")
      ->check(CLI::Range(1u, 3600u))
      ->capture_default_str();
  app.add_option("--linger-ms", raw.linger_ms,
                 "After the broker closes a connection, milliseconds it keeps reading and "
                 "discarding so the client can read the last packet (DISCONNECT) before the "
                 "socket closes; 0 = close at once")
      ->check(CLI::Range(0u, 60'000u))
      ->capture_default_str();
  app.add_option("--v311-session-expiry", b.v311_session_expiry,
                 "Seconds a 3.1/3.1.1 session with Clean Session 0 outlives its connection; "
                 "4294967295 = never expires")
      ->capture_default_str();
  app.add_option("--sys-interval", b.sys_interval,
                 "Seconds between $SYS/broker/... updates; 0 = no $SYS topics")
      ->capture_default_str();
  app.add_option("--log-level", raw.log_level, "debug, info, warn, error or off")
      ->capture_default_str();
  app.add_option("--deny-subscribe", b.deny_subscribe,
                 "Refuse subscriptions to FILTER (exact, or matched by a wildcard FILTER) with "
                 "SUBACK 0x80; "
                 "repeatable")
      ->type_name("FILTER");
  app.add_option("--acl-file", b.acl_file,
                 "Per-topic authorisation rules in Mosquitto's acl_file format (user, topic, "
                 "pattern lines); without it every client may publish and subscribe to anything")
      ->type_name("FILE");
  add_auth_flags(app, raw, o);
  add_tls_flags(app, raw.tls, o.tls);
  add_persist_flags(app, raw.persist, b.persist);
}

// Checks what CLI11 could not and fills `o`; false with a one-line error naming the key.
bool finish(const Raw& raw, Options& o, std::string* error) {
  if (!parse_log_level(raw.log_level, &o.log_level)) {
    *error = "--log-level: '" + raw.log_level + "' is not one of debug, info, warn, error, off";
    return false;
  }
  o.engine.listen.clear();
  const std::vector<std::string> listen =
      raw.listen.empty() ? std::vector<std::string>{"0.0.0.0:1883"} : raw.listen;
  for (const std::string& text : listen) {
    engine::ListenAddress address;
    std::string why;
    if (!parse_listen(text, &address, &why)) {
      *error = "--listen: '" + text + "': " + why;
      return false;
    }
    o.engine.listen.push_back(address);
  }
  if (o.broker.send_hard_limit_bytes != 0 &&
      o.broker.send_hard_limit_bytes < o.broker.send_budget_bytes) {
    *error = "--send-queue-hard-limit: must not be below --send-queue-soft-limit";
    return false;
  }
  o.engine.shards = raw.threads == 0 ? online_cpus() : raw.threads;
  if (!parse_bool(raw.pin_threads, &o.engine.pin_threads)) {
    *error = "--pin-threads: '" + raw.pin_threads + "' is not true or false";
    return false;
  }
  o.broker.max_inflight = static_cast<std::uint16_t>(raw.max_inflight);
  o.broker.max_keepalive = static_cast<std::uint16_t>(raw.max_keepalive);
  o.broker.topic_alias_maximum = static_cast<std::uint16_t>(raw.topic_alias_maximum);
  o.broker.connect_timeout = std::chrono::seconds(raw.connect_timeout_s);
  o.engine.linger_timeout = std::chrono::milliseconds(raw.linger_ms);
  o.engine.tls_handshake_timeout = std::chrono::seconds(o.tls.handshake_timeout_s);
  if (!o.broker.acl_file.empty()) {
    const broker::AclParse acl = broker::load_acl_file(o.broker.acl_file);
    if (acl.rules == nullptr) {
      *error = "--acl-file: " + acl.error;
      return false;
    }
  }
  if (!finish_tls_options(raw.tls, o.tls, error)) return false;
  if (!finish_persist_options(raw.persist, o.broker.persist, error)) return false;
  o.broker.identity_as_username = o.tls.identity_as_username;
  return finish_auth(raw, o, error);
}

}  // namespace

void resolve_allow_anonymous(Options& options, const AuthSources& sources) {
  options.broker.allow_anonymous = options.allow_anonymous.value_or(
      !sources.password_file && !sources.psk_file && !sources.require_client_cert);
}

unsigned online_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) {
    return static_cast<unsigned>(CPU_COUNT(&set));
  }
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1u;
}

namespace {

// Replaces a host name by its first address (IPv4 or IPv6, as the resolver orders them); an
// address literal stays as it is.
bool resolve_host(std::string& host, std::string* error) {
  unsigned char buffer[16];
  if (inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
      inet_pton(AF_INET6, host.c_str(), buffer) == 1) {
    return true;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    *error = "cannot resolve host '" + host + "': " + gai_strerror(rc);
    return false;
  }
  char text[INET6_ADDRSTRLEN] = {};
  const void* address =
      found->ai_family == AF_INET
          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr)
          : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr);
  inet_ntop(found->ai_family, address, text, sizeof(text));
  freeaddrinfo(found);
  host = text;
  return true;
}

}  // namespace

bool parse_listen(const std::string& text, engine::ListenAddress* out, std::string* error) {
  std::string host;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) {
      *error = "missing ']' after the IPv6 address";
      return false;
    }
    host = text.substr(1, close - 1);
    const std::string rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      *error = "expected ':' after ']'";
      return false;
    }
    if (!rest.empty()) port = rest.substr(1);
  } else {
    const auto colon = text.rfind(':');
    if (colon != std::string::npos && text.find(':') != colon) {
      *error = "an IPv6 address must be written in brackets, [::1]:1883";
      return false;
    }
    host = colon == std::string::npos ? text : text.substr(0, colon);
    if (colon != std::string::npos) port = text.substr(colon + 1);
  }
  if (host.empty()) host = "0.0.0.0";
  if (!resolve_host(host, error)) return false;
  unsigned long value = 1883;
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit)) {
      *error = "port '" + port + "' is not a number";
      return false;
    }
    value = std::stoul(port);
    if (value > 65535) {
      *error = "port " + port + " is above 65535";
      return false;
    }
  }
  out->host = host;
  out->port = static_cast<std::uint16_t>(value);
  return true;
}

ParseResult parse_options(const std::vector<std::string>& args) {
  ParseResult result;
  Raw raw;
  CLI::App app(kDescription, "ringmq");
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  add_flags(app, raw, result.options);
  app.get_option("--listen")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.get_option("--tls-listen")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.get_option("--deny-subscribe")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);

  std::set<std::string> keys;
  for (const CLI::Option* option : app.get_options()) {
    const std::string name = option->get_name(false, true);
    if (name.rfind("--", 0) == 0 && name != "--help" && name != "--config")
      keys.insert(name.substr(2));
  }
  std::vector<std::string> all;
  const std::string config = find_config(args);
  if (!config.empty() && !read_config(config, keys, &all, &result.output)) {
    result.exit_code = 2;
    return result;
  }
  all.insert(all.end(), args.begin(), args.end());
  std::reverse(all.begin(), all.end());  // CLI11 takes a vector in reverse order
  try {
    app.parse(all);
  } catch (const CLI::CallForHelp&) {
    result.exit_code = 0;
    result.output = app.help();
    return result;
  } catch (const CLI::ParseError& e) {
    result.exit_code = 2;
    result.output = e.what();
    return result;
  }
  if (!finish(raw, result.options, &result.output)) {
    result.exit_code = 2;
    return result;
  }
  return result;
}

}  // namespace rmq::app
