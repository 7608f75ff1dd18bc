#include "server/upload_request.h"

#include <libdeflate.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "simdjson.h"
#include "common/names.h"

namespace artidx::server {
namespace {

bool IsSha1Hex(std::string_view s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

// The value of parameter `name` in a header such as `form-data; name="file"; filename="x"` or
// `multipart/form-data; boundary=XYZ` (quoted or not); "" when absent.
std::string_view Param(std::string_view header, std::string_view name) {
  for (size_t i = header.find(';'); i != std::string_view::npos; i = header.find(';', i + 1)) {
    std::string_view rest = header.substr(i + 1);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    if (rest.size() <= name.size() || rest[name.size()] != '=') continue;
    if (!std::equal(name.begin(), name.end(), rest.begin(),
                    [](char a, char b) { return a == Lower(b); })) {
      continue;
    }
    rest.remove_prefix(name.size() + 1);
    if (!rest.empty() && rest.front() == '"') {
      const size_t end = rest.find('"', 1);
      return end == std::string_view::npos ? std::string_view() : rest.substr(1, end - 1);
    }
    return rest.substr(0, std::min(rest.find(';'), rest.size()));
  }
  return {};
}

absl::Status Malformed() {
  return absl::InvalidArgumentError("malformed multipart/form-data body");
}

}  // namespace

absl::StatusOr<std::vector<ChunkPart>> ParseChunkUpload(std::string_view content_type,
                                                        std::string_view body) {
  if (!content_type.starts_with("multipart/form-data")) {
    return absl::InvalidArgumentError("expected a multipart/form-data body of chunks");
  }
  const std::string_view boundary = Param(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 200) {
    return absl::InvalidArgumentError("multipart/form-data without a valid boundary");
  }
  const std::string delimiter = StrCat("--", boundary);
  const std::string next = StrCat("\r\n", delimiter);
  if (!body.starts_with(delimiter)) return Malformed();
  body.remove_prefix(delimiter.size());
  std::vector<ChunkPart> parts;
  for (;;) {
    if (body.starts_with("--")) return parts;  // the close delimiter (an epilogue is ignored)
    if (!body.starts_with("\r\n")) return Malformed();
    body.remove_prefix(2);
    if (parts.size() == kChunksPerRequest) {
      return absl::InvalidArgumentError(
          StrCat("more than ", kChunksPerRequest, " chunks in one request"));
    }
    const size_t head_end = body.find("\r\n\r\n");
    if (head_end == std::string_view::npos) return Malformed();
    ChunkPart part;
    bool disposition = false;
    std::string_view headers = body.substr(0, head_end);
    while (!headers.empty()) {
      const size_t eol = std::min(headers.find("\r\n"), headers.size());
      const std::string_view line = headers.substr(0, eol);
      headers.remove_prefix(std::min(eol + 2, headers.size()));
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) return Malformed();
      constexpr std::string_view kDisposition = "content-disposition";
      if (colon == kDisposition.size() &&
          std::equal(kDisposition.begin(), kDisposition.end(), line.begin(),
                     [](char a, char b) { return a == Lower(b); })) {
        const std::string_view value = line.substr(colon + 1);
        disposition = true;
        part.field = Param(value, "name");
        part.name = Param(value, "filename");
      }
    }
    if (!disposition) return Malformed();
    if (part.field != "file" && part.field != "file_gzip") {
      return absl::InvalidArgumentError(StrCat("unexpected form field \"", part.field.substr(0, 80),
                                               "\": expected file or file_gzip"));
    }
    if (!IsSha1Hex(part.name)) {
      return absl::InvalidArgumentError(
          StrCat("chunk \"", part.name.substr(0, 80), "\": the filename must be its SHA-1 in hex"));
    }
    body.remove_prefix(head_end + 4);
    const size_t end = body.find(next);
    if (end == std::string_view::npos) return Malformed();
    part.data = body.substr(0, end);
    parts.push_back(part);
    body.remove_prefix(end + next.size());
  }
}

ChunkDecoder::ChunkDecoder(size_t chunk_size)
    : chunk_size_(chunk_size), inflater_(libdeflate_alloc_decompressor()) {}

ChunkDecoder::~ChunkDecoder() {
  if (inflater_ != nullptr) libdeflate_free_decompressor(inflater_);
}

absl::StatusOr<std::string_view> ChunkDecoder::Decode(const ChunkPart& part) {
  std::string_view bytes;
  if (part.field == "file_gzip") {
    if (inflater_ == nullptr) return absl::ResourceExhaustedError("out of memory");
    buffer_.resize(chunk_size_);
    size_t n = 0;
    const libdeflate_result r = libdeflate_gzip_decompress(
        inflater_, part.data.data(), part.data.size(), buffer_.data(), buffer_.size(), &n);
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
      return absl::ResourceExhaustedError(
          StrCat("chunk ", part.name, " inflates past the chunk size ", chunk_size_));
    }
    if (r != LIBDEFLATE_SUCCESS) {
      return absl::InvalidArgumentError(StrCat("chunk ", part.name, ": invalid gzip data"));
    }
    bytes = std::string_view(buffer_).substr(0, n);
  } else if (part.field == "file") {
    if (part.data.size() > chunk_size_) {
      return absl::ResourceExhaustedError(
          StrCat("chunk ", part.name, " is larger than the chunk size ", chunk_size_));
    }
    bytes = part.data;
  } else {
    return absl::InvalidArgumentError("a chunk's form field must be file or file_gzip");
  }
  if (Sha1Digest::Of(bytes).Hex() != part.name) {
    return absl::InvalidArgumentError(
        StrCat("chunk ", part.name.substr(0, 80), ": its SHA-1 differs from its name"));
  }
  return bytes;
}

