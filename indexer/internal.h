// What indexer.cc and maintenance.cc, the two halves of artidx::Indexer, share.
//
// Thread-safe: pure functions.

#ifndef ARTIDX_INDEXER_INTERNAL_H_
#define ARTIDX_INDEXER_INTERNAL_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "artidx/indexer.h"
#include "store/index_writer.h"

namespace artidx::indexer {

// The bundle id a user may give: a SHA-1 (40 hex digits, the id of a bundle without a manifest
// debug_id), a debug id in any form (normalised like a manifest's: appendix dropped), or any
// other id that store::ValidateBundleId accepts, kept as it is.
[[nodiscard]] absl::StatusOr<std::string> NormaliseBundleId(std::string_view id);

// The compaction policy's settings among the indexer's options.
inline store::CompactionOptions CompactionOptionsOf(const IndexerOptions& options) {
  return {options.grace_ms, options.tombstone_retention_ms, options.compaction_fan_in};
}

}  // namespace artidx::indexer

#endif  // ARTIDX_INDEXER_INTERNAL_H_
