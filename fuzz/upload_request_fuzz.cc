// Fuzzes the decoders of the upload request bodies `artidx serve` takes from sentry-cli
// (server/upload_request.h). The first byte of the input picks one of:
//   0  a chunk upload: up to the first '\n' is the Content-Type header, the rest the body.
//      Whatever is accepted has at most kChunksPerRequest parts, each a view of the body with a
//      valid field and name; a decoded chunk fits the chunk size and has the SHA-1 it is named
//      by.
//   1  a well-formed chunk upload built from the rest of the input (cut into parts, some
//      gzip-compressed): it parses back to the same parts, which decode to the same bytes.
//   2  an assemble request: whatever is accepted holds only valid names, and written back as
//      JSON parses to the same request.

#include <libdeflate.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/sha1.h"
#include "common/text.h"
#include "fuzz/fuzz_check.h"
#include "server/upload_request.h"
#include "common/names.h"

namespace {

using artidx::server::AssembleRequest;
using artidx::server::ChunkDecoder;
using artidx::server::ChunkPart;

constexpr size_t kChunkSize = 4096;

bool IsSha1Hex(std::string_view s) {
  if (s.size() != 40) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool Within(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

void ArbitraryChunkUpload(std::string_view input) {
  const size_t eol = input.find('\n');
  if (eol == std::string_view::npos) return;
  const std::string_view content_type = input.substr(0, eol);
  const std::string_view body = input.substr(eol + 1);
  auto parts = artidx::server::ParseChunkUpload(content_type, body);
  if (!parts.ok()) return;
  FUZZ_CHECK(parts->size() <= artidx::server::kChunksPerRequest);
  ChunkDecoder decoder(kChunkSize);
  for (const ChunkPart& part : *parts) {
    FUZZ_CHECK(part.field == "file" || part.field == "file_gzip");
    FUZZ_CHECK(IsSha1Hex(part.name));
    FUZZ_CHECK(Within(part.data, body));
    auto bytes = decoder.Decode(part);
    if (!bytes.ok()) continue;
    FUZZ_CHECK(bytes->size() <= kChunkSize);
    FUZZ_CHECK(artidx::Sha1Digest::Of(*bytes).Hex() == part.name);
  }
}

std::string Gzip(std::string_view data) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(1);
  FUZZ_CHECK(c != nullptr);
  std::string out(libdeflate_gzip_compress_bound(c, data.size()), '\0');
  out.resize(libdeflate_gzip_compress(c, data.data(), data.size(), out.data(), out.size()));
  libdeflate_free_compressor(c);
  FUZZ_CHECK(!out.empty());
  return out;
}

void WellFormedChunkUpload(std::string_view input) {
  // sentry-cli's boundary is random; this one may not occur in the data.
  const std::string boundary = "------------------------fuzz0123456789";
  if (input.find(boundary) != std::string_view::npos) return;
  std::vector<std::string> chunks;
  std::vector<bool> gzip;
  std::string body;
  // Each part: a length byte (bit 7: gzip), then up to 127 bytes of data.
  while (!input.empty() && chunks.size() < artidx::server::kChunksPerRequest) {
    const uint8_t head = static_cast<uint8_t>(input[0]);
    input.remove_prefix(1);
    const std::string_view data = input.substr(0, head & 0x7f);
    input.remove_prefix(data.size());
    chunks.emplace_back(data);
    gzip.push_back((head & 0x80) != 0);
    const std::string encoded = gzip.back() ? Gzip(data) : std::string(data);
    if (encoded.find(boundary) != std::string::npos) return;
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" +
            (gzip.back() ? "file_gzip" : "file") + "\"; filename=\"" +
            artidx::Sha1Digest::Of(data).Hex() +
            "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + encoded + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  auto parts =
      artidx::server::ParseChunkUpload("multipart/form-data; boundary=\"" + boundary + "\"", body);
  FUZZ_CHECK(parts.ok());
  FUZZ_CHECK(parts->size() == chunks.size());
  ChunkDecoder decoder(kChunkSize);
  for (size_t i = 0; i < chunks.size(); ++i) {
    FUZZ_CHECK((*parts)[i].field == (gzip[i] ? "file_gzip" : "file"));
    auto bytes = decoder.Decode((*parts)[i]);
    FUZZ_CHECK(bytes.ok());
    FUZZ_CHECK(*bytes == chunks[i]);
  }
}

std::string List(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + artidx::JsonString(items[i]);
  return out + "]";
}

void Assemble(std::string_view input) {
  auto request = artidx::server::ParseAssembleRequest(input);
  if (!request.ok()) return;
  FUZZ_CHECK(IsSha1Hex(request->checksum));
  for (const std::string& c : request->chunks) FUZZ_CHECK(IsSha1Hex(c));
  FUZZ_CHECK(!request->projects.empty());
  for (const std::string& p : request->projects) {
    FUZZ_CHECK(artidx::ValidateProject(p).ok());
  }
  if (!request->release.empty()) FUZZ_CHECK(artidx::ValidateRelease(request->release).ok());
  if (!request->dist.empty()) {
    FUZZ_CHECK(!request->release.empty());
    FUZZ_CHECK(artidx::ValidateDist(request->dist).ok());
  }
  std::string again = "{\"checksum\":\"" + request->checksum +
                      "\",\"chunks\":" + List(request->chunks) +
                      ",\"projects\":" + List(request->projects);
  if (!request->release.empty()) again += ",\"version\":" + artidx::JsonString(request->release);
  if (!request->dist.empty()) again += ",\"dist\":" + artidx::JsonString(request->dist);
  again += "}";
  if (again.size() > artidx::server::kMaxAssembleBody) return;
  auto reparsed = artidx::server::ParseAssembleRequest(again);
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(reparsed->checksum == request->checksum);
  FUZZ_CHECK(reparsed->chunks == request->chunks);
  FUZZ_CHECK(reparsed->projects == request->projects);
  FUZZ_CHECK(reparsed->release == request->release);
  FUZZ_CHECK(reparsed->dist == request->dist);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      ArbitraryChunkUpload(input);
      break;
    case 1:
      WellFormedChunkUpload(input);
      break;
    default:
      Assemble(input);
  }
  return 0;
}
