// ForwarderProcess: the real ringmq-forwarder binary on a loopback port it picks itself, with the
// life cycle of BrokerProcess (log in a temporary file; the destructor stops it with SIGTERM and
// fails the test unless it exits 0).
#pragma once

#include "broker_process.h"

namespace rmq::itest {

// The paths of the binaries under test.
const char* forwarder_binary();
const char* loadgen_binary();

class ForwarderProcess : public BrokerProcess {
 public:
  ForwarderProcess()
      : BrokerProcess(ListeningProgram{"ringmq-forwarder",
                                       {forwarder_binary(), "--listen", "127.0.0.1:0"}}) {}
};

}  // namespace rmq::itest
