#include "broker/persist/records_schema.h"

#include <cstring>
#include <utility>

namespace rmq::persist {
namespace {

constexpr std::size_t varint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) v >>= 7, ++n;
  return n;
}

// Range checks shared by the encoder and the decoder; nullptr when the value is fine.
const char* check_qos(std::uint8_t qos, std::uint8_t min) {
  return qos < min || qos > 2 ? kBadQos : nullptr;
}
const char* check_options(std::uint8_t o) {
  return (o & 3) > 2 || ((o >> 4) & 3) > 2 || (o & 0xC0) != 0 ? kBadOptions : nullptr;
}

// Adds up the payload size.
struct Sizer {
  std::size_t n = 0;
  void u8(std::uint8_t) { n += 1; }
  void u16(std::uint16_t) { n += 2; }
  void u32(std::uint32_t) { n += 4; }
  void u64(std::uint64_t) { n += 8; }
  void varint(std::uint32_t v) { n += varint_size(v); }
  void str(std::string_view s) { n += varint_size(s.size()) + s.size(); }
  void bytes(Bytes b) { n += varint_size(b.size()) + b.size(); }
  void qos(std::uint8_t, std::uint8_t) { n += 1; }
  void flag(std::uint8_t) { n += 1; }
  void options(std::uint8_t) { n += 1; }
  void packet_id(std::uint16_t) { n += 2; }
  void ids(const SubscriptionIds& s) {
    n += varint_size(s.size());
    if (s.from_wire()) {
      n += s.wire_bytes().size();
    } else {
      for (std::uint32_t id : s.ids()) n += varint_size(id);
    }
  }
};

// Writes into a buffer already known to be large enough; records the first range error.
struct Writer {
  std::uint8_t* p;
  const char* error = nullptr;
  void fail(const char* e) {
    if (error == nullptr) error = e;
  }
  void u8(std::uint8_t v) { *p++ = v; }
  void u16(std::uint16_t v) {
    *p++ = static_cast<std::uint8_t>(v), *p++ = static_cast<std::uint8_t>(v >> 8);
  }
  void u32(std::uint32_t v) { store_le(v, 4); }
  void u64(std::uint64_t v) { store_le(v, 8); }
  void store_le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) *p++ = static_cast<std::uint8_t>(v >> (8 * i));
  }
  void varint(std::uint64_t v) {
    while (v >= 0x80) *p++ = static_cast<std::uint8_t>(v | 0x80), v >>= 7;
    *p++ = static_cast<std::uint8_t>(v);
  }
  void raw(const void* data, std::size_t n) {
    if (n != 0) std::memcpy(p, data, n);
    p += n;
  }
  void str(std::string_view s) { varint(s.size()), raw(s.data(), s.size()); }
  void bytes(Bytes b) { varint(b.size()), raw(b.data(), b.size()); }
  void qos(std::uint8_t q, std::uint8_t min) {
    if (const char* e = check_qos(q, min)) fail(e);
    u8(q);
  }
  void flag(std::uint8_t f) {
    if (f > 1) fail(kBadFlag);
    u8(f);
  }
  void options(std::uint8_t o) {
    if (const char* e = check_options(o)) fail(e);
    u8(o);
  }
  void packet_id(std::uint16_t id) {
    if (id == 0) fail(kZeroPacketId);
    u16(id);
  }
  void ids(const SubscriptionIds& s) {
    varint(s.size());
    if (s.from_wire()) {
      raw(s.wire_bytes().data(), s.wire_bytes().size());
    } else {
      for (std::uint32_t id : s.ids()) varint(id);
    }
  }
};

// Bounds-checked reader over an untrusted payload; stops at the first error.
struct Reader {
  const std::uint8_t* p;
  const std::uint8_t* end;
  const char* error = nullptr;

