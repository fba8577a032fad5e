// The codec's hot paths do not allocate: decode() of every sample packet (walking every lazy
// list) and encoded_size() + encode() of every sample make no call to operator new, as counted by
// the hook in bench/common/alloc_counter.h.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "bench/common/alloc_counter.h"
#include "codec/decode.h"
#include "codec/encode.h"
#include "tests/codec/sample_packets.h"

namespace rmq::codec {
namespace {

using bench::AllocScope;
using testing::all_sample_packets;
using testing::SamplePacket;

void escape(const void* p) { asm volatile("" : : "g"(p) : "memory"); }

// Reads every element of the lists decode() leaves to be read lazily.
std::size_t walk_lists(const PacketView& packet) {
  std::size_t n = 0;
  auto walk_properties = [&n](const Properties& p) {
    for (const StringPair pair : p.user_properties) n += pair.name.size() + pair.value.size();
    for (const std::uint32_t id : p.subscription_identifiers) n += id;
  };
  if (const auto* s = std::get_if<SubscribeView>(&packet.body)) {
    walk_properties(s->properties);
    for (const Subscription sub : s->subscriptions) n += sub.filter.size();
  } else if (const auto* u = std::get_if<UnsubscribeView>(&packet.body)) {
    walk_properties(u->properties);
    for (const std::string_view filter : u->filters) n += filter.size();
  } else if (const auto* p = std::get_if<PublishView>(&packet.body)) {
    walk_properties(p->properties);
  } else if (const auto* c = std::get_if<ConnectView>(&packet.body)) {
    walk_properties(c->properties);
    if (c->will) walk_properties(c->will->properties);
  }
  return n;
}

TEST(CodecAllocTest, HookIsLiveInThisBinary) {
  AllocScope scope;
  int* p = new int(1);
  escape(p);
  delete p;
  EXPECT_EQ(scope.counts().allocations, 1u);
}

TEST(CodecAllocTest, DecodeOfEverySampleAllocatesNothing) {
  for (const SamplePacket& sample : all_sample_packets()) {
    std::vector<std::uint8_t> wire(encoded_size(sample.packet, sample.version));
    ASSERT_EQ(encode(sample.packet, sample.version, wire), wire.size()) << sample.name;
    const DecodeOptions options{.version = sample.version};

    AllocScope scope;
    const DecodeResult r = decode(wire, options);
    const std::size_t walked = walk_lists(r.packet);
    escape(&r);
    escape(&walked);
    EXPECT_EQ(scope.counts().allocations, 0u) << sample.name;
    ASSERT_EQ(r.status, DecodeStatus::kComplete) << sample.name;
  }
}

TEST(CodecAllocTest, EncodeOfEverySampleAllocatesNothing) {
  std::vector<std::uint8_t> buffer(4 << 20);
  for (const SamplePacket& sample : all_sample_packets()) {
    AllocScope scope;
    const std::size_t size = encoded_size(sample.packet, sample.version);
    const std::size_t written = encode(sample.packet, sample.version, buffer);
    escape(buffer.data());
    EXPECT_EQ(scope.counts().allocations, 0u) << sample.name;
    EXPECT_EQ(written, size) << sample.name;
  }
}

}  // namespace
}  // namespace rmq::codec
