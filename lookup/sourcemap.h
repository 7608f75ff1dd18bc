// Finding a minified file's source map the way Symbolicator does: the reference comes from the
// file's `sourcemap` header or its `//# sourceMappingURL=` comment and is joined to the file's
// URL; `data:` URLs carry the map itself.
//
// Thread-safe: pure functions.

#ifndef ARTIDX_LOOKUP_SOURCEMAP_H_
#define ARTIDX_LOOKUP_SOURCEMAP_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace artidx::lookup {

// Joins `reference` to `base` (a frame's or file's URL): a reference containing "://" or
// starting with "webpack:" is taken as it is; one starting with "/" or "~/" is absolute on
// base's origin ("//" keeps only base's scheme); otherwise it replaces base's last path
// segment, "." and ".." segments collapsing (a ".." above an http(s) root is dropped). A base
// starting with "~/" is treated as a path on an unnamed origin, and the result keeps its "~".
std::string JoinUrl(std::string_view base, std::string_view reference);

// The value of the last `//# sourceMappingURL=` (or `//@ sourceMappingURL=`) comment that is
// alone on its line, trimmed; nullopt when there is none.
std::optional<std::string_view> FindSourceMappingUrl(std::string_view source);

// The payload of a `data:` URL: base64-decoded when its media type ends in ";base64", else
// percent-decoded. InvalidArgument for a malformed one.
absl::StatusOr<std::string> DecodeDataUrl(std::string_view url);

}  // namespace artidx::lookup

#endif  // ARTIDX_LOOKUP_SOURCEMAP_H_
