#include "store/layout.h"

#include <filesystem>

#include "common/coding.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "common/text.h"
#include "store/file_util.h"

namespace artidx::store {

absl::Status ValidateBundleId(std::string_view bundle_id) {
  if (ValidateProject(bundle_id).ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      StrCat("invalid bundle id \"", bundle_id.substr(0, 80),
             "\": expected a debug id or 1 to 64 characters of [A-Za-z0-9._-]"));
}

absl::Status ValidateSha1Hex(std::string_view what, std::string_view hex) {
  if (hex.size() == 40 &&
      hex.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      StrCat("invalid ", what, " \"", hex.substr(0, 80), "\": expected 40 hex digits (a SHA-1)"));
}

std::string Layout::BundleDir(std::string_view bundle_id) const {
  return StrCat(root_, "/bundles/", bundle_id);
}

std::string Layout::ArchivePath(std::string_view bundle_id, const Sha1Digest& archive_sha1) const {
  return StrCat(BundleDir(bundle_id), "/", archive_sha1.Hex(), ".zip");
}

std::string Layout::RefDir(std::string_view bundle_id) const {
  return StrCat(BundleDir(bundle_id), "/refs");
}

std::string Layout::RemovalDir(std::string_view bundle_id) const {
  return StrCat(root_, "/removals/", bundle_id);
}

std::string Layout::ProjectDir(std::string_view project) const {
  return StrCat(root_, "/projects/", project);
}

std::string Layout::DebugIdIndexDir(std::string_view project) const {
  return StrCat(ProjectDir(project), "/debug-ids");
}

std::string Layout::IndexDir(const format::IndexId& id) const {
  return id.kind == IndexKind::kUrl ? UrlIndexDir(id.project, id.release, id.dist)
                                    : DebugIdIndexDir(id.project);
}

std::string Layout::ChunksDir() const { return StrCat(root_, "/chunks"); }

std::string Layout::ChunkPath(std::string_view sha1_hex) const {
  return StrCat(ChunksDir(), "/", sha1_hex.substr(0, 2), "/", sha1_hex);
}

bool Layout::Exists() const {
  return IsDirectory(root_) &&
         (IsDirectory(StrCat(root_, "/bundles")) || IsDirectory(StrCat(root_, "/projects")));
}

std::string Layout::HoldPath(std::string_view bundle_id) const {
  return StrCat(BundleDir(bundle_id), "/hold");
}

namespace {

// The names of the directories in `dir`, sorted.
std::vector<std::string> DirectoryNames(const std::string& dir) {
  std::vector<std::string> names;
  for (const std::string& path : ListDirectories(dir)) {
    names.push_back(std::filesystem::path(path).filename().string());
  }
  return names;
}

}  // namespace

std::vector<std::string> Layout::BundleIds() const {
  return DirectoryNames(StrCat(root_, "/bundles"));
}

std::vector<std::string> Layout::RemovalIds() const {
  return DirectoryNames(StrCat(root_, "/removals"));
}

std::vector<std::string> Layout::UrlIndexDirs(std::string_view project) const {
  return ListDirectories(StrCat(ProjectDir(project), "/urls"));
}

std::vector<std::string> Layout::IndexDirs(std::string_view project) const {
  const std::vector<std::string> projects = project.empty()
                                                ? ListDirectories(root_ + "/projects")
                                                : std::vector<std::string>{ProjectDir(project)};
  std::vector<std::string> dirs;
  for (const std::string& p : projects) {
    std::error_code ec;
    if (std::filesystem::is_directory(p + "/debug-ids", ec)) dirs.push_back(p + "/debug-ids");
    for (std::string& d : ListDirectories(p + "/urls")) dirs.push_back(std::move(d));
  }
  return dirs;
}

std::string Layout::UrlIndexDir(std::string_view project, std::string_view release,
                                std::string_view dist) const {
  // Length-prefixed so that no two (release, dist) pairs encode alike.
  std::string key;
  common::Append<uint32_t>(&key, static_cast<uint32_t>(release.size()));
  key.append(release);
  common::Append<uint32_t>(&key, static_cast<uint32_t>(dist.size()));
  key.append(dist);
  return StrCat(ProjectDir(project), "/urls/", Sha1Digest::Of(key).Hex());
}

}  // namespace artidx::store
