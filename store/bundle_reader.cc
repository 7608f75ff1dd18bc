#include "store/bundle_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "format/coding.h"
#include "format/strings.h"
#include "simdjson.h"

namespace artidx::store {
namespace {

constexpr std::string_view kPrefixMagic = "SYSB";
constexpr size_t kPrefixSize = 8;  // magic + u32 format version
constexpr std::string_view kManifestName = "manifest.json";

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(a[i])) !=
        absl::ascii_tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

using ArchivePtr = std::unique_ptr<struct archive, decltype(&archive_read_free)>;

// Opens the ZIP in `archive` for reading through its central directory (the authoritative list
// of entries). The SYSB prefix, when present, stays in front: the archive's offsets count from
// the start of the file, prefix included, and libarchive finds the central directory from the
// end.
absl::StatusOr<ArchivePtr> OpenZip(std::string_view archive) {
  if (archive.substr(0, kPrefixMagic.size()) == kPrefixMagic) {
    if (archive.size() < kPrefixSize) return Invalid("truncated SYSB prefix");
    uint32_t version = format::Load<uint32_t>(archive.data() + 4);
    if (version != 1 && version != 2) {
      return Invalid(StrCat("unsupported SYSB format version ", version));
    }
  }
  ArchivePtr a(archive_read_new(), archive_read_free);
  if (!a) return absl::ResourceExhaustedError("out of memory");
  archive_read_support_format_zip_seekable(a.get());
  if (archive_read_open_memory(a.get(), archive.data(), archive.size()) != ARCHIVE_OK) {
    return Invalid(StrCat("not a zip archive: ", archive_error_string(a.get())
                                                     ? archive_error_string(a.get())
                                                     : "unrecognised format"));
  }
  return a;
}

// Checks the ZIP's central directory before libarchive reads it: libarchive loads every record
// into memory first, and truncates an entry name at a NUL byte. Walks the records from the end
// of central directory record; what it cannot make sense of it leaves to libarchive's checks.
absl::Status CheckCentralDirectory(std::string_view zip, uint32_t max_entries) {
  constexpr size_t kEocdSize = 22, kMaxComment = 0xFFFF;
  if (zip.size() < kEocdSize) return absl::OkStatus();
  size_t eocd = std::string_view::npos;
  const size_t lowest =
      zip.size() > kEocdSize + kMaxComment ? zip.size() - kEocdSize - kMaxComment : 0;
  for (size_t at = zip.size() - kEocdSize + 1; at-- > lowest;) {
    if (zip.substr(at, 4) == std::string_view("PK\x05\x06", 4)) {
      eocd = at;
      break;
    }
  }
  if (eocd == std::string_view::npos) return absl::OkStatus();
  uint64_t entries = format::Load<uint16_t>(zip.data() + eocd + 10);
  uint64_t cd_size = format::Load<uint32_t>(zip.data() + eocd + 12);
  size_t cd_end = eocd;
  // ZIP64: the locator just before the end record, the zip64 end record just before that.
  if ((entries == 0xFFFF || cd_size == 0xFFFFFFFF) && eocd >= 20 + 56 &&
      zip.substr(eocd - 20, 4) == std::string_view("PK\x06\x07", 4) &&
      zip.substr(eocd - 20 - 56, 4) == std::string_view("PK\x06\x06", 4)) {
    entries = format::Load<uint64_t>(zip.data() + eocd - 76 + 32);
    cd_size = format::Load<uint64_t>(zip.data() + eocd - 76 + 40);
    cd_end = eocd - 76;
  }
  if (entries > uint64_t{max_entries} + 1) {
    return absl::ResourceExhaustedError(
        StrCat("archive holds more than ", max_entries, " entries (", entries, ")"));
  }
  if (cd_size > cd_end) return absl::OkStatus();
  size_t at = cd_end - cd_size;
  for (uint64_t i = 0; i < entries; ++i) {
    if (at + 46 > cd_end || zip.substr(at, 4) != std::string_view("PK\x01\x02", 4)) break;
    const size_t name_len = format::Load<uint16_t>(zip.data() + at + 28);
    const size_t extra_len = format::Load<uint16_t>(zip.data() + at + 30);
    const size_t comment_len = format::Load<uint16_t>(zip.data() + at + 32);
    if (at + 46 + name_len > cd_end) break;
    if (zip.substr(at + 46, name_len).find('\0') != std::string_view::npos) {
      return Invalid(StrCat("zip entry \"", zip.substr(at + 46, std::min<size_t>(name_len, 200)),
                            "\" has a NUL byte in its name"));
    }
    at += 46 + name_len + extra_len + comment_len;
  }
  return absl::OkStatus();
}

std::string ArchiveError(struct archive* a, std::string_view what) {
  const char* e = archive_error_string(a);
  return StrCat(what, ": ", e ? e : "corrupt archive");
}

// An entry name that could escape a directory if extracted, or that no writer produces.
bool UnsafeName(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find('\\') != std::string_view::npos) {
    return true;
  }
  for (size_t start = 0;;) {
    size_t end = name.find('/', start);
    if (name.substr(start, end - start) == "..") return true;
    if (end == std::string_view::npos) return false;
    start = end + 1;
  }
}

