// Reads an artifact bundle: an optional 8-byte `SYSB` prefix, then a ZIP archive whose
// `manifest.json` describes the files under `files/`. ReadBundle checks the archive against its
// manifest (every file the manifest names is a regular entry of the archive) and returns the
// file locators the indexes need. ReadArchiveEntry extracts one entry's bytes.
//
// Nothing in a bundle is trusted: sizes, counts, nesting and string lengths are capped by
// BundleLimits, and every failure is an InvalidArgument (or ResourceExhausted for a cap) whose
// message says what is wrong; callers prefix the bundle's name.
//
// Thread-safe: pure functions.

#ifndef ARTIDX_BUNDLE_BUNDLE_READER_H_
#define ARTIDX_BUNDLE_BUNDLE_READER_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "artidx/bundle_limits.h"
#include "format/index_content.h"

namespace artidx::bundle {

struct Bundle {
  // The manifest's top-level `debug_id`, normalised: lowercase hyphenated, appendix dropped.
  std::optional<std::string> manifest_debug_id;
  std::vector<format::FileLocator> files;  // in manifest order
};

// `archive` is the whole bundle file.
[[nodiscard]] absl::StatusOr<Bundle> ReadBundle(std::string_view archive,
                                                const BundleLimits& limits);

// The bytes of the regular entry at `zip_path`; NotFound when there is none, ResourceExhausted
// past max_bytes.
[[nodiscard]] absl::StatusOr<std::string> ReadArchiveEntry(std::string_view archive,
                                                           std::string_view zip_path,
                                                           uint64_t max_bytes);

}  // namespace artidx::bundle

#endif  // ARTIDX_BUNDLE_BUNDLE_READER_H_
