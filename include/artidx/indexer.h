// Copyright artidx authors.
//
// indexer.h: adds artifact bundles to a store.
//
// An Indexer reads bundles (ZIP archives with a manifest.json, as sentry-cli uploads them),
// copies each archive into the store, and merges its files into the URL index of every
// (project, release, dist) it is added to and into the debug-id index of every project.
// Adding is idempotent and commutative: the same set of adds, in any order, any number of times,
// leaves byte-identical index files. Within one index a bundle id names one contribution: of
// two adds of one bundle id, the one with the greater timestamp wins, and at equal timestamps
// the one whose archive has the greater SHA-1.
//
// Thread safety: an Indexer is immutable; any number of threads and processes may add to one
// store at once. Writers of one index are serialised by a per-index file lock.
//
// Usage:
//   artidx::Indexer indexer("/var/lib/artidx");
//   artidx::AddOptions options;
//   options.projects = {"web"};
//   options.release = "shop@2.4.0";
//   absl::StatusOr<std::vector<artidx::AddResult>> added = indexer.Add({"bundle.zip"}, options);

#ifndef ARTIDX_INDEXER_H_
#define ARTIDX_INDEXER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace artidx {

// Caps on what one bundle may make the indexer read or hold.
struct BundleLimits {
  uint64_t max_archive_bytes = uint64_t{1} << 30;    // 1 GiB
  uint64_t max_manifest_bytes = uint64_t{64} << 20;  // 64 MiB of JSON
  uint32_t max_entries = 200'000;                    // files in a manifest, entries in a zip
  uint32_t max_string_bytes = 16 << 10;              // a url, path or header value
  uint32_t max_json_depth = 64;
};

struct AddOptions {
  std::vector<std::string> projects;  // at least one
  std::string release;                // "" adds to no URL index
  std::string dist;                   // "" when none
  std::optional<int64_t> timestamp_ms;  // default: now
  std::optional<std::string> bundle_id;  // default: manifest debug_id, else archive SHA-1
  BundleLimits limits;
};

struct AddResult {
  std::string bundle_path;  // as given
  std::string bundle_id;
  std::string archive_sha1;  // hex
  int64_t timestamp_ms;
  size_t files;            // files in the manifest
  size_t debug_id_files;   // of which carry a debug id
};

class Indexer {
 public:
  explicit Indexer(std::string store_root);

  // Reads and checks every bundle before writing anything: if one is bad, the error names it
  // and the store is unchanged. A failure while writing (a full disk, say) names the indexes
  // not yet updated; repeating the add completes it, as adds are idempotent.
  [[nodiscard]] absl::StatusOr<std::vector<AddResult>> Add(
      const std::vector<std::string>& bundle_paths, const AddOptions& options) const;

 private:
  std::string root_;
};

}  // namespace artidx

#endif  // ARTIDX_INDEXER_H_
