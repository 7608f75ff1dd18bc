// File-system primitives: crash-safe replacement of a file, memory mappings, advisory locks,
// and a file's existence. On store files only LocalBackend uses them (every other store/
// module goes through the Backend, store/backend.h); the S3 backend's cache uses them on its
// copies, and the CLI and the Python package write the bundles `make-bundle` makes with
// WriteFileAtomically. Every error names the path and the system's reason.
//
// Thread-safe: the functions share no state; MappedFile and FileLock are owned by one caller at
// a time (a MappedFile's bytes may be read from many threads).

#ifndef ARTIDX_STORE_FILE_UTIL_H_
#define ARTIDX_STORE_FILE_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/file.h"

namespace artidx::store {

// When a write is durable: when it returns (kNow), or once SyncFileSystem returns (kDeferred),
// so that a batch of writes costs one durable step instead of one per file and directory.
enum class Sync { kNow, kDeferred };

// Replaces `path` by `data` so that a crash at any point leaves either the old file or the new
// one, never a torn one, and a success is durable: a uniquely named temporary beside it is
// written and fsynced, renamed over `path`, and the directory fsynced (with kDeferred: no
// fsync, the caller calls SyncFileSystem before anything relies on the file's durability).
// Creates missing parent directories (again, when a concurrent deletion removes one before the
// temporary file is in it).
[[nodiscard]] absl::Status WriteFileAtomically(const std::string& path, std::string_view data,
                                               Sync sync = Sync::kNow);

// Makes every completed write to the file system that holds `path` durable (syncfs(2)): the one
// durable step of a batch of kDeferred writes.
[[nodiscard]] absl::Status SyncFileSystem(const std::string& path);

// Sets the file's modification time to now (its age for gc). NotFound when it does not exist.
[[nodiscard]] absl::Status TouchFile(const std::string& path);

// Deletes a file; succeeds when it is already gone.
[[nodiscard]] absl::Status RemoveFile(const std::string& path);

// Fault injection for the crash tests. Every step of the store's write path (each write,
// rename, directory sync and deletion; on S3, each PUT and DELETE, and each step of writing a
// copy into the local cache) passes a crash point; when $ARTIDX_CRASH_AT is N, the
// N-th crash point of the process ends it at once with kCrashExitCode, as kill -9 there would.
void CrashPoint();
inline constexpr int kCrashExitCode = 86;

// The paths of the directories directly in `dir`, sorted; empty when `dir` does not exist
// (for tests and benchmarks that look at a local store's files).
std::vector<std::string> ListDirectories(const std::string& dir);

// Whether `path` exists.
bool FileExists(const std::string& path);

// Whether `path` is a directory.
bool IsDirectory(const std::string& path);

// Creates the directory and its missing parents, each synced into its parent (with kDeferred:
// left to SyncFileSystem); succeeds if it exists.
[[nodiscard]] absl::Status MakeDirs(const std::string& path, Sync sync = Sync::kNow);

// The identity of a file as it was opened: a file written to or replaced gets a new
// modification or change time, or a new inode.
struct FileIdentity {
  uint64_t dev, ino, size;
  int64_t mtime_ns, ctime_ns;
  friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const FileIdentity& f) {
    return H::combine(std::move(h), f.dev, f.ino, f.size, f.mtime_ns, f.ctime_ns);
  }
};

// A read-only shared mapping of a whole file. The bytes stay valid until destruction, even if
// the file is replaced or unlinked meanwhile (a replaced file is a new inode).
class MappedFile {
 public:
  // NotFound when the file does not exist.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view data() const { return {static_cast<const char*>(addr_), size_}; }
  // The identity of the file whose bytes these are (from the descriptor that was mapped).
  const FileIdentity& identity() const { return identity_; }

 private:
  MappedFile(void* addr, size_t size, const FileIdentity& identity)
      : addr_(addr), size_(size), identity_(identity) {}
  // Maps the file that ::open gave (negative: its error is in errno); `path` gives its path for
  // errors, built only when there is one.
  static absl::StatusOr<std::unique_ptr<MappedFile>> Map(int fd_or_error,
                                                         absl::FunctionRef<std::string()> path);
  void* addr_;
  size_t size_;
  FileIdentity identity_;
};

// An exclusive flock(2) on a file or directory, held until destruction or the process's end
// (the kernel releases it when a holder dies, so a crash never leaves it held). Advisory: it
// elects one compactor per index directory, which only saves repeated work.
class FileLock {
 public:
  // Waits until the lock is free.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<FileLock>> Acquire(const std::string& path);
  // nullptr, without waiting, when another open file holds the lock (another process, or another
  // open of `path` in this one).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<FileLock>> TryAcquire(
      const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  static absl::StatusOr<std::unique_ptr<FileLock>> Lock(const std::string& path, bool wait);
  int fd_;
};

}  // namespace artidx::store

#endif  // ARTIDX_STORE_FILE_UTIL_H_
