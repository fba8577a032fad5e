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

Status frame_header(std::span<std::uint8_t, kRecordHeaderSize> out, std::uint8_t type,
                    std::span<const std::span<const std::uint8_t>> parts) {
  if (type == 0) return Status(StatusCode::kInvalidArgument, "record type 0 is reserved");
  std::size_t size = 0;
  std::uint32_t crc = crc32c_extend(0, &type, 1);
  for (const auto& part : parts) {
    size += part.size();
    if (size > kMaxRecordPayload) {
      return Status(StatusCode::kInvalidArgument, "record payload over the maximum");
    }
    crc = crc32c_extend(crc, part.data(), part.size());
  }
  store_le32(out.data(), static_cast<std::uint32_t>(size));
  store_le32(out.data() + 4, crc32c_mask(crc));
  out[8] = type;
  return OkStatus();
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

namespace {

// The checks of parse_record() that need no CRC; on kOk sets `*length`.
Frame check_frame(std::span<const std::uint8_t> buf, std::size_t offset, std::uint32_t* length) {
  if (offset > buf.size() || buf.size() - offset < kRecordHeaderSize) return Frame::kIncomplete;
  const std::uint8_t* p = buf.data() + offset;
  *length = load_le32(p);
  if (*length > kMaxRecordPayload) return Frame::kBadLength;
  if (p[8] == 0) return Frame::kBadType;
  if (buf.size() - offset - kRecordHeaderSize < *length) return Frame::kIncomplete;
  return Frame::kOk;
}

bool crc_matches(std::span<const std::uint8_t> buf, std::size_t offset, std::uint32_t length) {
  const std::uint8_t* p = buf.data() + offset;
  return record_crc(p[8], buf.subspan(offset + kRecordHeaderSize, length)) == load_le32(p + 4);
}

}  // namespace

Frame parse_record(std::span<const std::uint8_t> buf, std::size_t offset, RecordView* out) {
  std::uint32_t length = 0;
  const Frame f = check_frame(buf, offset, &length);
  if (f != Frame::kOk) return f;
  if (!crc_matches(buf, offset, length)) return Frame::kBadCrc;
  out->type = buf[offset + 8];
  out->payload = buf.subspan(offset + kRecordHeaderSize, length);
  out->offset = offset;
  return Frame::kOk;
}

std::size_t find_next_record(std::span<const std::uint8_t> buf, std::size_t from) {
  for (std::size_t off = from; off + kRecordHeaderSize <= buf.size(); ++off) {
    std::uint32_t length = 0;
    if (check_frame(buf, off, &length) != Frame::kOk) continue;
    const std::size_t end = off + kRecordHeaderSize + length;
    if (buf.size() - end >= 4 && load_le32(buf.data() + end) > kMaxRecordPayload) continue;
    if (crc_matches(buf, off, length)) return off;
  }
  return buf.size();
}

Frame RecordReader::next(RecordView* out) {
  const Frame f = parse_record(buf_, offset_, out);
  if (f == Frame::kOk) offset_ += out->framed_size();
  return f;
}

}  // namespace rmq::persist
