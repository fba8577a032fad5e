// Shared by the TLS integration tests: a throw-away PKI made once per test process
// (make_test_certs.sh), a broker with a TLS listener, and helpers running TLS clients we did not
// write (mosquitto_pub/mosquitto_sub, openssl s_client).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "broker_process.h"

namespace rmq::itest {

// The directory holding the test PKI (see make_test_certs.sh for its files).
const std::string& test_pki();
// A file of the test PKI: pki("ca.pem").
std::string pki(const std::string& name);

// A ringmq with a plain listener and a TLS listener (both on ephemeral ports).
class TlsBroker {
 public:
  // `tls_args`: the --tls-* / --psk-* flags, --tls-listen excluded.
  explicit TlsBroker(std::vector<std::string> tls_args, std::vector<std::string> extra = {});
  BrokerProcess& process() { return *process_; }
  std::uint16_t tls_port() const { return tls_port_; }
  std::string tls_port_text() const { return std::to_string(tls_port_); }
  std::string plain_port_text() const { return process_->port_text(); }

 private:
  std::unique_ptr<BrokerProcess> process_;
  std::uint16_t tls_port_ = 0;
};

// The default server flags: --tls-cert/--tls-key of the test PKI's server certificate.
std::vector<std::string> server_cert_args();

// mosquitto_pub of one QoS 1 message to 127.0.0.1:`port`, with the TLS options in `tls`
// (--cafile, --cert/--key, --psk/--psk-identity, ...). Returns the exit code; `output` gets what
// it printed.
int tls_publish(std::uint16_t port, const std::vector<std::string>& tls, const std::string& topic,
                const std::string& message, std::string* output = nullptr);

// mosquitto_sub in the background waiting for `count` messages on `topic` (-d, so its output
// shows its SUBACK); returns once subscribed, or null.
std::unique_ptr<Command> tls_subscribe(std::uint16_t port, const std::vector<std::string>& tls,
                                       const std::string& topic, int count);

// openssl s_client against 127.0.0.1:`port` with `args`, stdin closed; returns its output.
std::string s_client(std::uint16_t port, const std::vector<std::string>& args, int* exit_code);

}  // namespace rmq::itest
