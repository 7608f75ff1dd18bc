// SalvageIndex reads what it still can of an index file that failed verification (SPEC.md 21,
// "rebuild"): its identity (kind, project, release, dist) and its bundle records, one by one.
// It trusts no length or offset in the file: the header's counts and section table are clamped
// to the bytes present, so a truncated file yields the records that lie wholly inside it, and
// a record whose string reference, flags or tombstone invariant is out of range is skipped.
// What it returns is unverified (a flipped byte may change a timestamp without breaking any
// structure): callers confirm each record against another copy, as rebuild does by the SHA-1
// that names a reference.
//
// Thread-safe: a pure function of its input.

#ifndef ARTIDX_FORMAT_INDEX_SALVAGE_H_
#define ARTIDX_FORMAT_INDEX_SALVAGE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sha1.h"
#include "format/index_content.h"

namespace artidx::format {

// One bundle record as the file holds it: the operation it records, without its files.
struct SalvagedBundle {
  std::string bundle_id;
  int64_t timestamp_ms = 0;
  Sha1Digest archive_sha1{};
  bool tombstone = false;

  friend bool operator==(const SalvagedBundle&, const SalvagedBundle&) = default;
};

struct SalvagedIndex {
  IndexId id;
  std::vector<SalvagedBundle> bundles;  // in file order
  uint64_t skipped = 0;                 // records present in the file but unreadable
};

// DataLoss naming the problem when not even the header's magic, version, kind and identity
// strings can be read.
[[nodiscard]] absl::StatusOr<SalvagedIndex> SalvageIndex(std::string_view data);

}  // namespace artidx::format

#endif  // ARTIDX_FORMAT_INDEX_SALVAGE_H_
