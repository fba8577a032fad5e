// The TLS flags of the `ringmq` binary (--tls-listen, --tls-cert, --psk-file, ...): declared on the
// command line parser beside the others, checked once parsing is done.
#pragma once

#include <string>
#include <vector>

#include "engine/config.h"
#include "tls/tls.h"

namespace CLI {
class App;
}

namespace rmq::app {

struct TlsOptions {
  std::vector<engine::ListenAddress> listen;  // TLS listeners (their `tls` is set in main)
  tls::TlsConfig config;
  bool identity_as_username = false;  // certificate or PSK identity as the MQTT username
  std::uint32_t handshake_timeout_s = 10;
};

// Flags parsed as text by CLI11; finish_tls_options checks them.
struct TlsRaw {
  std::vector<std::string> listen;
  std::string min_version = "1.2";
};

void add_tls_flags(CLI::App& app, TlsRaw& raw, TlsOptions& o);
// False with a one-line error naming the flag when the TLS flags do not fit together.
bool finish_tls_options(const TlsRaw& raw, TlsOptions& o, std::string* error);

}  // namespace rmq::app
