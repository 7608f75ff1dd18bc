#include "lookup/sourcemap.h"

#include <vector>

#include "absl/status/status.h"
#include "common/strings.h"

namespace artidx::lookup {
namespace {

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t end = s.find('/', start);
    parts.push_back(s.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<std::string> Base64Decode(std::string_view in) {
  // Padding only at the very end, and no more than completes the last group.
  size_t padding = 0;
  while (!in.empty() && in.back() == '=' && padding < 2) {
    in.remove_suffix(1);
    ++padding;
  }
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+' || c == '-') {
      v = 62;
    } else if (c == '/' || c == '_') {
      v = 63;
    } else if (c == '\n' || c == '\r' || c == ' ') {
      continue;
    } else {
      return absl::InvalidArgumentError("data: URL is not valid base64");
    }
    bits = bits << 6 | static_cast<uint32_t>(v);
    if (++count == 4) {
      out.push_back(static_cast<char>(bits >> 16));
      out.push_back(static_cast<char>(bits >> 8));
      out.push_back(static_cast<char>(bits));
      bits = 0, count = 0;
    }
  }
  if (count == 1 || (padding > 0 && count + padding != 4)) {
    return absl::InvalidArgumentError("data: URL is not valid base64");
  }
  if (count >= 2) out.push_back(static_cast<char>(bits >> (count == 2 ? 4 : 10)));
  if (count == 3) out.push_back(static_cast<char>(bits >> 2));
  return out;
}

}  // namespace

std::string JoinUrl(std::string_view base, std::string_view reference) {
  if (reference.find("://") != std::string_view::npos || reference.starts_with("webpack:")) {
    return std::string(reference);
  }
  if (base.starts_with("~/")) {
    // A scheme-relative reference names its own host; the base lends it no scheme.
    if (reference.starts_with("//") || reference.starts_with("~//")) {
      return std::string(reference.substr(reference.starts_with('~') ? 1 : 0));
    }
    // The same rules on a stand-in origin, whose name cannot occur in a real URL.
    constexpr std::string_view kOrigin = "tilde://\x01";
    std::string joined = JoinUrl(StrCat(kOrigin, base.substr(1)), reference);
    return joined.starts_with(kOrigin) ? StrCat("~", joined.substr(kOrigin.size())) : joined;
  }
  const size_t scheme_end = base.find("://");
  const std::string_view scheme =
      scheme_end == std::string_view::npos ? "file" : base.substr(0, scheme_end);
  const std::string_view rest =
      scheme_end == std::string_view::npos ? base : base.substr(scheme_end + 3);
  const bool file = scheme == "file";
  if (reference.starts_with('~')) reference.remove_prefix(1);

  if (reference.starts_with('/')) {
    if (file) return std::string(reference);
    if (reference.starts_with("//")) return StrCat(scheme, ":", reference);
    return StrCat(scheme, "://", rest.substr(0, rest.find('/')), reference);
  }
  std::vector<std::string_view> left = Split(rest);
  std::string out;
  size_t first = 0;
  if (!file) {
    out = StrCat(scheme, "://", left[0]);
    first = 1;
  } else if (left.size() > 1 && left[0].empty()) {
    first = 1;  // the leading "/" of an absolute path
  }
  std::vector<std::string_view> segments(left.begin() + static_cast<long>(first), left.end());
  if (!segments.empty()) segments.pop_back();  // base's last segment: its file name
  const bool http = scheme == "http" || scheme == "https";
  bool first_segment = true;
  for (std::string_view segment : Split(reference)) {
    if (segment == "..") {
      if (!segments.empty()) {
        segments.pop_back();
        continue;
      }
      if (http) continue;
    }
    if (segment == "." && (http || first_segment)) continue;
    first_segment = false;
    segments.push_back(segment);
  }
  for (std::string_view segment : segments) {
    if (!segment.empty()) StrAppend(&out, "/", segment);
  }
  return out;
}

std::optional<std::string_view> FindSourceMappingUrl(std::string_view source) {
  while (!source.empty()) {
    size_t start = source.rfind('\n', source.size() - 1);
    start = start == std::string_view::npos ? 0 : start + 1;
    std::string_view line = Trim(source.substr(start));
    source = source.substr(0, start == 0 ? 0 : start - 1);
    for (std::string_view marker : {"//# sourceMappingURL=", "//@ sourceMappingURL="}) {
      if (line.starts_with(marker)) {
        std::string_view value = Trim(line.substr(marker.size()));
        if (!value.empty()) return value;
      }
    }
  }
  return std::nullopt;
}

absl::StatusOr<std::string> DecodeDataUrl(std::string_view url) {
  if (!url.starts_with("data:")) return absl::InvalidArgumentError("not a data: URL");
  const size_t comma = url.find(',');
  if (comma == std::string_view::npos) {
    return absl::InvalidArgumentError("data: URL without a comma before its payload");
  }
  const std::string_view media = url.substr(5, comma - 5);
  const std::string_view payload = url.substr(comma + 1);
  if (media.ends_with(";base64")) return Base64Decode(payload);
  std::string out;
  for (size_t i = 0; i < payload.size(); ++i) {
    if (payload[i] == '%' && i + 2 < payload.size() && HexValue(payload[i + 1]) >= 0 &&
        HexValue(payload[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(payload[i + 1]) * 16 + HexValue(payload[i + 2])));
      i += 2;
    } else {
      out.push_back(payload[i]);
    }
  }
  return out;
}

}  // namespace artidx::lookup
