// The order in which an operation's writes become durable and visible (SPEC.md 19): the
// indexer decides what an add or a removal writes (archives, references, index entries); these
// functions write it in the order that keeps the store consistent at every crash point (write,
// make durable, then publish; references before segments; tombstones before what they
// supersede is deleted), each index's entries through its IndexWriter.
//
// Thread-safe: functions share no state; concurrent operations on one store need no lock.

#ifndef ARTIDX_STORE_COMMIT_H_
#define ARTIDX_STORE_COMMIT_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/sha1.h"
#include "format/index_content.h"
#include "store/index_writer.h"
#include "store/layout.h"
#include "store/refs.h"

namespace artidx::store {

// An add: the archives to store, the references that record it, and for each index directory
// (Layout::IndexDir) the entries it receives.
struct AddCommit {
  struct Archive {
    std::string bundle_id;
    Sha1Digest sha1;
    std::string_view bytes;
  };
  std::vector<Archive> archives;
  std::vector<std::pair<std::string, Ref>> refs;  // (bundle id, reference)
  std::map<std::string, format::IndexContent> updates;
};

// Archives first, so that no index ever names an archive the store lacks; then references,
// then segments (SPEC.md 19.4). A failure says what was left undone.
[[nodiscard]] absl::Status CommitAdd(const Layout& layout, const CompactionOptions& options,
                                     AddCommit commit);

// A removal of one bundle id at `timestamp_ms`: a removal reference and a tombstone in each
// of `indexes` (index directory -> its id), then the add references it supersedes deleted
// (paths, as ReadRefs gives them), then, with `delete_bundle`, everything left of the bundle.
struct RemovalCommit {
  std::string bundle_id;
  int64_t timestamp_ms = 0;
  std::map<std::string, format::IndexId> indexes;
  std::vector<std::string> superseded;
  bool delete_bundle = false;
};

// The record of the removal first (rebuild replays it), then the tombstones, then what they
// supersede (SPEC.md 19.5).
[[nodiscard]] absl::Status CommitRemoval(const Layout& layout, const CompactionOptions& options,
                                         const RemovalCommit& removal);

// gc's removals: bundles at `now` as CommitRemoval would remove them, given each one's add
// references (all of them no newer than `now`: a newer one keeps its bundle), a batch at a
// time, in CommitRemoval's order of steps but with one durable step per batch instead of
// several per bundle and index (SPEC.md 21).
[[nodiscard]] absl::Status CommitRemovals(
    const Layout& layout,
    const std::vector<std::pair<std::string, std::vector<std::pair<std::string, Ref>>>>& bundles,
    int64_t now);

// Deletes many groups of files (by name, as Layout gives them): each group's in order, and up
// to kDeleteConcurrency groups at once, each on a thread of its own. Deleting a file that owns
// blocks can wait for the device (ext4 mounted with -o discard trims the freed blocks
// synchronously, a round trip to the disk per deletion), and a DELETE waits for the network;
// deletions in flight at once overlap those waits. A group stops at its first error; no group
// starts after it; the first error is returned. (The backend removes the directories a group
// leaves empty, and keeps one that gained a file meanwhile.)
inline constexpr int kDeleteConcurrency = 16;
[[nodiscard]] absl::Status DeleteGroups(const Layout& layout,
                                        const std::vector<std::vector<std::string>>& groups);

// Deletes the removal references older than `retention_ms` at `now` (they last as long as the
// tombstones they replay), and the directories they leave empty.
[[nodiscard]] absl::Status DeleteOldRemovals(const Layout& layout, int64_t retention_ms,
                                             int64_t now);

}  // namespace artidx::store

#endif  // ARTIDX_STORE_COMMIT_H_
