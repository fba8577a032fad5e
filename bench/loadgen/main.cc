// ringmq-bench: the MQTT load generator. See bench/loadgen/README.md.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "bench/loadgen/options.h"
#include "bench/loadgen/report.h"
#include "bench/loadgen/runner.h"

namespace {

bool write_json(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return true;
  }
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace rmq::loadgen;
  const ParseOutcome parsed = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.run) {
    std::fprintf(parsed.exit_code == 0 ? stdout : stderr, "%s\n", parsed.message.c_str());
    return parsed.exit_code;
  }
  const Options& o = parsed.options;
  Report report;
  const int code = run_benchmark(o, &report);
  if (!o.quiet) print_summary(stdout, o, report);
  if (!report.error.empty()) std::fprintf(stderr, "ringmq-bench: %s\n", report.error.c_str());
  if (!o.json_path.empty() && !write_json(o.json_path, to_json(o, report))) {
    std::fprintf(stderr, "ringmq-bench: --json: cannot write '%s'\n", o.json_path.c_str());
    return 1;
  }
  return code;
}
