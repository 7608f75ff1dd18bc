// Layout maps the names of things in a store (a project's indexes, a bundle's archives and
// references) to paths under the store's root directory, as SPEC.md "Store layout" defines, and
// validates the names that reach a path. Releases and dists are arbitrary UTF-8, so they never
// appear in a path: a URL index is named by a digest of its (release, dist), and the pair itself
// is kept inside each segment of the index.
//
// Thread-safe: immutable after construction.

#ifndef ARTIDX_STORE_LAYOUT_H_
#define ARTIDX_STORE_LAYOUT_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "format/index_content.h"

namespace artidx::store {

inline constexpr size_t kMaxProjectBytes = 64;
inline constexpr size_t kMaxReleaseBytes = 250;
inline constexpr size_t kMaxDistBytes = 64;

// 1 to 64 characters of [A-Za-z0-9._-], and neither "." nor "..".
[[nodiscard]] absl::Status ValidateProject(std::string_view project);
// 1 to 250 bytes of UTF-8 without control characters.
[[nodiscard]] absl::Status ValidateRelease(std::string_view release);
// 0 to 64 bytes of UTF-8 without control characters ("" is "no dist").
[[nodiscard]] absl::Status ValidateDist(std::string_view dist);
// A debug id's canonical form, a 40-hex SHA-1, or 1 to 64 characters of [A-Za-z0-9._-]; not
// "." or "..".
[[nodiscard]] absl::Status ValidateBundleId(std::string_view bundle_id);
// 40 hex digits (a SHA-1), `what` naming it in the error.
[[nodiscard]] absl::Status ValidateSha1Hex(std::string_view what, std::string_view hex);

class Layout {
 public:
  explicit Layout(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
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
  // Every existing index directory of `project` (of every project when empty): the debug-id
  // index first, then the URL indexes, sorted.
  std::vector<std::string> IndexDirs(std::string_view project) const;

 private:
  std::string root_;
};

}  // namespace artidx::store

#endif  // ARTIDX_STORE_LAYOUT_H_