absl::StatusOr<std::string> ReadData(struct archive* a, std::string_view name, uint64_t max_bytes) {
  std::string data;
  char buffer[64 << 10];
  for (;;) {
    la_ssize_t n = archive_read_data(a, buffer, sizeof buffer);
    if (n < 0) return Invalid(ArchiveError(a, StrCat("reading ", name)));
    if (n == 0) return data;
    if (data.size() + static_cast<uint64_t>(n) > max_bytes) {
      return absl::ResourceExhaustedError(
          StrCat(name, " inflates past the limit of ", max_bytes, " bytes"));
    }
    data.append(buffer, static_cast<size_t>(n));
  }
}

// A string field of a manifest entry; "" when absent or empty (writers leave empty values out).
absl::StatusOr<std::string_view> OptionalString(simdjson::dom::object object, std::string_view key,
                                                std::string_view where, uint32_t max_bytes) {
  simdjson::dom::element value;
  if (object.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) {
    return std::string_view();
  }
  std::string_view s;
  if (value.get_string().get(s) != simdjson::SUCCESS) {
    return Invalid(StrCat(where, ": \"", key, "\" is not a string"));
  }
  if (s.size() > max_bytes) {
    return absl::ResourceExhaustedError(
        StrCat(where, ": \"", key, "\" has ", s.size(), " bytes, over the limit of ", max_bytes));
  }
  return s;
}

