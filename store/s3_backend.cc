#include "store/s3_backend.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "common/strings.h"
#include "store/file_util.h"
#include "store/seekable_zstd.h"

namespace artidx::store {
namespace {

// A listing gives up after this many pages in a row that bring nothing new (a server that
// keeps answering "truncated" with nothing in it).
constexpr int kMaxEmptyPages = 100;

// Index segments are kept compressed (seekable zstd, SPEC.md 18.3); everything else as it is.
bool Compressed(std::string_view key) { return key.ends_with(".aix"); }

// Touch's marker of a key's use: "<object><suffix>", empty.
constexpr std::string_view kUseMarkerSuffix = ".use-marker";

bool ValidBucket(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  for (char c : bucket) {
    if (!alnum(c) && c != '.' && c != '-') return false;
  }
  return alnum(bucket.front()) && alnum(bucket.back());
}

}  // namespace

absl::StatusOr<S3Location> ParseS3Location(std::string_view url) {
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("invalid store \"", url.substr(0, 200), "\": ", why));
  };
  if (url.substr(0, 5) != "s3://") return invalid("not s3://BUCKET[/PREFIX]");
  std::string_view rest = url.substr(5);
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const size_t slash = rest.find('/');
  S3Location location;
  location.bucket = std::string(rest.substr(0, slash));
  if (!ValidBucket(location.bucket)) {
    return invalid("a bucket name is 3 to 63 characters of a-z, 0-9, '.' and '-'");
  }
  if (slash != std::string_view::npos) {
    location.prefix = std::string(rest.substr(slash + 1));
    if (absl::Status s = ValidateKey(location.prefix); !s.ok()) {
      return invalid(StrCat("bad prefix: ", s.message()));
    }
  }
  return location;
}

absl::StatusOr<std::unique_ptr<Backend>> S3Backend::Open(S3Location location, S3Config config,
                                                         const BackendOptions& options) {
  return std::unique_ptr<Backend>(new S3Backend(std::move(location), std::move(config), options));
}

S3Backend::S3Backend(S3Location location, S3Config config, const BackendOptions& options)
    : location_(std::move(location)),
      object_prefix_(location_.prefix.empty() ? "" : location_.prefix + "/"),
      cache_dir_(options.cache_dir),
      // One directory per store (endpoint, bucket and prefix), so that stores never share
      // copies.
      cache_root_(options.cache_dir.empty()
                      ? std::string()
                      : StrCat(options.cache_dir, "/s3-",
                               Sha256Hex(StrCat(config.endpoint, "\n", location_.bucket, "\n",
                                                location_.prefix))
                                   .substr(0, 32))),
      cache_max_bytes_(options.cache_max_bytes),
      client_(std::move(config), location_.bucket) {}

std::string S3Backend::Describe() const {
  return StrCat("s3://", location_.bucket, location_.prefix.empty() ? "" : "/", location_.prefix);
}

std::string S3Backend::ObjectOf(std::string_view key) const { return StrCat(object_prefix_, key); }

template <typename T>
absl::StatusOr<T> S3Backend::Named(std::string_view key, absl::StatusOr<T> result) const {
  if (result.ok()) return result;
  return absl::Status(result.status().code(),
                      StrCat(Describe(), "/", key, ": ", result.status().message()));
}

absl::StatusOr<Backend::Listing> S3Backend::List(std::string_view prefix, std::string_view cursor,
                                                 size_t limit, ListMode mode) {
  if (limit == 0) return absl::InvalidArgumentError("a listing's limit must be at least 1");
  const std::string object_prefix = ObjectOf(prefix);
  const bool one_level = mode == ListMode::kOneLevel;
  const std::string start_after = cursor.empty() ? std::string() : ObjectOf(cursor);
  auto malformed = [&](std::string_view why, std::string_view name) {
    return absl::DataLossError(
        StrCat(Describe(), ": listing \"", prefix, "\": ", why, ": \"", name.substr(0, 200), "\""));
  };
  // One more than asked: whether it is there says whether another page follows.
  const size_t want = limit + 1;
  Listing listing;
  std::vector<std::string>& out = listing.keys;
  std::string token;
  for (int empty_pages = 0;;) {
    absl::StatusOr<S3ListPage> page = client_.List(
        object_prefix, one_level ? "/" : "", token.empty() ? std::string_view(start_after) : "",
        token, static_cast<int>(std::min<size_t>(want - out.size(), 1000)));
    if (!page.ok()) return page.status();
    if (!one_level && !page->common_prefixes.empty()) {
      return malformed("a common prefix in a listing without delimiter",
                       page->common_prefixes.front());
    }
    // Objects and common prefixes come in separate lists; together they are one ordered run.
    std::vector<std::string> names = std::move(page->keys);
    names.insert(names.end(), page->common_prefixes.begin(), page->common_prefixes.end());
    std::sort(names.begin(), names.end());
    bool progress = false;
    for (std::string& name : names) {
      if (name.compare(0, object_prefix.size(), object_prefix) != 0) {
        return malformed("a name outside the prefix", name);
      }
      std::string key = name.substr(object_prefix_.size());
      // The common prefix that the cursor names comes again after it.
      if (std::string_view(key) <= cursor) continue;
      if (!out.empty() && key <= out.back()) return malformed("names out of order", name);
      std::string_view bare = key;
      if (!bare.empty() && bare.back() == '/') bare.remove_suffix(1);
      if (!ValidateKey(bare).ok() || bare.ends_with(kUseMarkerSuffix)) continue;  // not a key
      progress = true;
      if (out.size() < want) out.push_back(std::move(key));
    }
    if (!page->truncated || out.size() >= want) break;
    if (!progress && ++empty_pages > kMaxEmptyPages) {
      return malformed("pages with nothing new", page->next_continuation_token);
    }
    token = std::move(page->next_continuation_token);
  }
  if (out.size() > limit) {
    out.pop_back();
    listing.next_cursor = out.back();
  }
  return listing;
}

