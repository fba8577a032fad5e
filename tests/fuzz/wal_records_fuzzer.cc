// libFuzzer target for the write-ahead-log record schema and the replay model
// (broker/persist/records_schema.h, recovered_state.h).
//
// The input is a stream of records, each `[u8 type][u16 length, little-endian][payload]` (a last
// record cut short takes what is left). Every record is decoded, from an exactly sized heap copy
// so ASan catches any read past the end, and applied to a RecoveredState. It checks, and traps on
// a violation:
//  - the encoding is canonical: a payload that decodes re-encodes to exactly the same bytes, with
//    encoded_size() equal to its length; one that does not decode is counted as malformed;
//  - replay never fails on content, and reference counts equal the references held;
//  - the snapshot of the final state, replayed into a fresh state, gives an equal state with no
//    anomalies (a differential check of emit_snapshot against the log replay).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <variant>
#include <vector>

#include "broker/persist/records_schema.h"
#include "broker/persist/recovered_state.h"
#include "tests/fuzz/fuzz_check.h"

namespace rmq::persist {
namespace {

void check_canonical(const AnyRecord& rec, std::span<const std::uint8_t> payload) {
  std::visit(
      [&](const auto& r) {
        FUZZ_CHECK(encoded_size(r) == payload.size());
        std::vector<std::uint8_t> again(payload.size());
        auto n = encode(std::span<std::uint8_t>(again), r);
        FUZZ_CHECK(n.ok() && *n == payload.size());
        FUZZ_CHECK(payload.empty() ||
                   std::memcmp(again.data(), payload.data(), payload.size()) == 0);
      },
      rec);
}

void check_refcounts(const RecoveredState& s) {
  std::map<std::uint64_t, std::uint32_t> refs;
  for (const auto* sessions : {&s.sessions(), &s.pending()}) {
    for (const auto& [client, ss] : *sessions) {
      for (const QueueEntry& e : ss.queue) ++refs[e.message_id];
    }
  }
  for (const auto& [topic, id] : s.retained()) ++refs[id];
  for (const auto& [id, m] : s.messages()) {
    const auto it = refs.find(id);
    FUZZ_CHECK_CTX(m.refs == (it == refs.end() ? 0u : it->second), "message %llu",
                   static_cast<unsigned long long>(id));
  }
  for (const auto& [id, n] : refs) FUZZ_CHECK(s.messages().count(id) == 1);
}

void check_snapshot(const RecoveredState& state) {
  RecoveredState fresh;
  state.emit_snapshot([&](const AnyRecord& r) {
    std::visit(
        [&](const auto& rec) {
          std::vector<std::uint8_t> buf(encoded_size(rec));
          FUZZ_CHECK(encode(std::span<std::uint8_t>(buf), rec).ok());
          FUZZ_CHECK(fresh.apply_payload(static_cast<std::uint8_t>(rec.kType), buf).ok());
        },
        r);
  });
  fresh.finish();
  FUZZ_CHECK(fresh.same_state(state));
  FUZZ_CHECK(fresh.anomalies().total() == 0);
}

}  // namespace
}  // namespace rmq::persist

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rmq::persist;
  RecoveredState state;
  std::uint64_t malformed = 0;
  std::size_t off = 0;
  while (off < size) {
    const std::uint8_t type = data[off++];
    std::size_t len = 0;
    if (size - off >= 2) len = data[off] | std::size_t{data[off + 1]} << 8, off += 2;
    len = std::min(len, size - off);
    auto copy = std::make_unique<std::uint8_t[]>(len + 1);  // +1: never a zero-size allocation
    if (len != 0) std::memcpy(copy.get(), data + off, len);
    off += len;
    const std::span<const std::uint8_t> payload(copy.get(), len);
    auto rec = decode_any(type, payload);
    if (rec.ok()) {
      check_canonical(*rec, payload);
      state.apply(*rec);
    } else {
      ++malformed;
      FUZZ_CHECK(!state.apply_payload(type, payload).ok());
    }
  }
  FUZZ_CHECK(state.anomalies().malformed == malformed);
  check_refcounts(state);
  state.finish();
  check_refcounts(state);
  check_snapshot(state);
  return 0;
}
