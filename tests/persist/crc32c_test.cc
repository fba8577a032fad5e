#include "broker/persist/crc32c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

namespace rmq::persist {
namespace {

using Fn = std::uint32_t (*)(std::uint32_t, const void*, std::size_t);

std::vector<Fn> implementations() {
  std::vector<Fn> fns{&crc32c_extend_sw, &crc32c_extend};
  if (crc32c_hw_available()) fns.push_back(&crc32c_extend_hw);
  return fns;
}

// RFC 3720, appendix B.4.
TEST(Crc32c, Rfc3720Vectors) {
  std::uint8_t buf[48];
  for (Fn fn : implementations()) {
    std::memset(buf, 0, 32);
    EXPECT_EQ(fn(0, buf, 32), 0x8a9136aau);
    std::memset(buf, 0xff, 32);
    EXPECT_EQ(fn(0, buf, 32), 0x62a8ab43u);
    for (int i = 0; i < 32; ++i) buf[i] = static_cast<std::uint8_t>(i);
    EXPECT_EQ(fn(0, buf, 32), 0x46dd794eu);
    for (int i = 0; i < 32; ++i) buf[i] = static_cast<std::uint8_t>(31 - i);
    EXPECT_EQ(fn(0, buf, 32), 0x113fdb5cu);
    const std::uint8_t iscsi_read[48] = {0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00,
                                         0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00,
                                         0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                         0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    EXPECT_EQ(fn(0, iscsi_read, 48), 0xd9963a56u);
    EXPECT_EQ(fn(0, "123456789", 9), 0xe3069283u);
    EXPECT_EQ(fn(0, "", 0), 0u);
  }
}

TEST(Crc32c, ExtendEqualsWhole) {
  const char* text = "hello, write-ahead log";
  const std::size_t n = std::strlen(text);
  for (std::size_t split = 0; split <= n; ++split) {
    EXPECT_EQ(crc32c_extend(crc32c(text, split), text + split, n - split), crc32c(text, n));
  }
}

TEST(Crc32c, SoftwareMatchesHardwareOnRandomData) {
  if (!crc32c_hw_available()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  std::mt19937_64 rng(42);
  std::vector<std::uint8_t> data(4096 + 7);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  for (int i = 0; i < 2000; ++i) {
    const std::size_t off = rng() % 8;  // unaligned starts
    const std::size_t len = rng() % (data.size() - off);
    const auto seed = static_cast<std::uint32_t>(rng());
    ASSERT_EQ(crc32c_extend_sw(seed, data.data() + off, len),
              crc32c_extend_hw(seed, data.data() + off, len))
        << "off " << off << " len " << len;
  }
}

TEST(Crc32c, MaskRoundTripsAndChangesValue) {
  for (std::uint32_t v : {0u, 1u, 0xffffffffu, 0x8a9136aau, 0x12345678u}) {
    EXPECT_EQ(crc32c_unmask(crc32c_mask(v)), v);
    EXPECT_NE(crc32c_mask(v), v);
  }
}

}  // namespace
}  // namespace rmq::persist
