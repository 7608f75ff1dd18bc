// The Indexer's upkeep of a store: compaction on demand, holds, retention (gc) and rebuild.
// What they write goes through store/ as every other write does (store/commit.h,
// store/index_writer.h); what they walk, they walk with store::RefWalk.

#include <algorithm>
#include <map>
#include <set>

#include "artidx/indexer.h"
#include "common/clock.h"
#include "common/errors.h"
#include "common/strings.h"
#include "format/index_content.h"
#include "format/merge.h"
#include "indexer/internal.h"
#include "indexer/salvage.h"
#include "store/archives.h"
#include "store/commit.h"
#include "store/index_writer.h"
#include "store/layout.h"
#include "store/refs.h"
#include "store/salvage.h"

namespace artidx {

using format::BundleEntry;
using format::IndexContent;

// An hour is past any live add: a bundle without references older than that is an orphan.
constexpr int64_t kOrphanAgeMs = 3600 * 1000;

absl::Status Indexer::Compact(std::string_view project) const {
  if (!project.empty()) {
    if (absl::Status s = ValidateProject(project); !s.ok()) return s;
  }
  absl::StatusOr<std::vector<std::string>> dirs = layout_->IndexDirs(project);
  if (!dirs.ok()) return dirs.status();
  for (const std::string& dir : *dirs) {
    if (absl::Status s = store::IndexWriter(*layout_, dir, indexer::CompactionOptionsOf(options_))
                             .Compact(/*full=*/true);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status Indexer::Hold(std::string_view given_id, bool hold) const {
  absl::StatusOr<std::string> bundle_id = indexer::NormaliseBundleId(given_id);
  if (!bundle_id.ok()) return bundle_id.status();
  const store::Layout& layout = *layout_;
  absl::StatusOr<bool> exists = store::BundleExists(layout, *bundle_id);
  if (!exists.ok()) return exists.status();
  if (!*exists) {
    return absl::NotFoundError(StrCat("the store has no bundle ", *bundle_id));
  }
  return store::SetHeld(layout, *bundle_id, hold);
}

absl::StatusOr<GcResult> Indexer::Gc(const GcOptions& options) const {
  const int64_t now = NowMs();
  const store::Layout& layout = *layout_;
  // The keep_newest newest bundles of every index are kept whatever their age.
  std::set<std::string> newest;
  absl::StatusOr<std::vector<std::string>> dirs = layout.IndexDirs("");
  if (!dirs.ok()) return dirs.status();
  for (const std::string& dir : *dirs) {
    if (options.keep_newest == 0) break;
    absl::StatusOr<IndexContent> content = store::IndexWriter(layout, dir).Merge();
    if (absl::IsNotFound(content.status())) continue;
    if (!content.ok()) return content.status();
    std::erase_if(content->bundles, [](const BundleEntry& b) { return b.tombstone; });
    std::sort(content->bundles.begin(), content->bundles.end(), format::NewerFirst);
    for (size_t i = 0; i < content->bundles.size() && i < options.keep_newest; ++i) {
      newest.insert(content->bundles[i].bundle_id);
    }
  }
  GcResult result;
  // The bundles to remove, with their add references.
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, store::Ref>>>> expired;
  store::RefWalk walk(layout, store::RefWalk::Of::kAdds);
  while (walk.Next()) {
    const std::string& id = walk.bundle_id();
    absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs = walk.Refs();
    if (!refs.ok()) return refs.status();
    // The latest add timestamp or archive write or use.
    absl::StatusOr<int64_t> last_use = store::LatestArchiveUseMs(layout, id);
    if (!last_use.ok()) return last_use.status();
    int64_t last_active = *last_use;
    for (const auto& [path, ref] : *refs) last_active = std::max(last_active, ref.timestamp_ms);
    // No reference: a crash came between writing the archive and its references, or a
    // removal between deleting references and the archive.
    if (refs->empty()) {
      if (now - last_active > kOrphanAgeMs) {
        result.orphans.push_back(layout.BundleDir(id));
        if (options.dry_run) continue;
        if (absl::Status s = store::DeleteBundle(layout, id); !s.ok()) return s;
      }
      continue;
    }
    // last_active >= every reference's timestamp: gc never removes an add newer than now.
    if (newest.contains(id) || now - last_active < options.max_age_ms) continue;
    absl::StatusOr<bool> held = store::IsHeld(layout, id);
    if (!held.ok()) return held.status();
    if (*held) continue;
    result.removed.push_back(id);
    expired.emplace_back(id, *std::move(refs));
  }
  if (!walk.status().ok()) return walk.status();
  // Chunks of uploads that no assemble has used for chunk_max_age_ms (with the temporary files
  // of chunk writes that crashed).
  absl::StatusOr<size_t> chunks =
      store::DeleteOldChunks(layout, options.chunk_max_age_ms, now, options.dry_run);
  if (!chunks.ok()) return chunks.status();
  result.chunks = *chunks;
  if (options.dry_run) return result;
  // Removal records last as long as the tombstones they replay; aged before this gc's removals,
  // whose records (at now) it need not read.
  if (absl::Status s = store::DeleteOldRemovals(layout, options_.tombstone_retention_ms, now);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = store::CommitRemovals(layout, expired, now); !s.ok()) return s;
  if (absl::Status s = Compact(""); !s.ok()) return s;
  return result;
}

absl::StatusOr<RebuildResult> Indexer::Rebuild(const RebuildOptions& options) const {
  const store::Layout& layout = *layout_;
  // The files the rebuilt indexes replace, listed before the references are read: an operation
  // that runs alongside publishes its reference before its segment, so a segment missing from
  // this list belongs to an operation the rebuild may not have seen, and stays.
  std::map<std::string, std::vector<std::string>> replaced;
  absl::StatusOr<std::vector<std::string>> dirs = layout.IndexDirs("");
  if (!dirs.ok()) return dirs.status();
  for (const std::string& dir : *dirs) {
    absl::StatusOr<std::vector<std::string>> files = store::IndexWriter(layout, dir).ListFiles();
    if (!files.ok()) return files.status();
    replaced[dir] = *std::move(files);
  }
  // Every operation, from its reference or, when that is damaged, from a segment (salvage.h).
  absl::StatusOr<store::SalvagePlan> plan = store::PlanSalvage(layout);
  if (!plan.ok()) return plan.status();
  RebuildResult result;
  result.dry_run = options.dry_run;
  result.replayed = plan->from_references;
  if (absl::Status s =
          indexer::ApplySalvage(layout, *plan, StrCat(NowMs()), options.dry_run, &result);
      !s.ok()) {
    return s;
  }
  // Every index's content, replayed from the operations and the archives they name.
  std::map<std::string, IndexContent> indexes;
  indexer::ArchiveEntries archives(layout);
  for (const store::Operation& op : plan->operations) {
    IndexContent& index =
        indexes.try_emplace(layout.IndexDir(op.ref.identity), format::EmptyIndex(op.ref.identity))
            .first->second;
    absl::StatusOr<format::BundleEntry> entry = archives.Entry(op, &result);
    if (!entry.ok()) return entry.status();
    format::MergeBundle(&index, *std::move(entry));
  }
  // Publish each index as one segment, then delete the files it replaces; the files of an
  // index directory that no reference names go too.
  for (auto& [dir, content] : indexes) {
    if (absl::Status s =
            store::IndexWriter(layout, dir)
                .Replace(std::move(content), replaced[dir], &result.deleted, options.dry_run);
        !s.ok()) {
      return s;
    }
    result.indexes.push_back(dir);
  }
  for (const auto& [dir, files] : replaced) {
    if (indexes.contains(dir)) continue;
    if (absl::Status s = store::IndexWriter(layout, dir).Delete(files, options.dry_run); !s.ok()) {
      return s;
    }
    result.deleted.push_back(dir);
  }
  return result;
}

}  // namespace artidx
