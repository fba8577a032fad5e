#include "broker/persist/record.h"

#include <cstring>

#include "broker/persist/crc32c.h"

namespace rmq::persist {

namespace {

std::uint32_t record_crc(std::uint8_t type, std::span<const std::uint8_t> payload) {
  std::uint32_t crc = crc32c_extend(0, &type, 1);
  return crc32c_mask(crc32c_extend(crc, payload.data(), payload.size()));
}

}  // namespace

const char* to_string(Frame frame) {
  switch (frame) {
    case Frame::kOk: return "ok";
    case Frame::kIncomplete: return "incomplete record";
    case Frame::kBadLength: return "record length over the maximum";
    case Frame::kBadType: return "record type 0";
    case Frame::kBadCrc: return "record CRC mismatch";
  }
  return "?";
}

Result<std::size_t> frame_record(std::span<std::uint8_t> out, std::uint8_t type,
                                 std::span<const std::uint8_t> payload) {
  if (type == 0) return Status(StatusCode::kInvalidArgument, "record type 0 is reserved");
  if (payload.size() > kMaxRecordPayload) {
    return Status(StatusCode::kInvalidArgument, "record payload over the maximum");
  }
  const std::size_t total = framed_size(payload.size());
  if (out.size() < total) return Status(StatusCode::kOutOfRange, "record buffer too small");
  std::uint8_t* p = out.data();
  store_le32(p, static_cast<std::uint32_t>(payload.size()));
  store_le32(p + 4, record_crc(type, payload));
  p[8] = type;
  if (!payload.empty()) std::memcpy(p + kRecordHeaderSize, payload.data(), payload.size());
  return total;
}

Frame parse_record(std::span<const std::uint8_t> buf, std::size_t offset, RecordView* out) {
  if (offset > buf.size() || buf.size() - offset < kRecordHeaderSize) return Frame::kIncomplete;
  const std::uint8_t* p = buf.data() + offset;
  const std::uint32_t length = load_le32(p);
  if (length > kMaxRecordPayload) return Frame::kBadLength;
  const std::uint8_t type = p[8];
  if (type == 0) return Frame::kBadType;
  if (buf.size() - offset - kRecordHeaderSize < length) return Frame::kIncomplete;
  auto payload = buf.subspan(offset + kRecordHeaderSize, length);
  if (record_crc(type, payload) != load_le32(p + 4)) return Frame::kBadCrc;
  out->type = type;
  out->payload = payload;
  out->offset = offset;
  return Frame::kOk;
}

std::size_t find_next_record(std::span<const std::uint8_t> buf, std::size_t from) {
  RecordView unused;
  for (std::size_t off = from; off + kRecordHeaderSize <= buf.size(); ++off) {
    if (parse_record(buf, off, &unused) == Frame::kOk) return off;
  }
  return buf.size();
}

Frame RecordReader::next(RecordView* out) {
  const Frame f = parse_record(buf_, offset_, out);
  if (f == Frame::kOk) offset_ += out->framed_size();
  return f;
}

}  // namespace rmq::persist
