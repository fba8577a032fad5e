#include "broker/persist/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace rmq::persist {
namespace {

constexpr std::uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial

using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[0][i] = c;
  }
  for (std::uint32_t i = 0; i < 256; ++i) {
    for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
  return t;
}

constexpr Tables kTables = make_tables();

bool detect_hw() {
#if defined(__x86_64__)
  __builtin_cpu_init();  // may run before the runtime has initialised the CPU model
  return __builtin_cpu_supports("sse4.2");
#else
  return false;
#endif
}

const bool kHwAvailable = detect_hw();

}  // namespace

std::uint32_t crc32c_extend_sw(std::uint32_t crc, const void* data, std::size_t size) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::uint32_t c = ~crc;
  while (size >= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);  // little-endian host (x86-64, aarch64-le)
    v ^= c;
    c = kTables[7][v & 0xff] ^ kTables[6][(v >> 8) & 0xff] ^ kTables[5][(v >> 16) & 0xff] ^
        kTables[4][(v >> 24) & 0xff] ^ kTables[3][(v >> 32) & 0xff] ^ kTables[2][(v >> 40) & 0xff] ^
        kTables[1][(v >> 48) & 0xff] ^ kTables[0][v >> 56];
    p += 8;
    size -= 8;
  }
  while (size-- > 0) c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xff];
  return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc32c_extend_hw(std::uint32_t crc,
                                                                 const void* data,
                                                                 std::size_t size) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::uint64_t c = ~crc;
  while (size >= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    size -= 8;
  }
  auto c32 = static_cast<std::uint32_t>(c);
  while (size-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}
#else
std::uint32_t crc32c_extend_hw(std::uint32_t crc, const void* data, std::size_t size) {
  return crc32c_extend_sw(crc, data, size);
}
#endif

bool crc32c_hw_available() { return kHwAvailable; }

std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size) {
  return kHwAvailable ? crc32c_extend_hw(crc, data, size) : crc32c_extend_sw(crc, data, size);
}

}  // namespace rmq::persist
