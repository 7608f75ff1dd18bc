#include "indexer/merge.h"

#include <tuple>

namespace artidx::indexer {

bool Supersedes(const format::BundleEntry& a, const format::BundleEntry& b) {
  return std::tie(a.timestamp_ms, a.archive_sha1) > std::tie(b.timestamp_ms, b.archive_sha1);
}

void MergeBundle(format::IndexContent* index, format::BundleEntry entry) {
  for (format::BundleEntry& existing : index->bundles) {
    if (existing.bundle_id != entry.bundle_id) continue;
    if (Supersedes(entry, existing)) existing = std::move(entry);
    return;
  }
  index->bundles.push_back(std::move(entry));
}

}  // namespace artidx::indexer
