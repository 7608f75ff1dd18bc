// The parts of `rebuild` that salvage (SPEC.md 21): carrying out a store::SalvagePlan (damaged
// files copied to the quarantine, recovered references restored, unrecoverable ones moved out
// of the way), and turning each operation into the entry it gives an index, with the archive it
// names checked against its name. Indexer::Rebuild wires them to the merge and the writes.
//
// Not thread-safe: an ArchiveEntries caches archives for one rebuild.

#ifndef ARTIDX_INDEXER_SALVAGE_H_
#define ARTIDX_INDEXER_SALVAGE_H_

#include <map>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "artidx/indexer.h"
#include "bundle/bundle_reader.h"
#include "format/index_content.h"
#include "store/layout.h"
#include "store/salvage.h"

namespace artidx::indexer {

// Sets aside (store::SetAside, under the quarantine directory `stamp`) every damaged reference
// and segment of `plan`; then writes each recovered reference's exact bytes over the damaged
// one and deletes the damaged references nothing recovers. With `dry_run`, only reports. Fills
// `result`'s recovered, set_aside and lost.
[[nodiscard]] absl::Status ApplySalvage(const store::Layout& layout, const store::SalvagePlan& plan,
                                        std::string_view stamp, bool dry_run,
                                        RebuildResult* result);

// The entry each operation gives its index: a removal's tombstone, or an add's contribution
// with the files of its archive (those with a debug id for a debug-id index). An add whose
// archive is missing, not a bundle, over the size limit or not the bytes its name hashes is a
// tombstone at its timestamp and a loss in `result`; an error reading it (I/O, permissions) is
// returned, so that a rebuild stops instead of voiding adds whose archives are intact.
class ArchiveEntries {
 public:
  explicit ArchiveEntries(const store::Layout& layout) : layout_(layout) {}
  [[nodiscard]] absl::StatusOr<format::BundleEntry> Entry(const store::Operation& op,
                                                          RebuildResult* result);

 private:
  const store::Layout& layout_;
  // (bundle id, archive) -> the bundle, or why it cannot be read.
  std::map<std::pair<std::string, Sha1Digest>, absl::StatusOr<bundle::Bundle>> bundles_;
};

}  // namespace artidx::indexer

#endif  // ARTIDX_INDEXER_SALVAGE_H_
