// Test helpers for the write-ahead-log record schema: encode any record into an owned payload,
// and render a record's fields as text (through its field list) to compare records.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "broker/persist/records_schema.h"

namespace rmq::persist::testing {

struct Encoded {
  std::uint8_t type = 0;
  std::vector<std::uint8_t> payload;
};

template <typename R>
Encoded encode_owned(const R& r) {
  Encoded e{static_cast<std::uint8_t>(R::kType), std::vector<std::uint8_t>(encoded_size(r))};
  auto n = encode(std::span<std::uint8_t>(e.payload), r);
  EXPECT_TRUE(n.ok()) << n.status().message();
  if (n.ok()) {
    EXPECT_EQ(*n, e.payload.size());
  }
  return e;
}

inline Encoded encode_any(const AnyRecord& r) {
  return std::visit([](const auto& rec) { return encode_owned(rec); }, r);
}

// Renders every field, in wire order, as text.
struct Dumper {
  std::string out;
  void add(const std::string& s) { out += s + "|"; }
  void u8(std::uint8_t v) { add(std::to_string(v)); }
  void u16(std::uint16_t v) { add(std::to_string(v)); }
  void u32(std::uint32_t v) { add(std::to_string(v)); }
  void u64(std::uint64_t v) { add(std::to_string(v)); }
  void varint(std::uint32_t v) { add(std::to_string(v)); }
  void str(std::string_view s) { add("s:" + std::string(s)); }
  void bytes(Bytes b) { add("b:" + std::string(b.begin(), b.end())); }
  void qos(std::uint8_t v, std::uint8_t) { u8(v); }
  void flag(std::uint8_t v) { u8(v); }
  void options(std::uint8_t v) { u8(v); }
  void packet_id(std::uint16_t v) { u16(v); }
  void ids(const SubscriptionIds& s) {
    std::string t = "ids:";
    for (std::uint32_t id : s.to_vector()) t += std::to_string(id) + ",";
    add(t);
  }
};

inline std::string dump(const AnyRecord& r) {
  return std::visit(
      [](const auto& rec) {
        Dumper d;
        d.out = std::to_string(static_cast<int>(rec.kType)) + ":";
        std::remove_cvref_t<decltype(rec)>::fields(rec, d);
        return d.out;
      },
      r);
}

}  // namespace rmq::persist::testing
