#include "store/local_backend.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "common/clock.h"
#include "common/strings.h"

namespace artidx::store {
namespace {

absl::Status SystemError(std::string_view what, const std::string& path, int err) {
  std::string message = StrCat(path, ": ", what, ": ", std::strerror(err));
  if (err == ENOENT || err == ENOTDIR) return absl::NotFoundError(message);
  return absl::InternalError(message);
}

// The ordered walk behind List. Sorting a directory's entries by their key, a directory's
// key being its name and '/', yields keys in byte order: every key under a directory starts
// with that directory's key, so the subtree is one contiguous run among its siblings.
// A writer's temporary file lives for one write; an hour-old one belongs to a dead writer.
constexpr int64_t kTemporaryMaxAgeMs = 3600 * 1000;

// Deletes `path` when it is a temporary file of WriteFileAtomically that a crashed writer left
// (best effort: a reader without write access leaves it).
void SweepIfAbandoned(const std::string& path) {
  if (!IsTemporaryName(std::string_view(path).substr(path.rfind('/') + 1))) return;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  const int64_t mtime_ms = int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000;
  if (NowMs() - mtime_ms > kTemporaryMaxAgeMs) ::unlink(path.c_str());
}

class Walker {
 public:
  Walker(std::string_view cursor, size_t want, Backend::ListMode mode,
         std::vector<std::string>* out)
      : cursor_(cursor), want_(want), mode_(mode), out_(out) {}

  // Lists the directory `path` whose entries' keys are `dir_key` + name, of the names that
  // start with `name_prefix`.
  absl::Status Walk(const std::string& path, const std::string& dir_key,
                    std::string_view name_prefix) {
    struct Entry {
      std::string key;
      std::string name;
      bool dir;
    };
    std::vector<Entry> entries;
    std::error_code ec;
    std::filesystem::directory_iterator it(path, ec);
    if (ec == std::errc::no_such_file_or_directory) return absl::OkStatus();
    // A file where a directory should be: no store there (FailedPrecondition, which
    // Layout::Exists takes for "none").
    if (ec == std::errc::not_a_directory) {
      return absl::FailedPreconditionError(StrCat(path, ": cannot list: ", ec.message()));
    }
    for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name.compare(0, name_prefix.size(), name_prefix) != 0) continue;
      std::error_code type_ec;
      const bool dir = it->is_directory(type_ec);
      if (type_ec || (!dir && !it->is_regular_file(type_ec))) continue;
      std::string key = StrCat(dir_key, name);
      if (!ValidateKey(key).ok()) {  // a temporary file, or not the store's
        if (!dir) SweepIfAbandoned(StrCat(path, "/", name));
        continue;
      }
      if (dir) key += '/';
      entries.push_back({std::move(key), std::move(name), dir});
    }
    if (ec) return absl::InternalError(StrCat(path, ": cannot list: ", ec.message()));
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.key < b.key; });
    for (const Entry& e : entries) {
      if (out_->size() >= want_) break;
      const bool after_cursor = std::string_view(e.key) > cursor_;
      if (!e.dir) {
        if (after_cursor) out_->push_back(e.key);
        continue;
      }
      // A subtree all of whose keys sort at or before the cursor.
      if (!after_cursor && cursor_.substr(0, e.key.size()) != e.key) continue;
      const std::string sub = StrCat(path, "/", e.name);
      if (mode_ == Backend::ListMode::kOneLevel) {
        absl::StatusOr<bool> has = HasFile(sub);
        if (!has.ok()) return has.status();
        if (after_cursor && *has) out_->push_back(e.key);
        continue;
      }
      if (absl::Status s = Walk(sub, e.key, ""); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  // Whether a key lives under the directory (an object store has no empty directories).
  static absl::StatusOr<bool> HasFile(const std::string& path) {
    std::error_code ec;
    for (std::filesystem::recursive_directory_iterator it(path, ec), end; !ec && it != end;
         it.increment(ec)) {
      std::error_code type_ec;
      if (!it->is_regular_file(type_ec)) continue;
      if (ValidateKey(it->path().filename().string()).ok()) return true;
      // A directory that holds only a crashed writer's temporary file is listed by no one
      // else: sweep here what the walk above sweeps in listed directories.
      SweepIfAbandoned(it->path().string());
    }
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return absl::InternalError(StrCat(path, ": cannot list: ", ec.message()));
    }
    return false;
  }

  std::string_view cursor_;
  size_t want_;
  Backend::ListMode mode_;
  std::vector<std::string>* out_;
};

}  // namespace

LocalBackend::LocalBackend(std::string root) : root_(std::move(root)) {}

std::string LocalBackend::PathOf(std::string_view key) const { return StrCat(root_, "/", key); }

