// Writes artifact bundles the way sentry-cli does: a `SYSB` v2 prefix, then a ZIP with
// `manifest.json` and one deflated entry per file, every entry stamped 1980-01-01 so equal input
// gives equal bytes. MakeBundle is `artidx make-bundle`; the tests and the benchmarks use the
// rest.
//
// Thread-safe: pure functions.

#ifndef ARTIDX_BUNDLE_BUNDLE_WRITER_H_
#define ARTIDX_BUNDLE_BUNDLE_WRITER_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "artidx/types.h"

namespace artidx::bundle {

struct BundleFile {
  std::string url;
  FileType type = FileType::kMinifiedSource;
  std::string content;
  std::optional<DebugId> debug_id;
  std::optional<std::string> sourcemap;
};

struct BundleSpec {
  std::optional<std::string> debug_id;            // the manifest's top-level bundle id
  std::map<std::string, std::string> attributes;  // other top-level strings: release, org, ...
  std::vector<BundleFile> files;
};

// The raw archive: these (name, bytes) entries in order, optionally after the SYSB prefix.
[[nodiscard]] absl::StatusOr<std::string> WriteZip(
    const std::vector<std::pair<std::string, std::string>>& entries, bool sysb_prefix);

// The zip path sentry-cli gives a url: `~/a/b` -> `files/_/_/a/b`, `https://h/x` ->
// `files/https/h/x`, `scheme:///x` -> `files/scheme/_/x`.
std::string ZipPathForUrl(std::string_view url);

// A complete bundle; two files on one zip path get `.1`, `.2` suffixes as in sentry-cli.
[[nodiscard]] absl::StatusOr<std::string> WriteBundle(const BundleSpec& spec);

// Every .js, .mjs, .cjs and .map file under `dir`, with url `url_prefix/<relative path>`.
// A script's debug id comes from its `//# debugId=` comment, else its map's "debug_id", else
// DebugIdFromSha1 of its map's bytes (of its own bytes without a map), as `sentry-cli sourcemaps
// inject` derives one; its source map (named by `//# sourceMappingURL=`, else `<name>.map`) gets
// the same id. A map
// that no script claims keeps a `debug_id`/`debugId` field's value, if any.
[[nodiscard]] absl::StatusOr<BundleSpec> ScanDirectory(const std::string& dir,
                                                       std::string_view url_prefix);

// The debug id sentry-cli derives from bytes that declare none (`debug_id_from_bytes_hashed`):
// the first 16 bytes of their SHA-1 as a version-5 UUID of the RFC 4122 variant.
DebugId DebugIdFromSha1(std::string_view bytes);

// Whether `key` is a top-level manifest field that artidx itself sets ("files", "debug_id")
// rather than a free attribute (release, dist, org, ...).
bool IsManifestField(std::string_view key);

struct MadeBundle {
  std::string debug_id;  // the manifest's top-level debug_id
  size_t files = 0;
  std::string bytes;  // the bundle file
};

// The bundle of every script and source map under `dir` (ScanDirectory), with manifest debug_id
// `bundle_id`, else DebugIdFromSha1 of every file's url and bytes, and the top-level `attributes`.
// InvalidArgument naming `dir` when it holds no such file, or naming an attribute that is a
// manifest field.
[[nodiscard]] absl::StatusOr<MadeBundle> MakeBundle(
    const std::string& dir, std::string_view url_prefix, std::optional<DebugId> bundle_id,
    const std::map<std::string, std::string>& attributes);

}  // namespace artidx::bundle

#endif  // ARTIDX_BUNDLE_BUNDLE_WRITER_H_
