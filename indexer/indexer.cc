#include "artidx/indexer.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>

#include "absl/status/status.h"
#include "format/strings.h"
#include "absl/strings/str_join.h"
#include "format/index_reader.h"
#include "format/index_writer.h"
#include "indexer/merge.h"
#include "store/bundle_reader.h"
#include "store/file_util.h"
#include "store/layout.h"
#include "store/sha1.h"

namespace artidx {
namespace {

using format::BundleEntry;
using format::IndexContent;
using format::IndexKind;

// One bundle, read and checked, ready to be merged.
struct Prepared {
  AddResult result;
  std::string archive;
  format::Sha1Digest sha1;
  std::vector<format::FileLocator> files;
};

// The bundle id a user may give: a debug id (normalised like a manifest's), or 1 to 64
// characters of [A-Za-z0-9._-] kept as they are (the 40-hex SHA-1 ids among them).
absl::StatusOr<std::string> NormaliseBundleId(std::string_view id) {
  if (id.size() == 32 || id.size() == 36) {
    if (absl::StatusOr<DebugId> parsed = DebugId::Parse(id); parsed.ok()) return parsed->ToString();
  }
  absl::Status valid = store::ValidateProject(id);  // the same character rules
  if (!valid.ok()) {
    return absl::InvalidArgumentError(StrCat(
        "invalid bundle id \"", id.substr(0, 80),
        "\": expected a debug id or 1 to 64 characters of [A-Za-z0-9._-]"));
  }
  return std::string(id);
}

absl::Status ValidateOptions(const AddOptions& options) {
  if (options.projects.empty()) return absl::InvalidArgumentError("no project given");
  for (const std::string& project : options.projects) {
    if (absl::Status s = store::ValidateProject(project); !s.ok()) return s;
  }
  if (!options.release.empty()) {
    if (absl::Status s = store::ValidateRelease(options.release); !s.ok()) return s;
  }
  if (absl::Status s = store::ValidateDist(options.dist); !s.ok()) return s;
  if (options.release.empty() && !options.dist.empty()) {
    return absl::InvalidArgumentError("a dist needs a release");
  }
  return absl::OkStatus();
}

absl::StatusOr<Prepared> Prepare(const std::string& path, const AddOptions& options,
                                 int64_t timestamp_ms) {
  Prepared p;
  absl::StatusOr<std::string> archive = store::ReadFile(path, options.limits.max_archive_bytes);
  if (!archive.ok()) return archive.status();
  absl::StatusOr<store::Bundle> bundle = store::ReadBundle(*archive, options.limits);
  if (!bundle.ok()) return bundle.status();
  p.sha1 = store::Sha1(*archive);
  p.archive = *std::move(archive);
  p.files = std::move(bundle->files);
  p.result.bundle_path = path;
  p.result.archive_sha1 = store::HexDigest(p.sha1);
  p.result.timestamp_ms = timestamp_ms;
  p.result.files = p.files.size();
  p.result.debug_id_files = 0;
  for (const format::FileLocator& f : p.files) p.result.debug_id_files += f.debug_id ? 1 : 0;
  if (options.bundle_id) {
    absl::StatusOr<std::string> id = NormaliseBundleId(*options.bundle_id);
    if (!id.ok()) return id.status();
    p.result.bundle_id = *id;
  } else {
    p.result.bundle_id = bundle->manifest_debug_id.value_or(p.result.archive_sha1);
  }
  if (options.release.empty() && p.result.debug_id_files == 0) {
    return absl::InvalidArgumentError(
        "bundle has no debug ids and no release was given: it would be in no index");
  }
  return p;
}

// Merges `entries` into the index at `path`, creating it if needed. The lock serialises the
// read-merge-replace of concurrent writers; readers never wait, as the replacement is a rename.
absl::Status UpdateIndex(const std::string& path, const IndexContent& identity,
                         const std::vector<BundleEntry>& entries) {
  if (absl::Status s = store::MakeDirs(std::filesystem::path(path).parent_path()); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::unique_ptr<store::FileLock>> lock =
      store::FileLock::Acquire(store::Layout::LockPath(path));
  if (!lock.ok()) return lock.status();
  IndexContent content = identity;
  absl::StatusOr<std::unique_ptr<store::MappedFile>> existing = store::MappedFile::Open(path);
  if (existing.ok()) {
    absl::StatusOr<format::IndexReader> reader = format::IndexReader::Open((*existing)->data());
    absl::StatusOr<IndexContent> decoded =
        reader.ok() ? reader->Decode() : absl::StatusOr<IndexContent>(reader.status());
    if (!decoded.ok()) {
      return absl::DataLossError(StrCat(path, ": ", decoded.status().message(),
                                              "; not overwritten"));
    }
    content = *std::move(decoded);
  } else if (!absl::IsNotFound(existing.status())) {
    return existing.status();
  }
  for (const BundleEntry& entry : entries) indexer::MergeBundle(&content, entry);
  absl::StatusOr<std::string> bytes = format::EncodeIndex(std::move(content));
  if (!bytes.ok()) return absl::InvalidArgumentError(StrCat(path, ": ", bytes.status().message()));
  return store::WriteFileAtomically(path, *bytes);
}

}  // namespace

Indexer::Indexer(std::string store_root) : root_(std::move(store_root)) {}

absl::StatusOr<std::vector<AddResult>> Indexer::Add(const std::vector<std::string>& bundle_paths,
                                                     const AddOptions& options) const {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  if (bundle_paths.empty()) return absl::InvalidArgumentError("no bundle given");
  if (options.bundle_id && bundle_paths.size() > 1) {
    return absl::InvalidArgumentError("a bundle id can be given for one bundle only");
  }
  const int64_t timestamp_ms =
      options.timestamp_ms.value_or(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
  std::vector<Prepared> prepared;
  for (const std::string& path : bundle_paths) {
    absl::StatusOr<Prepared> p = Prepare(path, options, timestamp_ms);
    if (!p.ok()) {
      return absl::Status(p.status().code(), StrCat(path, ": ", p.status().message(),
                                                          "; no bundle was added"));
    }
    prepared.push_back(*std::move(p));
  }

  // Archives first, so that no index ever names an archive the store lacks.
  store::Layout layout(root_);
  for (const Prepared& p : prepared) {
    const std::string archive_path = layout.BundlePath(p.sha1);
    if (std::filesystem::exists(archive_path)) continue;
    if (absl::Status s = store::WriteFileAtomically(archive_path, p.archive); !s.ok()) {
      return absl::Status(s.code(), StrCat(s.message(), "; no index was changed"));
    }
  }

  // Every index this add touches, with the entries each receives. A bundle is recorded in an
  // index even when it contributes no file there, so that it supersedes an older contribution
  // of its id whatever the order of the adds.
  std::map<std::string, std::pair<IndexContent, std::vector<BundleEntry>>> updates;
  for (const std::string& project : options.projects) {
    for (const Prepared& p : prepared) {
      IndexContent identity;
      identity.project = project;
      BundleEntry entry{p.result.bundle_id, timestamp_ms, p.sha1, {}};
      if (!options.release.empty()) {
        identity.kind = IndexKind::kUrl;
        identity.release = options.release;
        identity.dist = options.dist;
        auto& [id, entries] = updates[layout.UrlIndexPath(project, options.release, options.dist)];
        id = identity;
        entries.push_back(entry);
        entries.back().files = p.files;
      }
      identity.kind = IndexKind::kDebugId;
      identity.release.clear();
      identity.dist.clear();
      auto& [id, entries] = updates[layout.DebugIdIndexPath(project)];
      id = identity;
      entries.push_back(entry);
      for (const format::FileLocator& f : p.files) {
        if (f.debug_id) entries.back().files.push_back(f);
      }
    }
  }
  std::vector<std::string> pending;
  for (const auto& [path, update] : updates) pending.push_back(path);
  size_t done = 0;
  for (const auto& [path, update] : updates) {
    if (absl::Status s = UpdateIndex(path, update.first, update.second); !s.ok()) {
      return absl::Status(
          s.code(), StrCat(s.message(), "; the add is incomplete: ", pending.size() - done,
                                 " of ", pending.size(), " indexes not updated (",
                                 absl::StrJoin(pending.begin() + done, pending.end(), ", "),
                                 "); repeat the add to complete it"));
    }
    ++done;
  }
  std::vector<AddResult> results;
  for (Prepared& p : prepared) results.push_back(std::move(p.result));
  return results;
}

}  // namespace artidx
