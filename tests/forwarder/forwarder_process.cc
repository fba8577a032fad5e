#include "forwarder_process.h"

namespace rmq::itest {

const char* forwarder_binary() { return RINGMQ_FORWARDER_BINARY; }
const char* loadgen_binary() { return RINGMQ_BENCH_BINARY; }

}  // namespace rmq::itest
