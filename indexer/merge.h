// Merging of index content: the operation that makes adds and removes commute. An index's
// value is, per bundle id, the entry (contribution or tombstone) that is greatest by
// (timestamp, tombstone, archive SHA-1); merging keeps that maximum, so it is commutative,
// associative and idempotent, and segments may be merged in any grouping and order.
//
// Thread-safe: pure functions over caller-owned values.

#ifndef ARTIDX_INDEXER_MERGE_H_
#define ARTIDX_INDEXER_MERGE_H_

#include <cstdint>

#include "format/index_content.h"

namespace artidx::indexer {

// True when `a` supersedes `b` (both for one bundle id): the later timestamp wins; at equal
// timestamps a removal beats an add, and of two adds the greater archive SHA-1 wins.
bool Supersedes(const format::BundleEntry& a, const format::BundleEntry& b);

// Adds `entry` to `index` unless a superseding entry of its bundle id is there already.
void MergeBundle(format::IndexContent* index, format::BundleEntry entry);

// Merges every bundle of `from` into `into`.
void MergeIndex(format::IndexContent* into, format::IndexContent from);

// Drops tombstones with timestamps before `cutoff_ms`. Only valid on the merge of ALL of an
// index's segments: a tombstone dropped from a partial merge could let an older add it shadows
// in another segment reappear.
void DropTombstonesBefore(format::IndexContent* index, int64_t cutoff_ms);

}  // namespace artidx::indexer

#endif  // ARTIDX_INDEXER_MERGE_H_
