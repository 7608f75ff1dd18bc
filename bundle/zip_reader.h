// Reads a ZIP archive's central directory in one pass, and inflates single entries with
// libdeflate. ReadBundle needs the list of entries and one entry, manifest.json, and
// ReadArchiveEntry one file; walking the archive through libarchive for that costs a seek, a
// locale conversion and a time conversion per entry, many times the cost of parsing the manifest
// or inflating the file.
//
// Nothing in the archive is trusted: every length and offset is checked against the bytes it
// points into before it is used. Failures are InvalidArgument errors saying "not a zip archive"
// or "corrupt zip archive", or naming the entry.
//
// Entries compressed otherwise than stored or deflated are still read through libarchive, so
// entries are listed as libarchive's seekable reader reports them (the name from the local
// header, the file type from the attributes, a Windows name's backslashes made slashes), and
// what would make libarchive fail on an entry or report it otherwise is refused: a local header
// that does not repeat the directory's name, a Unicode path field naming another file, a name
// libarchive would cut at a NUL byte or fail to convert, ZIP64 offsets it would not shift past a
// prefix, malformed extra fields.
//
// Thread-safe: immutable after construction; free functions are pure.

#ifndef ARTIDX_BUNDLE_ZIP_READER_H_
#define ARTIDX_BUNDLE_ZIP_READER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace artidx::bundle {

enum class ZipEntryType { kRegular, kDirectory, kOther };  // kOther: symlinks, devices, ...

struct ZipEntry {
  std::string_view name;  // into the archive, or into the ZipDirectory when it was rewritten
  ZipEntryType type = ZipEntryType::kRegular;
  uint16_t flags = 0;   // general purpose bits
  uint16_t method = 0;  // 0 stored, 8 deflated, ...
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t data_offset = 0;  // in the archive; the data lies within it
};

// Where an archive's central directory is and how many records it holds, from its end of
// central directory record (and the ZIP64 ones when present).
struct ZipEnd {
  uint64_t entries = 0;
  uint64_t directory_start = 0;  // in the archive
  uint64_t directory_end = 0;    // where the end records start
  // Bytes before the archive that its offsets do not count (the SYSB prefix when it was added
  // after the archive was written, say).
  uint64_t prefix = 0;
};

// Finds and checks the end records of the ZIP archive `archive` (the whole file: a prefix is
// allowed). Reads a few bytes, however large the directory.
absl::StatusOr<ZipEnd> ReadZipEnd(std::string_view archive);

class ZipDirectory {
 public:
  // The entries of the directory `end` describes, in its order.
  static absl::StatusOr<ZipDirectory> Read(std::string_view archive, const ZipEnd& end);

  ZipDirectory(ZipDirectory&&) = default;
  ZipDirectory& operator=(ZipDirectory&&) = default;

  const std::vector<ZipEntry>& entries() const { return entries_; }

 private:
  ZipDirectory() = default;

  std::vector<ZipEntry> entries_;
  std::deque<std::string> renamed_;  // names rewritten; a deque never moves its elements
};

// Bytes with `padding` more allocated (their values unspecified) past the end, for readers that
// load whole vectors at a time such as simdjson.
struct PaddedBytes {
  std::unique_ptr<char[]> data;
  size_t size = 0;

  std::string_view view() const { return {data.get(), size}; }
};

// The bytes of `entry`, inflated and checked against its size and CRC-32. ResourceExhausted
// (before inflating anything when the directory says so) when they are more than `max_bytes`;
// Unimplemented for an encrypted entry or a method other than stored and deflated.
absl::StatusOr<PaddedBytes> ReadZipEntry(std::string_view archive, const ZipEntry& entry,
                                         uint64_t max_bytes, size_t padding);

}  // namespace artidx::bundle

#endif  // ARTIDX_BUNDLE_ZIP_READER_H_
