// Merging of index content: the operation that makes adds and removes commute. An index's
// value is, per bundle id, the entry (contribution or tombstone) that is greatest by
// (timestamp, tombstone, archive SHA-1) (Supersedes); merging keeps that maximum, so it is
// commutative, associative and idempotent, and segments may be merged in any grouping and order.
//
// Thread-safe: pure functions over caller-owned values.

#ifndef ARTIDX_FORMAT_MERGE_H_
#define ARTIDX_FORMAT_MERGE_H_

#include <cstdint>

#include "format/index_content.h"

namespace artidx::format {

// Adds `entry` to `index` unless a superseding entry of its bundle id is there already.
void MergeBundle(IndexContent* index, BundleEntry entry);

// Merges every bundle of `from` into `into`; the horizon becomes the greater of the two.
void MergeIndex(IndexContent* into, IndexContent from);

// Drops tombstones with timestamps before `cutoff_ms` and, when it dropped any, raises the
// horizon to `cutoff_ms`; does nothing unless `cutoff_ms` is past the horizon. Only valid on the
// merge of ALL of an index's segments: a tombstone dropped from a partial merge could let an
// older add it shadows in another segment reappear.
//
// Dropping is the one step after which a merge's output is not greater than its inputs in
// merge order; raising the horizon keeps every compaction's output strictly after its inputs in
// the order (horizon, merge order), so coverage between segments cannot form a cycle (SPEC.md
// "Compaction").
void DropTombstonesBefore(IndexContent* index, int64_t cutoff_ms);

}  // namespace artidx::format

#endif  // ARTIDX_FORMAT_MERGE_H_
