// LogFile in a running engine: a handler appends records across loop turns and the file must hold
// exactly those bytes, in order, after the syncs that cover them; many appends in one turn cost
// one fdatasync; short writes, injected ENOSPC and a really full filesystem (a 64 KiB tmpfs, when
// this process may mount one) lose and reorder nothing; a held sync blocks nothing else.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "echo_fixture.h"
#include "engine/engine.h"
#include "engine/log_file.h"

namespace rmq::engine {
namespace {

using namespace std::chrono_literals;
using testing::eventually;

// Record `i` of stream `seed`: 1..300 deterministic bytes.
std::string make_record(std::uint64_t seed, std::uint64_t i, std::size_t fixed_size = 0) {
  testing::ByteStream stream(seed * 1000003 + i);
  std::string record(fixed_size != 0 ? fixed_size : 1 + (i * 7919 + seed) % 300, '\0');
  for (char& c : record) c = static_cast<char>(stream.next());
  return record;
}

std::string expected_records(std::uint64_t seed, std::uint64_t count) {
  std::string all;
  for (std::uint64_t i = 0; i < count; ++i) all += make_record(seed, i);
  return all;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/ringmq-log-XXXXXX";
  return mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
}

// What the shard's handler does with its log file.
struct LogPlan {
  std::string path;
  std::uint64_t records = 0;  // appended by a self-posting mailbox loop, `per_turn` per turn
  std::uint64_t per_turn = 1;
  std::uint64_t seed = 1;
  bool sync_each_append = false;      // request_sync() after every append, not once per turn
  bool log_received = false;          // append every received chunk and request a sync
  bool close_when_done = false;       // close the file right after the last append
  std::uint64_t records_on_stop = 0;  // appended (with a sync request) from on_stop
  LogFile::FaultHook hook;
  int gate_fd = -1;
  // Measuring: append shares of one `fixed_size`-byte record instead, and stop appending while
  // more than `max_unsynced` bytes are not durable (resuming on progress).
  std::size_t fixed_size = 0;
  std::uint64_t max_unsynced = 0;
};

// What the test thread may read.
struct LogShared {
  std::atomic<int> open_errno{-1};  // 0 once open
  std::atomic<std::uint64_t> appended{0};
  std::atomic<std::uint64_t> written{0};
  std::atomic<std::uint64_t> durable{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<int> last_error{0};
  std::atomic<int> error_now{0};
  std::atomic<bool> sync_failed{false};
  std::atomic<std::uint64_t> regressions{0};  // an offset went backwards or past another
  std::atomic<std::uint64_t> wrong_ends{0};   // append() returned an unexpected end offset
  std::atomic<bool> done_appending{false};
  std::atomic<std::uint64_t> progress_calls{0};
};

class LogHandler : public testing::EchoHandler {
 public:
  LogHandler(Shard& shard, testing::EchoCounters& counters, const LogPlan& plan, LogShared& shared)
      : EchoHandler(shard, counters, testing::EchoOptions{}),
        shard_(shard),
        plan_(plan),
        shared_(shared) {}

  void on_start() override {
    Result<LogFile*> opened = shard_.open_log(plan_.path);
    if (!opened.ok()) {
      shared_.open_errno = opened.status().sys_errno();
      return;
    }
    file_ = *opened;
    file_->set_fault_hook(plan_.hook);
    file_->set_sync_gate(plan_.gate_fd);
    end_ = file_->appended_offset();
    shared_.open_errno = 0;
    if (plan_.records > 0) (void)shard_.post(shard_.id(), MailboxMessage{});
  }

  void on_mailbox(const MailboxMessage&) override {
    if (plan_.fixed_size != 0) return append_fixed();
    for (std::uint64_t n = 0; n < plan_.per_turn && next_ < plan_.records; ++n, ++next_) {
      append(make_record(plan_.seed, next_));
      if (plan_.sync_each_append) file_->request_sync();
    }
    file_->request_sync();
    if (next_ < plan_.records) {
      (void)shard_.post(shard_.id(), MailboxMessage{});
      return;
    }
    shared_.done_appending = true;
    if (plan_.close_when_done) {
      file_->close();
      file_ = nullptr;
    }
  }

