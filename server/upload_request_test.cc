// Unit tests of the upload body decoders (server/upload_request.h).

#include "server/upload_request.h"

#include <libdeflate.h>

#include <string>
#include <vector>

#include "common/sha1.h"
#include "gtest/gtest.h"

namespace artidx::server {
namespace {

constexpr char kType[] = "multipart/form-data; boundary=\"--xyz\"";

std::string Gzip(const std::string& data) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(6);
  std::string out(libdeflate_gzip_compress_bound(c, data.size()), '\0');
  out.resize(libdeflate_gzip_compress(c, data.data(), data.size(), out.data(), out.size()));
  libdeflate_free_compressor(c);
  return out;
}

std::string Part(const std::string& field, const std::string& name, const std::string& bytes) {
  return "----xyz\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\"" + name +
         "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + bytes + "\r\n";
}

std::string Name(const std::string& chunk) { return Sha1Digest::Of(chunk).Hex(); }

TEST(ParseChunkUploadTest, DecodesGzipAndPlainPartsAsSentryCliSendsThem) {
  const std::string a(5000, 'a'), b = "second\r\nchunk";
  const std::string body =
      Part("file_gzip", Name(a), Gzip(a)) + Part("file", Name(b), b) + "----xyz--\r\n";
  absl::StatusOr<std::vector<ChunkPart>> parts = ParseChunkUpload(kType, body);
  ASSERT_TRUE(parts.ok()) << parts.status();
  ASSERT_EQ(parts->size(), 2u);
  ChunkDecoder decoder(8192);
  EXPECT_EQ(decoder.Decode((*parts)[0]).value(), a);
  EXPECT_EQ(decoder.Decode((*parts)[1]).value(), b);
}

TEST(ParseChunkUploadTest, RefusesMoreThanChunksPerRequestParts) {
  std::string body;
  for (size_t i = 0; i < kChunksPerRequest; ++i) {
    const std::string c = "chunk " + std::to_string(i);
    body += Part("file", Name(c), c);
  }
  EXPECT_TRUE(ParseChunkUpload(kType, body + "----xyz--\r\n").ok());
  body += Part("file", Name("one more"), "one more");
  absl::StatusOr<std::vector<ChunkPart>> parts = ParseChunkUpload(kType, body + "----xyz--\r\n");
  EXPECT_TRUE(absl::IsInvalidArgument(parts.status())) << parts.status();
  EXPECT_EQ(HttpStatus(parts.status()), 400);
}

TEST(ParseChunkUploadTest, RefusesMalformedBodiesFieldsAndNames) {
  const std::string c = "x", ok = Part("file", Name(c), c);
  for (const auto& [type, body] : std::vector<std::pair<std::string, std::string>>{
           {"application/json", ok + "----xyz--\r\n"},
           {"multipart/form-data", ok + "----xyz--\r\n"},  // no boundary
           {kType, ok},                                    // no close delimiter
           {kType, "----xyz\r\nContent-Disposition form-data\r\n\r\nx\r\n----xyz--"},
           {kType, "----xyz\r\nContent-Type: text/plain\r\n\r\nx\r\n----xyz--"},
           {kType, Part("data", Name(c), c) + "----xyz--"},
           {kType, Part("file", Name(c).substr(1), c) + "----xyz--"},
           {kType, Part("file", "../../etc/passwd", c) + "----xyz--"},
       }) {
    absl::StatusOr<std::vector<ChunkPart>> parts = ParseChunkUpload(type, body);
    EXPECT_TRUE(absl::IsInvalidArgument(parts.status())) << type << " " << body;
  }
}

TEST(ChunkDecoderTest, RefusesOversizeChunksAndWrongNames) {
  const std::string big(1025, 'b');
  ChunkDecoder decoder(1024);
  EXPECT_EQ(HttpStatus(decoder.Decode({"file", Name(big), big}).status()), 413);
  const std::string gz = Gzip(big);
  EXPECT_EQ(HttpStatus(decoder.Decode({"file_gzip", Name(big), gz}).status()), 413);
  EXPECT_TRUE(absl::IsInvalidArgument(decoder.Decode({"file", Name("y"), "x"}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(decoder.Decode({"file_gzip", Name("x"), "x"}).status()));
  const std::string fits(1024, 'f');
  EXPECT_EQ(decoder.Decode({"file_gzip", Name(fits), Gzip(fits)}).value(), fits);
}

TEST(ParseAssembleRequestTest, ReadsWhatSentryCliSends) {
  const std::string sum = Name("bundle"), c1 = Name("c1"), c2 = Name("c2");
  absl::StatusOr<AssembleRequest> r =
      ParseAssembleRequest(R"({"checksum":")" + sum + R"(","chunks":[")" + c1 + R"(",")" + c2 +
                           R"("],"projects":["web","mobile"],"version":"shop@1.0","dist":"d1"})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->checksum, sum);
  EXPECT_EQ(r->chunks, (std::vector<std::string>{c1, c2}));
  EXPECT_EQ(r->projects, (std::vector<std::string>{"web", "mobile"}));
  EXPECT_EQ(r->release, "shop@1.0");
  EXPECT_EQ(r->dist, "d1");
  r = ParseAssembleRequest(R"({"checksum":")" + sum +
                           R"(","chunks":[],"projects":["web"],"version":null,"dist":null})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->release, "");
  EXPECT_EQ(r->dist, "");
}

TEST(ParseAssembleRequestTest, RefusesBadFieldsAndNames) {
  const std::string sum = Name("bundle");
  for (const std::string& body : {
           std::string("[]"),
           R"({"checksum":")" + std::string(40, 'A') + R"(","chunks":[],"projects":["web"]})",
           R"({"checksum":")" + sum + R"(","chunks":["x"],"projects":["web"]})",
           R"({"checksum":")" + sum + R"(","chunks":[],"projects":[]})",
           R"({"checksum":")" + sum + R"(","chunks":[],"projects":["../web"]})",
           R"({"checksum":")" + sum + R"(","chunks":[],"projects":["web"],"dist":"d"})",
           R"({"checksum":")" + sum + R"(","chunks":[],"projects":["web"],"version":1})",
       }) {
    absl::StatusOr<AssembleRequest> r = ParseAssembleRequest(body);
    EXPECT_FALSE(r.ok()) << body;
    EXPECT_EQ(HttpStatus(r.status()), 400) << body;
  }
  EXPECT_EQ(HttpStatus(ParseAssembleRequest(std::string(kMaxAssembleBody + 1, ' ')).status()), 413);
}

}  // namespace
}  // namespace artidx::server