absl::StatusOr<Backend::Listing> LocalBackend::List(std::string_view prefix,
                                                    std::string_view cursor, size_t limit,
                                                    ListMode mode) {
  if (limit == 0) return absl::InvalidArgumentError("a listing's limit must be at least 1");
  // The directory the prefix names completely, and the start of names in it.
  const size_t slash = prefix.rfind('/');
  const std::string dir_key(slash == std::string_view::npos ? "" : prefix.substr(0, slash + 1));
  if (!dir_key.empty()) {
    if (absl::Status s = ValidateKey(prefix.substr(0, slash)); !s.ok()) return s;
  }
  Listing listing;
  // One more than asked: whether it is there says whether another page follows.
  Walker walker(cursor, limit + 1, mode, &listing.keys);
  const std::string dir = dir_key.empty() ? root_ : PathOf(prefix.substr(0, slash));
  if (absl::Status s = walker.Walk(dir, dir_key, prefix.substr(dir_key.size())); !s.ok()) {
    return s;
  }
  if (listing.keys.size() > limit) {
    listing.keys.pop_back();
    listing.next_cursor = listing.keys.back();
  }
  return listing;
}

absl::StatusOr<std::string> LocalBackend::Read(std::string_view key, uint64_t max_bytes) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  return common::ReadFile(PathOf(key), max_bytes);
}

absl::StatusOr<std::string> LocalBackend::ReadRange(std::string_view key, uint64_t offset,
                                                    uint64_t length) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  const std::string path = PathOf(key);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return SystemError("open", path, errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) return SystemError("stat", path, errno);
  if (!S_ISREG(st.st_mode)) return absl::InvalidArgumentError(path + ": not a regular file");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (offset >= size) return std::string();
  std::string data(static_cast<size_t>(std::min(length, size - offset)), '\0');
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n =
        ::pread(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SystemError("read", path, errno);
    if (n == 0) return absl::DataLossError(path + ": file shrank while being read");
    done += static_cast<size_t>(n);
  }
  return data;
}

absl::StatusOr<Backend::KeyInfo> LocalBackend::Stat(std::string_view key) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  const std::string path = PathOf(key);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return SystemError("stat", path, errno);
  if (!S_ISREG(st.st_mode)) return absl::InvalidArgumentError(path + ": not a regular file");
  return KeyInfo{static_cast<uint64_t>(st.st_size),
                 int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000};
}

absl::Status LocalBackend::Touch(std::string_view key) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  return TouchFile(PathOf(key));
}

absl::Status LocalBackend::Write(std::string_view key, std::string_view data, Sync sync) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  return WriteFileAtomically(PathOf(key), data, sync);
}

absl::Status LocalBackend::SyncWrites() { return SyncFileSystem(root_); }

absl::Status LocalBackend::Delete(std::string_view key) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  if (absl::Status s = RemoveFile(PathOf(key)); !s.ok()) return s;
  // The directories the key leaves empty, below its top-level one: an rmdir fails on a
  // directory that is not empty (something arrived meanwhile), and stops.
  for (size_t slash = key.rfind('/'); slash != std::string_view::npos && slash > 0;
       slash = key.rfind('/', slash - 1)) {
    if (key.substr(0, slash).find('/') == std::string_view::npos) break;  // the top level
    if (::rmdir(PathOf(key.substr(0, slash)).c_str()) != 0) break;
  }
  return absl::OkStatus();
}

namespace {

class LockOffice final : public Backend::Office {
 public:
  explicit LockOffice(std::unique_ptr<FileLock> lock) : lock_(std::move(lock)) {}

 private:
  std::unique_ptr<FileLock> lock_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Backend::Office>> LocalBackend::Elect(std::string_view prefix,
                                                                     bool wait) {
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  const std::string dir = prefix.empty() ? root_ : PathOf(prefix);
  absl::StatusOr<std::unique_ptr<FileLock>> lock =
      wait ? FileLock::Acquire(dir) : FileLock::TryAcquire(dir);
  if (!lock.ok()) return lock.status();
  if (*lock == nullptr) return std::unique_ptr<Office>();
  return std::unique_ptr<Office>(new LockOffice(*std::move(lock)));
}

absl::StatusOr<std::unique_ptr<MappedFile>> LocalBackend::Map(std::string_view key,
                                                              uint64_t max_bytes) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  const std::string path = PathOf(key);
  absl::StatusOr<std::unique_ptr<MappedFile>> file = MappedFile::Open(path);
  if (!file.ok()) return file.status();
  if ((*file)->data().size() > max_bytes) {
    return absl::ResourceExhaustedError(
        StrCat(path, ": ", (*file)->data().size(), " bytes is over the limit of ", max_bytes));
  }
  return file;
}

}  // namespace artidx::store
