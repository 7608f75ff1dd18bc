// IndexContent is the decoded, in-memory value of one index: the bundles it names and, for each,
// the locators of the files that the index lets a lookup find. The writer turns it into the
// bytes of SPEC.md; IndexReader::Decode turns those bytes back into it. Merging two indexes
// (indexer/merge.h) works on this value.
//
// Plain data, not thread-safe to mutate; safe to share read-only.

#ifndef ARTIDX_FORMAT_INDEX_CONTENT_H_
#define ARTIDX_FORMAT_INDEX_CONTENT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "artidx/types.h"
#include "common/sha1.h"

namespace artidx::format {

// What an index file's keys are. Values are stored in the header: never renumber.
enum class IndexKind : uint16_t {
  kUrl = 1,      // one per (project, release, dist): key = a file's url
  kDebugId = 2,  // one per project: key = (debug id, file type)
};

// Where a file lives: enough to open exactly that entry of that archive without reading the
// bundle's manifest.
struct FileLocator {
  std::string path;  // the zip path of the entry: the manifest key
  std::string url;   // the manifest `url`, else its `path`
  FileType type = FileType::kSource;
  std::optional<DebugId> debug_id;       // the `debug-id` header
  std::optional<std::string> sourcemap;  // the `sourcemap` (else `x-sourcemap`) header

  friend bool operator==(const FileLocator&, const FileLocator&) = default;
};

struct BundleEntry {
  std::string bundle_id;
  int64_t timestamp_ms = 0;
  // SHA-1 of the archive bytes: names the archive in the store and breaks ties between two
  // adds of one bundle id with one timestamp.
  Sha1Digest archive_sha1{};
  // A removal: no files, zero archive_sha1 (SPEC.md "Bundles").
  bool tombstone = false;
  std::vector<FileLocator> files;

  friend bool operator==(const BundleEntry&, const BundleEntry&) = default;
};

struct IndexContent {
  IndexKind kind = IndexKind::kUrl;
  std::string project;
  std::string release;  // empty for debug-id indexes
  std::string dist;     // empty for debug-id indexes and when no dist was given
  std::vector<BundleEntry> bundles;
  // Tombstones older than this may have been dropped (SPEC.md "Header", "Compaction"). It only
  // grows, so that a compaction's output always follows its inputs in the order of segments.
  int64_t horizon_ms = 0;

  friend bool operator==(const IndexContent&, const IndexContent&) = default;
};

// The total order of answers: newest first by timestamp, ties broken by bundle id bytes,
// greater first. Returns true when `a` comes before `b`.
inline bool NewerFirst(const BundleEntry& a, const BundleEntry& b) {
  if (a.timestamp_ms != b.timestamp_ms) return a.timestamp_ms > b.timestamp_ms;
  return a.bundle_id > b.bundle_id;
}

}  // namespace artidx::format

#endif  // ARTIDX_FORMAT_INDEX_CONTENT_H_
