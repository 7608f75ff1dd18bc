// IndexContent is the decoded, in-memory value of one index: the bundles it names and, for each,
// the locators of the files that the index lets a lookup find. The writer turns it into the
// bytes of SPEC.md; IndexReader::Decode turns those bytes back into it. Merging two indexes
// (format/merge.h) works on this value.
//
// Plain data, not thread-safe to mutate; safe to share read-only.

#ifndef ARTIDX_FORMAT_INDEX_CONTENT_H_
#define ARTIDX_FORMAT_INDEX_CONTENT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "artidx/types.h"
#include "common/sha1.h"

namespace artidx::format {

// The name of an index: its kind, project and, for a URL index, (release, dist). SPEC.md
// "Store layout" maps it to the index's directory (store::Layout::IndexDir).
struct IndexId {
  IndexKind kind = IndexKind::kUrl;
  std::string project;
  std::string release;  // empty for debug-id indexes
  std::string dist;     // empty for debug-id indexes and when no dist was given

  friend auto operator<=>(const IndexId&, const IndexId&) = default;
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

  IndexId id() const { return {kind, project, release, dist}; }

  friend bool operator==(const IndexContent&, const IndexContent&) = default;
};

// The value of index `id` when it names no bundle: what a write starts from.
inline IndexContent EmptyIndex(const IndexId& id) {
  IndexContent content;
  content.kind = id.kind;
  content.project = id.project;
  content.release = id.release;
  content.dist = id.dist;
  return content;
}

// The total order of answers (SPEC.md "Bundles"): newest first by timestamp, ties broken by
// bundle id bytes, greater first. True when bundle (a_ms, a_id) comes before (b_ms, b_id).
// Shared by the writer, the merge and the lookup's answers.
inline bool NewerThan(int64_t a_ms, std::string_view a_id, int64_t b_ms, std::string_view b_id) {
  if (a_ms != b_ms) return a_ms > b_ms;
  return a_id > b_id;
}
inline bool NewerFirst(const BundleEntry& a, const BundleEntry& b) {
  return NewerThan(a.timestamp_ms, a.bundle_id, b.timestamp_ms, b.bundle_id);
}

// Which of the entries that segments hold for one bundle id is the index's (SPEC.md
// "Merging"): the greatest rank wins, that is the later timestamp; at equal timestamps the
// removal; then the greater archive SHA-1. Shared by the merge and the multi-segment lookup.
struct EntryRank {
  int64_t timestamp_ms = 0;
  bool tombstone = false;
  std::string_view archive_sha1;  // 20 raw bytes, compared as unsigned bytes

  friend auto operator<=>(const EntryRank&, const EntryRank&) = default;
};
inline EntryRank RankOf(const BundleEntry& e) {
  return {e.timestamp_ms, e.tombstone, e.archive_sha1.Raw()};
}
// Whether entry `a` wins over entry `b` of the same bundle id.
inline bool Supersedes(const BundleEntry& a, const BundleEntry& b) { return RankOf(a) > RankOf(b); }

}  // namespace artidx::format

#endif  // ARTIDX_FORMAT_INDEX_CONTENT_H_
