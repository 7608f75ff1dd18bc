// Reads an artifact bundle: an optional 8-byte `SYSB` prefix, then a ZIP archive whose
// `manifest.json` describes the files under `files/`. ReadBundle checks the archive against its
// manifest (every file the manifest names is a regular entry of the archive) and returns the
// files as the manifest describes them; the indexer makes them the locators of its indexes.
// ReadArchiveEntry extracts one entry's bytes.
//
// A Bundle holds its files' strings in one block of its own (the buffer the manifest was
// inflated into, reused once parsed): reading 20,000 files allocates a few blocks, not one
// string per field, and freeing the Bundle frees them at once (bench/README.md, Ingest).
//
// Nothing in a bundle is trusted: sizes, counts, nesting and string lengths are capped by
// BundleLimits, and every failure is an InvalidArgument (or ResourceExhausted for a cap) whose
// message says what is wrong; callers prefix the bundle's name.
//
// Thread-safe: pure functions.

#ifndef ARTIDX_BUNDLE_BUNDLE_READER_H_
#define ARTIDX_BUNDLE_BUNDLE_READER_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "artidx/bundle_limits.h"
#include "artidx/types.h"
#include "format/index_content.h"

namespace artidx::bundle {

// One file as the manifest lists it: a format::FileLocator whose strings view the Bundle that
// holds it, valid as long as that Bundle (moving the Bundle keeps them valid).
struct ManifestFile {
  std::string_view path;  // the zip path of the entry: the manifest key
  std::string_view url;   // the manifest `url`, else its `path`
  FileType type = FileType::kSource;
  std::optional<DebugId> debug_id;            // the `debug-id` header
  std::optional<std::string_view> sourcemap;  // the `sourcemap` (else `x-sourcemap`) header

  // A copy that owns its strings.
  format::FileLocator ToLocator() const;
};

// Move-only: `files` view `strings`.
struct Bundle {
  // The manifest's top-level `debug_id`, normalised: lowercase hyphenated, appendix dropped.
  std::optional<std::string> manifest_debug_id;
  std::vector<ManifestFile> files;  // in manifest order
  std::unique_ptr<char[]> strings;  // the bytes the strings of `files` view
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
