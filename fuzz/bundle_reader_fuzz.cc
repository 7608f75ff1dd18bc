// Fuzzes bundle::ReadBundle (the SYSB prefix, the ZIP reader, the manifest JSON) on arbitrary
// bytes with small limits, then ReadArchiveEntry on the files it names. Every input must give a
// result or an error, never a crash; the limits must hold; libarchive, which serves the files,
// must find every file ReadBundle accepted (its data may still be corrupt).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "artidx/indexer.h"
#include "bundle/bundle_reader.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view archive(reinterpret_cast<const char*>(data), size);
  artidx::BundleLimits limits;
  limits.max_archive_bytes = 1 << 20;
  limits.max_manifest_bytes = 64 << 10;
  limits.max_entries = 64;
  limits.max_string_bytes = 512;
  limits.max_json_depth = 16;
  absl::StatusOr<artidx::bundle::Bundle> bundle = artidx::bundle::ReadBundle(archive, limits);
  if (!bundle.ok()) return 0;
  FUZZ_CHECK(bundle->files.size() <= limits.max_entries);
  constexpr uint64_t kMaxEntryBytes = 64 << 10;
  size_t read = 0;
  for (const artidx::bundle::ManifestFile& file : bundle->files) {
    FUZZ_CHECK(!file.path.empty() && !file.url.empty());
    FUZZ_CHECK(file.url.size() <= limits.max_string_bytes);
    if (read++ == 4) break;
    absl::StatusOr<std::string> bytes =
        artidx::bundle::ReadArchiveEntry(archive, file.path, kMaxEntryBytes);
    if (bytes.ok()) {
      FUZZ_CHECK(bytes->size() <= kMaxEntryBytes);
    } else {
      const std::string_view message(bytes.status().message().data(),
                                     bytes.status().message().size());
      FUZZ_CHECK(bytes.status().code() != absl::StatusCode::kNotFound);
      FUZZ_CHECK(!message.starts_with("not a zip archive"));
      FUZZ_CHECK(!message.starts_with("corrupt zip archive"));
    }
  }
  return 0;
}
