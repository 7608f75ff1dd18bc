// Copyright artidx authors.
//
// upload_request.h: the decoders of the two request bodies sentry-cli sends to upload
// (SPEC.md 25.4), apart from the store so that they can be fuzzed alone
// (fuzz/upload_request_fuzz.cc):
//   - a chunk upload: a multipart/form-data body (RFC 7578) of at most kChunksPerRequest parts,
//     each a chunk in field `file` (plain) or `file_gzip` (gzip), named by the SHA-1 of its
//     uncompressed bytes in lowercase hex;
//   - an assemble request: a JSON object {"checksum", "chunks", "projects", "version"?,
//     "dist"?}.
// Nothing from the client is trusted: sizes are bounded, every name is checked, and a chunk is
// returned only once its bytes match its name. Errors are InvalidArgument (HTTP 400) or
// ResourceExhausted (HTTP 413) with a one-line message naming the problem.
//
// Thread safety: functions are pure; a ChunkDecoder is used by one thread at a time.
//
// Usage:
//   absl::StatusOr<std::vector<ChunkPart>> parts = ParseChunkUpload(content_type, body);
//   ChunkDecoder decoder(chunk_size);
//   for (const ChunkPart& p : *parts) absl::StatusOr<std::string_view> b = decoder.Decode(p);

#ifndef ARTIDX_SERVER_UPLOAD_REQUEST_H_
#define ARTIDX_SERVER_UPLOAD_REQUEST_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

struct libdeflate_decompressor;

namespace artidx::server {

inline constexpr size_t kChunksPerRequest = 64;
inline constexpr size_t kMaxAssembleBody = size_t{1} << 20;  // 1 MiB of JSON: ~20,000 chunks

// One part of a chunk upload: views of the body.
struct ChunkPart {
  std::string_view field;  // the form field: "file" or "file_gzip"
  std::string_view name;   // the part's filename: the chunk's SHA-1 in hex, once checked
  std::string_view data;   // the part's bytes, as sent
};

// The parts of a chunk upload whose Content-Type header is `content_type`. Checks the framing,
// the number of parts, each part's field and that its name is a SHA-1 in lowercase hex; the
// bytes are checked by ChunkDecoder.
[[nodiscard]] absl::StatusOr<std::vector<ChunkPart>> ParseChunkUpload(std::string_view content_type,
                                                                      std::string_view body);

// Decodes parts into chunks of at most `chunk_size` bytes. One buffer of that size is reused:
// a result is valid until the next call.
class ChunkDecoder {
 public:
  explicit ChunkDecoder(size_t chunk_size);
  ~ChunkDecoder();
  ChunkDecoder(const ChunkDecoder&) = delete;
  ChunkDecoder& operator=(const ChunkDecoder&) = delete;

  // The uncompressed bytes of `part`, whose SHA-1 is its name.
  [[nodiscard]] absl::StatusOr<std::string_view> Decode(const ChunkPart& part);

 private:
  const size_t chunk_size_;
  libdeflate_decompressor* inflater_;
  std::string buffer_;
};

struct AssembleRequest {
  std::string checksum;             // SHA-1 of the bundle, lowercase hex
  std::vector<std::string> chunks;  // SHA-1s of its chunks, in order
  std::vector<std::string> projects;
  std::string release;  // "version"; "" when absent or null
  std::string dist;     // "" when absent or null; needs a release
};

// An assemble request body: every name is checked as `artidx add` checks it.
[[nodiscard]] absl::StatusOr<AssembleRequest> ParseAssembleRequest(std::string_view body);

// The HTTP status for an error of the functions above (400, or 413 for ResourceExhausted).
int HttpStatus(const absl::Status& status);

}  // namespace artidx::server

#endif  // ARTIDX_SERVER_UPLOAD_REQUEST_H_
