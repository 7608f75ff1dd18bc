// Fuzzes the manifest parser: the input is manifest.json inside an otherwise valid zip (built
// in memory with bundle::WriteZip, holding a few files that manifests may name), read with
// bundle::ReadBundle under small limits. Every input must give a bundle or an error, never a
// crash; what is accepted must respect the limits and name files of the archive, and must be
// indexable: its files encode into a URL index and a debug-id index that verify.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "artidx/indexer.h"
#include "bundle/bundle_reader.h"
#include "bundle/bundle_writer.h"
#include "format/index_encoder.h"
#include "format/index_reader.h"
#include "fuzz/fuzz_check.h"

namespace {

// The archive's files besides manifest.json; the seed manifests name them.
constexpr std::string_view kArchiveFiles[] = {
    "files/_/_/a.js", "files/_/_/a.js.map",     "files/https/example.com/b.js",
    "files/c",        "files/_/_/sub/d.min.js",
};

bool Canonical(const artidx::DebugId& id, bool appendix_allowed) {
  const std::string text = id.ToString();
  absl::StatusOr<artidx::DebugId> again = artidx::DebugId::Parse(text);
  return again.ok() && *again == id && (appendix_allowed || id.appendix == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  artidx::BundleLimits limits;
  limits.max_archive_bytes = 1 << 20;
  limits.max_manifest_bytes = 16 << 10;
  limits.max_entries = 8;
  limits.max_string_bytes = 256;
  limits.max_json_depth = 16;
  if (size > 2 * limits.max_manifest_bytes) return 0;  // past the cap is all alike

  std::vector<std::pair<std::string, std::string>> entries;
  for (std::string_view path : kArchiveFiles) {
    entries.emplace_back(std::string(path), "content of " + std::string(path));
  }
  entries.emplace_back("manifest.json", std::string(reinterpret_cast<const char*>(data), size));
  absl::StatusOr<std::string> archive = artidx::bundle::WriteZip(entries, /*sysb_prefix=*/true);
  FUZZ_CHECK(archive.ok());

  absl::StatusOr<artidx::bundle::Bundle> bundle = artidx::bundle::ReadBundle(*archive, limits);
  if (!bundle.ok()) {
    FUZZ_CHECK(!bundle.status().message().empty());
    return 0;
  }
  FUZZ_CHECK(size <= limits.max_manifest_bytes);
  FUZZ_CHECK(bundle->files.size() <= limits.max_entries);
  if (bundle->manifest_debug_id) {
    absl::StatusOr<artidx::DebugId> id = artidx::DebugId::Parse(*bundle->manifest_debug_id);
    FUZZ_CHECK(id.ok());
    FUZZ_CHECK(id->ToString() == *bundle->manifest_debug_id);
    FUZZ_CHECK(Canonical(*id, /*appendix_allowed=*/false));
  }
  absl::flat_hash_set<std::string> paths;
  for (const artidx::bundle::ManifestFile& file : bundle->files) {
    FUZZ_CHECK(paths.insert(std::string(file.path)).second);
    bool in_archive = false;
    for (std::string_view path : kArchiveFiles) in_archive = in_archive || path == file.path;
    FUZZ_CHECK(in_archive);
    FUZZ_CHECK(!file.url.empty() && file.url.size() <= limits.max_string_bytes);
    if (file.sourcemap) FUZZ_CHECK(file.sourcemap->size() <= limits.max_string_bytes);
    if (file.debug_id) FUZZ_CHECK(Canonical(*file.debug_id, /*appendix_allowed=*/true));
    const int type = static_cast<int>(file.type);
    FUZZ_CHECK(type >= 1 && type <= artidx::kFileTypeCount);
  }

  // What was accepted can be indexed, as the indexer does (SPEC.md 19.4).
  for (artidx::IndexKind kind : {artidx::IndexKind::kUrl, artidx::IndexKind::kDebugId}) {
    artidx::format::IndexContent content;
    content.kind = kind;
    content.project = "web";
    if (kind == artidx::IndexKind::kUrl) content.release = "1.0";
    artidx::format::BundleEntry entry;
    entry.bundle_id = bundle->manifest_debug_id.value_or("sha1-id");
    entry.timestamp_ms = 1000;
    entry.archive_sha1[0] = 1;
    for (const artidx::bundle::ManifestFile& file : bundle->files) {
      if (kind == artidx::IndexKind::kUrl || file.debug_id) entry.files.push_back(file.ToLocator());
    }
    content.bundles.push_back(std::move(entry));
    absl::StatusOr<std::string> bytes = artidx::format::EncodeIndex(content);
    FUZZ_CHECK(bytes.ok());
    absl::StatusOr<artidx::format::IndexReader> reader = artidx::format::IndexReader::Open(*bytes);
    FUZZ_CHECK(reader.ok());
    FUZZ_CHECK(reader->Verify().ok());
    absl::StatusOr<artidx::format::IndexContent> decoded = reader->Decode();
    FUZZ_CHECK(decoded.ok());
    FUZZ_CHECK(decoded->bundles.size() == 1);
    FUZZ_CHECK(decoded->bundles[0].files.size() == content.bundles[0].files.size());
  }
  return 0;
}
