#include "server/query.h"

#include "common/strings.h"
#include "common/text.h"

namespace artidx::server {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in` (and '+' as a space when `plus_is_space`) into *out, then checks that
// the result is UTF-8 without control characters.
absl::Status Decode(std::string_view in, bool plus_is_space, std::string_view what,
                    std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      const int hi = i + 2 < in.size() ? HexDigit(in[i + 1]) : -1;
      const int lo = hi >= 0 ? HexDigit(in[i + 2]) : -1;
      if (lo < 0) return absl::InvalidArgumentError(StrCat("bad %-escape in the ", what));
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    out->push_back(c);
  }
  for (size_t i = 0; i < out->size();) {
    uint32_t cp;
    const size_t n = DecodeUtf8(*out, i, &cp);
    if (n == 0) return absl::InvalidArgumentError(StrCat("the ", what, " is not UTF-8"));
    if (cp < 0x20 || cp == 0x7F) {
      return absl::InvalidArgumentError(StrCat("control character in the ", what));
    }
    i += n;
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string_view> Target::All(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : params) {
    if (n == name) out.push_back(v);
  }
  return out;
}

absl::StatusOr<std::optional<std::string_view>> Target::Single(std::string_view name) const {
  std::optional<std::string_view> out;
  for (const auto& [n, v] : params) {
    if (n != name) continue;
    if (out) return absl::InvalidArgumentError(StrCat("parameter \"", name, "\" given twice"));
    out = v;
  }
  return out;
}

absl::StatusOr<Target> ParseTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return absl::InvalidArgumentError("the request target must start with '/'");
  }
  if (target.size() > kMaxTargetBytes) {
    return absl::InvalidArgumentError(StrCat("request target longer than ", kMaxTargetBytes));
  }
  if (target.find('#') != std::string_view::npos) {
    return absl::InvalidArgumentError("'#' in the request target");
  }
  Target out;
  const size_t q = target.find('?');
  out.raw_path = std::string(target.substr(0, q));
  if (absl::Status s = Decode(out.raw_path, false, "path", &out.path); !s.ok()) return s;
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (param.empty()) continue;
    if (out.params.size() == kMaxParams) {
      return absl::InvalidArgumentError(StrCat("more than ", kMaxParams, " query parameters"));
    }
    const size_t eq = param.find('=');
    auto& [name, value] = out.params.emplace_back();
    if (absl::Status s = Decode(param.substr(0, eq), true, "query", &name); !s.ok()) return s;
    if (eq != std::string_view::npos) {
      if (absl::Status s = Decode(param.substr(eq + 1), true, "query", &value); !s.ok()) return s;
    }
  }
  return out;
}

}  // namespace artidx::server
