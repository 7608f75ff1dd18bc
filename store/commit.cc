#include "store/commit.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>

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
    if (absl::Status s = WriteRef(layout, layout.RefDir(bundle_id), ref); !s.ok()) {
      return Annotated(s, "; no index was changed");
    }
  }
  const size_t total = commit.updates.size();
  size_t done = 0;
  for (auto& [dir, content] : commit.updates) {
    if (absl::Status s = IndexWriter(layout, dir, options).PublishAndCompact(std::move(content));
        !s.ok()) {
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
    if (absl::Status s = WriteRef(layout, layout.RemovalDir(removal.bundle_id),
                                  Ref{true, identity, {}, removal.timestamp_ms});
        !s.ok()) {
      return s;
    }
  }
  for (const auto& [dir, identity] : removal.indexes) {
    IndexContent tombstone = format::EmptyIndex(identity);
    tombstone.bundles.push_back(BundleEntry{removal.bundle_id, removal.timestamp_ms, {}, true, {}});
    if (absl::Status s = IndexWriter(layout, dir, options).PublishAndCompact(std::move(tombstone));
        !s.ok()) {
      return Annotated(s, "; the removal is incomplete: repeat it to complete it");
    }
  }
  for (const std::string& path : removal.superseded) {
    if (absl::Status s = layout.backend().Delete(layout.KeyOf(path)); !s.ok()) return s;
  }
  if (removal.delete_bundle) return DeleteBundle(layout, removal.bundle_id);
  return absl::OkStatus();
}

// The removal references of the whole batch are written and then made durable at once
// (Backend::SyncWrites); each index the batch touches gets one segment holding its tombstones
// (left uncompacted: gc compacts every index last); then the add references and archives go,
// many bundles' at once (DeleteGroups: a deletion can wait for the disk), and with the last of
// a bundle's files its directories (the backend removes what it leaves empty). A gc killed at
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
        if (absl::Status s = WriteRef(layout, layout.RemovalDir(id),
                                      Ref{true, ref.identity, {}, now}, Sync::kDeferred);
            !s.ok()) {
          return s;
        }
        superseded.push_back(path);
      }
      if (kept) continue;
      // Then its archives; its directories go with the last of its files unless a concurrent
      // add wrote there since (then they stay, with what they hold).
      std::set<std::string> archives;
      for (const auto& [path, ref] : refs) {
        archives.insert(layout.ArchivePath(id, ref.archive_sha1));
      }
      superseded.insert(superseded.end(), archives.begin(), archives.end());
    }
    if (absl::Status s = layout.backend().SyncWrites(); !s.ok()) return s;
    for (auto& [dir, content] : tombstones) {
      if (absl::Status s = IndexWriter(layout, dir).Publish(std::move(content)).status(); !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = DeleteGroups(layout, deletions); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status DeleteGroups(const Layout& layout,
                          const std::vector<std::vector<std::string>>& groups) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  absl::Status first_error;
  std::atomic<bool> failed{false};
  const auto work = [&] {
    for (size_t i = next++; i < groups.size() && !failed; i = next++) {
      for (const std::string& name : groups[i]) {
        absl::Status s = layout.backend().Delete(layout.KeyOf(name));
        if (s.ok()) continue;
        std::lock_guard<std::mutex> lock(mu);
        if (!failed.exchange(true)) first_error = s;
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  const size_t n = std::min<size_t>(kDeleteConcurrency, groups.size());
  for (size_t t = 1; t < n; ++t) {
    try {
      threads.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: those started (and this one) do the rest
    }
  }
  work();
  for (std::thread& t : threads) t.join();
  return first_error;
}

absl::Status DeleteOldRemovals(const Layout& layout, int64_t retention_ms, int64_t now) {
  RefWalk walk(layout, RefWalk::Of::kRemovals);
  while (walk.Next()) {
    absl::StatusOr<std::vector<std::pair<std::string, Ref>>> refs = walk.Refs();
    if (!refs.ok()) return refs.status();
    // The directory goes with its last reference, unless a concurrent removal wrote there.
    for (const auto& [path, ref] : *refs) {
      if (now - ref.timestamp_ms <= retention_ms) continue;
      if (absl::Status s = layout.backend().Delete(layout.KeyOf(path)); !s.ok()) return s;
    }
  }
  return walk.status();
}

}  // namespace artidx::store
