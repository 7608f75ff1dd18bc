#include "indexer/merge.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"

namespace artidx::indexer {

void MergeBundle(format::IndexContent* index, format::BundleEntry entry) {
  for (format::BundleEntry& existing : index->bundles) {
    if (existing.bundle_id != entry.bundle_id) continue;
    if (format::Supersedes(entry, existing)) existing = std::move(entry);
    return;
  }
  index->bundles.push_back(std::move(entry));
}

void MergeIndex(format::IndexContent* into, format::IndexContent from) {
  into->horizon_ms = std::max(into->horizon_ms, from.horizon_ms);
  absl::flat_hash_map<std::string, size_t> position;
  for (size_t i = 0; i < into->bundles.size(); ++i) position[into->bundles[i].bundle_id] = i;
  for (format::BundleEntry& entry : from.bundles) {
    auto [it, inserted] = position.try_emplace(entry.bundle_id, into->bundles.size());
    if (inserted) {
      into->bundles.push_back(std::move(entry));
    } else if (format::Supersedes(entry, into->bundles[it->second])) {
      into->bundles[it->second] = std::move(entry);
    }
  }
}

void DropTombstonesBefore(format::IndexContent* index, int64_t cutoff_ms) {
  if (cutoff_ms <= index->horizon_ms) return;
  const size_t dropped = std::erase_if(index->bundles, [&](const format::BundleEntry& b) {
    return b.tombstone && b.timestamp_ms < cutoff_ms;
  });
  if (dropped > 0) index->horizon_ms = cutoff_ms;
}

}  // namespace artidx::indexer
