#include "store/segments.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "common/errors.h"
#include "common/sha1.h"
#include "common/strings.h"
#define XXH_INLINE_ALL
#include "xxhash.h"

namespace artidx::store {
namespace {

// Re-listing is needed only when a compaction deletes a segment between our listing and our
// opening it; each retry sees the compaction's output, so a few always suffice.
constexpr int kOpenAttempts = 8;

}  // namespace

bool IsSegmentName(std::string_view name) {
  return name.size() == 32 + kSegmentSuffix.size() && name.ends_with(kSegmentSuffix) &&
         name.find('/') == std::string_view::npos;
}

std::string SegmentName(std::string_view bytes) {
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name;
  for (uint64_t half : {h.high64, h.low64}) {
    for (int shift = 60; shift >= 0; shift -= 4) name.push_back(kHex[(half >> shift) & 15]);
  }
  return name.append(kSegmentSuffix);
}

namespace {

// A directory open for reading, closed when it leaves scope. Its descriptor opens the files
// listed in it relative to it.
class Dir {
 public:
  explicit Dir(const std::string& path)
      : dir_(::opendir(path.c_str())), error_(dir_ == nullptr ? errno : 0) {}
  ~Dir() {
    if (dir_ != nullptr) ::closedir(dir_);
  }
  Dir(const Dir&) = delete;
  Dir& operator=(const Dir&) = delete;

  bool ok() const { return dir_ != nullptr; }
  int error() const { return error_; }  // opendir's errno when not ok()
  int fd() const { return ::dirfd(dir_); }

  // Calls use(name) for every entry; false with errno set when reading fails.
  template <typename F>
  bool ForEach(F&& use) {
    for (;;) {
      errno = 0;  // readdir's only way to tell an error from the end
      const dirent* entry = ::readdir(dir_);
      if (entry == nullptr) return errno == 0;
      use(std::string_view(entry->d_name));
    }
  }

