// Salvage: what the store's two records of every operation still say after damage (SPEC.md 21,
// "rebuild"). Every add and removal is recorded in its reference (named by the SHA-1 of its
// bytes) and in the bundle record of each segment it produced (the segment's header names the
// index). PlanSalvage reads both without changing anything: the intact references; the damaged
// ones, each recovered when a segment record (read record by record, format::SalvageIndex,
// even from a segment that fails its checksum) re-encodes to exactly the bytes its name
// hashes, else lost; and the segments that fail verification. `rebuild` carries the plan out,
// and `verify` uses it to say what rebuild can recover.
//
// Thread-safe: functions share no state.

#ifndef ARTIDX_STORE_SALVAGE_H_
#define ARTIDX_STORE_SALVAGE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "store/layout.h"
#include "store/refs.h"

namespace artidx::store {

// One add or removal of a bundle in one index.
struct Operation {
  std::string bundle_id;
  Ref ref;
};

// "add of bundle B at T (ISO) to the URL index of project P, release R, dist D", for reports.
std::string DescribeOperation(const Operation& op);

// A file that cannot be used as it is, and why.
struct DamagedFile {
  std::string path;
  std::string problem;  // the reader's error, naming the file
};

struct SalvagePlan {
  // Every operation to replay, by bundle id: those of the intact references, then the
  // recovered ones.
  std::vector<Operation> operations;
  size_t from_references = 0;  // how many of them come from intact references
  struct Recovered {
    DamagedFile reference;  // the damaged reference
    std::string segment;    // a segment whose record gives its exact bytes
    Operation operation;
    std::string bytes;  // the reference's bytes, whose SHA-1 is its name
  };
  std::vector<Recovered> recovered;
  // Damaged references whose operation no readable segment record gives; `bundle_id` and
  // `removal` are what their place in the store says.
  struct Lost {
    DamagedFile reference;
    std::string bundle_id;
    bool removal = false;
  };
  std::vector<Lost> lost;
  // Segment files (live or covered) that fail verification (SPEC.md 14).
  std::vector<DamagedFile> damaged_segments;
};

// Reads every reference and every segment file of the store. Errors only when the store cannot
// be read (listing or I/O errors), never for damage.
[[nodiscard]] absl::StatusOr<SalvagePlan> PlanSalvage(const Layout& layout);

// The quarantine: "quarantine/<stamp>/<key>", under the root.
std::string QuarantinePath(const Layout& layout, std::string_view stamp, std::string_view path);

// Copies `path` (a file of the store, by name) to its QuarantinePath, durably, and returns
// that name. The caller then replaces or deletes the original.
[[nodiscard]] absl::StatusOr<std::string> SetAside(const Layout& layout, std::string_view stamp,
                                                   const std::string& path);

// Writes a recovered reference's exact bytes over the damaged one (set aside first).
[[nodiscard]] absl::Status RestoreReference(const Layout& layout,
                                            const SalvagePlan::Recovered& recovered);

// Deletes a damaged reference that nothing recovers (set aside first).
[[nodiscard]] absl::Status DeleteLostReference(const Layout& layout, const SalvagePlan::Lost& lost);

}  // namespace artidx::store

#endif  // ARTIDX_STORE_SALVAGE_H_
