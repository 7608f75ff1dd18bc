#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "artidx/lookup.h"
#include "format/index_writer.h"
#include "format/strings.h"
#include "store/bundle_reader.h"
#include "store/file_util.h"
#include "store/layout.h"
#include "store/segments.h"

namespace artidx {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Past this many archives the cache starts over rather than grow without bound.
constexpr size_t kMaxCachedArchives = 1 << 16;

}  // namespace

struct Store::ArchiveCache {
  struct Entry {
    bool exists;
    int64_t checked_ms;
  };
  absl::Mutex mu;
  absl::flat_hash_map<std::string, Entry> entries ABSL_GUARDED_BY(mu);
};

Store::Store(std::string root) : root_(std::move(root)), cache_(std::make_unique<ArchiveCache>()) {}
Store::~Store() = default;

absl::StatusOr<std::unique_ptr<Index>> Store::OpenUrlIndex(std::string_view project,
                                                           std::string_view release,
                                                           std::string_view dist) const {
  for (absl::Status s : {store::ValidateProject(project), store::ValidateRelease(release),
                         store::ValidateDist(dist)}) {
    if (!s.ok()) return s;
  }
  return Index::Open(store::Layout(root_).UrlIndexDir(project, release, dist));
}

absl::StatusOr<std::unique_ptr<Index>> Store::OpenDebugIdIndex(std::string_view project) const {
  if (absl::Status s = store::ValidateProject(project); !s.ok()) return s;
  return Index::Open(store::Layout(root_).DebugIdIndexDir(project));
}

absl::StatusOr<std::vector<std::string>> Store::UrlIndexDirs(std::string_view project) const {
  if (absl::Status s = store::ValidateProject(project); !s.ok()) return s;
  std::vector<std::string> dirs;
  const std::string parent = store::Layout(root_).ProjectDir(project) + "/urls";
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(parent, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->is_directory()) dirs.push_back(it->path().string());
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return absl::InternalError(StrCat(parent, ": ", ec.message()));
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

std::string Store::ArchivePath(const Candidate& candidate) const {
  format::Sha1Digest digest;
  std::copy_n(candidate.archive_sha1.begin(), digest.size(), digest.begin());
  return store::Layout(root_).ArchivePath(candidate.bundle_id, digest);
}

absl::StatusOr<std::string> Store::ReadFile(const Candidate& candidate) const {
  const std::string path = ArchivePath(candidate);
  absl::StatusOr<std::unique_ptr<store::MappedFile>> archive = store::MappedFile::Open(path);
  if (!archive.ok()) return archive.status();
  absl::StatusOr<std::string> bytes = store::ReadArchiveEntry(
      (*archive)->data(), candidate.path, BundleLimits().max_archive_bytes);
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(), StrCat(path, ": ", StdView(bytes.status().message())));
  }
  return bytes;
}


absl::Status Store::DropMissing(const Index& index, std::vector<Candidate>* candidates) const {
  const int64_t now = NowMs();
  std::vector<Candidate> missing;
  auto gone = [&](const Candidate& c) {
    const std::string path = ArchivePath(c);
    bool exists;
    {
      absl::MutexLock lock(&cache_->mu);
      auto it = cache_->entries.find(path);
      if (it != cache_->entries.end() && now - it->second.checked_ms < archive_check_ttl_ms_) {
        return !it->second.exists;
      }
    }
    struct stat st;
    exists = ::stat(path.c_str(), &st) == 0;
    {
      absl::MutexLock lock(&cache_->mu);
      if (cache_->entries.size() >= kMaxCachedArchives) cache_->entries.clear();
      cache_->entries[path] = {exists, now};
    }
    if (!exists) missing.push_back(c);
    return !exists;
  };
  std::erase_if(*candidates, gone);
  if (missing.empty()) return absl::OkStatus();

  format::IndexContent repair;
  repair.kind = index.kind() == IndexKind::kUrl ? format::IndexKind::kUrl : format::IndexKind::kDebugId;
  repair.project = std::string(index.project());
  repair.release = std::string(index.release());
  repair.dist = std::string(index.dist());
  for (const Candidate& c : missing) {
    const bool seen = std::any_of(repair.bundles.begin(), repair.bundles.end(),
                                  [&](const format::BundleEntry& b) { return b.bundle_id == c.bundle_id; });
    if (!seen) {
      repair.bundles.push_back(
          format::BundleEntry{std::string(c.bundle_id), c.timestamp_ms, {}, /*tombstone=*/true, {}});
    }
  }
  absl::StatusOr<std::string> bytes = format::EncodeIndex(std::move(repair));
  if (!bytes.ok()) return bytes.status();
  return store::PublishSegment(index.dir(), *bytes).status();
}

absl::Status Store::MarkUsed(const Candidate& candidate) const {
  const std::string path = ArchivePath(candidate);
  // Sets the archive's times to now: `gc` measures age from the latest of add and use.
  if (::utimensat(AT_FDCWD, path.c_str(), nullptr, 0) != 0) {
    return absl::NotFoundError(StrCat(path, ": cannot mark used: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace artidx
