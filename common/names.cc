#include "common/names.h"

#include "common/strings.h"
#include "common/text.h"

namespace artidx {
namespace {

absl::Status ValidateText(std::string_view what, std::string_view value, size_t min_bytes,
                          size_t max_bytes) {
  if (value.size() < min_bytes || value.size() > max_bytes) {
    return absl::InvalidArgumentError(StrCat("invalid ", what, ": ", value.size(),
                                             " bytes, expected ", min_bytes, " to ", max_bytes));
  }
  for (size_t i = 0; i < value.size();) {
    uint32_t cp;
    size_t len = DecodeUtf8(value, i, &cp);
    if (len == 0) {
      return absl::InvalidArgumentError(StrCat("invalid ", what, ": not valid UTF-8 at byte ", i));
    }
    if (IsControl(cp)) {
      return absl::InvalidArgumentError(StrCat("invalid ", what, ": control character U+",
                                               absl::Hex(cp, absl::kZeroPad4), " at byte ", i));
    }
    i += len;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateProject(std::string_view project) {
  bool ok =
      !project.empty() && project.size() <= kMaxProjectBytes && project != "." && project != "..";
  for (char c : project) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      StrCat("invalid project \"", project.substr(0, 80),
             "\": expected 1 to 64 characters of [A-Za-z0-9._-], not \".\" or \"..\""));
}

absl::Status ValidateRelease(std::string_view release) {
  return ValidateText("release", release, 1, kMaxReleaseBytes);
}

absl::Status ValidateDist(std::string_view dist) {
  return ValidateText("dist", dist, 0, kMaxDistBytes);
}

}  // namespace artidx
