// Allocation-free L2–L4 decoder. libtins builds a heap object per layer and copies payloads; on the hot
// path that costs ~2.3x libpcap's own read loop, so the common path is decoded here in place (see
// docs/architecture.md). libtins is used where it pays: crafting frames in tests, address formatting.
#pragma once

#include <cstdint>

#include "agent/decode/flow_key.hpp"
#include "agent/decode/packet.hpp"

namespace ww {

// libpcap link-layer types we decode (LINKTYPE_* values from the tcpdump.org registry).
namespace linktype {
inline constexpr int null = 0, ethernet = 1, raw = 101, loop = 108, linux_sll = 113, ipv4 = 228, ipv6 = 229,
                     linux_sll2 = 276;
inline constexpr int raw_openbsd = 12, raw_bsd = 14;
}  // namespace linktype

[[nodiscard]] bool is_supported_linktype(int dlt);

// Decodes `frame` (captured bytes; `wire_len` the original length) into `out`. On error, `out` holds what was
// decoded below the failing layer (so L2 facts of a frame with a broken IP header still count).
DecodeError decode_frame(int dlt, Bytes frame, std::uint32_t wire_len, std::int64_t ts_us, PacketView& out);

// A frame as the pipeline takes it: decoded, and on error reduced to its link layer — what decoded below the
// broken layer is still true (the sender's MAC sent a frame), the half-read IP/L4 fields are not used. A TCP
// or UDP packet comes with the hash of its flow key (FlowKeyHash), computed where the frame was decoded.
struct DecodedFrame {
  PacketView view;
  DecodeError error = DecodeError::none;
  bool has_flow = false;
  std::size_t flow_hash = 0;
};
void decode_for_pipeline(int dlt, Bytes frame, std::uint32_t wire_len, std::int64_t ts_us, DecodedFrame& out);

}  // namespace ww
