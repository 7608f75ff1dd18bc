// An index in a store is a directory of immutable segment files (SPEC.md "Segments"), read and
// written through the store's Backend (Layout::backend), each index named by its directory's
// name (Layout::IndexDir). Each is an
// index file of the format in format/, named by the XXH3-128 digest of its bytes, so a segment
// is written once and never changed, and two writers that produce the same bytes produce the
// same file. An index's value is the merge of its segments, whatever their number.
//
// Thread-safe: functions share no state; an OpenSegment's reader may be used from many threads.

#ifndef ARTIDX_STORE_SEGMENTS_H_
#define ARTIDX_STORE_SEGMENTS_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "format/index_reader.h"
#include "store/file_util.h"
#include "store/layout.h"

namespace artidx::store {

inline constexpr std::string_view kSegmentSuffix = ".aix";

struct OpenSegment {
  std::string name;
  std::unique_ptr<MappedFile> file;
  format::IndexReader reader;  // views into *file
};

// "<32 lowercase hex digits of XXH3-128(bytes)>.aix".
std::string SegmentName(std::string_view bytes);

// A compaction that merged segments into a new one writes a covers file naming them,
// "<output's 32 hex digits>-<16 hex digits>.covers"; the covered segments are deleted once the
// grace period has passed. They add nothing to the index while their cover exists.
inline constexpr std::string_view kCoversSuffix = ".covers";

struct Covers {
  std::string path;                   // the covers file's name (Layout)
  std::string output;                 // the covering segment's file name
  std::vector<std::string> segments;  // the file names of the segments it covers
};

// Every covers file of index `dir` that can be read (one deleted meanwhile is skipped).
[[nodiscard]] absl::StatusOr<std::vector<Covers>> ReadCovers(const Layout& layout,
                                                             const std::string& dir);

// Writes the covers file of segment `output` of index `dir` whose text, one name a line, is
// `segments`.
[[nodiscard]] absl::Status WriteCovers(const Layout& layout, const std::string& dir,
                                       std::string_view output, std::string_view segments);

// The live segment file names of index `dir` (those no existing segment covers), sorted;
// empty when it has none.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ListSegments(const Layout& layout,
                                                                    const std::string& dir);

// The one check of a segment's bytes in full (checksum and structure, SPEC.md 14): its
// reader, or DataLoss "<name>: <what is wrong>". What verify, merges and salvage all use.
[[nodiscard]] absl::StatusOr<format::IndexReader> CheckSegment(std::string_view name,
                                                               std::string_view bytes);

// Checks every segment file of index `dir` in full (CheckSegment), live or covered (a covered
// one is still read until it is deleted): one line per damaged one, naming it.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> CheckSegmentFiles(const Layout& layout,
                                                                         const std::string& dir);

// Maps and opens every segment of index `dir`. A segment that vanishes between listing and
// opening (a compaction deleted it after publishing its replacement) makes it list again.
// NotFound when the index has no segment; DataLoss naming the file when a segment's header is
// invalid.
[[nodiscard]] absl::StatusOr<std::vector<OpenSegment>> OpenSegments(const Layout& layout,
                                                                    const std::string& dir);

// Writes `bytes` as a segment of index `dir` unless that segment exists already; returns its
// name.
[[nodiscard]] absl::StatusOr<std::string> PublishSegment(const Layout& layout,
                                                         const std::string& dir,
                                                         std::string_view bytes);

}  // namespace artidx::store

#endif  // ARTIDX_STORE_SEGMENTS_H_
