// References: the store's record of every add and removal (SPEC.md "References"). An add
// leaves one reference per (bundle, index) under bundles/<id>/refs/, naming the archive and
// timestamp; a removal leaves one per index under removals/<id>/. `rm` finds the indexes of a
// bundle through them, `gc` ages bundles by them, and `rebuild` regenerates every index from
// them and the archives; RefWalk is the one walk over all of them (gc, rebuild, verify).
//
// Thread-safe: functions share no state.

#ifndef ARTIDX_STORE_REFS_H_
#define ARTIDX_STORE_REFS_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sha1.h"
#include "format/index_content.h"
#include "store/file_util.h"

namespace artidx::store {

struct Ref {
  bool removal = false;
  format::IndexId identity;   // the index the operation was on
  Sha1Digest archive_sha1{};  // zero for a removal
  int64_t timestamp_ms = 0;
};

std::string EncodeRef(const Ref& ref);
// DataLoss naming `path` when `text` is not a valid reference.
[[nodiscard]] absl::StatusOr<Ref> DecodeRef(const std::string& path, std::string_view text);

class Layout;

// Writes `ref` into the directory `dir` of the store as "<SHA-1 of its bytes>.ref" unless it is
// there already; durable when it returns, or with Sync::kDeferred once Backend::SyncWrites
// returns.
[[nodiscard]] absl::Status WriteRef(const Layout& layout, const std::string& dir, const Ref& ref,
                                    Sync sync = Sync::kNow);
// Every reference in `dir`, with its name, sorted by name; empty when `dir` holds none.
// DataLoss naming the first damaged one (see ScanRefs).
[[nodiscard]] absl::StatusOr<std::vector<std::pair<std::string, Ref>>> ReadRefs(
    const Layout& layout, const std::string& dir);

// The references of `dir` that are intact, and those that are damaged with what is wrong: a
// reference is damaged when its bytes are not a valid reference or its name is not the SHA-1
// of its bytes (so no damage to a reference's bytes goes unnoticed). Errors only when `dir`
// or a file in it cannot be read.
struct RefScan {
  std::vector<std::pair<std::string, Ref>> refs;              // (name, reference), by name
  std::vector<std::pair<std::string, absl::Status>> damaged;  // (name, DataLoss), by name
};
[[nodiscard]] absl::StatusOr<RefScan> ScanRefs(const Layout& layout, const std::string& dir);

// Every bundle id's references in a store, one bundle id at a time, in the order of the ids:
// the add references (Of::kAdds: bundles/<id>/refs/) or the removal references (Of::kRemovals:
// removals/<id>/). What gc, rebuild and verify walk.
//
//   store::RefWalk walk(layout, store::RefWalk::Of::kAdds);
//   while (walk.Next()) {
//     absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs = walk.Refs();
//     ...
//   }
//   if (!walk.status().ok()) return walk.status();  // the bundle ids could not be listed
class RefWalk {
 public:
  enum class Of { kAdds, kRemovals };
  RefWalk(const Layout& layout, Of of);

  // Moves to the next bundle id (the first, on the first call); false past the last, or when
  // the bundle ids could not be listed (status() says so).
  bool Next();
  const absl::Status& status() const { return status_; }
  const std::string& bundle_id() const { return ids_[next_ - 1]; }
  // The directory that holds the current bundle id's references.
  const std::string& dir() const { return dir_; }
  // The current bundle id's references (as ReadRefs gives them).
  [[nodiscard]] absl::StatusOr<std::vector<std::pair<std::string, Ref>>> Refs() const;
  // The current bundle id's references, intact and damaged (as ScanRefs gives them).
  [[nodiscard]] absl::StatusOr<RefScan> Scan() const;

 private:
  const Layout& layout_;
  Of of_;
  absl::Status status_;
  std::vector<std::string> ids_;
  size_t next_ = 0;
  std::string dir_;
};

}  // namespace artidx::store

#endif  // ARTIDX_STORE_REFS_H_