  void on_stop() override {
    for (std::uint64_t i = 0; i < plan_.records_on_stop; ++i) append(make_record(plan_.seed, i));
    if (plan_.records_on_stop > 0) file_->request_sync();
  }

  RecvResult on_data(ConnId id, const RecvView& data) override {
    if (plan_.log_received && file_ != nullptr) {
      append(std::string(reinterpret_cast<const char*>(data.bytes().data()), data.size()));
      file_->request_sync();
    }
    return EchoHandler::on_data(id, data);
  }

  void on_log_progress(LogFile& file, std::uint64_t durable) override {
    ++shared_.progress_calls;
    if (&file != file_ || durable != file.durable_offset()) ++shared_.regressions;
    if (file.written_offset() < shared_.written || durable < shared_.durable ||
        durable > file.written_offset() || file.written_offset() > file.appended_offset()) {
      ++shared_.regressions;
    }
    shared_.written = file.written_offset();
    shared_.durable = durable;
    shared_.error_now = file.error();
    if (paused_ && end_ - durable <= plan_.max_unsynced) {
      paused_ = false;
      (void)shard_.post(shard_.id(), MailboxMessage{});
    }
  }

  void on_log_error(LogFile& file, int error) override {
    ++shared_.errors;
    shared_.last_error = error;
    shared_.error_now = file.error();
    shared_.sync_failed = file.sync_failed();
  }

 private:
  void append(const std::string& bytes) {
    end_ += bytes.size();
    if (file_->append(SharedBytes::copy_of(bytes)) != end_) ++shared_.wrong_ends;
    shared_.appended = end_;
  }

  void append_fixed() {
    if (fixed_.empty()) fixed_ = SharedBytes::copy_of(make_record(1, 0, plan_.fixed_size));
    for (std::uint64_t n = 0; n < plan_.per_turn; ++n) end_ = file_->append(fixed_.share());
    shared_.appended = end_;
    file_->request_sync();
    if (end_ - file_->durable_offset() > plan_.max_unsynced) {
      paused_ = true;
    } else {
      (void)shard_.post(shard_.id(), MailboxMessage{});
    }
  }

  Shard& shard_;
  const LogPlan& plan_;
  LogShared& shared_;
  LogFile* file_ = nullptr;
  std::uint64_t next_ = 0;
  std::uint64_t end_ = 0;
  SharedBytes fixed_;
  bool paused_ = false;
};

// One shard running a LogHandler; the plan and shared state must outlive it.
class LogServer {
 public:
  LogServer(const LogPlan& plan, LogShared& shared) {
    auto started = Engine::start(testing::EchoServer::default_config(1), [&](Shard& shard) {
      return std::make_unique<LogHandler>(shard, counters_, plan, shared);
    });
    if (started.ok()) engine_ = std::move(*started);
  }
  ~LogServer() { stop(); }
  bool ok() const { return engine_ != nullptr; }
  Engine& engine() { return *engine_; }
  std::uint64_t stat(const Counter ShardStats::*counter) const { return engine_->total(counter); }
  // Stops the engine; its counters stay readable.
  void stop() {
    if (engine_ == nullptr) return;
    engine_->request_stop();
    engine_->wait();
  }

 private:
  testing::EchoCounters counters_;
  std::unique_ptr<Engine> engine_;
};

class LogFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    ASSERT_FALSE(dir_.empty());
    plan_.path = dir_ + "/shard-0.log";
  }
  void TearDown() override {
    std::remove(plan_.path.c_str());
    ::rmdir(dir_.c_str());
  }

  // Waits until every appended byte is durable.
  bool all_durable(std::uint64_t total) {
    return eventually([&] { return shared_.done_appending && shared_.durable == total; });
  }

