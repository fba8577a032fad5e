#include "bench/forwarder/frames.h"

namespace rmq::forwarder {
namespace {

// Bounds-checked cursor over one packet body; every read fails once past the end.
class Reader {
 public:
  explicit Reader(Bytes bytes) : bytes_(bytes) {}

  bool u8(std::uint8_t* v) {
    if (left() < 1) return false;
    *v = bytes_[at_++];
    return true;
  }
  bool u16(std::uint16_t* v) {
    if (left() < 2) return false;
    *v = static_cast<std::uint16_t>(bytes_[at_] << 8 | bytes_[at_ + 1]);
    at_ += 2;
    return true;
  }
  bool string(std::string_view* s) {
    std::uint16_t len = 0;
    if (!u16(&len) || left() < len) return false;
    *s = std::string_view(reinterpret_cast<const char*>(bytes_.data() + at_), len);
    at_ += len;
    return true;
  }
  bool varint(std::uint32_t* v) {
    *v = 0;
    for (int shift = 0; shift < 28; shift += 7) {
      std::uint8_t byte = 0;
      if (!u8(&byte)) return false;
      *v |= static_cast<std::uint32_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  // Skips a 5.0 property block (its length, then that many bytes).
  bool skip_properties() {
    std::uint32_t len = 0;
    if (!varint(&len) || left() < len) return false;
    at_ += len;
    return true;
  }
  std::size_t at() const { return at_; }
  std::size_t left() const { return bytes_.size() - at_; }

 private:
  Bytes bytes_;
  std::size_t at_ = 0;
};

void append_varint(OutBuf* out, std::size_t value) {
  do {
    std::uint8_t byte = value & 0x7f;
    value >>= 7;
    out->push_back(value != 0 ? (byte | 0x80) : byte);
  } while (value != 0);
}

void append_u16(OutBuf* out, std::uint16_t v) {
  out->push_back(static_cast<std::uint8_t>(v >> 8));
  out->push_back(static_cast<std::uint8_t>(v));
}

}  // namespace

FrameStatus read_frame(Bytes in, std::size_t max_packet, Frame* frame) {
  std::size_t remaining = 0;
  std::size_t at = 1;
  for (int shift = 0;; shift += 7, ++at) {
    if (at >= in.size()) return FrameStatus::kNeedMore;
    if (shift > 21) return FrameStatus::kMalformed;
    remaining |= static_cast<std::size_t>(in[at] & 0x7f) << shift;
    if ((in[at] & 0x80) == 0) break;
  }
  const std::size_t size = at + 1 + remaining;
  if (size > max_packet) return FrameStatus::kTooLarge;
  if (in.size() < size) return FrameStatus::kNeedMore;
  frame->header = in[0];
  frame->body = in.subspan(at + 1, remaining);
  frame->size = size;
  return FrameStatus::kComplete;
}

int connect_level(Bytes body) {
  Reader r(body);
  std::string_view name;
  std::uint8_t level = 0;
  if (!r.string(&name) || !r.u8(&level)) return 0;
  if (name == "MQIsdp" && level == 3) return 3;
  if (name == "MQTT" && (level == 4 || level == 5)) return level;
  return 0;
}

bool parse_publish(const Frame& frame, bool v5, PublishView* view) {
  Reader r(frame.body);
  view->qos = (frame.header >> 1) & 3;
  if (view->qos == 3 || !r.string(&view->topic)) return false;
  view->packet_id = 0;
  if (view->qos > 0 && (!r.u16(&view->packet_id) || view->packet_id == 0)) return false;
  view->var_end = r.at();
  if (v5 && !r.skip_properties()) return false;
  view->payload = r.at();
  return true;
}

void append_publish(OutBuf* out, Bytes packet, const Frame& frame, const PublishView& view,
                    bool from_v5, bool to_v5) {
  if (from_v5 == to_v5) {
    out->insert(out->end(), packet.begin(), packet.end());
    return;
  }
  const Bytes body = frame.body;
  const std::size_t remaining = view.var_end + (to_v5 ? 1 : 0) + (body.size() - view.payload);
  out->push_back(frame.header);
  append_varint(out, remaining);
  out->insert(out->end(), body.begin(), body.begin() + view.var_end);
  if (to_v5) out->push_back(0);  // empty properties
  out->insert(out->end(), body.begin() + view.payload, body.end());
}

bool parse_filters(const Frame& frame, bool v5, std::uint16_t* packet_id,
                   std::vector<Filter>* filters) {
  filters->clear();
  const bool subscribe = frame.type() == kSubscribe;
  if ((frame.header & 0x0f) != 0x02) return false;
  Reader r(frame.body);
  if (!r.u16(packet_id) || *packet_id == 0) return false;
  if (v5 && !r.skip_properties()) return false;
  while (r.left() > 0) {
    Filter filter;
    if (!r.string(&filter.topic) || filter.topic.empty()) return false;
    if (subscribe && !r.u8(&filter.qos)) return false;
    filter.qos &= 3;  // 5.0 keeps subscription options in the upper bits
    filters->push_back(filter);
  }
  return !filters->empty();
}

void append_connack(OutBuf* out, bool v5, std::uint8_t code) {
  out->push_back((kConnect + 1) << 4);  // CONNACK
  out->push_back(v5 ? 3 : 2);
  out->push_back(0);  // session present: never
  out->push_back(code);
  if (v5) out->push_back(0);  // empty properties
}

void append_ack(OutBuf* out, std::uint8_t type, std::uint16_t packet_id) {
  out->push_back(static_cast<std::uint8_t>(type << 4 | (type == kPubRel ? 0x02 : 0)));
  out->push_back(2);
  append_u16(out, packet_id);
}

void append_sub_reply(OutBuf* out, std::uint8_t type, bool v5, std::uint16_t packet_id,
                      const std::vector<std::uint8_t>& codes) {
  const bool with_codes = v5 || type == kSubscribe + 1;
  out->push_back(static_cast<std::uint8_t>(type << 4));
  append_varint(out, 2 + (v5 ? 1 : 0) + (with_codes ? codes.size() : 0));
  append_u16(out, packet_id);
  if (v5) out->push_back(0);  // empty properties
  if (with_codes) out->insert(out->end(), codes.begin(), codes.end());
}

void append_pingresp(OutBuf* out) {
  out->push_back((kPingReq + 1) << 4);
  out->push_back(0);
}

}  // namespace rmq::forwarder
