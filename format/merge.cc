#include "format/merge.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"

namespace artidx::format {

void MergeBundle(IndexContent* index, BundleEntry entry) {
  for (BundleEntry& existing : index->bundles) {
    if (existing.bundle_id != entry.bundle_id) continue;
    if (Supersedes(entry, existing)) existing = std::move(entry);
    return;
  }
  index->bundles.push_back(std::move(entry));
}

void MergeIndex(IndexContent* into, IndexContent from) {
  into->horizon_ms = std::max(into->horizon_ms, from.horizon_ms);
  absl::flat_hash_map<std::string, size_t> position;
  for (size_t i = 0; i < into->bundles.size(); ++i) position[into->bundles[i].bundle_id] = i;
  for (BundleEntry& entry : from.bundles) {
    auto [it, inserted] = position.try_emplace(entry.bundle_id, into->bundles.size());
    if (inserted) {
      into->bundles.push_back(std::move(entry));
    } else if (Supersedes(entry, into->bundles[it->second])) {
      into->bundles[it->second] = std::move(entry);
    }
  }
}

void DropTombstonesBefore(IndexContent* index, int64_t cutoff_ms) {
  if (cutoff_ms <= index->horizon_ms) return;
  const size_t dropped = std::erase_if(index->bundles, [&](const BundleEntry& b) {
    return b.tombstone && b.timestamp_ms < cutoff_ms;
  });
  if (dropped > 0) index->horizon_ms = cutoff_ms;
}

}  // namespace artidx::format
