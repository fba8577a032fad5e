// The persistence flags of the `ringmq` binary (--data-dir, --durability, ...): declared on the
// command line parser beside the others, checked once parsing is done.
#pragma once

#include <string>

#include "broker/broker_config.h"

namespace CLI {
class App;
}

namespace rmq::app {

// Flags parsed as text by CLI11; finish_persist_options checks them.
struct PersistRaw {
  std::string durability = "sync";
};

void add_persist_flags(CLI::App& app, PersistRaw& raw, broker::PersistConfig& o);
// False with a one-line error naming the flag.
bool finish_persist_options(const PersistRaw& raw, broker::PersistConfig& o, std::string* error);

}  // namespace rmq::app
