// ringmq-echo: a standalone echo server on the engine, for benchmarking with external clients.
// Stops on SIGINT / SIGTERM.
//
//   ringmq-echo [--host 0.0.0.0] [--port 7000] [--shards N] [--buffer-size B] [--buffers N]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "bench_handlers.h"

int main(int argc, char** argv) {
  rmq::engine::EngineConfig config;
  rmq::engine::ListenAddress address{"0.0.0.0", 7000, nullptr};
  for (int i = 1; i + 1 < argc; i += 2) {
    const char* flag = argv[i];
    const char* value = argv[i + 1];
    if (std::strcmp(flag, "--host") == 0) {
      address.host = value;
    } else if (std::strcmp(flag, "--port") == 0) {
      address.port = static_cast<std::uint16_t>(std::atoi(value));
    } else if (std::strcmp(flag, "--shards") == 0) {
      config.shards = static_cast<std::uint32_t>(std::atoi(value));
    } else if (std::strcmp(flag, "--buffer-size") == 0) {
      config.recv_buffer_size = static_cast<std::uint32_t>(std::atoi(value));
    } else if (std::strcmp(flag, "--buffers") == 0) {
      config.recv_buffer_count = static_cast<std::uint32_t>(std::atoi(value));
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag);
      return 2;
    }
  }
  config.listen.push_back(address);
  config.handle_signals = true;
  auto engine = rmq::engine::Engine::start(config, [](rmq::engine::Shard& shard) {
    return std::make_unique<rmq::bench::EchoService>(shard);
  });
  if (!engine.ok()) {
    std::fprintf(stderr, "ringmq-echo: %s\n", engine.status().message());
    return 1;
  }
  std::printf("ringmq-echo: %u shards listening on %s port %u\n", (*engine)->shard_count(),
              address.host.c_str(), (*engine)->port());
  std::fflush(stdout);
  (*engine)->wait();
  return 0;
}
