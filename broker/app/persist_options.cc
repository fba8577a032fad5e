#include "broker/app/persist_options.h"

#include <CLI/CLI.hpp>

namespace rmq::app {

void add_persist_flags(CLI::App& app, PersistRaw& raw, broker::PersistConfig& o) {
  app.add_option("--data-dir", o.data_dir,
                 "Directory of the write-ahead logs: persistent sessions (with their queued "
                 "QoS 1/2 messages) and retained messages survive a restart or a crash; without "
                 "it nothing is kept")
      ->type_name("DIR");
  app.add_option("--durability", raw.durability,
                 "sync: a QoS 1/2 PUBLISH that reaches a persistent session is acknowledged once "
                 "its log record is on disk (one fdatasync per loop turn covers all); batch: "
                 "acknowledged at once, the log synced every --sync-interval-ms; none: never "
                 "synced (the kernel writes it back)")
      ->capture_default_str();
  app.add_option("--sync-interval-ms", o.sync_interval_ms,
                 "With --durability batch: milliseconds between syncs of the log")
      ->capture_default_str()
      ->check(CLI::Range(1u, 60'000u));
  app.add_option("--compact-bytes", o.compact_bytes,
                 "A shard's log segment past this size is compacted: a snapshot of the live state "
                 "is written into a new segment, in slices, and the old one deleted")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{4096}, std::uint64_t{1} << 40));
  app.add_flag("--recover-skip-corrupt", o.recover_skip_corrupt,
               "Start even when a log has a corrupt record or segment in the middle: skip it "
               "(what it held is lost); without it such a log stops the start with an error");
}

bool finish_persist_options(const PersistRaw& raw, broker::PersistConfig& o, std::string* error) {
  if (raw.durability == "sync") {
    o.durability = broker::Durability::kSync;
  } else if (raw.durability == "batch") {
    o.durability = broker::Durability::kBatch;
  } else if (raw.durability == "none") {
    o.durability = broker::Durability::kNone;
  } else {
    *error = "--durability: '" + raw.durability + "' is not one of sync, batch, none";
    return false;
  }
  return true;
}

}  // namespace rmq::app
