// Command-line flags and the config file of the `ringmq` binary.
//
// The config file holds the same settings as the flags, one `key = value` per line (the key is the
// flag's name without the leading dashes), `#` starts a comment. Settings from the file come
// first; flags on the command line override them (repeatable ones, --listen and
// --deny-subscribe, add to them).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/log.h"
#include "broker/app/persist_options.h"
#include "broker/app/tls_options.h"
#include "broker/broker_config.h"
#include "engine/config.h"

namespace rmq::app {

struct Options {
  engine::EngineConfig engine;
  broker::BrokerConfig broker;
  LogLevel log_level = LogLevel::kInfo;
  TlsOptions tls;
  std::string password_file;  // --password-file; empty: none
  // --allow-anonymous as given; nullopt: not given, the default depends on the other ways clients
  // authenticate (resolve_allow_anonymous).
  std::optional<bool> allow_anonymous;
};

// What else authenticates clients, for the default of --allow-anonymous.
struct AuthSources {
  bool password_file = false;
  bool psk_file = false;             // --psk-file
  bool require_client_cert = false;  // --tls-require-cert
};

// Sets options.broker.allow_anonymous: --allow-anonymous if given, otherwise true only when
// nothing in `sources` is configured. main() calls it once every flag is parsed.
void resolve_allow_anonymous(Options& options, const AuthSources& sources);

struct ParseResult {
  // -1: run the broker with `options`; otherwise exit with this code after printing `output`
  // (0 for --help, to stdout; 2 for a bad flag or config, a one-line error, to stderr).
  int exit_code = -1;
  std::string output;
  Options options;
};

// `args`: the command line without the program name.
ParseResult parse_options(const std::vector<std::string>& args);

// Parses "host:port", "[v6]:port", "host" or ":port" (port defaults to 1883, host to 0.0.0.0);
// the host must be an IPv4 or IPv6 literal. False with `error` set otherwise.
bool parse_listen(const std::string& text, engine::ListenAddress* out, std::string* error);

// The CPUs this process may run on.
unsigned online_cpus();

}  // namespace rmq::app
