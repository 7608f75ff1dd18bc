#include "bundle/bundle_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "bundle/zip_reader.h"
#include "common/coding.h"
#include "common/strings.h"
#include "simdjson.h"

namespace artidx::bundle {
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

// The SYSB prefix, when the archive starts with one: magic, then a known u32 version (1 or 2).
absl::Status CheckPrefix(std::string_view archive) {
  if (archive.substr(0, kPrefixMagic.size()) == kPrefixMagic) {
    if (archive.size() < kPrefixSize) return Invalid("truncated SYSB prefix");
    uint32_t version = common::Load<uint32_t>(archive.data() + 4);
    if (version != 1 && version != 2) {
      return Invalid(StrCat("unsupported SYSB format version ", version));
    }
  }
  return absl::OkStatus();
}

// Opens the ZIP in `archive` for reading through its central directory (the authoritative list
// of entries). The SYSB prefix, when present, stays in front: libarchive finds the central
// directory from the end, and shifts offsets that do not count the prefix.
absl::StatusOr<ArchivePtr> OpenZip(std::string_view archive) {
  if (absl::Status s = CheckPrefix(archive); !s.ok()) return s;
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

std::string ArchiveError(struct archive* a, std::string_view what) {
  const char* e = archive_error_string(a);
  return StrCat(what, ": ", e ? e : "corrupt archive");
}

// Whether `name` holds a backslash or two dots in a row, in one pass the compiler vectorises:
// a third of the time of find('\\') and find("..") on 100-byte names, since find("..") stops at
// every dot and names are full of them ("cdn.example.com/app.min.js").
bool HasBackslashOrDots(std::string_view name) {
  if (name.empty()) return false;
  unsigned char found = name.back() == '\\';
  for (size_t i = 0; i + 1 < name.size(); ++i) {
    const unsigned char dots =
        static_cast<unsigned char>(name[i] == '.') & static_cast<unsigned char>(name[i + 1] == '.');
    found |= dots | static_cast<unsigned char>(name[i] == '\\');
  }
  return found != 0;
}

// An entry name that could escape a directory if extracted, or that no writer produces. A ".."
// component is looked for only where ".." occurs: one scan of the name rather than one per
// component.
bool UnsafeName(std::string_view name) {
  if (name.empty() || name.front() == '/') return true;
  if (!HasBackslashOrDots(name)) return false;
  if (name.find('\\') != std::string_view::npos) return true;
  for (size_t dots = name.find(".."); dots != std::string_view::npos;
       dots = name.find("..", dots + 1)) {
    if ((dots == 0 || name[dots - 1] == '/') &&
        (dots + 2 == name.size() || name[dots + 2] == '/')) {
      return true;
    }
  }
  return false;
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

std::string Where(std::string_view zip_path) {
  return StrCat("manifest entry \"", zip_path.substr(0, 200), "\"");
}

// A string field; "" when absent, null or empty (writers leave empty values out). `where()`
// names the object in messages, built only when there is one to give.
template <typename WhereFn>
absl::StatusOr<std::string_view> OptionalString(std::optional<simdjson::dom::element> value,
                                                std::string_view key, const WhereFn& where,
                                                uint32_t max_bytes) {
  if (!value || value->is_null()) return std::string_view();
  std::string_view s;
  if (value->get_string().get(s) != simdjson::SUCCESS) {
    return Invalid(StrCat(where(), ": \"", key, "\" is not a string"));
  }
  if (s.size() > max_bytes) {
    return absl::ResourceExhaustedError(
        StrCat(where(), ": \"", key, "\" has ", s.size(), " bytes, over the limit of ", max_bytes));
  }
  return s;
}

// Where a Bundle's strings go: copied one after another into the block that held the manifest's
// text. The parsed document does not refer to the text (simdjson's DOM holds copies of its
// strings), and each string kept is the unescaped value of a different string token of the
// text, never longer than the token: they fit. Keep checks all the same.
class StringBlock {
 public:
  StringBlock(char* begin, size_t size) : next_(begin), end_(begin + size) {}

  [[nodiscard]] absl::StatusOr<std::string_view> Keep(std::string_view s) {
    if (s.size() > static_cast<size_t>(end_ - next_)) {
      return absl::InternalError("the manifest's strings outgrow its text");
    }
    std::copy(s.begin(), s.end(), next_);
    const std::string_view kept(next_, s.size());
    next_ += s.size();
    return kept;
  }

 private:
  char* next_;
  char* end_;
};

absl::Status ParseEntry(std::string_view zip_path, simdjson::dom::element element,
                        const BundleLimits& limits, StringBlock* strings, ManifestFile* file) {
  simdjson::dom::object entry;
  if (element.get_object().get(entry) != simdjson::SUCCESS) {
    return Invalid(StrCat(Where(zip_path), " is not an object"));
  }
  // One pass over the fields; of a key given twice, the first counts.
  std::optional<simdjson::dom::element> type_value, url_value, path_value, headers_value;
  for (auto [key, value] : entry) {
    std::optional<simdjson::dom::element>* slot = key == "type"      ? &type_value
                                                  : key == "url"     ? &url_value
                                                  : key == "path"    ? &path_value
                                                  : key == "headers" ? &headers_value
                                                                     : nullptr;
    if (slot != nullptr && !*slot) *slot = value;
  }

  auto where = [zip_path] { return Where(zip_path); };
  absl::StatusOr<std::string_view> type = OptionalString(type_value, "type", where, 64);
  if (!type.ok()) return type.status();
  if (type->empty()) return Invalid(StrCat(Where(zip_path), " has no \"type\""));
  std::optional<FileType> parsed_type = ParseFileType(*type);
  if (!parsed_type) return Invalid(StrCat(Where(zip_path), " has unknown type \"", *type, "\""));
  file->type = *parsed_type;

  absl::StatusOr<std::string_view> url =
      OptionalString(url_value, "url", where, limits.max_string_bytes);
  if (!url.ok()) return url.status();
  absl::StatusOr<std::string_view> path =
      OptionalString(path_value, "path", where, limits.max_string_bytes);
  if (!path.ok()) return path.status();
  if (url->empty() && path->empty()) {
    return Invalid(StrCat(Where(zip_path), " has neither \"url\" nor \"path\""));
  }

  if (headers_value && !headers_value->is_null()) {
    simdjson::dom::object headers;
    if (headers_value->get_object().get(headers) != simdjson::SUCCESS) {
      return Invalid(StrCat(Where(zip_path), ": \"headers\" is not an object"));
    }
    std::optional<std::string_view> debug_id, sourcemap, x_sourcemap;
    for (auto [key, value] : headers) {
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) {
        return Invalid(StrCat(Where(zip_path), ": header \"", key, "\" is not a string"));
      }
      if (s.size() > limits.max_string_bytes) {
        return absl::ResourceExhaustedError(StrCat(Where(zip_path), ": header \"", key,
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
      if (!id.ok()) {
        return Invalid(StrCat(Where(zip_path), ": debug-id header: ", id.status().message()));
      }
      file->debug_id = *id;
    }
    if (!sourcemap || sourcemap->empty()) sourcemap = x_sourcemap;
    if (sourcemap && !sourcemap->empty()) {
      absl::StatusOr<std::string_view> kept = strings->Keep(*sourcemap);
      if (!kept.ok()) return kept.status();
      file->sourcemap = *kept;
    }
  }
  absl::StatusOr<std::string_view> kept_path = strings->Keep(zip_path);
  if (!kept_path.ok()) return kept_path.status();
  file->path = *kept_path;
  absl::StatusOr<std::string_view> kept_url = strings->Keep(!url->empty() ? *url : *path);
  if (!kept_url.ok()) return kept_url.status();
  file->url = *kept_url;
  return absl::OkStatus();
}

// Commas and colons: with one, an upper bound on the values of a JSON text. Counted in blocks
// small enough for 16-bit sums, which the compiler vectorises.
uint64_t CountCommasAndColons(std::string_view json) {
  constexpr size_t kBlock = 4080;  // < 65536
  uint64_t total = 0;
  for (size_t start = 0; start < json.size(); start += kBlock) {
    const std::string_view block = json.substr(start, kBlock);
    uint16_t n = 0;
    for (char c : block) n += (c == ',') | (c == ':');
    total += n;
  }
  return total;
}

// Allocating a parser's buffers (several bytes per byte of JSON) and faulting them in costs as
// much as the parse: each thread keeps one parser for manifests up to this size.
constexpr size_t kKeptParserCapacity = 8 << 20;

// The regular files of the archive, in directory order, and which of them the manifest lists.
// Writers list the manifest's files in the archive's order (sentry-cli sorts both), so a name is
// looked for first right after the previous one found: a hash table lookup per file misses the
// cache (once the manifest has been inflated and parsed), reading on does not. The others are
// found by binary search while the names are sorted, else through a hash table built at the
// first name out of order.
class ArchiveFiles {
 public:
  explicit ArchiveFiles(size_t capacity) {
    names_.reserve(capacity);
    listed_.reserve(capacity);
  }

  // False when the archive holds `name` already.
  bool Add(std::string_view name) {
    if (sorted_ && (names_.empty() || names_.back() < name)) {
      names_.push_back(name);
      listed_.push_back(false);
      return true;
    }
    if (sorted_) {
      sorted_ = false;
      index_.reserve(names_.capacity());
      for (uint32_t i = 0; i < names_.size(); ++i) index_.emplace(names_[i], i);
    }
    if (!index_.emplace(name, static_cast<uint32_t>(names_.size())).second) return false;
    names_.push_back(name);
    listed_.push_back(false);
    return true;
  }

  enum class Listing { kListed, kNotInArchive, kListedTwice };

  Listing List(std::string_view name) {
    size_t i = next_;
    if (i >= names_.size() || names_[i] != name) {
      i = Find(name);
      if (i == names_.size()) return Listing::kNotInArchive;
    }
    if (listed_[i]) return Listing::kListedTwice;
    listed_[i] = true;
    next_ = i + 1;
    return Listing::kListed;
  }

 private:
  // Abseil's hash rather than std::hash, which Abseil falls back to for std::string_view (not
  // its own string_view on Debian): 9 ns against 15 ns on a name of 60 bytes.
  struct NameHash {
    size_t operator()(std::string_view name) const {
      return absl::Hash<absl::string_view>()(absl::string_view(name.data(), name.size()));
    }
  };

  // The index of `name`, or names_.size() when the archive does not hold it.
  size_t Find(std::string_view name) const {
    if (sorted_) {
      auto it = std::lower_bound(names_.begin(), names_.end(), name);
      return it != names_.end() && *it == name ? it - names_.begin() : names_.size();
    }
    auto it = index_.find(name);
    return it != index_.end() ? it->second : names_.size();
  }

  std::vector<std::string_view> names_;
  bool sorted_ = true;
  absl::flat_hash_map<std::string_view, uint32_t, NameHash> index_;  // once one is out of order
  std::vector<bool> listed_;
  size_t next_ = 0;  // where the next name listed is looked for first
};

absl::StatusOr<Bundle> ParseManifest(PaddedBytes json, const BundleLimits& limits,
                                     ArchiveFiles* archive_files) {
  // The parsed document takes up to 16 bytes per value on top of the text: cap the values a
  // manifest of max_entries files can need before parsing.
  const uint64_t max_values = uint64_t{limits.max_entries} * 64 + 1024;
  if (uint64_t values = CountCommasAndColons(json.view()); values > max_values) {
    return absl::ResourceExhaustedError(StrCat("manifest.json holds ", values,
                                               " values, more than ", limits.max_entries,
                                               " files can need"));
  }
  thread_local simdjson::dom::parser kept_parser;
  std::optional<simdjson::dom::parser> own_parser;
  simdjson::dom::parser& parser =
      json.size <= kKeptParserCapacity ? kept_parser : own_parser.emplace();
  if (parser.capacity() < json.size || parser.max_depth() != limits.max_json_depth) {
    if (parser.allocate(json.size, limits.max_json_depth) != simdjson::SUCCESS) {
      return absl::ResourceExhaustedError("cannot allocate the manifest parser");
    }
  }
  simdjson::dom::element root;
  if (auto error = parser.parse(json.data.get(), json.size, false).get(root);
      error == simdjson::DEPTH_ERROR) {
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
  simdjson::dom::element debug_id_value;
  std::optional<simdjson::dom::element> debug_id_field;
  if (top.at_key("debug_id").get(debug_id_value) == simdjson::SUCCESS) {
    debug_id_field = debug_id_value;
  }
  absl::StatusOr<std::string_view> debug_id = OptionalString(
      debug_id_field, "debug_id", [] { return std::string("manifest.json"); }, 200);
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
  bundle.files.reserve(files.size());
  StringBlock strings(json.data.get(), json.size);
  for (auto [key, value] : files) {
    switch (archive_files->List(key)) {
      case ArchiveFiles::Listing::kListed:
        break;
      case ArchiveFiles::Listing::kNotInArchive:
        return Invalid(StrCat("manifest.json names \"", key.substr(0, 200),
                              "\", which the archive does not hold"));
      case ArchiveFiles::Listing::kListedTwice:
        return Invalid(StrCat("manifest.json lists \"", key.substr(0, 200), "\" twice"));
    }
    if (absl::Status s = ParseEntry(key, value, limits, &strings, &bundle.files.emplace_back());
        !s.ok()) {
      return s;
    }
  }
  bundle.strings = std::move(json.data);
  return bundle;
}

// The bytes of the regular entry named `name`, walking the archive through libarchive.
absl::StatusOr<std::string> ReadThroughLibarchive(std::string_view archive, std::string_view name,
                                                  uint64_t max_bytes) {
  absl::StatusOr<ArchivePtr> a = OpenZip(archive);
  if (!a.ok()) return a.status();
  struct archive_entry* entry;
  for (;;) {
    int r = archive_read_next_header(a->get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK) return Invalid(ArchiveError(a->get(), "corrupt zip archive"));
    const char* entry_name = archive_entry_pathname(entry);
    if (entry_name != nullptr && entry_name == name && archive_entry_filetype(entry) == AE_IFREG) {
      return ReadData(a->get(), name, max_bytes);
    }
  }
  return absl::NotFoundError(StrCat("archive has no entry \"", name, "\""));
}

// An entry's bytes with `padding` more allocated: inflated here when stored or deflated (as
// every writer does), read by libarchive otherwise (bzip2, LZMA, zstd, encryption, ...).
absl::StatusOr<PaddedBytes> ReadEntry(std::string_view archive, const ZipEntry& entry,
                                      uint64_t max_bytes, size_t padding) {
  absl::StatusOr<PaddedBytes> bytes = ReadZipEntry(archive, entry, max_bytes, padding);
  if (!absl::IsUnimplemented(bytes.status())) return bytes;
  absl::StatusOr<std::string> data = ReadThroughLibarchive(archive, entry.name, max_bytes);
  if (!data.ok()) return data.status();
  PaddedBytes padded;
  padded.size = data->size();
  padded.data = std::make_unique_for_overwrite<char[]>(data->size() + padding);
  std::copy(data->begin(), data->end(), padded.data.get());
  return padded;
}

// The archive's central directory, the SYSB prefix checked.
absl::StatusOr<ZipDirectory> ReadDirectory(std::string_view archive, const BundleLimits* limits) {
  if (absl::Status s = CheckPrefix(archive); !s.ok()) return s;
  absl::StatusOr<ZipEnd> end = ReadZipEnd(archive);
  if (!end.ok()) return end.status();
  // max_entries files and the manifest; checked before the directory is read.
  if (limits != nullptr && end->entries > uint64_t{limits->max_entries} + 1) {
    return absl::ResourceExhaustedError(
        StrCat("archive holds more than ", limits->max_entries, " entries (", end->entries, ")"));
  }
  return ZipDirectory::Read(archive, *end);
}

}  // namespace

format::FileLocator ManifestFile::ToLocator() const {
  format::FileLocator locator{std::string(path), std::string(url), type, debug_id, std::nullopt};
  if (sourcemap) locator.sourcemap.emplace(*sourcemap);
  return locator;
}

absl::StatusOr<Bundle> ReadBundle(std::string_view archive, const BundleLimits& limits) {
  if (archive.size() > limits.max_archive_bytes) {
    return absl::ResourceExhaustedError(StrCat(
        "archive of ", archive.size(), " bytes is over the limit of ", limits.max_archive_bytes));
  }
  absl::StatusOr<ZipDirectory> zip = ReadDirectory(archive, &limits);
  if (!zip.ok()) return zip.status();
  ArchiveFiles files(zip->entries().size());
  const ZipEntry* manifest = nullptr;
  for (const ZipEntry& entry : zip->entries()) {
    if (UnsafeName(entry.name)) {
      return Invalid(StrCat("zip entry \"", entry.name.substr(0, 200), "\" has an unsafe name"));
    }
    if (entry.type == ZipEntryType::kDirectory) continue;
    if (entry.type != ZipEntryType::kRegular) {
      return Invalid(StrCat("zip entry \"", entry.name.substr(0, 200), "\" is not a regular file"));
    }
    if (!files.Add(entry.name)) {
      return Invalid(StrCat("zip entry \"", entry.name.substr(0, 200), "\" appears twice"));
    }
    if (entry.name == kManifestName) manifest = &entry;
  }
  if (manifest == nullptr) return Invalid("archive has no manifest.json");
  absl::StatusOr<PaddedBytes> json =
      ReadEntry(archive, *manifest, limits.max_manifest_bytes, simdjson::SIMDJSON_PADDING);
  if (!json.ok()) return json.status();
  return ParseManifest(*std::move(json), limits, &files);
}

absl::StatusOr<std::string> ReadArchiveEntry(std::string_view archive, std::string_view zip_path,
                                             uint64_t max_bytes) {
  absl::StatusOr<ZipDirectory> zip = ReadDirectory(archive, nullptr);
  if (!zip.ok()) return zip.status();
  for (const ZipEntry& entry : zip->entries()) {
    if (entry.name != zip_path || entry.type != ZipEntryType::kRegular) continue;
    absl::StatusOr<PaddedBytes> bytes = ReadEntry(archive, entry, max_bytes, 0);
    if (!bytes.ok()) return bytes.status();
    return std::string(bytes->view());
  }
  return absl::NotFoundError(StrCat("archive has no entry \"", zip_path, "\""));
}

}  // namespace artidx::bundle
