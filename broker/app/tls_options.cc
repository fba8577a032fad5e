#include "broker/app/tls_options.h"

#include <CLI/CLI.hpp>
#include <algorithm>

#include "broker/app/options.h"

namespace rmq::app {
namespace {

constexpr std::uint16_t kDefaultTlsPort = 8883;

// "h:p", ":p" and "[v6]:p" name a port; "h", "[v6]" and a bare IPv6 literal do not.
bool has_explicit_port(const std::string& text) {
  if (!text.empty() && text.front() == '[') return text.find("]:") != std::string::npos;
  return std::count(text.begin(), text.end(), ':') == 1;
}

}  // namespace

void add_tls_flags(CLI::App& app, TlsRaw& raw, TlsOptions& o) {
  tls::TlsConfig& c = o.config;
  app.add_option("--tls-listen", raw.listen,
                 "TLS listener, host:port or [ipv6]:port (port 8883 when omitted); repeatable")
      ->type_name("ADDRESS");
  app.add_option("--tls-cert", c.cert_file, "Server certificate chain (PEM), for --tls-listen")
      ->type_name("FILE");
  app.add_option("--tls-key", c.key_file, "Private key of --tls-cert (PEM)")->type_name("FILE");
  app.add_option("--tls-ca", c.ca_file,
                 "CA certificates (PEM) that client certificates must chain to")
      ->type_name("FILE");
  app.add_option("--tls-crl", c.crl_file, "Certificate revocation list (PEM) checked with --tls-ca")
      ->type_name("FILE");
  app.add_flag("--tls-require-cert", c.require_client_cert,
               "Refuse TLS clients without a certificate signed by --tls-ca");
  app.add_flag("--tls-identity-as-username", o.identity_as_username,
               "Use the client certificate's CN (or first SAN), or the PSK identity, as the MQTT "
               "username; the password is not checked");
  app.add_option("--tls-min-version", raw.min_version, "Lowest TLS version accepted: 1.2 or 1.3")
      ->capture_default_str();
  app.add_option("--tls-ciphers", c.cipher_list, "TLS 1.2 cipher list (OpenSSL syntax)")
      ->type_name("LIST");
  app.add_option("--tls-ciphersuites", c.ciphersuites, "TLS 1.3 cipher suites (OpenSSL syntax)")
      ->type_name("LIST");
  app.add_option("--tls-handshake-timeout", o.handshake_timeout_s,
                 "Seconds a TLS handshake may take before the connection is closed")
      ->check(CLI::Range(1u, 3600u))
      ->capture_default_str();
  app.add_option("--psk-file", c.psk_file,
                 "TLS pre-shared keys, `identity:hexkey` per line (Mosquitto's psk_file)")
      ->type_name("FILE");
  app.add_option("--psk-hint", c.psk_hint, "PSK identity hint sent to TLS 1.2 clients")
      ->type_name("TEXT");
}

bool finish_tls_options(const TlsRaw& raw, TlsOptions& o, std::string* error) {
  const tls::TlsConfig& c = o.config;
  o.listen.clear();
  for (const std::string& text : raw.listen) {
    engine::ListenAddress address;
    std::string why;
    if (!parse_listen(text, &address, &why)) {
      *error = "--tls-listen: '" + text + "': " + why;
      return false;
    }
    if (!has_explicit_port(text)) address.port = kDefaultTlsPort;
    o.listen.push_back(address);
  }
  if (raw.min_version == "1.2") {
    o.config.min_version = tls::TlsVersion::kTls12;
  } else if (raw.min_version == "1.3") {
    o.config.min_version = tls::TlsVersion::kTls13;
  } else {
    *error = "--tls-min-version: '" + raw.min_version + "' is not 1.2 or 1.3";
    return false;
  }
  if (c.cert_file.empty() != c.key_file.empty()) {
    *error = c.cert_file.empty() ? "--tls-key: needs --tls-cert" : "--tls-cert: needs --tls-key";
    return false;
  }
  if (!o.listen.empty() && c.cert_file.empty() && c.psk_file.empty()) {
    *error = "--tls-listen: needs --tls-cert and --tls-key, or --psk-file";
    return false;
  }
  if (o.listen.empty() && (!c.cert_file.empty() || !c.psk_file.empty())) {
    *error = (c.cert_file.empty() ? std::string("--psk-file") : std::string("--tls-cert")) +
             ": no --tls-listen to use it on";
    return false;
  }
  if (c.require_client_cert && c.ca_file.empty()) {
    *error = "--tls-require-cert: needs --tls-ca";
    return false;
  }
  if (!c.crl_file.empty() && c.ca_file.empty()) {
    *error = "--tls-crl: needs --tls-ca";
    return false;
  }
  return true;
}

}  // namespace rmq::app
