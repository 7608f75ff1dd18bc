// Merging of index content: the operation that makes adds idempotent and commutative. An
// index's value is, per bundle id, the contribution with the greatest (timestamp, archive SHA-1);
// merging keeps that maximum, so merge order never matters.
//
// Thread-safe: pure functions over caller-owned values.

#ifndef ARTIDX_INDEXER_MERGE_H_
#define ARTIDX_INDEXER_MERGE_H_

#include "format/index_content.h"

namespace artidx::indexer {

// True when `a` supersedes `b` (both for one bundle id).
bool Supersedes(const format::BundleEntry& a, const format::BundleEntry& b);

// Adds `entry` to `index` unless a superseding entry of its bundle id is there already.
void MergeBundle(format::IndexContent* index, format::BundleEntry entry);

}  // namespace artidx::indexer

#endif  // ARTIDX_INDEXER_MERGE_H_
