#include "bundle/bundle_writer.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "common/coding.h"
#include "common/json_writer.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "store/file_util.h"

namespace artidx::bundle {
namespace {

constexpr time_t k1980 = 315532800;  // 1980-01-01T00:00:00Z, the ZIP epoch

// The value of a `//# NAME=` (or `//@ NAME=`) comment, searching from the end of the file as
// the last such comment is the one that counts.
std::optional<std::string> FindComment(std::string_view content, std::string_view name) {
  for (std::string_view marker : {"//# ", "//@ "}) {
    const std::string needle = StrCat(marker, name, "=");
    size_t at = content.rfind(needle);
    if (at == std::string_view::npos) continue;
    std::string_view rest = content.substr(at + needle.size());
    rest = rest.substr(0, rest.find_first_of("\r\n \t"));
    if (!rest.empty()) return std::string(rest);
  }
  return std::nullopt;
}

}  // namespace

DebugId DebugIdFromSha1(std::string_view bytes) {
  const Sha1Digest digest = Sha1Digest::Of(bytes);
  DebugId id;
  std::copy_n(digest.begin(), id.uuid.size(), id.uuid.begin());
  id.uuid[6] = static_cast<uint8_t>((id.uuid[6] & 0x0f) | 0x50);  // version 5 (name-based, SHA-1)
  id.uuid[8] = static_cast<uint8_t>((id.uuid[8] & 0x3f) | 0x80);  // variant 10 (RFC 4122)
  return id;
}

absl::StatusOr<std::string> WriteZip(
    const std::vector<std::pair<std::string, std::string>>& entries, bool sysb_prefix) {
  std::unique_ptr<struct archive, decltype(&archive_write_free)> a(archive_write_new(),
                                                                   archive_write_free);
  std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(),
                                                                         archive_entry_free);
  // libarchive writes to a caller-sized buffer; give it room for stored data plus headers.
  size_t capacity = 4096;
  // Deflate can grow incompressible data by about 5 bytes per 16 KiB block.
  for (const auto& [name, data] : entries) {
    capacity += data.size() + data.size() / 1024 + name.size() * 2 + 256;
  }
  std::string out(capacity, '\0');
  size_t used = 0;
  if (archive_write_set_format_zip(a.get()) != ARCHIVE_OK ||
      archive_write_open_memory(a.get(), out.data(), out.size(), &used) != ARCHIVE_OK) {
    return absl::InternalError(StrCat("zip writer: ", archive_error_string(a.get())));
  }
  for (const auto& [name, data] : entries) {
    archive_entry_clear(e.get());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
    archive_entry_set_mtime(e.get(), k1980, 0);
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK ||
        archive_write_data(a.get(), data.data(), data.size()) !=
            static_cast<la_ssize_t>(data.size())) {
      return absl::InternalError(StrCat("zip writer: ", name, ": ", archive_error_string(a.get())));
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return absl::InternalError(StrCat("zip writer: ", archive_error_string(a.get())));
  }
  out.resize(used);
  if (!sysb_prefix) return out;
  std::string prefixed = "SYSB";
  common::Append<uint32_t>(&prefixed, 2);
  return prefixed + out;
}

std::string ZipPathForUrl(std::string_view url) {
  std::string path;
  if (url.starts_with("~/")) {
    path = StrCat("files/_/_/", url.substr(2));
  } else if (size_t scheme_end = url.find("://"); scheme_end == std::string_view::npos) {
    path = StrCat("files/_/_/", url.starts_with('/') ? url.substr(1) : url);
  } else {
    std::string_view rest = url.substr(scheme_end + 3);
    const size_t slash = rest.find('/');
    std::string_view host = rest.substr(0, slash);
    path = StrCat("files/", url.substr(0, scheme_end), "/", host.empty() ? "_" : host, "/",
                  slash == std::string_view::npos ? "" : rest.substr(slash + 1));
  }
  // An entry name ending in '/' is a directory: such a URL (an origin, say) names a '_' file.
  if (path.ends_with('/')) path.push_back('_');
  return path;
}

absl::StatusOr<std::string> WriteBundle(const BundleSpec& spec) {
  std::vector<std::pair<std::string, std::string>> entries;
  absl::flat_hash_set<std::string> used;
  JsonWriter manifest;
  manifest.BeginObject().Key("files").BeginObject();
  for (const BundleFile& file : spec.files) {
    const std::string base = ZipPathForUrl(file.url);
    std::string path = base;
    for (int n = 1; used.contains(path); ++n) path = StrCat(base, ".", n);
    used.insert(path);
    manifest.Key(path).BeginObject();
    manifest.Key("type").String(FileTypeName(file.type));
    manifest.Key("url").String(file.url);
    manifest.Key("headers").BeginObject();
    if (file.debug_id) manifest.Key("debug-id").String(file.debug_id->ToString());
    if (file.sourcemap) manifest.Key("sourcemap").String(*file.sourcemap);
    manifest.EndObject().EndObject();
    entries.emplace_back(std::move(path), file.content);
  }
  manifest.EndObject();
  if (spec.debug_id) manifest.Key("debug_id").String(*spec.debug_id);
  for (const auto& [key, value] : spec.attributes) manifest.Key(key).String(value);
  manifest.EndObject();
  entries.emplace_back("manifest.json", manifest.str());
  return WriteZip(entries, /*sysb_prefix=*/true);
}

