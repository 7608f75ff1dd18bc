#include "store/backend.h"

#include <cstdlib>
#include <filesystem>

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

namespace {

// The cache directory BackendOptions defaults to, or "" when the environment names none.
std::string DefaultCacheDir() {
  auto env = [](const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
  };
  if (std::string dir = env("ARTIDX_CACHE"); !dir.empty()) return dir;
  if (std::string dir = env("XDG_CACHE_HOME"); !dir.empty()) return StrCat(dir, "/artidx");
  if (std::string dir = env("HOME"); !dir.empty()) return StrCat(dir, "/.cache/artidx");
  return "";
}

// A backend that could not be opened: every call fails with why.
class FailingBackend final : public Backend {
 public:
  FailingBackend(std::string location, absl::Status why)
      : location_(std::move(location)), why_(std::move(why)) {}
  std::string Describe() const override { return location_; }
  absl::StatusOr<Listing> List(std::string_view, std::string_view, size_t, ListMode) override {
    return why_;
  }
  absl::StatusOr<std::string> Read(std::string_view, uint64_t) override { return why_; }
  absl::StatusOr<std::string> ReadRange(std::string_view, uint64_t, uint64_t) override {
    return why_;
  }
  absl::StatusOr<KeyInfo> Stat(std::string_view) override { return why_; }
  absl::Status Touch(std::string_view) override { return why_; }
  absl::Status Write(std::string_view, std::string_view, Sync) override { return why_; }
  absl::Status SyncWrites() override { return why_; }
  absl::Status Delete(std::string_view) override { return why_; }
  absl::StatusOr<std::unique_ptr<Office>> Elect(std::string_view, bool) override { return why_; }
  absl::StatusOr<std::unique_ptr<MappedFile>> Map(std::string_view, uint64_t) override {
    return why_;
  }

 private:
  const std::string location_;
  const absl::Status why_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> OpenBackend(std::string_view location,
                                                     const BackendOptions& options) {
  if (IsObjectStoreLocation(location)) {
    absl::StatusOr<S3Location> parsed = ParseS3Location(location);
    if (!parsed.ok()) return parsed.status();
    absl::StatusOr<S3Config> config = S3ConfigFromEnvironment();
    if (!config.ok()) return config.status();
    BackendOptions resolved = options;
    if (resolved.cache_dir.empty()) resolved.cache_dir = DefaultCacheDir();
    // A cache that cannot be made is said at once, not at the first lookup that maps.
    std::error_code ec;
    if (!resolved.cache_dir.empty()) std::filesystem::create_directories(resolved.cache_dir, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          StrCat("cache directory ", resolved.cache_dir, ": ", ec.message()));
    }
    return S3Backend::Open(*std::move(parsed), *std::move(config), resolved);
  }
  if (location.empty()) return absl::InvalidArgumentError("empty store location");
  return std::unique_ptr<Backend>(new LocalBackend(std::string(location)));
}

std::shared_ptr<Backend> OpenBackendOrFailing(std::string_view location,
                                              const BackendOptions& options) {
  absl::StatusOr<std::unique_ptr<Backend>> backend = OpenBackend(location, options);
  if (backend.ok()) return *std::move(backend);
  const absl::Status& why = backend.status();
  if (StdView(why.message()).find(location) != std::string_view::npos) {
    return std::make_shared<FailingBackend>(std::string(location), why);
  }
  return std::make_shared<FailingBackend>(
      std::string(location),
      absl::Status(why.code(), StrCat(location, ": ", StdView(why.message()))));
}

}  // namespace artidx::store
