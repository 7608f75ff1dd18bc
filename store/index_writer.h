// IndexWriter: the one write path of an index (SPEC.md 19.2, 19.6). Whatever writes to an
// index (an add, a removal, a compaction, gc, rebuild, an assembled upload, or a reader's repair
// on read) hands IndexWriter the content to merge in; IndexWriter encodes it, makes it a durable
// segment before it becomes visible (a segment is visible once its file exists under its name),
// and owns the segment lifecycle that follows: the compaction policy (which segments to merge
// and when), covers files, and deleting covered segments after their grace period, all through
// the store's Backend. The indexer decides what to write; this decides how it becomes durable
// and visible.
//
// Compaction is elected, not locked: writers that would compact one index at once leave it to
// one of them (Backend::Elect: a flock on a local store, an optimisation only; without it,
// concurrent compactions write the same bytes and stay correct).
//
// Thread-safe: an IndexWriter holds only its store, directory and options; any number of
// them, in any number of threads and processes, may write one index at once.

#ifndef ARTIDX_STORE_INDEX_WRITER_H_
#define ARTIDX_STORE_INDEX_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "format/index_content.h"
#include "store/layout.h"

namespace artidx::store {

// The compaction policy's settings (artidx::IndexerOptions documents each).
struct CompactionOptions {
  int64_t grace_ms = 0;
  int64_t tombstone_retention_ms = int64_t{30} * 24 * 3600 * 1000;
  int fan_in = 4;
};

class IndexWriter {
 public:
  // The index whose directory is `dir` (Layout::IndexDir) in the store of `layout`.
  IndexWriter(Layout layout, std::string dir, CompactionOptions options = {})
      : layout_(std::move(layout)), dir_(std::move(dir)), options_(options) {}

  const std::string& dir() const { return dir_; }

  // Publishes `content` as a new segment, durable before it is visible, unless a segment of
  // the same bytes exists already; compacts nothing. Returns the segment's file name.
  [[nodiscard]] absl::StatusOr<std::string> Publish(format::IndexContent content) const;

  // Publish, then merges segments as the compaction policy says: what adds and removals do.
  [[nodiscard]] absl::Status PublishAndCompact(format::IndexContent content) const;

  // Merges segments: all of them when `full` (and then drops expired tombstones), else all of
  // a small index or the lowest levels once `fan_in` of them have accumulated.
  [[nodiscard]] absl::Status Compact(bool full) const;

  // The merged content of the index's live segments, each verified in full. NotFound when a
  // segment vanished meanwhile (a compaction covered it); DataLoss naming a damaged one.
  [[nodiscard]] absl::StatusOr<format::IndexContent> Merge() const;

  // What rebuild does: makes `content` the index's one segment, written even over a file of
  // its name (which may be a damaged copy), then deletes the index's files `replaced` (names
  // listed by ListFiles before the content was computed), appending their paths to *deleted.
  // With `dry_run`, writes and deletes nothing and appends the same paths.
  [[nodiscard]] absl::Status Replace(format::IndexContent content,
                                     const std::vector<std::string>& replaced,
                                     std::vector<std::string>* deleted, bool dry_run = false) const;

  // The names of every file in the index's directory: segments, covers files and others.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> ListFiles() const;

  // Deletes the index's files `files` (names from ListFiles), then its directory unless
  // something arrived there meanwhile: what rebuild does to an index no reference names. With
  // `dry_run`, deletes nothing.
  [[nodiscard]] absl::Status Delete(const std::vector<std::string>& files,
                                    bool dry_run = false) const;

 private:
  absl::StatusOr<std::string> Encode(format::IndexContent content) const;
  absl::StatusOr<bool> CompactOnce(bool full) const;
  absl::StatusOr<format::IndexContent> MergeSegments(const std::vector<std::string>& names) const;
  absl::StatusOr<std::vector<std::string>> ChooseInputs(
      const std::vector<std::string>& names) const;
  absl::Status DeleteCovered(int64_t now) const;
  // The key of the index's file `name`.
  std::string KeyOf(std::string_view name) const;

  Layout layout_;
  std::string dir_;
  CompactionOptions options_;
};

}  // namespace artidx::store

#endif  // ARTIDX_STORE_INDEX_WRITER_H_
