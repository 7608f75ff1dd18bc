#include "store/commit.h"

#include <algorithm>
#include <set>

#include "common/errors.h"
#include "common/strings.h"
#include "format/merge.h"
#include "store/archives.h"
#include "store/file_util.h"

namespace artidx::store {
namespace {

using format::BundleEntry;
using format::IndexContent;

// gc removes bundles this many at a time, with one durable step per batch.
constexpr size_t kGcBatch = 1024;

absl::Status Annotated(const absl::Status& s, std::string_view note) {
  return absl::Status(s.code(), StrCat(StdView(s.message()), note));
}

}  // namespace

absl::Status CommitAdd(const Layout& layout, const CompactionOptions& options, AddCommit commit) {
  for (const AddCommit::Archive& archive : commit.archives) {
    if (absl::Status s = WriteArchive(layout, archive.bundle_id, archive.sha1, archive.bytes);
        !s.ok()) {
      return Annotated(s, "; no index was changed");
    }
  }
  // References before segments: a reference without its segment (after a crash) only makes a
  // later `rm` publish a needless tombstone, while a segment without its reference would keep
  // `rm` from finding the index.
  for (const auto& [bundle_id, ref] : commit.refs) {
    if (absl::Status s = WriteRef(layout.RefDir(bundle_id), ref); !s.ok()) {
      return Annotated(s, "; no index was changed");
    }
  }
  const size_t total = commit.updates.size();
  size_t done = 0;
  for (auto& [dir, content] : commit.updates) {
    if (absl::Status s = IndexWriter(dir, options).PublishAndCompact(std::move(content)); !s.ok()) {
      return Annotated(s, StrCat("; the add is incomplete: ", total - done, " of ", total,
                                 " indexes not updated; repeat the add to complete it"));
    }
    ++done;
  }
  return absl::OkStatus();
}

absl::Status CommitRemoval(const Layout& layout, const CompactionOptions& options,
                           const RemovalCommit& removal) {
  for (const auto& [dir, identity] : removal.indexes) {
    if (absl::Status s = WriteRef(layout.RemovalDir(removal.bundle_id),
                                  Ref{true, identity, {}, removal.timestamp_ms});
        !s.ok()) {
      return s;
    }
  }
  for (const auto& [dir, identity] : removal.indexes) {
    IndexContent tombstone = format::EmptyIndex(identity);
    tombstone.bundles.push_back(BundleEntry{removal.bundle_id, removal.timestamp_ms, {}, true, {}});
    if (absl::Status s = IndexWriter(dir, options).PublishAndCompact(std::move(tombstone));
        !s.ok()) {
      return Annotated(s, "; the removal is incomplete: repeat it to complete it");
    }
  }
  for (const std::string& path : removal.superseded) {
    if (absl::Status s = RemoveFile(path); !s.ok()) return s;
  }
  if (removal.delete_bundle) return DeleteBundle(layout, removal.bundle_id);
  return absl::OkStatus();
}

// The removal references of the whole batch are written and then made durable at once
// (SyncFileSystem); each index the batch touches gets one segment holding its tombstones (left
// uncompacted: gc compacts every index last); then the add references and bundle directories
// go, many bundles' at once (RemoveGroups: a deletion can wait for the disk). A gc killed at
// any point thus leaves each bundle of the batch as an interrupted removal would, and the next
// gc completes it.
absl::Status CommitRemovals(
    const Layout& layout,
    const std::vector<std::pair<std::string, std::vector<std::pair<std::string, Ref>>>>& bundles,
    int64_t now) {
  for (size_t first = 0; first < bundles.size(); first += kGcBatch) {
    std::map<std::string, IndexContent> tombstones;  // index directory -> the batch's
    // Per bundle, what goes: its superseded references, then its files if nothing is kept.
    std::vector<std::vector<std::string>> deletions;
    for (size_t i = first; i < std::min(bundles.size(), first + kGcBatch); ++i) {
      const auto& [id, refs] = bundles[i];
      std::vector<std::string>& superseded = deletions.emplace_back();
      bool kept = false;
      for (const auto& [path, ref] : refs) {
        if (ref.timestamp_ms > now) {  // an add newer than the removal wins, as in a removal
          kept = true;
          continue;
        }
        IndexContent& index =
            tombstones.try_emplace(layout.IndexDir(ref.identity), format::EmptyIndex(ref.identity))
                .first->second;
        format::MergeBundle(&index, BundleEntry{id, now, {}, true, {}});
        if (absl::Status s =
                WriteRef(layout.RemovalDir(id), Ref{true, ref.identity, {}, now}, Sync::kDeferred);
            !s.ok()) {
          return s;
        }
        superseded.push_back(path);
      }
      if (kept) continue;
      // Then its archives, its refs directory and its directory, each then empty unless a
      // concurrent add wrote there since (RemoveGroups then leaves it, and what it holds).
      std::set<std::string> archives;
      for (const auto& [path, ref] : refs) {
        archives.insert(layout.ArchivePath(id, ref.archive_sha1));
      }
      superseded.insert(superseded.end(), archives.begin(), archives.end());
      superseded.push_back(layout.RefDir(id));
      superseded.push_back(layout.BundleDir(id));
    }
    if (absl::Status s = SyncFileSystem(layout.root()); !s.ok()) return s;
    for (auto& [dir, content] : tombstones) {
      if (absl::Status s = IndexWriter(dir).Publish(std::move(content)).status(); !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = RemoveGroups(deletions); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status DeleteOldRemovals(const Layout& layout, int64_t retention_ms, int64_t now) {
  for (RefWalk walk(layout, RefWalk::Of::kRemovals); walk.Next();) {
    absl::StatusOr<std::vector<std::pair<std::string, Ref>>> refs = walk.Refs();
    if (!refs.ok()) return refs.status();
    size_t left = refs->size();
    for (const auto& [path, ref] : *refs) {
      if (now - ref.timestamp_ms <= retention_ms) continue;
      if (absl::Status s = RemoveFile(path); !s.ok()) return s;
      --left;
    }
    if (left == 0) {
      // Unless a concurrent removal wrote there since.
      if (absl::Status s = RemoveGroups({{walk.dir()}}); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace artidx::store