absl::StatusOr<BundleSpec> ScanDirectory(const std::string& dir, std::string_view url_prefix) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return absl::InvalidArgumentError(dir + ": not a directory");
  std::vector<std::string> relative;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string ext = it->path().extension().string();
    if (ext == ".js" || ext == ".mjs" || ext == ".cjs" || ext == ".map") {
      relative.push_back(fs::relative(it->path(), dir).generic_string());
    }
  }
  if (ec) return absl::InternalError(StrCat(dir, ": ", ec.message()));
  std::sort(relative.begin(), relative.end());  // directory order is not deterministic

  while (url_prefix.ends_with('/')) url_prefix.remove_suffix(1);
  BundleSpec spec;
  absl::flat_hash_map<std::string, size_t> by_path;
  for (const std::string& rel : relative) {
    absl::StatusOr<std::string> content = common::ReadFile(dir + "/" + rel, uint64_t{1} << 30);
    if (!content.ok()) return content.status();
    BundleFile file;
    file.url = StrCat(url_prefix, "/", rel);
    file.type = absl::EndsWith(rel, ".map") ? FileType::kSourceMap : FileType::kMinifiedSource;
    file.content = *std::move(content);
    by_path[rel] = spec.files.size();
    spec.files.push_back(std::move(file));
  }
  for (BundleFile& file : spec.files) {
    if (file.type != FileType::kSourceMap) continue;
    for (std::string_view field : {"\"debug_id\":\"", "\"debugId\":\""}) {
      size_t at = file.content.find(field);
      if (at == std::string::npos) continue;
      size_t start = at + field.size();
      absl::StatusOr<DebugId> id =
          DebugId::Parse(file.content.substr(start, file.content.find('"', start) - start));
      if (id.ok()) file.debug_id = *id;
      break;
    }
  }
  // A script's debug id: its `//# debugId=` comment, else its map's "debug_id", else as
  // `sentry-cli sourcemaps inject` derives one: from the map's bytes, or the script's without
  // a map.
  for (const std::string& rel : relative) {
    BundleFile& script = spec.files[by_path[rel]];
    if (script.type == FileType::kSourceMap) continue;
    script.sourcemap = FindComment(script.content, "sourceMappingURL");
    std::string map_rel = rel + ".map";
    if (script.sourcemap && !absl::StrContains(*script.sourcemap, ":")) {
      map_rel =
          (fs::path(rel).parent_path() / *script.sourcemap).lexically_normal().generic_string();
    }
    auto map = by_path.find(map_rel);
    BundleFile* map_file = map == by_path.end() ? nullptr : &spec.files[map->second];
    std::optional<std::string> declared = FindComment(script.content, "debugId");
    absl::StatusOr<DebugId> id =
        declared ? DebugId::Parse(*declared) : absl::InvalidArgumentError("no comment");
    if (id.ok()) {
      script.debug_id = *id;
    } else if (map_file != nullptr && map_file->debug_id) {
      script.debug_id = map_file->debug_id;
    } else {
      script.debug_id = DebugIdFromSha1(map_file != nullptr ? map_file->content : script.content);
    }
    if (map_file != nullptr) {
      map_file->debug_id = script.debug_id;
      if (!script.sourcemap) script.sourcemap = fs::path(map_rel).filename().string();
    }
  }
  return spec;
}

bool IsManifestField(std::string_view key) { return key == "files" || key == "debug_id"; }

absl::StatusOr<MadeBundle> MakeBundle(const std::string& dir, std::string_view url_prefix,
                                      std::optional<DebugId> bundle_id,
                                      const std::map<std::string, std::string>& attributes) {
  absl::StatusOr<BundleSpec> spec = ScanDirectory(dir, url_prefix);
  if (!spec.ok()) return spec.status();
  if (spec->files.empty()) {
    return absl::InvalidArgumentError(dir + ": no .js, .mjs, .cjs or .map files");
  }
  if (!bundle_id) {
    std::string all;
    for (const BundleFile& f : spec->files) StrAppend(&all, f.url, "\n", f.content, "\n");
    bundle_id = DebugIdFromSha1(all);
  }
  spec->debug_id = bundle_id->ToString();
  for (const auto& [key, value] : attributes) {
    if (IsManifestField(key)) {
      return absl::InvalidArgumentError(StrCat("\"", key, "\" is not a free attribute"));
    }
    spec->attributes[key] = value;
  }
  absl::StatusOr<std::string> bytes = WriteBundle(*spec);
  if (!bytes.ok()) return bytes.status();
  return MadeBundle{*spec->debug_id, spec->files.size(), *std::move(bytes)};
}

}  // namespace artidx::bundle
