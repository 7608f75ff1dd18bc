// Layout maps the names of things in a store (a project's indexes, a bundle's archives and
// references, upload chunks) to their keys in the store's Backend (store/backend.h), as SPEC.md
// "Store layout" defines: it is the only code that composes a key, and it lists what the store
// holds (its indexes, its bundle ids). It holds the store's backend, through which every store/
// module reaches the store's files.
//
// Things are named by their full name, root() + "/" + key: the file's path in a local store,
// "s3://bucket/prefix/key" in an object store. Those names are what messages and results show
// (byte-identical to the paths of a local store before the backend existed); KeyOf gives the
// key a name stands for. It validates the names that reach a path (the rules of
// common/names.h, and bundle ids). Releases and dists are arbitrary UTF-8, so they never appear
// in a path: a URL index is named by a digest of its (release, dist), and the pair itself is
// kept inside each segment of the index.
//
// Thread-safe: immutable after construction.

#ifndef ARTIDX_STORE_LAYOUT_H_
#define ARTIDX_STORE_LAYOUT_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/names.h"
#include "format/index_content.h"
#include "store/backend.h"

namespace artidx::store {

// A debug id's canonical form, a 40-hex SHA-1, or 1 to 64 characters of [A-Za-z0-9._-]; not
// "." or "..".
[[nodiscard]] absl::Status ValidateBundleId(std::string_view bundle_id);
// 40 hex digits (a SHA-1), `what` naming it in the error.
[[nodiscard]] absl::Status ValidateSha1Hex(std::string_view what, std::string_view hex);

class Layout {
 public:
  // The store in `backend`.
  explicit Layout(std::shared_ptr<Backend> backend);
  // The local store in the directory `root` (a LocalBackend).
  explicit Layout(std::string root);

  Backend& backend() const { return *backend_; }
  const std::shared_ptr<Backend>& shared_backend() const { return backend_; }
  // The store's name (Backend::Describe): its root directory, or its s3:// URL.
  const std::string& root() const { return root_; }
  // The key that a name this layout gave stands for ("" for root() itself).
  std::string_view KeyOf(std::string_view name) const;
  // The prefix that lists what the directory `name` holds: KeyOf(name) and '/', or "" for
  // root() itself.
  std::string PrefixOf(std::string_view name) const;
  // The name of a key.
  std::string NameOf(std::string_view key) const;

  // Whether an add has written to the store: it holds bundles/ or projects/ (what every verb
  // but those that create a store requires).
  [[nodiscard]] absl::StatusOr<bool> Exists() const;
  // Everything the store keeps of one bundle id: its archives and references.
  std::string BundleDir(std::string_view bundle_id) const;
  std::string ArchivePath(std::string_view bundle_id, const Sha1Digest& archive_sha1) const;
  std::string RefDir(std::string_view bundle_id) const;
  // The references of a bundle's removals; they outlive its bundle directory.
  std::string RemovalDir(std::string_view bundle_id) const;
  std::string ProjectDir(std::string_view project) const;
  // An index is a directory of immutable segment files.
  std::string DebugIdIndexDir(std::string_view project) const;
  std::string UrlIndexDir(std::string_view project, std::string_view release,
                          std::string_view dist) const;
  // The directory of index `id`.
  std::string IndexDir(const format::IndexId& id) const;
  // A chunk of a chunked upload (sentry-cli's protocol), named by the 40 lowercase hex digits
  // of its bytes' SHA-1; chunks live until an assemble joins them into a bundle, and some time
  // after (gc).
  std::string ChunkPath(std::string_view sha1_hex) const;
  std::string ChunksDir() const;
  // The marker that keeps gc from removing a bundle (`artidx hold`).
  std::string HoldPath(std::string_view bundle_id) const;
  // Every existing index directory of `project` (of every project when empty): the debug-id
  // index first, then the URL indexes, sorted.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> IndexDirs(std::string_view project) const;
  // The existing URL index directories of `project`, sorted.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> UrlIndexDirs(
      std::string_view project) const;
  // The bundle ids the store keeps anything of (archives, references), and those with removal
  // references, sorted.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> BundleIds() const;
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> RemovalIds() const;

  // The names of what the directory `name` holds, by key: the files and (as a name ending in
  // '/') the directories directly in it with kOneLevel, every file under it with kRecursive.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> List(
      std::string_view name, Backend::ListMode mode = Backend::ListMode::kOneLevel) const;

 private:
  std::shared_ptr<Backend> backend_;
  std::string root_;
};

}  // namespace artidx::store

#endif  // ARTIDX_STORE_LAYOUT_H_
