// libFuzzer target for codec::decode().
//
// Each input is decoded as a byte stream, once per protocol version and packet-size limit:
// consecutive packets are decoded from the front (framing) until the input ends, a packet is
// incomplete, or one is malformed. For every step it checks, and traps on a violation:
//  - the DecodeResult contract of decode.h, against decode_fixed_header();
//  - that every view of a complete packet lies inside that packet's bytes and can be read, that
//    WireLists yield exactly size() elements, and that properties are defined, allowed where they
//    appear, and absent before 5.0;
//  - that proper prefixes of a complete packet decode as kNeedMore;
//  - a differential round trip: encode() writes exactly encoded_size() bytes, refuses a buffer one
//    byte short, and decoding its output gives a complete packet equal to the first.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string_view>

#include "codec/decode.h"
#include "codec/encode.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/view_walker.h"

namespace rmq::codec {
namespace {

constexpr std::uint32_t kProtocolMaxPacketSize = kMaxRemainingLength + kMaxFixedHeaderSize;
constexpr std::uint32_t kSmallMaxPacketSize = 128;
constexpr ProtocolVersion kVersions[] = {ProtocolVersion::kV31, ProtocolVersion::kV311,
                                         ProtocolVersion::kV5};

// decode() agrees with decode_fixed_header() and with its own contract.
void check_result_contract(std::span<const std::uint8_t> bytes, const DecodeOptions& options,
                           const DecodeResult& r) {
  FixedHeader fh;
  const HeaderStatus hs = decode_fixed_header(bytes, &fh);
  if (r.status != DecodeStatus::kComplete) FUZZ_CHECK(r.consumed == 0);
  if (hs == HeaderStatus::kMalformed) {
    FUZZ_CHECK(r.status == DecodeStatus::kMalformed);
    return;
  }
  if (hs == HeaderStatus::kNeedMore) {
    FUZZ_CHECK(r.status != DecodeStatus::kComplete);
    if (r.status == DecodeStatus::kNeedMore) FUZZ_CHECK(r.needed == 0);
    return;
  }
  FUZZ_CHECK(fh.header_size >= 2 && fh.header_size <= kMaxFixedHeaderSize);
  FUZZ_CHECK(fh.remaining <= kMaxRemainingLength);
  FUZZ_CHECK(static_cast<std::uint8_t>(fh.type) == bytes[0] >> 4);
  FUZZ_CHECK(fh.flags == (bytes[0] & 0x0F));
  const std::size_t size = fh.packet_size();
  if (size > options.max_packet_size) FUZZ_CHECK(r.status == DecodeStatus::kMalformed);
  switch (r.status) {
    case DecodeStatus::kComplete:
      FUZZ_CHECK(r.consumed == size && size <= bytes.size());
      FUZZ_CHECK(r.packet.type == fh.type);
      break;
    case DecodeStatus::kNeedMore: FUZZ_CHECK(r.needed == size && size > bytes.size()); break;
    case DecodeStatus::kMalformed: break;
  }
}

void check_malformed(const DecodeResult& r, ProtocolVersion version) {
  FUZZ_CHECK(!r.error.statement.empty());
  FUZZ_CHECK(!r.error.what.empty());
  for (bool connected : {false, true}) {
    const ErrorOutcome out = error_outcome(r.error, version, connected);
    // CONNACK answers only a CONNECT; DISCONNECT goes only to a connected 5.0 client.
    if (connected) FUZZ_CHECK(out.action != ErrorAction::kConnackThenClose);
    if (!connected || !is_v5(version)) {
      FUZZ_CHECK(out.action != ErrorAction::kDisconnectThenClose);
    }
  }
}

// Every proper prefix of a complete packet is incomplete (a sample of them: all short ones, the
// middle and the last).
void check_prefixes(std::span<const std::uint8_t> packet, const DecodeOptions& options) {
  auto check = [&](std::size_t n) {
    const DecodeResult r = decode(packet.first(n), options);
    FUZZ_CHECK(r.status == DecodeStatus::kNeedMore);
    FUZZ_CHECK(r.needed == 0 || r.needed == packet.size());
  };
  for (std::size_t n = 0; n < packet.size() && n <= 8; ++n) check(n);
  check(packet.size() / 2);
  check(packet.size() - 1);
}

// Heap copy of exactly `n` bytes, so ASan catches a write past the end.
std::unique_ptr<std::uint8_t[]> exact_buffer(std::size_t n) {
  return std::unique_ptr<std::uint8_t[]>(new std::uint8_t[n == 0 ? 1 : n]);
}

// Differential oracle: re-encoding a decoded packet and decoding that again is the identity.
// A CONNECT is re-encoded in the version it announced, everything else in the connection's.
void check_round_trip(const PacketView& packet, ProtocolVersion connection_version) {
  const ProtocolVersion version =
      packet.type == PacketType::kConnect ? packet.as<ConnectView>().version : connection_version;
  const std::size_t size = encoded_size(packet, version);
  FUZZ_CHECK(size >= 2);
  auto short_buf = exact_buffer(size - 1);
  FUZZ_CHECK(encode(packet, version, std::span(short_buf.get(), size - 1)) == 0);

  auto buf = exact_buffer(size);
  FUZZ_CHECK(encode(packet, version, std::span(buf.get(), size)) == size);
  const std::span<const std::uint8_t> wire(buf.get(), size);
  const DecodeOptions options{.version = version, .max_packet_size = kProtocolMaxPacketSize};
  const DecodeResult again = decode(wire, options);
  const std::string_view type = to_string(packet.type);
  const int level = static_cast<int>(version);
  FUZZ_CHECK_CTX(again.status == DecodeStatus::kComplete,
                 "re-encoded %.*s (protocol level %d) does not decode: %.*s",
                 static_cast<int>(type.size()), type.data(), level,
                 static_cast<int>(again.error.what.size()), again.error.what.data());
  FUZZ_CHECK(again.consumed == size);
  FUZZ_CHECK_CTX(again.packet == packet,
                 "%.*s (protocol level %d) differs after encode and decode again",
                 static_cast<int>(type.size()), type.data(), level);
  walk_packet(again.packet, wire, version);
}

// Decodes packets back to back from `stream` until it ends or a packet is not complete.
void decode_stream(std::span<const std::uint8_t> stream, const DecodeOptions& options) {
  while (true) {
    const DecodeResult r = decode(stream, options);
    check_result_contract(stream, options, r);
    if (r.status == DecodeStatus::kMalformed) check_malformed(r, options.version);
    if (r.status != DecodeStatus::kComplete) return;

    const std::span<const std::uint8_t> packet = stream.first(r.consumed);
    walk_packet(r.packet, packet, options.version);
    check_prefixes(packet, options);
    check_round_trip(r.packet, options.version);
    stream = stream.subspan(r.consumed);
  }
}

}  // namespace
}  // namespace rmq::codec

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rmq::codec;  // NOLINT(google-build-using-namespace)
  const std::span<const std::uint8_t> input(data, size);
  for (ProtocolVersion version : kVersions) {
    for (std::uint32_t max : {kProtocolMaxPacketSize, kSmallMaxPacketSize}) {
      decode_stream(input, DecodeOptions{.version = version, .max_packet_size = max});
    }
  }
  return 0;
}
