#include "store/file_util.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "common/strings.h"

namespace artidx::store {
namespace {

absl::Status ErrnoError(std::string_view what, const std::string& path, int err) {
  std::string message = StrCat(path, ": ", what, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  return absl::InternalError(message);
}

// Closes a descriptor when it leaves scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  // Closes the descriptor held, and holds `fd` instead.
  void reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  int get() const { return fd_; }
  // Gives up ownership: the descriptor stays open.
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> ListDirectories(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec)) out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

absl::Status MakeDirs(const std::string& path, Sync sync) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::InternalError(StrCat(path, ": cannot create directory: a file is in the way"));
  }
  const std::filesystem::path p(path);
  const std::string parent = p.has_relative_path() && p.has_parent_path()
                                 ? p.parent_path().string()
                                 : std::string(p.is_absolute() ? "/" : ".");
  // ENOENT: a deletion that emptied the parent removed it after it was made (a
  // LocalBackend::Delete racing this), before or after the directory was made in it (which
  // went with it): make both again.
  for (int attempt = 0;; ++attempt) {
    if (parent != path) {
      if (absl::Status s = MakeDirs(parent, sync); !s.ok()) return s;
    }
    // EEXIST: another process made it meanwhile; syncing it too costs little.
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      if (errno != ENOENT || attempt == 100) return ErrnoError("mkdir", path, errno);
      continue;
    }
    if (sync == Sync::kDeferred) return absl::OkStatus();
    // A new directory's name is in its parent's data: without this, a file made durable in it
    // could be unreachable after a power loss.
    Fd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (parent_fd.get() >= 0 && ::fsync(parent_fd.get()) == 0) return absl::OkStatus();
    const int err = errno;
    if (err != ENOENT || attempt == 100) return ErrnoError("fsync", parent, err);
  }
}

void CrashPoint() {
  static const long crash_at = [] {
    const char* env = std::getenv("ARTIDX_CRASH_AT");
    return env == nullptr ? 0 : std::strtol(env, nullptr, 10);
  }();
  static std::atomic<long> passed{0};
  if (crash_at > 0 && ++passed == crash_at) ::_exit(kCrashExitCode);
}

absl::Status TouchFile(const std::string& path) {
  if (::utimensat(AT_FDCWD, path.c_str(), nullptr, 0) != 0) return ErrnoError("touch", path, errno);
  return absl::OkStatus();
}

absl::Status RemoveFile(const std::string& path) {
  CrashPoint();
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("unlink", path, errno);
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view data, Sync sync) {
  const std::filesystem::path target(path);
  const std::string dir = target.parent_path().empty() ? "." : target.parent_path().string();
  if (absl::Status s = MakeDirs(dir, sync); !s.ok()) return s;
  // Unique among processes (pid) and among threads and calls of one process (counter).
  static std::atomic<uint64_t> counter{0};
  const std::string temp = StrCat(path, ".tmp.", ::getpid(), ".", counter++);
  CrashPoint();
  {
    Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    // A deletion that emptied the directory removed it after MakeDirs made sure of it (a
    // LocalBackend::Delete racing this write): make it again. Once the temporary file is in
    // it, the directory is not empty and stays.
    for (int retry = 0; fd.get() < 0 && errno == ENOENT && retry < 100; ++retry) {
      if (absl::Status s = MakeDirs(dir, sync); !s.ok()) return s;
      fd.reset(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    }
    if (fd.get() < 0) return ErrnoError("create", temp, errno);
    absl::Status s = WriteAll(fd.get(), data, temp);
    if (s.ok() && sync == Sync::kNow && ::fsync(fd.get()) != 0) {
      s = ErrnoError("fsync", temp, errno);
    }
    if (!s.ok()) {
      ::unlink(temp.c_str());
      return s;
    }
  }
  CrashPoint();
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return ErrnoError("rename", path, err);
  }
  if (sync == Sync::kDeferred) return absl::OkStatus();
  CrashPoint();
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0 || ::fsync(dir_fd.get()) != 0) return ErrnoError("fsync", dir, errno);
  CrashPoint();
  return absl::OkStatus();
}

absl::Status SyncFileSystem(const std::string& path) {
  CrashPoint();
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0 || ::syncfs(fd.get()) != 0) return ErrnoError("syncfs", path, errno);
  CrashPoint();
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<MappedFile>> MappedFile::Open(const std::string& path) {
  return Map(::open(path.c_str(), O_RDONLY | O_CLOEXEC), [&] { return path; });
}

absl::StatusOr<std::unique_ptr<MappedFile>> MappedFile::Map(int fd_or_error,
                                                            absl::FunctionRef<std::string()> path) {
  if (fd_or_error < 0) {
    const int err = errno;  // before path() can allocate
    return ErrnoError("open", path(), err);
  }
  Fd fd(fd_or_error);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    const int err = errno;
    return ErrnoError("stat", path(), err);
  }
  if (!S_ISREG(st.st_mode)) return absl::InvalidArgumentError(path() + ": not a regular file");
  const size_t size = static_cast<size_t>(st.st_size);
  const FileIdentity identity{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                              static_cast<uint64_t>(st.st_size),
                              int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec,
                              int64_t{st.st_ctim.tv_sec} * 1'000'000'000 + st.st_ctim.tv_nsec};
  if (size == 0) return std::unique_ptr<MappedFile>(new MappedFile(nullptr, 0, identity));
  void* addr = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd.get(), 0);
  if (addr == MAP_FAILED) {
    const int err = errno;
    return ErrnoError("mmap", path(), err);
  }
  return std::unique_ptr<MappedFile>(new MappedFile(addr, size, identity));
}

MappedFile::~MappedFile() {
  if (addr_ != nullptr) ::munmap(addr_, size_);
}

absl::StatusOr<std::unique_ptr<FileLock>> FileLock::Acquire(const std::string& path) {
  return Lock(path, /*wait=*/true);
}

absl::StatusOr<std::unique_ptr<FileLock>> FileLock::TryAcquire(const std::string& path) {
  return Lock(path, /*wait=*/false);
}

absl::StatusOr<std::unique_ptr<FileLock>> FileLock::Lock(const std::string& path, bool wait) {
  // Read-only, so that a directory can be locked too; flock needs no write access.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("open lock", path, errno);
  while (::flock(fd.get(), wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK && !wait) return std::unique_ptr<FileLock>();
    return ErrnoError("flock", path, errno);
  }
  return std::unique_ptr<FileLock>(new FileLock(fd.release()));
}

FileLock::~FileLock() { ::close(fd_); }

}  // namespace artidx::store