  bool take(std::size_t n, const std::uint8_t** at, const char* why = kTruncated) {
    if (error != nullptr) return false;
    if (static_cast<std::size_t>(end - p) < n) {
      error = why;
      return false;
    }
    *at = p;
    p += n;
    return true;
  }
  std::uint64_t load_le(int n) {
    const std::uint8_t* at = nullptr;
    if (!take(static_cast<std::size_t>(n), &at)) return 0;
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= std::uint64_t{at[i]} << (8 * i);
    return v;
  }
  void u8(std::uint8_t& v) { v = static_cast<std::uint8_t>(load_le(1)); }
  void u16(std::uint16_t& v) { v = static_cast<std::uint16_t>(load_le(2)); }
  void u32(std::uint32_t& v) { v = static_cast<std::uint32_t>(load_le(4)); }
  void u64(std::uint64_t& v) { v = load_le(8); }
  // A shortest-form LEB128 of at most `max_bytes` bytes whose value fits in `max_bits` bits.
  std::uint64_t read_varint(int max_bytes, int max_bits) {
    std::uint64_t v = 0;
    for (int i = 0; i < max_bytes; ++i) {
      const std::uint8_t* at = nullptr;
      if (!take(1, &at)) return 0;
      const std::uint64_t group = *at & 0x7F;
      if (7 * i + 7 > max_bits && (group >> (max_bits - 7 * i)) != 0) break;  // overflows
      v |= group << (7 * i);
      if ((*at & 0x80) == 0) {
        if (i > 0 && *at == 0) break;  // not the shortest form
        return v;
      }
    }
    if (error == nullptr) error = kOverlongVarint;
    return 0;
  }
  void varint(std::uint32_t& v) { v = static_cast<std::uint32_t>(read_varint(5, 32)); }
  Bytes length_prefixed() {
    const std::uint64_t n = read_varint(5, 32);
    const std::uint8_t* at = nullptr;
    if (!take(n, &at, kLengthPastEnd)) return {};
    return Bytes(at, n);
  }
  void str(std::string_view& s) {
    const Bytes b = length_prefixed();
    s = std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
  }
  void bytes(Bytes& b) { b = length_prefixed(); }
  void check(const char* e) {
    if (error == nullptr && e != nullptr) error = e;
  }
  void qos(std::uint8_t& q, std::uint8_t min) { u8(q), check(check_qos(q, min)); }
  void flag(std::uint8_t& f) { u8(f), check(f > 1 ? kBadFlag : nullptr); }
  void options(std::uint8_t& o) { u8(o), check(check_options(o)); }
  void packet_id(std::uint16_t& id) { u16(id), check(id == 0 ? kZeroPacketId : nullptr); }
  void ids(SubscriptionIds& s) {
    std::uint32_t count = 0;
    varint(count);
    const std::uint8_t* start = p;
    for (std::uint32_t i = 0; i < count && error == nullptr; ++i) read_varint(5, 32);
    if (error == nullptr) s = SubscriptionIds::wire(Bytes(start, p), count);
  }
};

template <typename R>
Result<AnyRecord> decode_as_any(Bytes payload) {
  auto r = decode<R>(payload);
  if (!r.ok()) return r.status();
  return AnyRecord(*r);
}

}  // namespace

std::vector<std::uint32_t> SubscriptionIds::to_vector() const {
  if (!from_wire()) return {ids_.begin(), ids_.end()};
  std::vector<std::uint32_t> out;
  out.reserve(count_);
  Reader r{wire_.data(), wire_.data() + wire_.size()};
  for (std::uint32_t i = 0; i < count_; ++i) {
    out.push_back(static_cast<std::uint32_t>(r.read_varint(5, 32)));
  }
  return out;
}

template <typename R>
std::size_t encoded_size(const R& r) {
  Sizer s;
  R::fields(r, s);
  return s.n;
}

template <typename R>
Result<std::size_t> encode(std::span<std::uint8_t> out, const R& r) {
  const std::size_t n = encoded_size(r);
  if (out.size() < n) return Status(StatusCode::kOutOfRange, "record buffer too small");
  Writer w{out.data()};
  R::fields(r, w);
  RMQ_DCHECK(w.p == out.data() + n);
  if (w.error != nullptr) return Status(StatusCode::kInvalidArgument, w.error);
  return n;
}

template <typename R>
Result<R> decode(Bytes payload) {
  R rec{};
  Reader rd{payload.data(), payload.data() + payload.size()};
  R::fields(rec, rd);
  if (rd.error == nullptr && rd.p != rd.end) rd.error = kTrailingBytes;
  if (rd.error != nullptr) return Status(StatusCode::kInvalidArgument, rd.error);
  return rec;
}

