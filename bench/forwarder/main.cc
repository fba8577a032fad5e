// ringmq-forwarder: the trivial-forwarder latency floor of bench/compare. See README.md.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench/forwarder/forwarder.h"

namespace {

// Splits "HOST:PORT" at the last ':'; false when PORT is not a number in [0, 65535].
bool split_listen(const std::string& text, std::string* host, std::uint16_t* port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  const std::string digits = text.substr(colon + 1);
  if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const unsigned long value = std::stoul(digits);
  if (value > 65535) return false;
  *host = text.substr(0, colon);
  *port = static_cast<std::uint16_t>(value);
  return true;
}

void report(const rmq::Status& s) {
  if (s.sys_errno() != 0) {
    std::fprintf(stderr, "ringmq-forwarder: %s: %s\n", s.message(), std::strerror(s.sys_errno()));
  } else {
    std::fprintf(stderr, "ringmq-forwarder: %s\n", s.message());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ringmq-forwarder: copies PUBLISH bytes to subscribers with no topic matching "
      "(the latency floor for bench/compare)"};
  std::string listen = "127.0.0.1:1883";
  app.add_option("--listen", listen, "HOST:PORT to listen on (IPv4; port 0 picks a free port)")
      ->capture_default_str();
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help prints and exits 0; bad flags exit 2
  }

  std::string host;
  std::uint16_t port = 0;
  if (!split_listen(listen, &host, &port)) {
    std::fprintf(stderr, "ringmq-forwarder: --listen: expected HOST:PORT, got '%s'\n",
                 listen.c_str());
    return 2;
  }
  rmq::forwarder::Forwarder forwarder;
  if (const rmq::Status s = forwarder.listen(host, port); !s.ok()) {
    report(s);
    return s.code() == rmq::StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::fprintf(stderr, "ringmq-forwarder listening on %s\n", forwarder.address().c_str());
  if (const rmq::Status s = forwarder.run(); !s.ok()) {
    report(s);
    return 1;
  }
  std::fprintf(stderr, "ringmq-forwarder: stopped\n");
  return 0;
}
