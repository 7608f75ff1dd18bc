#include <algorithm>
#include <chrono>
#include <list>
#include <map>
#include <mutex>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "artidx/bundle_limits.h"
#include "artidx/lookup.h"
#include "bundle/bundle_reader.h"
#include "common/clock.h"
#include "common/errors.h"
#include "common/strings.h"
#include "format/index_reader.h"
#include "lookup/sourcemap.h"
#include "store/archives.h"
#include "store/file_util.h"
#include "store/index_writer.h"
#include "store/layout.h"
#include "store/refs.h"
#include "store/salvage.h"
#include "store/segments.h"

namespace artidx {
namespace {

// A monotonic clock read without a system call (vDSO), for the staleness checks.
int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The digest of the candidate's archive: always 20 bytes in an index (the reader checks).
Sha1Digest DigestOf(const Candidate& candidate) {
  return Sha1Digest::FromRaw(candidate.archive_sha1).value_or(Sha1Digest{});
}

// Past this many archives the cache starts over rather than grow without bound.
constexpr size_t kMaxCachedArchives = 1 << 16;

}  // namespace

struct Store::Caches {
  struct Archive {
    bool exists;
    int64_t checked_ms;
  };
  struct OpenIndex {
    std::shared_ptr<const Index> index;
    std::vector<std::string> segments;  // as listed when opened
    int64_t checked_ms;                 // monotonic
    std::list<std::string>::iterator lru;
  };
  // std::mutex rather than absl::Mutex: ThreadSanitizer sees through pthread locks, not through
  // an uninstrumented prebuilt Abseil.
  std::mutex mu;
  absl::flat_hash_map<std::string, Archive> archives;
  absl::flat_hash_map<std::string, OpenIndex> indexes;
  std::list<std::string> lru;     // most recently used first; all guarded by mu
  uint64_t hits = 0, misses = 0;  // guarded by mu
};

Store::Store(std::string root, StoreOptions options)
    : root_(std::move(root)),
      options_(options),
      layout_(std::make_unique<store::Layout>(
          store::OpenBackendOrFailing(root_, {options.cache.dir, options.cache.max_bytes}))),
      caches_(std::make_unique<Caches>()) {}
Store::~Store() = default;

absl::StatusOr<std::shared_ptr<const Index>> Store::IndexAt(const std::string& dir) const {
  Caches& c = *caches_;
  const int64_t now = MonotonicMs();
  std::vector<std::string> listed_before;
  std::shared_ptr<const Index> index;
  {
    std::lock_guard lock(c.mu);
    auto it = c.indexes.find(dir);
    if (it != c.indexes.end()) {
      c.lru.splice(c.lru.begin(), c.lru, it->second.lru);
      if (now - it->second.checked_ms < options_.staleness_ms) {
        ++c.hits;
        return it->second.index;
      }
      listed_before = it->second.segments;
      index = it->second.index;
    }
    ++c.misses;
  }
  // Stale or new: list the segments, and reopen only if they changed.
  absl::StatusOr<std::vector<std::string>> listed = store::ListSegments(*layout_, dir);
  if (!listed.ok()) return listed.status();
  const bool changed = index == nullptr || *listed != listed_before;
  if (changed) {
    absl::StatusOr<std::unique_ptr<Index>> opened =
        Index::Open(*layout_, dir, options_.verify_checksums, index.get());
    if (!opened.ok()) {
      std::lock_guard lock(c.mu);
      if (auto it = c.indexes.find(dir); it != c.indexes.end()) {
        c.lru.erase(it->second.lru);
        c.indexes.erase(it);
      }
      return opened.status();
    }
    index = *std::move(opened);
  }
  std::lock_guard lock(c.mu);
  auto [it, inserted] = c.indexes.try_emplace(dir);
  Caches::OpenIndex& entry = it->second;
  if (inserted) {
    c.lru.push_front(dir);
    entry.lru = c.lru.begin();
  }
  if (changed || entry.index == nullptr) {
    entry.index = index;
    entry.segments = *std::move(listed);
  }
  entry.checked_ms = now;
  while (c.indexes.size() > std::max<size_t>(options_.max_open_indexes, 1)) {
    c.indexes.erase(c.lru.back());
    c.lru.pop_back();
  }
  return index;
}

absl::StatusOr<std::shared_ptr<const Index>> Store::UrlIndex(std::string_view project,
                                                             std::string_view release,
                                                             std::string_view dist) const {
  for (absl::Status s : {ValidateProject(project), ValidateRelease(release), ValidateDist(dist)}) {
    if (!s.ok()) return s;
  }
  return IndexAt(layout_->UrlIndexDir(project, release, dist));
}

absl::StatusOr<std::shared_ptr<const Index>> Store::DebugIdIndex(std::string_view project) const {
  if (absl::Status s = ValidateProject(project); !s.ok()) return s;
  return IndexAt(layout_->DebugIdIndexDir(project));
}

absl::StatusOr<std::vector<std::string>> Store::UrlIndexDirs(std::string_view project) const {
  if (absl::Status s = ValidateProject(project); !s.ok()) return s;
  return layout_->UrlIndexDirs(project);
}

std::string Store::ArchivePath(const Candidate& candidate) const {
  return layout_->ArchivePath(candidate.bundle_id, DigestOf(candidate));
}

absl::StatusOr<std::string> Store::ProjectArchivePath(std::string_view project,
                                                      std::string_view bundle_id,
                                                      std::string_view archive_sha1_hex) const {
  for (absl::Status s : {ValidateProject(project), store::ValidateBundleId(bundle_id)}) {
    if (!s.ok()) return s;
  }
  const std::optional<Sha1Digest> digest = Sha1Digest::FromHex(archive_sha1_hex);
  if (!digest) return absl::InvalidArgumentError("an archive digest is 40 lowercase hex digits");
  const store::Layout& layout = *layout_;
  absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs =
      store::ReadRefs(layout, layout.RefDir(bundle_id));
  if (!refs.ok()) return refs.status();
  for (const auto& [path, ref] : *refs) {
    if (ref.removal || ref.identity.project != project || ref.archive_sha1 != *digest) {
      continue;
    }
    if (!store::ArchiveExists(layout, bundle_id, *digest)) break;
    return layout.ArchivePath(bundle_id, *digest);
  }
  return absl::NotFoundError(
      StrCat("no archive ", archive_sha1_hex, " of bundle ", bundle_id, " in project ", project));
}

absl::StatusOr<Store::ArchiveBytes> Store::MapArchive(const std::string& path) const {
  absl::StatusOr<std::unique_ptr<store::MappedFile>> file =
      layout_->backend().Map(layout_->KeyOf(path), BundleLimits().max_archive_bytes);
  if (!file.ok()) return file.status();
  std::shared_ptr<const store::MappedFile> owner = *std::move(file);
  const std::string_view bytes = owner->data();
  return ArchiveBytes{std::move(owner), bytes};
}

absl::Status Store::CheckLocation() const {
  absl::StatusOr<std::vector<std::string>> top = layout_->List(root_);
  if (!top.ok()) return top.status();
  if (!store::IsObjectStoreLocation(root_) && !store::IsDirectory(root_)) {
    return absl::FailedPreconditionError(StrCat(root_, ": not a directory"));
  }
  return absl::OkStatus();
}

Store::Stats Store::GetStats() const {
  std::lock_guard lock(caches_->mu);
  return Stats{caches_->hits, caches_->misses, caches_->indexes.size()};
}

absl::StatusOr<std::string> Store::ReadFile(const Candidate& candidate) const {
  const std::string path = ArchivePath(candidate);
  absl::StatusOr<std::unique_ptr<store::MappedFile>> archive =
      store::MapArchive(*layout_, candidate.bundle_id, DigestOf(candidate));
  if (absl::IsNotFound(archive.status())) {
    return WithKind(archive.status(), ErrorKind::kArchiveMissing);
  }
  if (!archive.ok()) return archive.status();
  absl::StatusOr<std::string> bytes =
      bundle::ReadArchiveEntry((*archive)->data(), candidate.path, options_.max_file_bytes);
  if (!bytes.ok()) {
    // The index named an entry this archive lacks, or that cannot be inflated.
    return WithKind(
        absl::Status(bytes.status().code(), StrCat(path, ": ", StdView(bytes.status().message()))),
        ErrorKind::kEntryMissing);
  }
  return bytes;
}

absl::Status Store::DropMissing(const Index& index, std::vector<Candidate>* candidates) const {
  const int64_t now = NowMs();
  std::vector<Candidate> missing;
  auto exists = [&](const Candidate& c) {
    const std::string path = ArchivePath(c);
    {
      std::lock_guard lock(caches_->mu);
      auto it = caches_->archives.find(path);
      if (it != caches_->archives.end() &&
          now - it->second.checked_ms < options_.archive_check_ttl_ms) {
        return it->second.exists;
      }
    }
    const bool found = store::ArchiveExists(*layout_, c.bundle_id, DigestOf(c));
    std::lock_guard lock(caches_->mu);
    if (caches_->archives.size() >= kMaxCachedArchives) caches_->archives.clear();
    caches_->archives[path] = {found, now};
    return found;
  };
  // Every index that names a missing archive gets its tombstone, whether the absence was just
  // seen or remembered from another index's lookup.
  auto gone = [&](const Candidate& c) {
    if (exists(c)) return false;
    missing.push_back(c);
    return true;
  };
  std::erase_if(*candidates, gone);
  if (missing.empty()) return absl::OkStatus();

  format::IndexContent repair;
  repair.kind = index.kind();
  repair.project = std::string(index.project());
  repair.release = std::string(index.release());
  repair.dist = std::string(index.dist());
  for (const Candidate& c : missing) {
    const bool seen =
        std::any_of(repair.bundles.begin(), repair.bundles.end(),
                    [&](const format::BundleEntry& b) { return b.bundle_id == c.bundle_id; });
    if (!seen) {
      repair.bundles.push_back(format::BundleEntry{
          std::string(c.bundle_id), c.timestamp_ms, {}, /*tombstone=*/true, {}});
    }
  }
  // Published as any write is, but left uncompacted: compaction is the writers' work.
  return store::IndexWriter(*layout_, index.dir()).Publish(std::move(repair)).status();
}

absl::StatusOr<Store::SourceMap> Store::FindSourceMap(std::string_view project,
                                                      std::string_view release,
                                                      std::string_view dist, const Candidate& file,
                                                      std::string_view file_bytes,
                                                      std::string_view frame_url) const {
  std::optional<std::string_view> reference = file.sourcemap;
  if (!reference) reference = lookup::FindSourceMappingUrl(file_bytes);
  SourceMap found;
  std::vector<Candidate> candidates;
  if (reference) {
    if (reference->starts_with("data:")) {
      absl::StatusOr<std::string> bytes = lookup::DecodeDataUrl(*reference);
      if (!bytes.ok()) {
        return absl::Status(bytes.status().code(),
                            StrCat(file.url, ": source map ", StdView(bytes.status().message())));
      }
      found.bytes = *std::move(bytes);
      found.url = "data:";
      return found;
    }
    found.url = lookup::JoinUrl(frame_url.empty() ? file.url : frame_url, *reference);
    if (!release.empty()) {
      absl::StatusOr<std::shared_ptr<const Index>> index = UrlIndex(project, release, dist);
      if (!index.ok()) return index.status();
      if (absl::Status s = (*index)->LookupUrl(found.url, &candidates); !s.ok()) return s;
      if (!candidates.empty()) found.index = *std::move(index);
    }
  }
  if (candidates.empty() && file.debug_id) {
    found.url.clear();
    absl::StatusOr<std::shared_ptr<const Index>> index = DebugIdIndex(project);
    if (!index.ok() && GetErrorKind(index.status()) != ErrorKind::kNoSuchIndex) {
      return index.status();
    }
    if (index.ok()) {
      absl::Status s = (*index)->LookupDebugId(*file.debug_id, FileType::kSourceMap, &candidates);
      if (!s.ok()) return s;
      if (!candidates.empty()) found.index = *std::move(index);
    }
  }
  if (candidates.empty()) {
    return absl::NotFoundError(StrCat(
        "no source map for ", file.url,
        reference ? StrCat(": nothing at ",
                           lookup::JoinUrl(frame_url.empty() ? file.url : frame_url, *reference))
                  : ": no sourcemap header or sourceMappingURL comment",
        file.debug_id ? StrCat(" and none with debug id ", file.debug_id->ToString()) : ""));
  }
  // The first candidate whose archive is there (repair on read, as DropMissing has it).
  absl::Status missing;
  for (const Candidate& c : candidates) {
    absl::StatusOr<std::string> bytes = ReadFile(c);
    if (!bytes.ok() && GetErrorKind(bytes.status()) == ErrorKind::kArchiveMissing) {
      missing = bytes.status();
      continue;
    }
    if (!bytes.ok()) return bytes.status();
    found.candidate = c;
    found.bytes = *std::move(bytes);
    return found;
  }
  return missing;
}

namespace {

// What `rebuild` can do about a problem `verify` finds (SPEC.md 21).
constexpr std::string_view kFromReferences = "; rebuild recovers the index from the references";
constexpr std::string_view kArchiveLost =
    "; rebuild cannot recover the add (the archive is the only copy of its files) and counts it "
    "as removed";

}  // namespace

absl::StatusOr<std::vector<std::string>> Store::Verify() const {
  std::vector<std::string> problems;
  const store::Layout& layout = *layout_;
  absl::StatusOr<std::vector<std::string>> dirs = layout.IndexDirs("");
  if (!dirs.ok()) return dirs.status();
  for (const std::string& dir : *dirs) {
    absl::StatusOr<std::vector<std::string>> damaged = store::CheckSegmentFiles(layout, dir);
    if (!damaged.ok()) {
      problems.emplace_back(StdView(damaged.status().message()));
      continue;
    }
    for (const std::string& problem : *damaged) {
      problems.push_back(StrCat(problem, kFromReferences));
    }
    // Opening the index would report the damaged segment again.
    if (!damaged->empty()) continue;
    absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(layout, dir, false, nullptr);
    if (!index.ok()) {
      problems.push_back(StrCat(StdView(index.status().message()), kFromReferences));
      continue;
    }
    std::vector<Index::BundleInfo> bundles;
    if (absl::Status s = (*index)->ListBundles(&bundles); !s.ok()) {
      problems.push_back(std::string(StdView(s.message())));
      continue;
    }
    for (const Index::BundleInfo& b : bundles) {
      const Sha1Digest digest = Sha1Digest::FromRaw(b.archive_sha1).value_or(Sha1Digest{});
      if (!store::ArchiveExists(layout, b.bundle_id, digest)) {
        const std::string archive = layout.ArchivePath(b.bundle_id, digest);
        problems.push_back(StrCat(dir, ": names bundle ", b.bundle_id, " whose archive ", archive,
                                  " is missing (`artidx rm ", b.bundle_id, "` removes the bundle)",
                                  kArchiveLost));
      }
    }
  }
  std::map<std::string, std::string> named;  // index directory -> a reference naming it
  // What rebuild would make of damaged references; planned at the first one.
  std::optional<absl::StatusOr<store::SalvagePlan>> plan;
  auto damaged = [&](const std::string& path, const absl::Status& problem) {
    if (!plan) plan = store::PlanSalvage(layout);
    std::string remedy = "; rebuild cannot recover it: no segment records its operation";
    if (!plan->ok()) {
      remedy = StrCat("; what rebuild recovers is unknown: ", StdView(plan->status().message()));
    } else {
      for (const store::SalvagePlan::Recovered& r : (*plan)->recovered) {
        if (r.reference.path == path) {
          remedy = StrCat("; rebuild recovers its operation from ", r.segment);
        }
      }
    }
    problems.push_back(StrCat(StdView(problem.message()), remedy));
  };
  store::RefWalk adds(layout, store::RefWalk::Of::kAdds);
  if (!adds.status().ok()) problems.emplace_back(StdView(adds.status().message()));
  for (store::RefWalk& walk = adds; walk.Next();) {
    absl::StatusOr<store::RefScan> refs = walk.Scan();
    if (!refs.ok()) {
      problems.push_back(std::string(StdView(refs.status().message())));
      continue;
    }
    for (const auto& [path, problem] : refs->damaged) damaged(path, problem);
    for (const auto& [path, ref] : refs->refs) {
      named[layout.IndexDir(ref.identity)] = path;
      if (!store::ArchiveExists(layout, walk.bundle_id(), ref.archive_sha1)) {
        problems.push_back(StrCat(path, ": names archive ",
                                  layout.ArchivePath(walk.bundle_id(), ref.archive_sha1),
                                  ", which is missing (`artidx rm ", walk.bundle_id(),
                                  "` removes the bundle)", kArchiveLost));
      }
    }
  }
  store::RefWalk removals(layout, store::RefWalk::Of::kRemovals);
  if (!removals.status().ok()) problems.emplace_back(StdView(removals.status().message()));
  for (store::RefWalk& walk = removals; walk.Next();) {
    absl::StatusOr<store::RefScan> refs = walk.Scan();
    if (!refs.ok()) {
      problems.push_back(std::string(StdView(refs.status().message())));
      continue;
    }
    for (const auto& [path, problem] : refs->damaged) damaged(path, problem);
    for (const auto& [path, ref] : refs->refs) named[layout.IndexDir(ref.identity)] = path;
  }
  // An index that an operation wrote to must exist.
  for (const auto& [dir, ref_path] : named) {
    absl::StatusOr<std::vector<std::string>> segments = store::ListSegments(layout, dir);
    if (segments.ok() && segments->empty()) {
      problems.push_back(StrCat(dir, ": missing, though ", ref_path, " names it", kFromReferences));
    }
  }
  return problems;
}

absl::Status Store::MarkUsed(const Candidate& candidate) const {
  // Sets the archive's times to now: `gc` measures age from the latest of add and use.
  absl::Status s = store::TouchArchive(*layout_, candidate.bundle_id, DigestOf(candidate));
  return absl::IsNotFound(s) ? WithKind(s, ErrorKind::kArchiveMissing) : s;
}

}  // namespace artidx
