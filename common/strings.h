// StrCat and StrAppend that accept std::string_view. Debian 12's Abseil is built with its own
// absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), which std::string_view does not
// convert to; these forward to Abseil's, converting std::string_view arguments on the way.

#ifndef ARTIDX_COMMON_STRINGS_H_
#define ARTIDX_COMMON_STRINGS_H_

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace artidx {
namespace strings_internal {

inline absl::string_view Arg(std::string_view s) { return {s.data(), s.size()}; }
template <typename T>
const T& Arg(const T& v) {
  return v;
}

}  // namespace strings_internal

template <typename... T>
std::string StrCat(const T&... args) {
  return absl::StrCat(strings_internal::Arg(args)...);
}

template <typename... T>
void StrAppend(std::string* out, const T&... args) {
  absl::StrAppend(out, strings_internal::Arg(args)...);
}

// The std::string_view of an Abseil one (a Status message, say).
inline std::string_view StdView(absl::string_view s) { return {s.data(), s.size()}; }

}  // namespace artidx

#endif  // ARTIDX_COMMON_STRINGS_H_
