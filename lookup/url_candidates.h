// Symbolicator's expansion of a stack frame's abs_path into the URLs to look up, in order
// (reference section 3, SPEC.md "URL lookup"). Forms are views into the input, with an optional
// "~" before them, so expanding allocates nothing.
//
// Thread-safe: a pure function.

#ifndef ARTIDX_LOOKUP_URL_CANDIDATES_H_
#define ARTIDX_LOOKUP_URL_CANDIDATES_H_

#include <string>
#include <string_view>

namespace artidx::lookup {

// The URL `prefix + body`, where prefix is "" or "~".
struct UrlForm {
  std::string_view prefix;
  std::string_view body;
  std::string ToString() const { return std::string(prefix).append(body); }
};

inline constexpr int kMaxUrlForms = 4;

// Writes the distinct candidate forms of abs_path to out[0..n) and returns n (1 to 4).
int ExpandUrl(std::string_view abs_path, UrlForm out[kMaxUrlForms]);

}  // namespace artidx::lookup

#endif  // ARTIDX_LOOKUP_URL_CANDIDATES_H_
