// CRC32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), as used by iSCSI, ext4 and
// LevelDB. The dispatching entry points use the SSE4.2 crc32 instruction when the CPU has it
// (checked once) and a slicing-by-8 table otherwise; both give identical results.
//
// Thread-safety: every function may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace rmq::persist {

// Continues a CRC: `crc` is the value returned for the preceding bytes (0 to start).
std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size);
inline std::uint32_t crc32c(const void* data, std::size_t size) {
  return crc32c_extend(0, data, size);
}
inline std::uint32_t crc32c(std::span<const std::uint8_t> bytes) {
  return crc32c_extend(0, bytes.data(), bytes.size());
}

// The two implementations, exposed so tests can compare them. crc32c_extend_hw must only be called
// when crc32c_hw_available() is true.
std::uint32_t crc32c_extend_sw(std::uint32_t crc, const void* data, std::size_t size);
std::uint32_t crc32c_extend_hw(std::uint32_t crc, const void* data, std::size_t size);
bool crc32c_hw_available();

// Masked CRCs (LevelDB's scheme) are what is stored on disk: the CRC of bytes that themselves
// contain a stored CRC is then not trivially related to it.
inline constexpr std::uint32_t kCrcMaskDelta = 0xa282ead8u;
inline constexpr std::uint32_t crc32c_mask(std::uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kCrcMaskDelta;
}
inline constexpr std::uint32_t crc32c_unmask(std::uint32_t masked) {
  std::uint32_t rot = masked - kCrcMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace rmq::persist
