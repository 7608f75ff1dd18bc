#include "store/backend.h"

#include "common/strings.h"
#include "common/text.h"
#include "store/local_backend.h"
#include "store/s3_backend.h"

namespace artidx::store {

bool IsTemporaryName(std::string_view name) {
  for (int field = 0; field < 2; ++field) {
    size_t dot = name.rfind('.');
    if (dot == std::string_view::npos || dot + 1 == name.size()) return false;
    for (char c : name.substr(dot + 1)) {
      if (c < '0' || c > '9') return false;
    }
    name = name.substr(0, dot);
  }
  return name.size() >= 4 && name.substr(name.size() - 4) == ".tmp";
}

absl::Status ValidateKey(std::string_view key) {
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("invalid key \"", key.substr(0, 200), "\": ", why));
  };
  if (key.empty()) return invalid("empty");
  if (key.size() > kMaxKeyBytes) return invalid(StrCat("over ", kMaxKeyBytes, " bytes"));
  for (size_t i = 0; i < key.size();) {
    uint32_t cp;
    const size_t n = DecodeUtf8(key, i, &cp);
    if (n == 0) return invalid("not UTF-8");
    if (IsControl(cp)) return invalid("a control character");
    i += n;
  }
  for (size_t start = 0; start <= key.size();) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    const std::string_view component = key.substr(start, end - start);
    if (component.empty()) return invalid("an empty path component");
    if (component.size() > kMaxKeyComponentBytes) {
      return invalid(StrCat("a component over ", kMaxKeyComponentBytes, " bytes"));
    }
    if (component == "." || component == "..") return invalid("a \".\" or \"..\" component");
    if (IsTemporaryName(component)) return invalid("a temporary file's name");
    start = end + 1;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Backend>> OpenBackend(std::string_view location,
                                                     const BackendOptions& options) {
  if (location.substr(0, 5) == "s3://") {
    absl::StatusOr<S3Location> parsed = ParseS3Location(location);
    if (!parsed.ok()) return parsed.status();
    absl::StatusOr<S3Config> config = S3ConfigFromEnvironment();
    if (!config.ok()) return config.status();
    return S3Backend::Open(*std::move(parsed), *std::move(config), options);
  }
  if (location.empty()) return absl::InvalidArgumentError("empty store location");
  return std::unique_ptr<Backend>(new LocalBackend(std::string(location)));
}

}  // namespace artidx::store