absl::StatusOr<format::FileLocator> ParseEntry(std::string_view zip_path,
                                               simdjson::dom::element element,
                                               const BundleLimits& limits) {
  const std::string where = StrCat("manifest entry \"", zip_path.substr(0, 200), "\"");
  simdjson::dom::object entry;
  if (element.get_object().get(entry) != simdjson::SUCCESS) {
    return Invalid(StrCat(where, " is not an object"));
  }
  format::FileLocator file;
  file.path = std::string(zip_path);

  absl::StatusOr<std::string_view> type = OptionalString(entry, "type", where, 64);
  if (!type.ok()) return type.status();
  if (type->empty()) return Invalid(StrCat(where, " has no \"type\""));
  std::optional<FileType> parsed_type = ParseFileType(*type);
  if (!parsed_type) return Invalid(StrCat(where, " has unknown type \"", *type, "\""));
  file.type = *parsed_type;

  absl::StatusOr<std::string_view> url =
      OptionalString(entry, "url", where, limits.max_string_bytes);
  if (!url.ok()) return url.status();
  absl::StatusOr<std::string_view> path =
      OptionalString(entry, "path", where, limits.max_string_bytes);
  if (!path.ok()) return path.status();
  file.url = std::string(!url->empty() ? *url : *path);
  if (file.url.empty()) return Invalid(StrCat(where, " has neither \"url\" nor \"path\""));

  simdjson::dom::element headers_element;
  if (entry.at_key("headers").get(headers_element) == simdjson::SUCCESS &&
      !headers_element.is_null()) {
    simdjson::dom::object headers;
    if (headers_element.get_object().get(headers) != simdjson::SUCCESS) {
      return Invalid(StrCat(where, ": \"headers\" is not an object"));
    }
    std::optional<std::string_view> debug_id, sourcemap, x_sourcemap;
    for (auto [key, value] : headers) {
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) {
        return Invalid(StrCat(where, ": header \"", key, "\" is not a string"));
      }
      if (s.size() > limits.max_string_bytes) {
        return absl::ResourceExhaustedError(StrCat(where, ": header \"", key,
                                                   "\" is over the limit of ",
                                                   limits.max_string_bytes, " bytes"));
      }
      // Header names are case-insensitive; the first non-empty value of a name wins.
      std::optional<std::string_view>* slot = nullptr;
      if (EqualsIgnoreCase(key, "debug-id")) slot = &debug_id;
      if (EqualsIgnoreCase(key, "sourcemap")) slot = &sourcemap;
      if (EqualsIgnoreCase(key, "x-sourcemap")) slot = &x_sourcemap;
      if (slot != nullptr && !*slot && !s.empty()) *slot = s;
    }
    if (debug_id && !debug_id->empty()) {
      absl::StatusOr<DebugId> id = DebugId::Parse(*debug_id);
      if (!id.ok()) return Invalid(StrCat(where, ": debug-id header: ", id.status().message()));
      file.debug_id = *id;
    }
    if (sourcemap && !sourcemap->empty()) {
      file.sourcemap = std::string(*sourcemap);
    } else if (x_sourcemap && !x_sourcemap->empty()) {
      file.sourcemap = std::string(*x_sourcemap);
    }
  }
  return file;
}

absl::StatusOr<Bundle> ParseManifest(const std::string& json, const BundleLimits& limits,
                                     const absl::flat_hash_set<std::string>& archive_files) {
  // The parsed document takes up to 16 bytes per value on top of the text: cap the values a
  // manifest of max_entries files can need (commas and colons bound them) before parsing.
  const uint64_t max_values = uint64_t{limits.max_entries} * 64 + 1024;
  if (uint64_t values =
          std::count(json.begin(), json.end(), ',') + std::count(json.begin(), json.end(), ':');
      values > max_values) {
    return absl::ResourceExhaustedError(StrCat("manifest.json holds ", values,
                                               " values, more than ", limits.max_entries,
                                               " files can need"));
  }
  simdjson::dom::parser parser;
  if (parser.allocate(json.size(), limits.max_json_depth) != simdjson::SUCCESS) {
    return absl::ResourceExhaustedError("cannot allocate the manifest parser");
  }
  simdjson::dom::element root;
  if (auto error = parser.parse(json).get(root); error == simdjson::DEPTH_ERROR) {
    return absl::ResourceExhaustedError(
        StrCat("manifest.json nests deeper than the limit of ", limits.max_json_depth));
  } else if (error != simdjson::SUCCESS) {
    return Invalid(StrCat("manifest.json is not valid JSON: ", simdjson::error_message(error)));
  }
  simdjson::dom::object top;
  if (root.get_object().get(top) != simdjson::SUCCESS) {
    return Invalid("manifest.json is not a JSON object");
  }
  Bundle bundle;
  absl::StatusOr<std::string_view> debug_id = OptionalString(top, "debug_id", "manifest.json", 200);
  if (!debug_id.ok()) return debug_id.status();
  if (!debug_id->empty()) {
    absl::StatusOr<DebugId> id = DebugId::Parse(*debug_id);
    if (!id.ok()) return Invalid(StrCat("manifest.json debug_id: ", id.status().message()));
    id->appendix = 0;
    bundle.manifest_debug_id = id->ToString();
  }
  simdjson::dom::element files_element;
  simdjson::dom::object files;
  if (top.at_key("files").get(files_element) != simdjson::SUCCESS) {
    return Invalid("manifest.json has no \"files\"");
  }
  if (files_element.get_object().get(files) != simdjson::SUCCESS) {
    return Invalid("manifest.json \"files\" is not an object");
  }
  if (files.size() > limits.max_entries) {
    return absl::ResourceExhaustedError(StrCat("manifest.json lists ", files.size(),
                                               " files, over the limit of ", limits.max_entries));
  }
  absl::flat_hash_set<std::string_view> seen;
  for (auto [key, value] : files) {
    if (!seen.insert(key).second) {
      return Invalid(StrCat("manifest.json lists \"", key.substr(0, 200), "\" twice"));
    }
    if (!archive_files.contains(std::string(key))) {
      return Invalid(StrCat("manifest.json names \"", key.substr(0, 200),
                            "\", which the archive does not hold"));
    }
    absl::StatusOr<format::FileLocator> file = ParseEntry(key, value, limits);
    if (!file.ok()) return file.status();
    bundle.files.push_back(*std::move(file));
  }
  return bundle;
}

}  // namespace