absl::StatusOr<std::string> S3Backend::Read(std::string_view key, uint64_t max_bytes) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  if (!Compressed(key)) return client_.Get(ObjectOf(key), max_bytes);
  absl::StatusOr<std::string> object = client_.Get(ObjectOf(key), MaxSeekableBytes(max_bytes));
  if (!object.ok()) return object.status();
  return Named(key, DecompressSeekable(*object, max_bytes));
}

absl::StatusOr<SeekTable> S3Backend::ReadSeekTable(std::string_view key, uint64_t object_size) {
  // The table's size comes from the (untrusted) object: a table of over 16 MiB (a segment of
  // over 128 GiB) is taken for damage before any of it is fetched.
  constexpr uint64_t kMaxTableBytes = 16 << 20;
  // The table of a segment of up to 255 MiB fits in the object's last 32 KiB, one request.
  uint64_t tail_bytes = std::min<uint64_t>(object_size, 32 << 10);
  if (tail_bytes == 0) {
    return Named<SeekTable>(key, SeekTableSize("").status());
  }
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<std::string> tail =
        client_.GetRange(ObjectOf(key), object_size - tail_bytes, tail_bytes);
    if (!tail.ok()) return tail.status();
    absl::StatusOr<uint64_t> table_size = SeekTableSize(*tail);
    if (!table_size.ok()) return Named<SeekTable>(key, table_size.status());
    if (*table_size <= tail->size() || attempt == 1 || *table_size > object_size ||
        *table_size > kMaxTableBytes) {
      return Named(key, ParseSeekTable(*tail, object_size, UINT64_MAX));
    }
    tail_bytes = *table_size;
  }
}

absl::StatusOr<std::string> S3Backend::ReadRange(std::string_view key, uint64_t offset,
                                                 uint64_t length) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  if (!Compressed(key)) {
    if (length == 0) {
      absl::StatusOr<S3Client::ObjectInfo> info = client_.Head(ObjectOf(key));
      if (!info.ok()) return info.status();
      return std::string();
    }
    return client_.GetRange(ObjectOf(key), offset, length);
  }
  absl::StatusOr<S3Client::ObjectInfo> object = client_.Head(ObjectOf(key));
  if (!object.ok()) return object.status();
  absl::StatusOr<SeekTable> table = ReadSeekTable(key, object->size);
  if (!table.ok()) return table.status();
  const auto [first, last] = table->FramesFor(offset, length);
  if (first == last) return std::string();
  const SeekTable::Frame& a = table->frames[first];
  const SeekTable::Frame& z = table->frames[last - 1];
  absl::StatusOr<std::string> compressed =
      client_.GetRange(ObjectOf(key), a.compressed_offset,
                       z.compressed_offset + z.compressed_size - a.compressed_offset);
  if (!compressed.ok()) return compressed.status();
  absl::StatusOr<std::string> data = DecompressFrames(*table, first, last, *compressed);
  if (!data.ok()) return Named<std::string>(key, data.status());
  const uint64_t skip = offset - a.decompressed_offset;
  return data->substr(skip, std::min<uint64_t>(length, data->size() - skip));
}

absl::StatusOr<Backend::KeyInfo> S3Backend::Stat(std::string_view key) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  absl::StatusOr<S3Client::ObjectInfo> object = client_.Head(ObjectOf(key));
  if (!object.ok()) return object.status();
  // A segment is stored compressed (its stored size is what Stat gives) and never renewed: one
  // HEAD answers.
  if (Compressed(key)) return KeyInfo{object->size, object->modified_ms};
  absl::StatusOr<S3Client::ObjectInfo> marker =
      client_.Head(StrCat(ObjectOf(key), kUseMarkerSuffix));
  if (!marker.ok() && !absl::IsNotFound(marker.status())) return marker.status();
  return KeyInfo{object->size, marker.ok() ? std::max(object->modified_ms, marker->modified_ms)
                                           : object->modified_ms};
}

