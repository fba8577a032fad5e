// Runner: one benchmark run from start to report.
//
// Phases: connect (every connection, subscriptions included) -> warm-up -> measure -> drain ->
// stop (conn: connect -> hold for --duration -> stop). The coordinating thread moves the phase,
// samples counters at phase boundaries (interval figures are differences of readings), prints a
// progress line every second and samples the broker's /proc entries.
#pragma once

#include "bench/loadgen/options.h"
#include "bench/loadgen/report.h"

namespace rmq::loadgen {

// Runs the benchmark described by `o` (already validated) and fills `report`.
// Returns the exit code: 0 completed, 1 could not complete. SIGINT and SIGTERM end the run early
// (exit code 1) with the figures measured so far.
int run_benchmark(const Options& o, Report* report);

}  // namespace rmq::loadgen
