// S3Backend: a store in a bucket of an S3-compatible object store, at s3://BUCKET[/PREFIX].
// A key is the object <PREFIX>/<key> (or <key> without a prefix): the object layout mirrors the
// local directory layout (SPEC.md 18). Writes are single PUTs of new objects, which S3 makes
// atomic and durable; listings are ListObjectsV2, continued with continuation tokens; ranged
// reads are ranged GETs. Configuration comes from the environment as AWS tools read it
// (S3ConfigFromEnvironment, store/s3_client.h).
//
// Map goes through a local cache directory: the object is downloaded once to
// <cache_dir>/<store id>/<key> (a crash-safe write, so concurrent processes sharing the
// directory see a whole file or none) and that file is mapped. A cached copy never needs
// revalidation, since a key never changes bytes; it is never evicted yet (issue 12 item 3).
//
// Thread-safe: as Backend; the cache directory may be shared by processes.

#ifndef ARTIDX_STORE_S3_BACKEND_H_
#define ARTIDX_STORE_S3_BACKEND_H_

#include <memory>
#include <string>

#include "store/backend.h"
#include "store/s3_client.h"

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
  // `cache_dir` may be empty (then Map fails with FailedPrecondition).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Backend>> Open(S3Location location,
                                                                     S3Config config,
                                                                     std::string cache_dir);

  std::string Describe() const override;
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

  const S3Client& client() const { return client_; }

 private:
  S3Backend(S3Location location, S3Config config, std::string cache_dir);
  // The object name of a key.
  std::string ObjectOf(std::string_view key) const;

  const S3Location location_;
  // The prefix of every object name of this store: "" or PREFIX + "/".
  const std::string object_prefix_;
  // Where Map's copies go (cache_dir/<store id>), or empty.
  const std::string cache_root_;
  S3Client client_;
};

}  // namespace artidx::store

#endif  // ARTIDX_STORE_S3_BACKEND_H_
