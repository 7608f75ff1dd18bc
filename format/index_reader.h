// IndexReader reads an index file (SPEC.md) in place from bytes it does not own, typically a
// memory mapping. Open() checks the header and that every section lies inside the file, in
// time independent of the file's size; it does not read the sections. Every later access checks
// the bounds of what it touches, so a corrupt file yields an error, never a read out of bounds.
// Verify() additionally checks the checksum and that the file is exactly the canonical encoding
// of its content.
//
// Views returned point into the bytes given to Open() and live as long as they do.
// Thread-safe: all methods are const and touch no mutable state.

#ifndef ARTIDX_FORMAT_INDEX_READER_H_
#define ARTIDX_FORMAT_INDEX_READER_H_

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/coding.h"
#include "format/index_content.h"
#include "format/index_format.h"

namespace artidx::format {

using common::Append;
using common::Load;
using common::Store;

// XXH3-64 (seed 0) of the concatenation a + b, without materialising it.
uint64_t KeyHash(std::string_view a, std::string_view b = {});

// Writes the 20-byte debug-id index key of `id` to `out`.
void EncodeDebugIdKey(const DebugId& id, char out[kDebugIdKeySize]);

struct BundleView {
  std::string_view id;
  int64_t timestamp_ms;
  std::string_view archive_sha1;  // 20 raw bytes
  bool tombstone;
};

inline EntryRank RankOf(const BundleView& b) {
  return {b.timestamp_ms, b.tombstone, b.archive_sha1};
}

struct FileView {
  uint32_t bundle;
  FileType type;
  std::string_view path;
  std::string_view url;
  std::optional<DebugId> debug_id;
  std::optional<std::string_view> sourcemap;
};

// The file numbers a key maps to, ascending, which is newest bundle first.
class Postings {
 public:
  Postings() = default;
  Postings(const char* data, uint32_t count) : data_(data), count_(count) {}
  uint32_t size() const { return count_; }
  uint32_t operator[](uint32_t i) const { return Load<uint32_t>(data_ + 4 * size_t{i}); }

 private:
  const char* data_ = nullptr;
  uint32_t count_ = 0;
};

class IndexReader {
 public:
  // Returns DataLoss naming the problem when the header or section table is invalid.
  [[nodiscard]] static absl::StatusOr<IndexReader> Open(std::string_view data);

  IndexKind kind() const { return kind_; }
  std::string_view project() const { return project_; }
  std::string_view release() const { return release_; }
  std::string_view dist() const { return dist_; }
  uint32_t bundle_count() const { return bundle_count_; }
  uint32_t file_count() const { return file_count_; }
  uint32_t key_count() const { return key_count_; }

  // Each returns false when the record is out of range or refers outside the file. Inline:
  // a lookup decodes one per answer, and the call cost as much as the decoding.
  bool GetBundle(uint32_t i, BundleView* out) const;
  bool GetFile(uint32_t i, FileView* out) const;
  // Asks the CPU to load file record i (a no-op past the end): a key's postings point at
  // records far apart, which the hardware prefetcher cannot predict.
  void PrefetchFile(uint32_t i) const {
    if (i >= file_count_) return;
    const char* p = files_ + size_t{i} * kFileRecordSize;
    __builtin_prefetch(p);
    __builtin_prefetch(p + kFileRecordSize - 1);
  }
  // Looks up the key a + b with hash KeyHash(a, b). Sets *out to its postings (empty when the
  // key is absent). Returns false when the structures it walked are corrupt.
  bool Find(uint64_t hash, std::string_view a, std::string_view b, Postings* out) const;
  // Sets *number to the bundle with this id, or to bundle_count() when there is none. Returns
  // false when the structures it walked are corrupt.
  bool FindBundle(std::string_view id, uint32_t* number) const;

  // The whole content, every record bounds-checked.
  [[nodiscard]] absl::StatusOr<IndexContent> Decode() const;
  // Whether the footer holds the XXH3-64 of the bytes before it (one pass over the file).
  bool ChecksumMatches() const;
  // Checksum, then Decode, then that re-encoding reproduces the file byte for byte.
  [[nodiscard]] absl::Status Verify() const;

 private:
  IndexReader() = default;
  bool String(const char* ref, std::string_view* out) const;

  std::string_view data_;
  IndexKind kind_ = IndexKind::kUrl;
  std::string_view project_, release_, dist_;
  uint32_t bundle_count_ = 0, file_count_ = 0, key_count_ = 0, bucket_bits_ = 0;
  uint32_t posting_count_ = 0;
  const char* bundles_ = nullptr;
  const char* files_ = nullptr;
  const char* keys_ = nullptr;
  const char* buckets_ = nullptr;
  const char* postings_ = nullptr;
  const char* bundle_ids_ = nullptr;
  std::string_view strings_;
};

inline bool IndexReader::String(const char* ref, std::string_view* out) const {
  uint64_t offset = Load<uint32_t>(ref);
  uint64_t length = Load<uint32_t>(ref + 4);
  if (offset + length > strings_.size()) return false;
  *out = strings_.substr(offset, length);
  return true;
}

inline bool IndexReader::GetBundle(uint32_t i, BundleView* out) const {
  if (i >= bundle_count_) return false;
  const char* p = bundles_ + size_t{i} * kBundleRecordSize;
  if (!String(p, &out->id)) return false;
  out->timestamp_ms = Load<int64_t>(p + 8);
  out->archive_sha1 = std::string_view(p + 16, 20);
  const uint32_t flags = Load<uint32_t>(p + 36);
  out->tombstone = (flags & kBundleTombstone) != 0;
  return (flags & ~kBundleKnownFlags) == 0;
}

inline bool IndexReader::GetFile(uint32_t i, FileView* out) const {
  if (i >= file_count_) return false;
  const char* p = files_ + size_t{i} * kFileRecordSize;
  out->bundle = Load<uint32_t>(p);
  uint8_t type = static_cast<uint8_t>(p[4]);
  uint8_t flags = static_cast<uint8_t>(p[5]);
  if (out->bundle >= bundle_count_ || type < 1 || type > kFileTypeCount ||
      (flags & ~kFileKnownFlags) != 0 || Load<uint16_t>(p + 6) != 0) {
    return false;
  }
  out->type = static_cast<FileType>(type);
  std::string_view sourcemap;
  if (!String(p + 8, &out->path) || !String(p + 16, &out->url) || !String(p + 24, &sourcemap)) {
    return false;
  }
  out->sourcemap.reset();
  if (flags & kFileHasSourcemap) out->sourcemap = sourcemap;
  out->debug_id.reset();
  if (flags & kFileHasDebugId) {
    DebugId& id = out->debug_id.emplace();
    std::memcpy(id.uuid.data(), p + 32, 16);
    id.appendix = Load<uint32_t>(p + 48);
  }
  return true;
}

}  // namespace artidx::format

#endif  // ARTIDX_FORMAT_INDEX_READER_H_