template <typename R>
Result<std::size_t> encode_framed(std::span<std::uint8_t> out, const R& r) {
  const std::size_t n = encoded_size(r);
  if (n > kMaxRecordPayload) return Status(StatusCode::kInvalidArgument, "record too large");
  if (out.size() < framed_size(n)) {
    return Status(StatusCode::kOutOfRange, "record buffer too small");
  }
  auto written = encode(out.subspan(kRecordHeaderSize, n), r);
  if (!written.ok()) return written.status();
  const Bytes parts[] = {Bytes(out.data() + kRecordHeaderSize, n)};
  RMQ_RETURN_IF_ERROR(
      frame_header(out.first<kRecordHeaderSize>(), static_cast<std::uint8_t>(R::kType), parts));
  return framed_size(n);
}

#define RMQ_PERSIST_INSTANTIATE(R)                                           \
  template std::size_t encoded_size<R>(const R&);                            \
  template Result<std::size_t> encode<R>(std::span<std::uint8_t>, const R&); \
  template Result<R> decode<R>(Bytes);                                       \
  template Result<std::size_t> encode_framed<R>(std::span<std::uint8_t>, const R&);
RMQ_PERSIST_INSTANTIATE(SessionOpen)
RMQ_PERSIST_INSTANTIATE(SessionEnd)
RMQ_PERSIST_INSTANTIATE(SessionOffline)
RMQ_PERSIST_INSTANTIATE(Subscribe)
RMQ_PERSIST_INSTANTIATE(Unsubscribe)
RMQ_PERSIST_INSTANTIATE(WillSet)
RMQ_PERSIST_INSTANTIATE(WillClear)
RMQ_PERSIST_INSTANTIATE(MessageRec)
RMQ_PERSIST_INSTANTIATE(Enqueue)
RMQ_PERSIST_INSTANTIATE(Sent)
RMQ_PERSIST_INSTANTIATE(PubrecReceived)
RMQ_PERSIST_INSTANTIATE(Ack)
RMQ_PERSIST_INSTANTIATE(InboundQos2)
RMQ_PERSIST_INSTANTIATE(InboundReleased)
RMQ_PERSIST_INSTANTIATE(RetainedSet)
RMQ_PERSIST_INSTANTIATE(RetainedClear)
#undef RMQ_PERSIST_INSTANTIATE

namespace {
template <std::size_t... I>
Result<AnyRecord> dispatch(std::uint8_t type, Bytes payload, std::index_sequence<I...>) {
  using Fn = Result<AnyRecord> (*)(Bytes);
  static constexpr Fn kTable[] = {&decode_as_any<std::variant_alternative_t<I, AnyRecord>>...};
  return kTable[type - 1](payload);
}
}  // namespace

Result<AnyRecord> decode_any(std::uint8_t type, Bytes payload) {
  if (type == 0 || type > kLastRecordType) {
    return Status(StatusCode::kInvalidArgument, "unknown record type");
  }
  return dispatch(type, payload, std::make_index_sequence<std::variant_size_v<AnyRecord>>());
}

std::uint8_t type_of(const AnyRecord& r) { return static_cast<std::uint8_t>(r.index() + 1); }

const char* to_string(RecordType type) {
  static constexpr const char* kNames[] = {
      "SessionOpen",    "SessionEnd", "SessionOffline", "Subscribe",       "Unsubscribe",
      "WillSet",        "WillClear",  "Message",        "Enqueue",         "Sent",
      "PubrecReceived", "Ack",        "InboundQos2",    "InboundReleased", "RetainedSet",
      "RetainedClear"};
  const auto i = static_cast<std::size_t>(type);
  return i >= 1 && i <= kLastRecordType ? kNames[i - 1] : "unknown";
}

static_assert(std::variant_size_v<AnyRecord> == kLastRecordType);
template <std::size_t... I>
constexpr bool types_in_order(std::index_sequence<I...>) {
  return ((static_cast<std::size_t>(std::variant_alternative_t<I, AnyRecord>::kType) == I + 1) &&
          ...);
}
static_assert(types_in_order(std::make_index_sequence<kLastRecordType>()));

}  // namespace rmq::persist
