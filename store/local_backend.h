// LocalBackend: a store in a directory of the local file system. A key is the file at
// <root>/<key>. Writes go through WriteFileAtomically (a temporary file beside the key,
// fsynced, renamed over it, the directory fsynced: SPEC.md 19.1), which listings never show.
// Map maps the file itself.
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
  explicit LocalBackend(std::string root) : root_(std::move(root)) {}

  std::string Describe() const override { return root_; }
  absl::StatusOr<Listing> List(std::string_view prefix, std::string_view cursor, size_t limit,
                               ListMode mode) override;
  absl::StatusOr<std::string> Read(std::string_view key, uint64_t max_bytes) override;
  absl::StatusOr<std::string> ReadRange(std::string_view key, uint64_t offset,
                                        uint64_t length) override;
  absl::StatusOr<uint64_t> Size(std::string_view key) override;
  absl::Status Write(std::string_view key, std::string_view data) override;
  absl::Status Delete(std::string_view key) override;
  absl::StatusOr<std::unique_ptr<MappedFile>> Map(std::string_view key,
                                                  uint64_t max_bytes) override;

  // The file that holds `key` (which is not validated).
  std::string PathOf(std::string_view key) const;

 private:
  std::string root_;
};

}  // namespace artidx::store

#endif  // ARTIDX_STORE_LOCAL_BACKEND_H_