absl::Status S3Backend::Touch(std::string_view key) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  if (Compressed(key)) {
    return absl::InvalidArgumentError(
        StrCat(Describe(), ": ", key, ": an index segment is never renewed"));
  }
  if (absl::Status s = client_.Head(ObjectOf(key)).status(); !s.ok()) return s;
  CrashPoint();
  return client_.Put(StrCat(ObjectOf(key), kUseMarkerSuffix), "");
}

absl::StatusOr<std::unique_ptr<Backend::Office>> S3Backend::Elect(std::string_view, bool) {
  return std::make_unique<Office>();
}

absl::Status S3Backend::Write(std::string_view key, std::string_view data, Sync) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  if (object_prefix_.size() + key.size() > kMaxKeyBytes) {
    return absl::InvalidArgumentError(StrCat(Describe(), ": key \"", key.substr(0, 200),
                                             "\" with the prefix is over ", kMaxKeyBytes,
                                             " bytes"));
  }
  CrashPoint();
  if (!Compressed(key)) return client_.Put(ObjectOf(key), data);
  return client_.Put(ObjectOf(key), CompressSeekable(data));
}

absl::Status S3Backend::Delete(std::string_view key) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  // The use marker first: one left behind by an interrupted Delete would be an object that no
  // listing shows and nothing deletes, while a key left without its marker is listed, so that
  // repeating the operation (a removal, gc) finds it and deletes it. (A concurrent Touch can
  // still PUT a marker after this; gc deletes what it found old, as on a local store.)
  if (!Compressed(key)) {  // a segment has no use marker
    CrashPoint();
    if (absl::Status s = client_.Delete(StrCat(ObjectOf(key), kUseMarkerSuffix)); !s.ok()) {
      return s;
    }
  }
  CrashPoint();
  return client_.Delete(ObjectOf(key));
}

absl::StatusOr<std::unique_ptr<MappedFile>> S3Backend::Map(std::string_view key,
                                                           uint64_t max_bytes) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  if (cache_root_.empty()) {
    return absl::FailedPreconditionError(
        StrCat(Describe(), ": no cache directory to map \"", key, "\" from"));
  }
  const std::string path = StrCat(cache_root_, "/", key);
  absl::StatusOr<std::unique_ptr<MappedFile>> file = MappedFile::Open(path);
  // Another process may evict the copy between its download and its mapping, rarely twice.
  for (int download = 0; absl::IsNotFound(file.status()) && download < 3; ++download) {
    absl::StatusOr<std::string> data = Read(key, max_bytes);
    if (!data.ok()) return data.status();
    MaybeEvict(data->size());
    if (absl::Status s = WriteFileAtomically(path, *data); !s.ok()) return s;
    file = MappedFile::Open(path);
  }
  if (!file.ok()) return file.status();
  // Recently used (for eviction); failure (another user's copy) only costs accuracy.
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
  if ((*file)->data().size() > max_bytes) {
    return absl::ResourceExhaustedError(
        StrCat(path, ": ", (*file)->data().size(), " bytes is over the limit of ", max_bytes));
  }
  return file;
}

void S3Backend::MaybeEvict(uint64_t incoming) {
  if (cache_max_bytes_ == 0) return;
  std::lock_guard<std::mutex> lock(eviction_mu_);
  if (downloaded_since_check_ != UINT64_MAX &&
      (downloaded_since_check_ += incoming) < cache_max_bytes_ / 8) {
    return;
  }
  downloaded_since_check_ = 0;
  struct Copy {
    int64_t mtime_ns;
    uint64_t size;
    std::string path;
  };
  std::vector<Copy> copies;
  uint64_t total = incoming;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(cache_dir_, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::error_code type_ec;
    // Temporary files are another writer's, about to become a copy.
    if (!it->is_regular_file(type_ec) || !ValidateKey(it->path().filename().string()).ok()) {
      continue;
    }
    struct stat st;
    if (::stat(it->path().c_str(), &st) != 0) continue;
    copies.push_back({st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec,
                      static_cast<uint64_t>(st.st_size), it->path().string()});
    total += static_cast<uint64_t>(st.st_size);
  }
  if (total <= cache_max_bytes_) return;
  std::sort(copies.begin(), copies.end(),
            [](const Copy& a, const Copy& b) { return a.mtime_ns < b.mtime_ns; });
  const uint64_t target = cache_max_bytes_ - cache_max_bytes_ / 4;
  for (const Copy& copy : copies) {
    if (total <= target) break;
    // Unlinking leaves the mappings of the file, here or in other processes, intact.
    if (::unlink(copy.path.c_str()) == 0 || errno == ENOENT) total -= copy.size;
  }
}

}  // namespace artidx::store
