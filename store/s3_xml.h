// The small XML reader of S3's responses (a ListObjectsV2 listing, an error's <Code> and
// <Message>): a walk over a document of elements and text, the subset S3 writes (a declaration,
// comments, elements with attributes, character references; no CDATA or DTD), bounded in
// nesting depth. Responses are untrusted: anything malformed ends the walk with false, never a
// crash (fuzz/s3_list_fuzz.cc reaches it through ParseListObjectsV2).
//
// Thread-safe: pure functions.
//
// Usage:
//   WalkXml(body, [&](const std::vector<std::string>& path, const std::string& text) {
//     if (PathIs(path, {"Error", "Code"})) code = text;
//   });

#ifndef ARTIDX_STORE_S3_XML_H_
#define ARTIDX_STORE_S3_XML_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"

namespace artidx::store {

// Calls `leaf` with the path of element names and the decoded text of each element when it
// closes. Returns false on anything malformed (or nested deeper than 16).
bool WalkXml(std::string_view xml,
             absl::FunctionRef<void(const std::vector<std::string>&, const std::string&)> leaf);

// Whether `path` is exactly `want`.
bool PathIs(const std::vector<std::string>& path, std::initializer_list<std::string_view> want);

}  // namespace artidx::store

#endif  // ARTIDX_STORE_S3_XML_H_