  std::string dir_;
  LogPlan plan_;
  LogShared shared_;
};

TEST_F(LogFileTest, AppendsAcrossTurnsAtTheEndOfAnExistingFile) {
  const std::string header = "existing bytes";
  { std::ofstream(plan_.path, std::ios::binary) << header; }
  plan_.records = testing::kSanitized ? 2000 : 20000;
  plan_.per_turn = 37;
  LogServer server(plan_, shared_);
  ASSERT_TRUE(server.ok());
  const std::string expected = header + expected_records(plan_.seed, plan_.records);
  ASSERT_TRUE(all_durable(expected.size())) << shared_.durable << " of " << expected.size();
  EXPECT_EQ(shared_.written.load(), expected.size());
  EXPECT_EQ(shared_.wrong_ends.load(), 0u);
  EXPECT_EQ(shared_.regressions.load(), 0u);
  EXPECT_EQ(shared_.errors.load(), 0u);
  const std::uint64_t turns = (plan_.records + plan_.per_turn - 1) / plan_.per_turn;
  EXPECT_GE(server.stat(&ShardStats::log_syncs), 1u);
  EXPECT_LE(server.stat(&ShardStats::log_syncs), turns);
  EXPECT_EQ(server.stat(&ShardStats::log_bytes_written), expected.size() - header.size());
  server.stop();
  EXPECT_EQ(read_file(plan_.path), expected);
}

TEST_F(LogFileTest, CloseWritesWhatIsQueuedAndReportsNothingMore) {
  plan_.records = 500;
  plan_.per_turn = 500;
  plan_.close_when_done = true;
  LogServer server(plan_, shared_);
  ASSERT_TRUE(server.ok());
  const std::string expected = expected_records(plan_.seed, plan_.records);
  ASSERT_TRUE(eventually([&] {
    return server.stat(&ShardStats::log_syncs) == 1 &&
           server.stat(&ShardStats::log_bytes_written) == expected.size();
  }));
  EXPECT_EQ(shared_.progress_calls.load(), 0u);
  EXPECT_EQ(read_file(plan_.path), expected);
}

TEST_F(LogFileTest, ShutdownWritesAndSyncsWhatIsQueued) {
  plan_.records_on_stop = 800;
  LogServer server(plan_, shared_);
  ASSERT_TRUE(server.ok());
  ASSERT_TRUE(eventually([&] { return shared_.open_errno == 0; }));
  server.stop();
  const std::string expected = expected_records(plan_.seed, plan_.records_on_stop);
  EXPECT_EQ(read_file(plan_.path), expected);
  EXPECT_EQ(server.stat(&ShardStats::log_syncs), 1u);
  EXPECT_EQ(server.stat(&ShardStats::log_bytes_written), expected.size());
}

TEST_F(LogFileTest, ManyAppendsInOneTurnCostOneSync) {
  plan_.records = 1000;
  plan_.per_turn = 1000;
  plan_.sync_each_append = true;
  LogServer server(plan_, shared_);
  ASSERT_TRUE(server.ok());
  const std::string expected = expected_records(plan_.seed, plan_.records);
  ASSERT_TRUE(all_durable(expected.size()));
  EXPECT_EQ(server.stat(&ShardStats::log_syncs), 1u);
  EXPECT_GE(server.stat(&ShardStats::log_writes), 1u);
  server.stop();
  EXPECT_EQ(read_file(plan_.path), expected);
}

TEST_F(LogFileTest, ShortWritesAreCompletedInOrder) {
  plan_.records = 3000;
  plan_.per_turn = 50;
  // Every other write reports a third of what it wrote (at least one byte).
  plan_.hook = [odd = false](LogFile::Op op, int result) mutable {
    if (op != LogFile::Op::kWrite || result <= 1) return result;
    odd = !odd;
    return odd ? std::max(1, result / 3) : result;
  };
  LogServer server(plan_, shared_);
  ASSERT_TRUE(server.ok());
  const std::string expected = expected_records(plan_.seed, plan_.records);
  ASSERT_TRUE(all_durable(expected.size()));
  EXPECT_GT(server.stat(&ShardStats::log_partial_writes), 0u);
  EXPECT_EQ(shared_.regressions.load(), 0u);
  server.stop();
  EXPECT_EQ(read_file(plan_.path), expected);
}

TEST_F(LogFileTest, InjectedEnospcIsRetriedWithoutLosingBytes) {
  plan_.records = 3000;
  plan_.per_turn = 20;
  plan_.hook = [failures = 3](LogFile::Op op, int result) mutable {
    if (op != LogFile::Op::kWrite || failures == 0) return result;
    --failures;
    return -ENOSPC;
  };
  LogServer server(plan_, shared_);
  ASSERT_TRUE(server.ok());
  const std::string expected = expected_records(plan_.seed, plan_.records);
  ASSERT_TRUE(all_durable(expected.size())) << shared_.durable << " of " << expected.size();
  EXPECT_EQ(shared_.errors.load(), 3u);
  EXPECT_EQ(shared_.last_error.load(), ENOSPC);
  EXPECT_EQ(shared_.error_now.load(), 0);  // writing again
  EXPECT_EQ(server.stat(&ShardStats::log_errors), 3u);
  EXPECT_EQ(shared_.regressions.load(), 0u);
  server.stop();
  EXPECT_EQ(read_file(plan_.path), expected);
}

TEST_F(LogFileTest, FailedSyncIsStickyAndWritesGoOn) {
  plan_.records = 500;
  plan_.per_turn = 10;
  plan_.hook = [](LogFile::Op op, int result) { return op == LogFile::Op::kSync ? -EIO : result; };
  LogServer server(plan_, shared_);
  ASSERT_TRUE(server.ok());
  const std::string expected = expected_records(plan_.seed, plan_.records);
  ASSERT_TRUE(eventually([&] {
    return shared_.done_appending && shared_.written == expected.size() && shared_.sync_failed;
  }));
  EXPECT_EQ(shared_.errors.load(), 1u);  // one sync failed; none was tried after it
  EXPECT_EQ(shared_.last_error.load(), EIO);
  EXPECT_EQ(shared_.durable.load(), 0u);
  EXPECT_EQ(server.stat(&ShardStats::log_syncs), 0u);
  server.stop();
  EXPECT_EQ(read_file(plan_.path), expected);
}

TEST_F(LogFileTest, ConnectionsAreServedWhileASyncIsHeld) {
  int gate[2];
  ASSERT_EQ(::pipe2(gate, O_CLOEXEC), 0);
  plan_.gate_fd = gate[0];
  plan_.log_received = true;
  LogServer server(plan_, shared_);
  ASSERT_TRUE(server.ok());
  ASSERT_TRUE(eventually([&] { return shared_.open_errno == 0; }));
  const int fd = testing::connect_to("127.0.0.1", server.engine().port());
  ASSERT_GE(fd, 0);
  std::string sent;
  for (int i = 0; i < 200; ++i) {
    const std::string message = "message " + std::to_string(i) + ";";
    ASSERT_TRUE(testing::send_all(fd, message.data(), message.size()));
    std::string back(message.size(), '\0');
    ASSERT_TRUE(testing::recv_exact(fd, back.data(), back.size())) << i;
    ASSERT_EQ(back, message);
    sent += message;
  }
  // Every message was echoed while the first sync waited at the gate.
  ASSERT_TRUE(eventually([&] { return shared_.written == sent.size(); }));
  EXPECT_EQ(shared_.durable.load(), 0u);
  EXPECT_EQ(server.stat(&ShardStats::log_syncs), 0u);
  const std::string open_gate(256, 'g');
  ASSERT_EQ(::write(gate[1], open_gate.data(), open_gate.size()),
            static_cast<ssize_t>(open_gate.size()));
  EXPECT_TRUE(eventually([&] { return shared_.durable == sent.size(); }));
  EXPECT_GE(server.stat(&ShardStats::log_syncs), 1u);
  EXPECT_LE(server.stat(&ShardStats::log_syncs), 2u);  // the held one, then one for the rest
  ::close(fd);
  server.stop();
  ::close(gate[0]);
  ::close(gate[1]);
  EXPECT_EQ(read_file(plan_.path), sent);
}

// A 64 KiB tmpfs mounted on `dir` while this lives (with CAP_SYS_ADMIN; mounted() says).
class SmallTmpfs {
 public:
  explicit SmallTmpfs(std::string dir) : dir_(std::move(dir)) {
    if (::mkdir(dir_.c_str(), 0700) != 0) return;
    mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=64k") == 0;
    if (!mounted_) error_ = errno;
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);  // its files go with it
    ::rmdir(dir_.c_str());
  }
  bool mounted() const { return mounted_; }
  int error() const { return error_; }

