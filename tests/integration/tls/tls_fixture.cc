#include "tls_fixture.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <string>

namespace rmq::itest {

const std::string& test_pki() {
  static const std::string dir = [] {
    char pattern[] = "/tmp/ringmq-pki-XXXXXX";
    const char* made = mkdtemp(pattern);
    if (made == nullptr) return std::string();
    Command make({"bash", RINGMQ_MAKE_TEST_CERTS, made});
    if (make.wait(60s) != 0) {
      ADD_FAILURE() << "make_test_certs.sh failed:\n" << make.output();
      return std::string();
    }
    return std::string(made);
  }();
  return dir;
}

std::string pki(const std::string& name) { return test_pki() + "/" + name; }

std::vector<std::string> server_cert_args() {
  return {"--tls-cert", pki("server.pem"), "--tls-key", pki("server.key")};
}

TlsBroker::TlsBroker(std::vector<std::string> tls_args, std::vector<std::string> extra) {
  std::vector<std::string> args = {"--tls-listen", "127.0.0.1:0"};
  args.insert(args.end(), tls_args.begin(), tls_args.end());
  args.insert(args.end(), extra.begin(), extra.end());
  process_ = std::make_unique<BrokerProcess>(args, 2);
  if (!process_->running()) return;
  // The TLS listener is logged after the plain one, in the same start-up step.
  const std::string needle = "ringmq listening on 127.0.0.1:";
  if (!process_->wait_for_log(" (TLS)")) return;
  const std::string log = process_->log();
  const auto tls_line = log.find(" (TLS)");
  const auto at = log.rfind(needle, tls_line);
  if (at != std::string::npos) {
    tls_port_ = static_cast<std::uint16_t>(std::atoi(log.c_str() + at + needle.size()));
  }
}

int tls_publish(std::uint16_t port, const std::vector<std::string>& tls, const std::string& topic,
                const std::string& message, std::string* output) {
  std::vector<std::string> argv = {
      "mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(port), "-t", topic, "-m",
      message,         "-q", "1"};
  argv.insert(argv.end(), tls.begin(), tls.end());
  Command pub(argv);
  const int code = pub.wait(15s);
  if (output != nullptr) *output = pub.output();
  return code;
}

std::unique_ptr<Command> tls_subscribe(std::uint16_t port, const std::vector<std::string>& tls,
                                       const std::string& topic, int count) {
  std::vector<std::string> argv = {"stdbuf",
                                   "-oL",
                                   "mosquitto_sub",
                                   "-h",
                                   "127.0.0.1",
                                   "-p",
                                   std::to_string(port),
                                   "-t",
                                   topic,
                                   "-q",
                                   "1",
                                   "-C",
                                   std::to_string(count),
                                   "-W",
                                   "20",
                                   "-d"};
  argv.insert(argv.end(), tls.begin(), tls.end());
  auto sub = std::make_unique<Command>(argv);
  if (!sub->wait_for_output("received SUBACK", 10s)) {
    ADD_FAILURE() << "mosquitto_sub did not subscribe:\n" << sub->output();
    return nullptr;
  }
  return sub;
}

std::string s_client(std::uint16_t port, const std::vector<std::string>& args, int* exit_code) {
  std::vector<std::string> argv = {"sh", "-c", "", "s_client"};
  std::string line = "openssl s_client -connect 127.0.0.1:" + std::to_string(port);
  for (const std::string& arg : args) line += " '" + arg + "'";
  argv[2] = line + " < /dev/null";
  Command client(argv);
  const int code = client.wait(20s);
  if (exit_code != nullptr) *exit_code = code;
  return client.output();
}

}  // namespace rmq::itest
