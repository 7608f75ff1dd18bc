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

// Writes `ref` into `dir` as "<SHA-1 of its bytes>.ref" unless it is there already; durable
// when it returns, or with Sync::kDeferred once store::SyncFileSystem returns.
[[nodiscard]] absl::Status WriteRef(const std::string& dir, const Ref& ref, Sync sync = Sync::kNow);
// Every reference in `dir`, with its path; empty when `dir` does not exist.
[[nodiscard]] absl::StatusOr<std::vector<std::pair<std::string, Ref>>> ReadRefs(
    const std::string& dir);

class Layout;

// Every bundle id's references in a store, one bundle id at a time, in the order of the ids:
// the add references (Of::kAdds: bundles/<id>/refs/) or the removal references (Of::kRemovals:
// removals/<id>/). What gc, rebuild and verify walk.
//
//   for (store::RefWalk walk(layout, store::RefWalk::Of::kAdds); walk.Next();) {
//     absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs = walk.Refs();
//     ...
//   }
class RefWalk {
 public:
  enum class Of { kAdds, kRemovals };
  RefWalk(const Layout& layout, Of of);

  // Moves to the next bundle id (the first, on the first call); false past the last.
  bool Next();
  const std::string& bundle_id() const { return ids_[next_ - 1]; }
  // The directory that holds the current bundle id's references.
  const std::string& dir() const { return dir_; }
  // The current bundle id's references (as ReadRefs gives them).
  [[nodiscard]] absl::StatusOr<std::vector<std::pair<std::string, Ref>>> Refs() const;

 private:
  const Layout& layout_;
  Of of_;
  std::vector<std::string> ids_;
  size_t next_ = 0;
  std::string dir_;
};

}  // namespace artidx::store

#endif  // ARTIDX_STORE_REFS_H_