 private:
  DIR* dir_;
  int error_;
};

bool IsCoversName(std::string_view name) {
  return name.size() > 32 && name.ends_with(kCoversSuffix);
}

// The covers file `name` of `dir`, or nullopt when it cannot be read (deleted meanwhile).
std::optional<Covers> ReadCoversFile(const std::string& dir, std::string_view name) {
  Covers covers{StrCat(dir, "/", name), StrCat(name.substr(0, 32), kSegmentSuffix), {}};
  absl::StatusOr<std::string> text = common::ReadFile(covers.path, 64 << 20);
  if (!text.ok()) return std::nullopt;
  for (std::string_view rest = *text; !rest.empty();) {
    const size_t end = rest.find('\n');
    const std::string_view segment = rest.substr(0, end);
    if (IsSegmentName(segment) && segment != covers.output) covers.segments.emplace_back(segment);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  }
  return covers;
}

// ListSegments of `dir`, opened as `d`. One pass over the directory finds segments and covers
// files alike: listing it is most of what opening an index costs, and an index without covers
// files (the usual case) reads nothing more.
absl::StatusOr<std::vector<std::string>> LiveSegments(const std::string& dir, Dir& d) {
  if (!d.ok()) {
    if (d.error() == ENOENT) return std::vector<std::string>();
    return absl::InternalError(StrCat(dir, ": cannot list: ", std::strerror(d.error())));
  }
  std::vector<std::string> names, covers_names;
  const bool listed = d.ForEach([&](std::string_view name) {
    if (IsSegmentName(name)) {
      names.emplace_back(name);
    } else if (IsCoversName(name)) {
      covers_names.emplace_back(name);
    }
  });
  if (!listed) return absl::InternalError(StrCat(dir, ": cannot list: ", std::strerror(errno)));
  std::sort(names.begin(), names.end());
  if (covers_names.empty()) return names;
  absl::flat_hash_set<std::string> covered;
  for (const std::string& name : covers_names) {
    std::optional<Covers> covers = ReadCoversFile(dir, name);
    // A cover counts while its output exists; without it, its segments are either gone or
    // harmlessly merged again.
    if (!covers || !std::binary_search(names.begin(), names.end(), covers->output)) continue;
    for (std::string& segment : covers->segments) covered.insert(std::move(segment));
  }
  std::erase_if(names, [&](const std::string& n) { return covered.contains(n); });
  return names;
}

}  // namespace

std::vector<Covers> ReadCovers(const std::string& dir) {
  std::vector<std::string> names;
  if (Dir d(dir); d.ok()) {
    // What a failing listing reached is read, like the rest: covers files are best effort.
    d.ForEach([&](std::string_view name) {
      if (IsCoversName(name)) names.emplace_back(name);
    });
  }
  std::vector<Covers> all;
  for (const std::string& name : names) {
    if (std::optional<Covers> covers = ReadCoversFile(dir, name)) all.push_back(*std::move(covers));
  }
  return all;
}

absl::Status WriteCovers(const std::string& dir, std::string_view output,
                         std::string_view segments) {
  const std::string path = StrCat(dir, "/", output.substr(0, 32), "-",
                                  Sha1Digest::Of(segments).Hex().substr(0, 16), kCoversSuffix);
  return WriteFileAtomically(path, segments);
}

std::vector<std::string> CheckSegmentFiles(const std::string& dir) {
  std::vector<std::string> problems;
  for (const std::string& name : ListFileNames(dir)) {
    if (!name.ends_with(kSegmentSuffix)) continue;
    const std::string path = StrCat(dir, "/", name);
    absl::StatusOr<std::unique_ptr<MappedFile>> file = MappedFile::Open(path);
    if (absl::IsNotFound(file.status())) continue;  // a compaction deleted it meanwhile
    absl::Status s = file.status();
    if (s.ok()) {
      absl::StatusOr<format::IndexReader> reader = format::IndexReader::Open((*file)->data());
      s = reader.ok() ? reader->Verify() : reader.status();
    }
    if (!s.ok()) {
      // MappedFile's errors name the path already.
      problems.push_back(file.ok() ? StrCat(path, ": ", StdView(s.message()))
                                   : std::string(StdView(s.message())));
    }
  }
  return problems;
}

absl::StatusOr<std::vector<std::string>> ListSegments(const std::string& dir) {
  Dir d(dir);
  return LiveSegments(dir, d);
}

absl::StatusOr<std::vector<OpenSegment>> OpenSegments(const std::string& dir) {
  for (int attempt = 0; attempt < kOpenAttempts; ++attempt) {
    Dir d(dir);
    absl::StatusOr<std::vector<std::string>> names = LiveSegments(dir, d);
    if (!names.ok()) return names.status();
    if (names->empty()) {
      return WithKind(absl::NotFoundError(StrCat(dir, ": no such index")), ErrorKind::kNoSuchIndex);
    }
    std::vector<OpenSegment> segments;
    segments.reserve(names->size());
    bool vanished = false;
    for (std::string& name : *names) {
      absl::StatusOr<std::unique_ptr<MappedFile>> file = MappedFile::OpenAt(d.fd(), dir, name);
      if (absl::IsNotFound(file.status())) {
        vanished = true;
        break;
      }
      if (!file.ok()) return file.status();
      absl::StatusOr<format::IndexReader> reader = format::IndexReader::Open((*file)->data());
      if (!reader.ok()) {
        return absl::DataLossError(
            StrCat(dir, "/", name, ": ", StdView(reader.status().message())));
      }
      segments.push_back(OpenSegment{std::move(name), *std::move(file), *std::move(reader)});
    }
    if (!vanished) return segments;
  }
  return absl::UnavailableError(StrCat(dir, ": segments keep vanishing while being opened"));
}

absl::StatusOr<std::string> PublishSegment(const std::string& dir, std::string_view bytes) {
  std::string name = SegmentName(bytes);
  const std::string path = StrCat(dir, "/", name);
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return name;  // the same bytes, published already
  if (absl::Status s = WriteFileAtomically(path, bytes); !s.ok()) return s;
  return name;
}

}  // namespace artidx::store
