#include "store/archives.h"

#include <algorithm>

#include "common/strings.h"
#include "store/file_util.h"

namespace artidx::store {

bool BundleExists(const Layout& layout, std::string_view bundle_id) {
  return FileExists(layout.BundleDir(bundle_id));
}

bool ArchiveExists(const Layout& layout, std::string_view bundle_id, const Sha1Digest& sha1) {
  return FileExists(layout.ArchivePath(bundle_id, sha1));
}

absl::Status WriteArchive(const Layout& layout, std::string_view bundle_id, const Sha1Digest& sha1,
                          std::string_view bytes) {
  const std::string path = layout.ArchivePath(bundle_id, sha1);
  if (FileExists(path)) return absl::OkStatus();
  return WriteFileAtomically(path, bytes);
}

absl::StatusOr<std::unique_ptr<MappedFile>> MapArchive(const Layout& layout,
                                                       std::string_view bundle_id,
                                                       const Sha1Digest& sha1) {
  return MappedFile::Open(layout.ArchivePath(bundle_id, sha1));
}

absl::Status TouchArchive(const Layout& layout, std::string_view bundle_id,
                          const Sha1Digest& sha1) {
  return TouchFile(layout.ArchivePath(bundle_id, sha1));
}

int64_t LatestArchiveUseMs(const Layout& layout, std::string_view bundle_id, int64_t now_ms) {
  int64_t latest = -1;
  const std::string dir = layout.BundleDir(bundle_id);
  for (const std::string& name : ListFileNames(dir)) {
    if (!name.ends_with(".zip")) continue;
    latest = std::max(latest, now_ms - FileAgeMs(StrCat(dir, "/", name), now_ms));
  }
  return latest;
}

absl::Status DeleteBundle(const Layout& layout, std::string_view bundle_id) {
  return RemoveTree(layout.BundleDir(bundle_id));
}

bool IsHeld(const Layout& layout, std::string_view bundle_id) {
  return FileExists(layout.HoldPath(bundle_id));
}

absl::Status SetHeld(const Layout& layout, std::string_view bundle_id, bool held) {
  const std::string marker = layout.HoldPath(bundle_id);
  return held ? WriteFileAtomically(marker, "") : RemoveFile(marker);
}

absl::Status PutChunk(const Layout& layout, std::string_view sha1_hex, std::string_view bytes) {
  const std::string path = layout.ChunkPath(sha1_hex);
  // Content-addressed: a chunk already there holds these bytes; storing it again renews its age.
  absl::Status s = TouchFile(path);
  if (absl::IsNotFound(s)) s = WriteFileAtomically(path, bytes);
  return s;
}

bool ChunkExists(const Layout& layout, std::string_view sha1_hex) {
  return FileExists(layout.ChunkPath(sha1_hex));
}

absl::StatusOr<std::string> UseChunk(const Layout& layout, std::string_view sha1_hex,
                                     uint64_t max_bytes) {
  const std::string path = layout.ChunkPath(sha1_hex);
  if (absl::Status s = TouchFile(path); !s.ok()) return s;
  return common::ReadFile(path, max_bytes);
}

absl::StatusOr<size_t> DeleteOldChunks(const Layout& layout, int64_t max_age_ms, int64_t now_ms,
                                       bool dry_run) {
  size_t deleted = 0;
  for (const std::string& dir : ListDirectories(layout.ChunksDir())) {
    for (const std::string& name : ListFileNames(dir)) {
      const std::string path = StrCat(dir, "/", name);
      if (FileAgeMs(path, now_ms) <= max_age_ms) continue;
      ++deleted;
      if (dry_run) continue;
      if (absl::Status s = RemoveFile(path); !s.ok()) return s;
    }
  }
  return deleted;
}

}  // namespace artidx::store
