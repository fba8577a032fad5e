// Partial input and hostile input: every valid packet cut short at every byte asks for more
// (never malformed, `needed` exact once the fixed header is in), and mutated or random bytes
// never crash the decoder or make a decoded list unreadable.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <variant>

#include "codec/decode.h"
#include "tests/codec/hand_bytes.h"
#include "tests/codec/valid_packets.h"

namespace rmq::codec::test {
namespace {

// Walks every lazily decoded list of a complete packet, as a consumer would.
std::size_t touch_lists(const PacketView& p) {
  std::size_t n = 0;
  auto touch_properties = [&n](const Properties& pr) {
    for (const StringPair& pair : pr.user_properties) n += pair.name.size() + pair.value.size();
    for (std::uint32_t id : pr.subscription_identifiers) n += id & 1u;
  };
  if (const auto* c = std::get_if<ConnectView>(&p.body)) {
    touch_properties(c->properties);
    if (c->will) touch_properties(c->will->properties);
  } else if (const auto* s = std::get_if<SubscribeView>(&p.body)) {
    touch_properties(s->properties);
    for (const Subscription& sub : s->subscriptions) n += sub.filter.size();
  } else if (const auto* u = std::get_if<UnsubscribeView>(&p.body)) {
    touch_properties(u->properties);
    for (std::string_view f : u->filters) n += f.size();
  } else if (const auto* pub = std::get_if<PublishView>(&p.body)) {
    touch_properties(pub->properties);
  } else if (const auto* ack = std::get_if<AckView>(&p.body)) {
    touch_properties(ack->properties);
  } else if (const auto* ca = std::get_if<ConnackView>(&p.body)) {
    touch_properties(ca->properties);
  }
  return n;
}

TEST(NeedMore, EveryValidPacketTruncatedAtEveryOffset) {
  for (const samples::Sample& s : samples::all()) {
    for (std::size_t n = 0; n < s.bytes.size(); ++n) {
      // A separate allocation of exactly n bytes, so a read past it is a sanitizer error.
      const Bytes prefix(s.bytes.begin(), s.bytes.begin() + static_cast<std::ptrdiff_t>(n));
      const DecodeResult r = decode_as(prefix, s.version);
      ASSERT_EQ(r.status, DecodeStatus::kNeedMore)
          << s.name << " cut at " << n << ": " << r.error.statement << " " << r.error.what;
      EXPECT_EQ(r.consumed, 0u);
      FixedHeader header;
      const bool header_known = decode_fixed_header(prefix, &header) == HeaderStatus::kComplete;
      EXPECT_EQ(r.needed, header_known ? s.bytes.size() : 0u) << s.name << " cut at " << n;
    }
    const DecodeResult whole = decode_as(s.bytes, s.version);
    ASSERT_EQ(whole.status, DecodeStatus::kComplete)
        << s.name << ": " << whole.error.statement << " " << whole.error.what;
    EXPECT_EQ(whole.consumed, s.bytes.size()) << s.name;
  }
}

TEST(NeedMore, NeededIsTheWholePacketAsSoonAsTheHeaderIsIn) {
  // PUBLISH announcing 100000 bytes; only the fixed header and two body bytes are here.
  const DecodeResult r = decode311(Bytes{0x30, 0xA0, 0x8D, 0x06, 0x00, 0x01});
  ASSERT_EQ(r.status, DecodeStatus::kNeedMore);
  EXPECT_EQ(r.needed, 100'004u);
}

TEST(NeedMore, EmptyInput) {
  const DecodeResult r = decode5(Bytes{});
  EXPECT_EQ(r.status, DecodeStatus::kNeedMore);
  EXPECT_EQ(r.needed, 0u);
}

TEST(Robustness, EverySingleByteMutationOfEveryValidPacket) {
  std::size_t complete = 0;
  std::size_t touched = 0;
  for (const samples::Sample& s : samples::all()) {
    for (std::size_t at = 0; at < s.bytes.size(); ++at) {
      for (unsigned value = 0; value < 256; ++value) {
        Bytes mutated = s.bytes;
        mutated[at] = static_cast<std::uint8_t>(value);
        const DecodeResult r = decode_as(mutated, s.version);
        if (r.status == DecodeStatus::kComplete) {
          ASSERT_LE(r.consumed, mutated.size());
          touched += touch_lists(r.packet);
          ++complete;
        } else if (r.status == DecodeStatus::kMalformed) {
          ASSERT_FALSE(r.error.statement.empty()) << s.name << " byte " << at << " = " << value;
        }
      }
    }
  }
  EXPECT_GT(complete, 0u);
  EXPECT_GT(touched, 0u);
}

TEST(Robustness, RandomBytes) {
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<int> length(0, 48);
  std::uniform_int_distribution<int> byte(0, 255);
  const ProtocolVersion versions[] = {ProtocolVersion::kV31, ProtocolVersion::kV311,
                                      ProtocolVersion::kV5};
  for (int i = 0; i < 30000; ++i) {
    Bytes b(static_cast<std::size_t>(length(rng)));
    for (std::uint8_t& x : b) x = static_cast<std::uint8_t>(byte(rng));
    // Keep the remaining length within the buffer often enough to reach the body decoders.
    if (b.size() >= 2) b[1] = static_cast<std::uint8_t>(b.size() - 2);
    const DecodeResult r = decode_as(b, versions[i % 3]);
    if (r.status == DecodeStatus::kComplete) {
      ASSERT_LE(r.consumed, b.size());
      touch_lists(r.packet);
    }
  }
}

}  // namespace
}  // namespace rmq::codec::test
