// S3Backend: a store in a bucket of an S3-compatible object store, at s3://BUCKET[/PREFIX].
// A key is the object <PREFIX>/<key> (or <key> without a prefix): the object layout mirrors the
// local directory layout (SPEC.md 18). Writes are single PUTs of new objects, which S3 makes
// atomic and durable; listings are ListObjectsV2, continued with continuation tokens; ranged
// reads are ranged GETs. Configuration comes from the environment as AWS tools read it
// (S3ConfigFromEnvironment, store/s3_client.h).
//
// Index segments (keys ending in ".aix") are stored compressed in the seekable zstd layout
// (store/seekable_zstd.h, SPEC.md 18.3) and read back as their data: Read and Map decompress the
// whole object, ReadRange reads its seek table (a HEAD and a ranged GET of its end) and then
// only the frames the range needs. Stat of a segment is one HEAD: its stored size, and its
// LastModified (segments are never renewed, so they have no use marker).
//
// A key's age is its object's LastModified, or its use marker's when that is later: Touch
// cannot rewrite an archive to renew it, so it PUTs an empty object "<object>.use-marker" (which
// listings hide, and Delete deletes just before its key, so that an interrupted Delete leaves
// the key, listed, rather than a marker nothing lists). Writes are durable when the PUT returns, so
// Sync::kDeferred and SyncWrites change nothing; there is no lock, so Elect elects everyone (a
// duplicate compaction writes the same bytes: SPEC.md 19.6).
//
// Map goes through a local cache directory: the object is downloaded once to
// <cache_dir>/s3-<store id>/<key> (a crash-safe write, so concurrent processes sharing the
// directory see a whole file or none) and that file is mapped. A cached copy never needs
// revalidation, since a key never changes bytes. Each Map of a cached copy sets its mtime; with
// a byte limit, a download first evicts the copies of the whole cache directory mapped least
// recently until they fit in three quarters of it (checked again after downloads of an eighth
// of the limit). Eviction unlinks, which leaves every existing mapping of the file intact, in
// this process or another; a Map that finds its copy just evicted downloads it again.
//
// Thread-safe: as Backend; the cache directory may be shared by processes.

#ifndef ARTIDX_STORE_S3_BACKEND_H_
#define ARTIDX_STORE_S3_BACKEND_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "store/backend.h"
#include "store/s3_client.h"
#include "store/seekable_zstd.h"

namespace artidx::store {

struct S3Location {
  std::string bucket;
  std::string prefix;  // "" or a valid key, without a trailing '/'
};

// Parses "s3://BUCKET[/PREFIX][/]". The bucket must be 3 to 63 characters of [a-z0-9.-]
// beginning and ending with a letter or digit; the prefix a valid key.
[[nodiscard]] absl::StatusOr<S3Location> ParseS3Location(std::string_view url);

class S3Backend final : public Backend {
 public:
  // `options.cache_dir` may be empty (then Map fails with FailedPrecondition).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Backend>> Open(S3Location location,
                                                                     S3Config config,
                                                                     const BackendOptions& options);

  std::string Describe() const override;
  absl::StatusOr<Listing> List(std::string_view prefix, std::string_view cursor, size_t limit,
                               ListMode mode) override;
  absl::StatusOr<std::string> Read(std::string_view key, uint64_t max_bytes) override;
  absl::StatusOr<std::string> ReadRange(std::string_view key, uint64_t offset,
                                        uint64_t length) override;
  absl::StatusOr<KeyInfo> Stat(std::string_view key) override;
  absl::Status Touch(std::string_view key) override;
  absl::Status Write(std::string_view key, std::string_view data, Sync sync) override;
  absl::Status SyncWrites() override { return absl::OkStatus(); }
  absl::Status Delete(std::string_view key) override;
  absl::StatusOr<std::unique_ptr<Office>> Elect(std::string_view prefix, bool wait) override;
  absl::StatusOr<std::unique_ptr<MappedFile>> Map(std::string_view key,
                                                  uint64_t max_bytes) override;

  const S3Client& client() const { return client_; }

 private:
  S3Backend(S3Location location, S3Config config, const BackendOptions& options);
  // The object name of a key.
  std::string ObjectOf(std::string_view key) const;
  // The seek table of the compressed object `key` of `object_size` bytes (a ranged GET of its
  // end).
  absl::StatusOr<SeekTable> ReadSeekTable(std::string_view key, uint64_t object_size);
  // `result`, its error naming the key.
  template <typename T>
  absl::StatusOr<T> Named(std::string_view key, absl::StatusOr<T> result) const;
  // Makes room for `incoming` more bytes in the cache when the limit calls for it.
  void MaybeEvict(uint64_t incoming);

  const S3Location location_;
  // The prefix of every object name of this store: "" or PREFIX + "/".
  const std::string object_prefix_;
  // Where Map's copies go (cache_dir/s3-<store id>), or empty.
  const std::string cache_dir_;
  const std::string cache_root_;
  const uint64_t cache_max_bytes_;
  std::mutex eviction_mu_;
  // Bytes downloaded since the last look at the cache's size; guarded by eviction_mu_. The
  // maximum makes the first download look.
  uint64_t downloaded_since_check_ = UINT64_MAX;
  S3Client client_;
};

}  // namespace artidx::store

#endif  // ARTIDX_STORE_S3_BACKEND_H_
