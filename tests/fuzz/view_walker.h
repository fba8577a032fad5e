// walk_packet(): reads every byte a decoded PacketView points to and checks its structural
// invariants, trapping (FUZZ_CHECK) on a violation:
//  - `body` holds the alternative that `type` selects;
//  - each non-empty view lies inside `wire`, the bytes the packet was decoded from (zero-copy);
//  - each WireList yields exactly size() elements;
//  - properties are defined by MQTT 5.0, allowed in the block they appear in, and absent (as are
//    5.0 reason codes) when the packet's protocol version is before 5.0.
#pragma once

#include <cstdint>
#include <span>

#include "codec/packets.h"
#include "codec/types.h"

namespace rmq::codec {

// `version` is the connection's version; a CONNECT is checked against its own.
void walk_packet(const PacketView& packet, std::span<const std::uint8_t> wire,
                 ProtocolVersion version);

}  // namespace rmq::codec
