// LocalBackend: a store in a directory of the local file system. A key is the file at
// <root>/<key>. Writes go through WriteFileAtomically (a temporary file beside the key,
// fsynced, renamed over it, the directory fsynced: SPEC.md 19.1; every step passes a
// CrashPoint), which listings never show; a listing deletes the temporary files in the
// directories it reads that are over an hour old (a crashed writer's). A key's age is its
// file's modification time, which Touch sets (utimensat). Delete removes the directories it
// leaves empty below the top-level one (rmdir, which leaves a directory that gained a file
// meanwhile); a Write that finds its directory removed makes it again. Elect is a flock(2) on
// the prefix's directory. Map maps the file itself.
//
// Thread-safe: it holds only the root's path; processes share a store through the file system.

#ifndef ARTIDX_STORE_LOCAL_BACKEND_H_
#define ARTIDX_STORE_LOCAL_BACKEND_H_

#include <string>

#include "store/backend.h"

namespace artidx::store {

class LocalBackend final : public Backend {
 public:
  // `root` need not exist: the first Write creates it.
  explicit LocalBackend(std::string root);

  std::string Describe() const override { return root_; }
  absl::StatusOr<Listing> List(std::string_view prefix, std::string_view cursor, size_t limit,
                               ListMode mode) override;
  absl::StatusOr<std::string> Read(std::string_view key, uint64_t max_bytes) override;
  absl::StatusOr<std::string> ReadRange(std::string_view key, uint64_t offset,
                                        uint64_t length) override;
  absl::StatusOr<KeyInfo> Stat(std::string_view key) override;
  absl::Status Touch(std::string_view key) override;
  absl::Status Write(std::string_view key, std::string_view data, Sync sync) override;
  absl::Status SyncWrites() override;
  absl::Status Delete(std::string_view key) override;
  absl::StatusOr<std::unique_ptr<Office>> Elect(std::string_view prefix, bool wait) override;
  absl::StatusOr<std::unique_ptr<MappedFile>> Map(std::string_view key,
                                                  uint64_t max_bytes) override;

  // The file that holds `key` (which is not validated).
  std::string PathOf(std::string_view key) const;

 private:
  std::string root_;
};

}  // namespace artidx::store

#endif  // ARTIDX_STORE_LOCAL_BACKEND_H_
