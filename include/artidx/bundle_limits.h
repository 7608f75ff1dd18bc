// Copyright artidx authors.
//
// bundle_limits.h: the caps on what reading one artifact bundle may make artidx read or hold.
// The bundle reader (bundle/bundle_reader.h) enforces them; the indexer's public API
// (artidx/indexer.h) lets a caller set them per add. Plain data.

#ifndef ARTIDX_BUNDLE_LIMITS_H_
#define ARTIDX_BUNDLE_LIMITS_H_

#include <cstdint>

namespace artidx {

// Caps on what one bundle may make the indexer read or hold.
struct BundleLimits {
  uint64_t max_archive_bytes = uint64_t{1} << 30;    // 1 GiB
  uint64_t max_manifest_bytes = uint64_t{64} << 20;  // 64 MiB of JSON
  uint32_t max_entries = 200'000;                    // files in a manifest, entries in a zip
  uint32_t max_string_bytes = 16 << 10;              // a url, path or header value
  uint32_t max_json_depth = 64;
};

}  // namespace artidx

#endif  // ARTIDX_BUNDLE_LIMITS_H_
