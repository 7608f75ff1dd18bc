#include "store/layout.h"

#include <algorithm>

#include "common/coding.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "common/text.h"
#include "store/local_backend.h"

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

std::string Layout::HoldPath(std::string_view bundle_id) const {
  return StrCat(BundleDir(bundle_id), "/hold");
}

Layout::Layout(std::shared_ptr<Backend> backend)
    : backend_(std::move(backend)), root_(backend_->Describe()) {}

Layout::Layout(std::string root) : Layout(std::make_shared<LocalBackend>(std::move(root))) {}

std::string_view Layout::KeyOf(std::string_view name) const {
  if (name.size() > root_.size() && name.starts_with(root_) && name[root_.size()] == '/') {
    return name.substr(root_.size() + 1);
  }
  return name == root_ ? std::string_view() : name;
}

std::string Layout::PrefixOf(std::string_view name) const {
  const std::string_view key = KeyOf(name);
  return key.empty() ? std::string() : StrCat(key, "/");
}

std::string Layout::NameOf(std::string_view key) const { return StrCat(root_, "/", key); }

absl::StatusOr<std::vector<std::string>> Layout::List(std::string_view name,
                                                      Backend::ListMode mode) const {
  const std::string prefix = PrefixOf(name);
  std::vector<std::string> names;
  std::string cursor;
  do {
    absl::StatusOr<Backend::Listing> page = backend_->List(prefix, cursor, 1000, mode);
    if (!page.ok()) return page.status();
    for (const std::string& key : page->keys) names.push_back(NameOf(key));
    cursor = std::move(page->next_cursor);
  } while (!cursor.empty());
  return names;
}

absl::StatusOr<bool> Layout::Exists() const {
  absl::StatusOr<std::vector<std::string>> top = List(root_);
  if (absl::IsFailedPrecondition(top.status()) && !IsObjectStoreLocation(root_)) {
    return false;  // not a directory
  }
  if (!top.ok()) return top.status();
  for (const std::string& name : *top) {
    const std::string_view key = KeyOf(name);
    if (key == "bundles/" || key == "projects/") return true;
  }
  return false;
}

namespace {

// The directories among `names` (as Layout::List gives them), without their trailing '/',
// sorted as names ("a" before "a-b", which the listing gives the other way round).
std::vector<std::string> Directories(std::vector<std::string> names) {
  std::vector<std::string> dirs;
  for (std::string& name : names) {
    if (!name.ends_with('/')) continue;
    name.pop_back();
    dirs.push_back(std::move(name));
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

// The last component of each name.
std::vector<std::string> BaseNames(std::vector<std::string> names) {
  for (std::string& name : names) name.erase(0, name.rfind('/') + 1);
  return names;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> Layout::BundleIds() const {
  absl::StatusOr<std::vector<std::string>> names = List(StrCat(root_, "/bundles"));
  if (!names.ok()) return names.status();
  return BaseNames(Directories(*std::move(names)));
}

absl::StatusOr<std::vector<std::string>> Layout::RemovalIds() const {
  absl::StatusOr<std::vector<std::string>> names = List(StrCat(root_, "/removals"));
  if (!names.ok()) return names.status();
  return BaseNames(Directories(*std::move(names)));
}

absl::StatusOr<std::vector<std::string>> Layout::UrlIndexDirs(std::string_view project) const {
  absl::StatusOr<std::vector<std::string>> names = List(StrCat(ProjectDir(project), "/urls"));
  if (!names.ok()) return names.status();
  return Directories(*std::move(names));
}

absl::StatusOr<std::vector<std::string>> Layout::IndexDirs(std::string_view project) const {
  std::vector<std::string> projects;
  if (project.empty()) {
    absl::StatusOr<std::vector<std::string>> names = List(StrCat(root_, "/projects"));
    if (!names.ok()) return names.status();
    projects = Directories(*std::move(names));
  } else {
    projects.push_back(ProjectDir(project));
  }
  std::vector<std::string> dirs;
  for (const std::string& p : projects) {
    absl::StatusOr<std::vector<std::string>> in = List(p);
    if (!in.ok()) return in.status();
    const std::string debug_ids = StrCat(p, "/debug-ids/");
    if (std::find(in->begin(), in->end(), debug_ids) != in->end()) {
      dirs.push_back(debug_ids.substr(0, debug_ids.size() - 1));
    }
    absl::StatusOr<std::vector<std::string>> urls = List(StrCat(p, "/urls"));
    if (!urls.ok()) return urls.status();
    for (std::string& d : Directories(*std::move(urls))) dirs.push_back(std::move(d));
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
