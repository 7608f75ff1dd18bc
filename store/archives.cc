#include "store/archives.h"

#include <algorithm>

#include "common/strings.h"
#include "store/file_util.h"

namespace artidx::store {
namespace {

// Whether `key` exists; errors other than its absence are errors.
absl::StatusOr<bool> KeyExists(const Layout& layout, const std::string& name) {
  absl::StatusOr<Backend::KeyInfo> info = layout.backend().Stat(layout.KeyOf(name));
  if (absl::IsNotFound(info.status())) return false;
  if (!info.ok()) return info.status();
  return true;
}

}  // namespace

absl::StatusOr<bool> BundleExists(const Layout& layout, std::string_view bundle_id) {
  absl::StatusOr<Backend::Listing> listing =
      layout.backend().List(layout.PrefixOf(layout.BundleDir(bundle_id)), "", 1);
  if (!listing.ok()) return listing.status();
  return !listing->keys.empty();
}

bool ArchiveExists(const Layout& layout, std::string_view bundle_id, const Sha1Digest& sha1) {
  return !absl::IsNotFound(
      layout.backend().Stat(layout.KeyOf(layout.ArchivePath(bundle_id, sha1))).status());
}

absl::Status WriteArchive(const Layout& layout, std::string_view bundle_id, const Sha1Digest& sha1,
                          std::string_view bytes) {
  const std::string path = layout.ArchivePath(bundle_id, sha1);
  absl::StatusOr<bool> exists = KeyExists(layout, path);
  if (!exists.ok()) return exists.status();
  if (*exists) return absl::OkStatus();
  return layout.backend().Write(layout.KeyOf(path), bytes);
}

absl::StatusOr<std::unique_ptr<MappedFile>> MapArchive(const Layout& layout,
                                                       std::string_view bundle_id,
                                                       const Sha1Digest& sha1) {
  return layout.backend().Map(layout.KeyOf(layout.ArchivePath(bundle_id, sha1)), UINT64_MAX);
}

absl::StatusOr<std::string> ReadArchive(const Layout& layout, std::string_view bundle_id,
                                        const Sha1Digest& sha1, uint64_t max_bytes) {
  return layout.backend().Read(layout.KeyOf(layout.ArchivePath(bundle_id, sha1)), max_bytes);
}

absl::Status TouchArchive(const Layout& layout, std::string_view bundle_id,
                          const Sha1Digest& sha1) {
  return layout.backend().Touch(layout.KeyOf(layout.ArchivePath(bundle_id, sha1)));
}

absl::StatusOr<int64_t> LatestArchiveUseMs(const Layout& layout, std::string_view bundle_id) {
  absl::StatusOr<std::vector<std::string>> names = layout.List(layout.BundleDir(bundle_id));
  if (!names.ok()) return names.status();
  int64_t latest = -1;
  for (const std::string& name : *names) {
    if (!name.ends_with(".zip")) continue;
    absl::StatusOr<Backend::KeyInfo> info = layout.backend().Stat(layout.KeyOf(name));
    if (absl::IsNotFound(info.status())) continue;  // deleted meanwhile
    if (!info.ok()) return info.status();
    latest = std::max(latest, info->modified_ms);
  }
  return latest;
}

absl::Status DeleteBundle(const Layout& layout, std::string_view bundle_id) {
  absl::StatusOr<std::vector<std::string>> names =
      layout.List(layout.BundleDir(bundle_id), Backend::ListMode::kRecursive);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    if (absl::Status s = layout.backend().Delete(layout.KeyOf(name)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> IsHeld(const Layout& layout, std::string_view bundle_id) {
  return KeyExists(layout, layout.HoldPath(bundle_id));
}

absl::Status SetHeld(const Layout& layout, std::string_view bundle_id, bool held) {
  const std::string key(layout.KeyOf(layout.HoldPath(bundle_id)));
  return held ? layout.backend().Write(key, "") : layout.backend().Delete(key);
}

absl::Status PutChunk(const Layout& layout, std::string_view sha1_hex, std::string_view bytes) {
  const std::string key(layout.KeyOf(layout.ChunkPath(sha1_hex)));
  // Content-addressed: a chunk already there holds these bytes; storing it again renews its age.
  absl::Status s = layout.backend().Touch(key);
  if (absl::IsNotFound(s)) s = layout.backend().Write(key, bytes);
  return s;
}

absl::StatusOr<bool> ChunkExists(const Layout& layout, std::string_view sha1_hex) {
  return KeyExists(layout, layout.ChunkPath(sha1_hex));
}

absl::StatusOr<std::string> UseChunk(const Layout& layout, std::string_view sha1_hex,
                                     uint64_t max_bytes) {
  const std::string key(layout.KeyOf(layout.ChunkPath(sha1_hex)));
  if (absl::Status s = layout.backend().Touch(key); !s.ok()) return s;
  return layout.backend().Read(key, max_bytes);
}

absl::StatusOr<size_t> DeleteOldChunks(const Layout& layout, int64_t max_age_ms, int64_t now_ms,
                                       bool dry_run) {
  absl::StatusOr<std::vector<std::string>> names =
      layout.List(layout.ChunksDir(), Backend::ListMode::kRecursive);
  if (!names.ok()) return names.status();
  size_t deleted = 0;
  for (const std::string& name : *names) {
    const std::string key(layout.KeyOf(name));
    absl::StatusOr<Backend::KeyInfo> info = layout.backend().Stat(key);
    if (absl::IsNotFound(info.status())) continue;  // used and deleted meanwhile
    if (!info.ok()) return info.status();
    if (now_ms - info->modified_ms <= max_age_ms) continue;
    ++deleted;
    if (dry_run) continue;
    if (absl::Status s = layout.backend().Delete(key); !s.ok()) return s;
  }
  return deleted;
}

}  // namespace artidx::store
