// S3Client: the few requests of the S3 API the S3 backend makes (PUT, GET whole or a range,
// HEAD, DELETE of an object, ListObjectsV2), over HTTP(S) with libcurl, signed with AWS
// Signature V4 (libcurl's CURLOPT_AWS_SIGV4, with what it leaves out done here: the
// x-amz-content-sha256 header, the canonical query string, '+' encoded in keys).
//
// Responses are untrusted: bodies are size-capped, listings are parsed by a small bounded XML
// reader, and any surprise is an error, never a crash. Idempotent requests (all of these) are
// retried on connection errors, timeouts and HTTP 500/502/503/504 with exponential backoff and
// full jitter, bounded by a number of attempts and a total deadline; other errors are not
// retried. Errors are one line naming the bucket, the key, the request, the HTTP status and
// S3's error code, e.g. "s3://b/k: GET: HTTP 403 SignatureDoesNotMatch: <message>".
//
// Usage:
//   absl::StatusOr<S3Config> config = S3ConfigFromEnvironment();
//   S3Client client(*config, "bucket");
//   absl::Status s = client.Put("a/b", bytes);
//
// Thread-safe: requests may be made from many threads at once; each takes a libcurl handle
// from a pool (connections are reused across requests) and returns it afterwards.

#ifndef ARTIDX_STORE_S3_CLIENT_H_
#define ARTIDX_STORE_S3_CLIENT_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace artidx::store {

struct S3Config {
  // "scheme://host[:port]" of an S3-compatible service, addressed path-style
  // (endpoint/bucket/key); empty for AWS itself, addressed virtual-hosted style
  // (https://bucket.s3.region.amazonaws.com/key).
  std::string endpoint;
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // optional
  std::string ca_bundle;      // a PEM file of CA certificates; empty: the system's

  // Retries: at most max_attempts tries of one request, waiting between them a random time up
  // to initial_backoff_ms * 2^(try - 1) (capped at max_backoff_ms), and never starting a try
  // past deadline_ms after the first.
  int max_attempts = 6;
  int64_t initial_backoff_ms = 100;
  int64_t max_backoff_ms = 5000;
  int64_t deadline_ms = 60000;
  // A connection not made in connect_timeout_ms, or a transfer with no byte for stall_timeout_s,
  // fails (and is retried).
  int64_t connect_timeout_ms = 10000;
  int64_t stall_timeout_s = 30;
};

// The configuration AWS tools read: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION or AWS_DEFAULT_REGION, AWS_CA_BUNDLE,
// AWS_MAX_ATTEMPTS (1 to 100); and ARTIDX_S3_DEADLINE_S, the retries' total deadline in seconds
// (1 to 86400). InvalidArgument when the credentials are missing, the endpoint is not an
// http(s) URL, or a number is not one.
[[nodiscard]] absl::StatusOr<S3Config> S3ConfigFromEnvironment();

// The lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// The parts of one ListObjectsV2 response that the backend uses.
struct S3ListPage {
  std::vector<std::string> keys;             // <Contents><Key>, in the response's order
  std::vector<std::string> common_prefixes;  // <CommonPrefixes><Prefix>
  bool truncated = false;
  std::string next_continuation_token;
};

// Parses a ListObjectsV2 response body; DataLoss on anything malformed.
[[nodiscard]] absl::StatusOr<S3ListPage> ParseListObjectsV2(std::string_view xml);

// The largest listing response body accepted (1,000 keys of 1 KiB each, and the rest).
inline constexpr uint64_t kMaxListResponseBytes = 4 << 20;

class S3Client {
 public:
  S3Client(S3Config config, std::string bucket);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  const std::string& bucket() const { return bucket_; }

  [[nodiscard]] absl::Status Put(std::string_view key, std::string_view data);
  // NotFound when the object does not exist; ResourceExhausted when it is over max_bytes.
  [[nodiscard]] absl::StatusOr<std::string> Get(std::string_view key, uint64_t max_bytes);
  // Bytes [offset, offset + length) (length >= 1), cut short at the object's end; empty when
  // offset is at or past it.
  [[nodiscard]] absl::StatusOr<std::string> GetRange(std::string_view key, uint64_t offset,
                                                     uint64_t length);
  // The object's size, and its Last-Modified in ms since the epoch (to the second).
  struct ObjectInfo {
    uint64_t size = 0;
    int64_t modified_ms = 0;
  };
  [[nodiscard]] absl::StatusOr<ObjectInfo> Head(std::string_view key);
  // OK when the object does not exist.
  [[nodiscard]] absl::Status Delete(std::string_view key);
  // One page of ListObjectsV2: keys starting with `prefix`, rolled up at `delimiter` when it is
  // not empty, after `start_after` or from `continuation_token` (one of them, or neither), at
  // most max_keys (1 to 1000).
  [[nodiscard]] absl::StatusOr<S3ListPage> List(std::string_view prefix, std::string_view delimiter,
                                                std::string_view start_after,
                                                std::string_view continuation_token, int max_keys);

  // The number of HTTP requests sent, retries included (for tests and measurements).
  uint64_t requests_sent() const;

 private:
  struct Request;
  struct Response;
  // Sends the request, retrying as the class comment says; the response of the last try, or
  // the error that ended the tries.
  absl::StatusOr<Response> Perform(const Request& request);
  // One try; a transport error is returned as a status.
  absl::StatusOr<Response> PerformOnce(void* curl, const Request& request);
  std::string Url(const Request& request) const;
  std::string Describe(std::string_view key) const;
  absl::Status Error(std::string_view method, std::string_view key, const Response& response,
                     int attempts) const;

  void* AcquireHandle();
  void ReleaseHandle(void* curl);

  const S3Config config_;
  const std::string bucket_;
  // std::mutex rather than absl::Mutex: ThreadSanitizer sees through pthread locks, not through
  // Debian's uninstrumented Abseil.
  mutable std::mutex mu_;
  std::vector<void*> idle_;     // CURL* handles; guarded by mu_
  uint64_t requests_sent_ = 0;  // guarded by mu_
};

}  // namespace artidx::store

#endif  // ARTIDX_STORE_S3_CLIENT_H_
