// The rules for the names an index is found by (SPEC.md 18.1), shared by the store, which
// builds its paths from them, and the HTTP server, which checks requests against them before
// asking the store.
//
// Thread-safe: pure functions.

#ifndef ARTIDX_COMMON_NAMES_H_
#define ARTIDX_COMMON_NAMES_H_

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace artidx {

inline constexpr size_t kMaxProjectBytes = 64;
inline constexpr size_t kMaxReleaseBytes = 250;
inline constexpr size_t kMaxDistBytes = 64;

// 1 to 64 characters of [A-Za-z0-9._-], and neither "." nor "..".
[[nodiscard]] absl::Status ValidateProject(std::string_view project);
// 1 to 250 bytes of UTF-8 without control characters.
[[nodiscard]] absl::Status ValidateRelease(std::string_view release);
// 0 to 64 bytes of UTF-8 without control characters ("" is "no dist").
[[nodiscard]] absl::Status ValidateDist(std::string_view dist);

}  // namespace artidx

#endif  // ARTIDX_COMMON_NAMES_H_