absl::StatusOr<AssembleRequest> ParseAssembleRequest(std::string_view body) {
  if (body.size() > kMaxAssembleBody) {
    return absl::ResourceExhaustedError("assemble request too large");
  }
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(simdjson::padded_string(body)).get(root) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("the assemble request is not a JSON object");
  }
  AssembleRequest request;
  std::string_view text;
  if (root["checksum"].get(text) != simdjson::SUCCESS || !IsSha1Hex(text)) {
    return absl::InvalidArgumentError("\"checksum\" must be a SHA-1 in lowercase hex");
  }
  request.checksum = std::string(text);
  simdjson::dom::array array;
  if (root["chunks"].get(array) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("\"chunks\" must be a list");
  }
  for (simdjson::dom::element e : array) {
    if (e.get(text) != simdjson::SUCCESS || !IsSha1Hex(text)) {
      return absl::InvalidArgumentError("\"chunks\" must list SHA-1s in lowercase hex");
    }
    request.chunks.emplace_back(text);
  }
  if (root["projects"].get(array) != simdjson::SUCCESS || array.size() == 0) {
    return absl::InvalidArgumentError("\"projects\" must be a non-empty list");
  }
  for (simdjson::dom::element e : array) {
    if (e.get(text) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError("\"projects\" must list strings");
    }
    if (absl::Status s = ValidateProject(text); !s.ok()) return s;
    request.projects.emplace_back(text);
  }
  for (auto [field, out] :
       {std::pair{"version", &request.release}, std::pair{"dist", &request.dist}}) {
    simdjson::dom::element e;
    if (root[field].get(e) != simdjson::SUCCESS || e.is_null()) continue;
    if (e.get(text) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(StrCat("\"", field, "\" must be a string"));
    }
    *out = std::string(text);
  }
  if (!request.release.empty()) {
    if (absl::Status s = ValidateRelease(request.release); !s.ok()) return s;
  }
  if (!request.dist.empty()) {
    if (request.release.empty()) return absl::InvalidArgumentError("\"dist\" needs \"version\"");
    if (absl::Status s = ValidateDist(request.dist); !s.ok()) return s;
  }
  return request;
}

int HttpStatus(const absl::Status& status) {
  return status.code() == absl::StatusCode::kResourceExhausted ? 413 : 400;
}

}  // namespace artidx::server
