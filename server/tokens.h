// Copyright artidx authors.
//
// tokens.h: who may read which projects through `artidx serve`. A tokens file holds one line
// per token, `TOKEN PROJECT[,PROJECT...]` or `TOKEN *` (any project), separated by spaces or
// tabs, optionally followed by the word `write`: such a token may also upload to its projects
// (`artidx serve`'s chunk-upload and assemble routes); blank lines and lines starting with '#' are
// ignored. A token is 1 to 512 printable ASCII characters other than space. Requests present one as
// `Authorization: Bearer TOKEN`. Tokens are compared in constant time (for a given presented
// length) and appear in no error message.
//
// Thread safety: a Tokens is immutable once made; share it freely.
//
// Usage:
//   absl::StatusOr<server::Tokens> tokens = server::Tokens::Load("/etc/artidx/tokens");
//   switch (tokens->Check(authorization_header, "web")) { ... }

#ifndef ARTIDX_SERVER_TOKENS_H_
#define ARTIDX_SERVER_TOKENS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace artidx::server {

class Tokens {
 public:
  // InvalidArgument naming `name` and the line when `text` is not a valid tokens file (an
  // invalid project name, a token given twice, a line without projects).
  [[nodiscard]] static absl::StatusOr<Tokens> Parse(std::string_view text, std::string_view name);
  // Reads and parses the file at `path` (at most 16 MiB).
  [[nodiscard]] static absl::StatusOr<Tokens> Load(const std::string& path);

  enum class Access {
    kUnauthenticated,  // no Bearer token, or an unknown one: 401
    kForbidden,        // a known token without this project: 403
    kAllowed,
  };
  // `authorization` is the request's Authorization header ("" when absent).
  // With `write`, the token must also be allowed to upload.
  Access Check(std::string_view authorization, std::string_view project, bool write = false) const;
  // Whether the token may upload to every one of `projects`, or, when `projects` is empty, to at
  // least one project.
  Access CheckWrite(std::string_view authorization, const std::vector<std::string>& projects) const;

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string token;
    bool any_project = false;
    bool write = false;
    std::vector<std::string> projects;
  };
  // The entry of the token presented, or nullptr.
  const Entry* Find(std::string_view authorization) const;
  std::vector<Entry> entries_;
};

}  // namespace artidx::server

#endif  // ARTIDX_SERVER_TOKENS_H_