 private:
  std::string dir_;
  bool mounted_ = false;
  int error_ = 0;
};

// A real full filesystem: a small tmpfs, mostly taken by a filler file. Skipped where mounting is
// not allowed.
TEST_F(LogFileTest, FullTmpfsStopsWritesUntilSpaceIsFreed) {
  const SmallTmpfs tmpfs(dir_ + "/small");
  if (!tmpfs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (errno " << tmpfs.error() << ")";
  const std::string filler = dir_ + "/small/filler";
  { std::ofstream(filler, std::ios::binary) << std::string(40 * 1024, 'f'); }
  plan_.path = dir_ + "/small/shard-0.log";
  plan_.records = 400;  // about 60 KiB: more than is left
  plan_.per_turn = 10;
  LogServer server(plan_, shared_);
  ASSERT_TRUE(server.ok());
  const std::string expected = expected_records(plan_.seed, plan_.records);
  ASSERT_TRUE(eventually([&] { return shared_.errors > 0 && shared_.done_appending; }));
  EXPECT_EQ(shared_.last_error.load(), ENOSPC);
  EXPECT_LT(shared_.written.load(), expected.size());
  ASSERT_EQ(std::remove(filler.c_str()), 0);
  EXPECT_TRUE(all_durable(expected.size())) << shared_.durable << " of " << expected.size();
  EXPECT_EQ(shared_.error_now.load(), 0);
  server.stop();
  EXPECT_EQ(read_file(plan_.path), expected);
}

// Not a test: 100-byte records, one sync per turn, on the disk of $RINGMQ_LOG_BENCH_DIR (default
// $TMPDIR or /tmp). Run with --gtest_also_run_disabled_tests --gtest_filter='*Measure*'.
TEST_F(LogFileTest, DISABLED_MeasureRecordsAndSyncsPerSecond) {
  const char* bench_dir = std::getenv("RINGMQ_LOG_BENCH_DIR");
  if (bench_dir != nullptr) plan_.path = std::string(bench_dir) + "/ringmq-log-measure.log";
  // {records per turn, bytes appended ahead of the durable offset}: the first waits for each
  // record's sync before appending the next (sync latency); the others keep appending.
  const std::pair<std::uint64_t, std::uint64_t> runs[] = {
      {1, 0}, {1, 4 << 20}, {16, 4 << 20}, {256, 4 << 20}};
  for (const auto& [per_turn, max_unsynced] : runs) {
    std::remove(plan_.path.c_str());
    LogPlan plan = plan_;
    plan.fixed_size = 100;
    plan.per_turn = per_turn;
    plan.max_unsynced = max_unsynced;
    plan.records = 1;
    LogShared shared;
    LogServer server(plan, shared);
    ASSERT_TRUE(server.ok());
    std::this_thread::sleep_for(500ms);  // warm up
    const std::uint64_t durable0 = shared.durable;
    const std::uint64_t syncs0 = server.stat(&ShardStats::log_syncs);
    const auto begin = MonoClock::now();
    std::this_thread::sleep_for(3s);
    const double seconds = std::chrono::duration<double>(MonoClock::now() - begin).count();
    const double records = static_cast<double>(shared.durable - durable0) / 100.0;
    const auto syncs = static_cast<double>(server.stat(&ShardStats::log_syncs) - syncs0);
    std::printf(
        "%s: %3llu records per turn, %7llu bytes ahead: %.0f durable records/s, %.0f syncs/s, "
        "%.1f records per sync, %.1f MB/s\n",
        plan.path.c_str(), static_cast<unsigned long long>(per_turn),
        static_cast<unsigned long long>(max_unsynced), records / seconds, syncs / seconds,
        syncs > 0 ? records / syncs : 0.0, records * 100.0 / seconds / 1e6);
    server.stop();
  }
  std::remove(plan_.path.c_str());
}

}  // namespace
}  // namespace rmq::engine