absl::StatusOr<Bundle> ReadBundle(std::string_view archive, const BundleLimits& limits) {
  if (archive.size() > limits.max_archive_bytes) {
    return absl::ResourceExhaustedError(StrCat(
        "archive of ", archive.size(), " bytes is over the limit of ", limits.max_archive_bytes));
  }
  if (absl::Status s = CheckCentralDirectory(archive, limits.max_entries); !s.ok()) return s;
  absl::StatusOr<ArchivePtr> a = OpenZip(archive);
  if (!a.ok()) return a.status();
  absl::flat_hash_set<std::string> files;
  std::optional<std::string> manifest;
  struct archive_entry* entry;
  for (;;) {
    int r = archive_read_next_header(a->get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK) return Invalid(ArchiveError(a->get(), "corrupt zip archive"));
    const char* raw_name = archive_entry_pathname(entry);
    if (raw_name == nullptr) return Invalid("zip entry without a readable name");
    std::string name(raw_name);
    if (UnsafeName(name)) {
      return Invalid(StrCat("zip entry \"", name.substr(0, 200), "\" has an unsafe name"));
    }
    const mode_t type = archive_entry_filetype(entry);
    if (type == AE_IFDIR) continue;
    if (type != AE_IFREG) {
      return Invalid(StrCat("zip entry \"", name.substr(0, 200), "\" is not a regular file"));
    }
    if (files.size() > limits.max_entries) {
      return absl::ResourceExhaustedError(
          StrCat("archive holds more than ", limits.max_entries, " entries"));
    }
    if (!files.insert(name).second) {
      return Invalid(StrCat("zip entry \"", name.substr(0, 200), "\" appears twice"));
    }
    if (name == kManifestName) {
      absl::StatusOr<std::string> data =
          ReadData(a->get(), kManifestName, limits.max_manifest_bytes);
      if (!data.ok()) return data.status();
      manifest = *std::move(data);
    }
  }
  if (!manifest) return Invalid("archive has no manifest.json");
  return ParseManifest(*manifest, limits, files);
}

absl::StatusOr<std::string> ReadArchiveEntry(std::string_view archive, std::string_view zip_path,
                                             uint64_t max_bytes) {
  absl::StatusOr<ArchivePtr> a = OpenZip(archive);
  if (!a.ok()) return a.status();
  struct archive_entry* entry;
  for (;;) {
    int r = archive_read_next_header(a->get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK) return Invalid(ArchiveError(a->get(), "corrupt zip archive"));
    const char* name = archive_entry_pathname(entry);
    if (name != nullptr && name == zip_path && archive_entry_filetype(entry) == AE_IFREG) {
      return ReadData(a->get(), zip_path, max_bytes);
    }
  }
  return absl::NotFoundError(StrCat("archive has no entry \"", zip_path, "\""));
}

}  // namespace artidx::store
