#include "broker/persist/scan.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "broker/persist/record.h"

namespace rmq::persist {

namespace {

std::string at(const std::string& name, std::uint64_t offset) {
  return name + " at offset " + std::to_string(offset);
}

void fail(ScanResult* r, ScanError error, const std::string& path, std::uint64_t offset,
          const std::string& what) {
  r->error = error;
  r->error_path = path;
  r->error_offset = offset;
  r->message = what + ": " + at(path, offset);
}

void mark_tail(ScanResult* r, const std::string& path, std::uint64_t offset, const char* what) {
  r->truncate_to = offset;
  r->truncate_path = path;
  r->warnings.push_back(std::string("torn tail (") + what + ") of " + path + " truncated at " +
                        std::to_string(offset) + " bytes; the records before it are kept");
}

std::string base_name(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Checks the header; returns false when the scan must not go on (error or torn header).
bool check_header(std::span<const std::uint8_t> file, const std::string& name,
                  const ScanOptions& options, ScanResult* r) {
  SegmentHeader header;
  const HeaderCheck check = decode_segment_header(file, &header);
  if (check == HeaderCheck::kOk) {
    auto parsed = parse_segment_file_name(base_name(name));
    if (parsed && (parsed->shard != header.shard || parsed->seq != header.seq)) {
      fail(r, ScanError::kBadHeader, name, 0,
           "segment header names shard " + std::to_string(header.shard) + " sequence " +
               std::to_string(header.seq) + ", not those of the file name");
      return false;
    }
    return true;
  }
  const auto head = file.first(std::min(file.size(), kSegmentHeaderSize));
  const bool zero = std::all_of(head.begin(), head.end(), [](std::uint8_t b) { return b == 0; });
  if (options.newest && (check == HeaderCheck::kShort || zero)) {
    mark_tail(r, name, 0, to_string(check));
    return false;
  }
  fail(r, ScanError::kBadHeader, name, 0, to_string(check));
  return false;
}

}  // namespace

ScanResult scan_segment_image(std::span<const std::uint8_t> file, const std::string& name,
                              const ScanOptions& options, const RecordFn& fn) {
  ScanResult r;
  if (!check_header(file, name, options, &r)) return r;
  RecordReader reader(file, kSegmentHeaderSize);
  RecordView rec;
  while (!reader.at_end()) {
    const Frame frame = reader.next(&rec);
    if (frame == Frame::kOk) {
      fn(rec.type, rec.payload, rec.offset);
      ++r.records;
      r.bytes += rec.framed_size();
      continue;
    }
    const std::size_t bad = reader.offset();
    const std::size_t next = find_next_record(file, bad + 1);
    if (next == file.size() && options.newest) {
      mark_tail(&r, name, bad, to_string(frame));
      break;
    }
    if (!options.skip_corrupt) {
      fail(&r, ScanError::kCorruptRecord, name, bad, to_string(frame));
      break;
    }
    ++r.skipped;
    r.skipped_bytes += next - bad;
    r.warnings.push_back(std::string("skipped ") + std::to_string(next - bad) + " corrupt bytes (" +
                         to_string(frame) + ") in " + at(name, bad));
    reader.seek(next);
  }
  return r;
}

ScanResult scan_segment(const std::string& path, const ScanOptions& options, const RecordFn& fn) {
  ScanResult r;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    fail(&r, ScanError::kIo, path, 0, std::string("cannot open: ") + std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return r;
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return scan_segment_image({}, path, options, fn);
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);
  if (map == MAP_FAILED) {
    fail(&r, ScanError::kIo, path, 0, std::string("cannot map: ") + std::strerror(map_errno));
    return r;
  }
  ::madvise(map, size, MADV_SEQUENTIAL);
  r = scan_segment_image({static_cast<const std::uint8_t*>(map), size}, path, options, fn);
  ::munmap(map, size);
  return r;
}

ScanResult scan_shard(const std::string& dir, std::uint32_t shard, const ScanOptions& options,
                      const ShardRecordFn& fn) {
  ScanResult total;
  auto listed = list_segments(dir, shard);
  if (!listed.ok()) {
    fail(
        &total, ScanError::kIo, dir, 0,
        std::string(listed.status().message()) + ": " + std::strerror(listed.status().sys_errno()));
    return total;
  }
  const auto& files = *listed;
  for (std::size_t i = 1; i < files.size(); ++i) {
    if (files[i].seq != files[i - 1].seq + 1) {
      const std::uint64_t missing = files[i - 1].seq + 1;
      const std::string path = dir + "/" + segment_file_name(shard, missing);
      const std::string what =
          "missing log segment " + path + " (sequence " + std::to_string(missing) + ")";
      if (options.skip_corrupt) {  // replay what there is, in order
        total.warnings.push_back(what + ": skipped, what it held is lost");
        continue;
      }
      total.error = ScanError::kMissingSegment;
      total.missing_seq = missing;
      total.error_path = path;
      total.message = what;
      return total;
    }
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    ScanOptions seg_options = options;
    seg_options.newest = i + 1 == files.size();
    const std::uint64_t seq = files[i].seq;
    ScanResult r = scan_segment(files[i].path, seg_options,
                                [&](std::uint8_t type, std::span<const std::uint8_t> payload,
                                    std::uint64_t offset) { fn(seq, type, payload, offset); });
    total.records += r.records;
    total.bytes += r.bytes;
    total.skipped += r.skipped;
    total.skipped_bytes += r.skipped_bytes;
    for (auto& w : r.warnings) total.warnings.push_back(std::move(w));
    if (r.truncate_to) {
      total.truncate_to = r.truncate_to;
      total.truncate_path = r.truncate_path;
    }
    if (r.error == ScanError::kBadHeader && options.skip_corrupt) {
      total.warnings.push_back(r.message + ": segment skipped, what it held is lost");
      continue;
    }
    if (!r.ok()) {
      total.error = r.error;
      total.error_offset = r.error_offset;
      total.error_path = std::move(r.error_path);
      total.message = std::move(r.message);
      return total;
    }
  }
  return total;
}

}  // namespace rmq::persist
