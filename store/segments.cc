#include "store/segments.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "common/errors.h"
#include "common/sha1.h"
#include "common/strings.h"
#define XXH_INLINE_ALL
#include "xxhash.h"

namespace artidx::store {
namespace {

// Re-listing is needed only when a compaction deletes a segment between our listing and our
// opening it; each retry sees the compaction's output, so a few always suffice.
constexpr int kOpenAttempts = 8;

}  // namespace

bool IsSegmentName(std::string_view name) {
  return name.size() == 32 + kSegmentSuffix.size() && name.ends_with(kSegmentSuffix) &&
         name.find('/') == std::string_view::npos;
}

std::string SegmentName(std::string_view bytes) {
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name;
  for (uint64_t half : {h.high64, h.low64}) {
    for (int shift = 60; shift >= 0; shift -= 4) name.push_back(kHex[(half >> shift) & 15]);
  }
  return name.append(kSegmentSuffix);
}

namespace {

bool IsCoversName(std::string_view name) {
  return name.size() > 32 && name.ends_with(kCoversSuffix);
}

// The names of the files directly in index `dir` (under `prefix`, its listing prefix).
absl::StatusOr<std::vector<std::string>> FileNames(const Layout& layout, const std::string& dir,
                                                   const std::string& prefix) {
  std::vector<std::string> names;
  std::string cursor;
  do {
    absl::StatusOr<Backend::Listing> page =
        layout.backend().List(prefix, cursor, 1000, Backend::ListMode::kOneLevel);
    if (!page.ok()) return page.status();
    for (const std::string& key : page->keys) {
      if (!key.ends_with('/')) names.push_back(key.substr(prefix.size()));
    }
    cursor = std::move(page->next_cursor);
  } while (!cursor.empty());
  return names;
}

// The covers file `name` of index `dir`, or nullopt when it cannot be read (deleted meanwhile).
std::optional<Covers> ReadCoversFile(const Layout& layout, const std::string& dir,
                                     const std::string& prefix, std::string_view name) {
  Covers covers{StrCat(dir, "/", name), StrCat(name.substr(0, 32), kSegmentSuffix), {}};
  absl::StatusOr<std::string> text = layout.backend().Read(StrCat(prefix, name), 64 << 20);
  if (!text.ok()) return std::nullopt;
  for (std::string_view rest = *text; !rest.empty();) {
    const size_t end = rest.find('\n');
    const std::string_view segment = rest.substr(0, end);
    if (IsSegmentName(segment) && segment != covers.output) covers.segments.emplace_back(segment);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  }
  return covers;
}

// ListSegments of `dir`. One listing finds segments and covers files alike: listing it is most
// of what opening an index costs, and an index without covers files (the usual case) reads
// nothing more.
absl::StatusOr<std::vector<std::string>> LiveSegments(const Layout& layout, const std::string& dir,
                                                      const std::string& prefix) {
  absl::StatusOr<std::vector<std::string>> files = FileNames(layout, dir, prefix);
  if (!files.ok()) return files.status();
  std::vector<std::string> names, covers_names;
  for (std::string& name : *files) {
    if (IsSegmentName(name)) {
      names.push_back(std::move(name));
    } else if (IsCoversName(name)) {
      covers_names.push_back(std::move(name));
    }
  }
  if (covers_names.empty()) return names;
  absl::flat_hash_set<std::string> covered;
  for (const std::string& name : covers_names) {
    std::optional<Covers> covers = ReadCoversFile(layout, dir, prefix, name);
    // A cover counts while its output exists; without it, its segments are either gone or
    // harmlessly merged again.
    if (!covers || !std::binary_search(names.begin(), names.end(), covers->output)) continue;
    for (std::string& segment : covers->segments) covered.insert(std::move(segment));
  }
  std::erase_if(names, [&](const std::string& n) { return covered.contains(n); });
  return names;
}

}  // namespace

absl::StatusOr<std::vector<Covers>> ReadCovers(const Layout& layout, const std::string& dir) {
  const std::string prefix = layout.PrefixOf(dir);
  absl::StatusOr<std::vector<std::string>> files = FileNames(layout, dir, prefix);
  if (!files.ok()) return files.status();
  std::vector<Covers> all;
  for (const std::string& name : *files) {
    if (!IsCoversName(name)) continue;
    if (std::optional<Covers> covers = ReadCoversFile(layout, dir, prefix, name)) {
      all.push_back(*std::move(covers));
    }
  }
  return all;
}

absl::Status WriteCovers(const Layout& layout, const std::string& dir, std::string_view output,
                         std::string_view segments) {
  return layout.backend().Write(StrCat(layout.PrefixOf(dir), output.substr(0, 32), "-",
                                       Sha1Digest::Of(segments).Hex().substr(0, 16), kCoversSuffix),
                                segments);
}

absl::StatusOr<format::IndexReader> CheckSegment(std::string_view name, std::string_view bytes) {
  absl::StatusOr<format::IndexReader> reader = format::IndexReader::Open(bytes);
  absl::Status valid = reader.ok() ? reader->Verify() : reader.status();
  if (!valid.ok()) return absl::DataLossError(StrCat(name, ": ", StdView(valid.message())));
  return reader;
}

absl::StatusOr<std::vector<std::string>> CheckSegmentFiles(const Layout& layout,
                                                           const std::string& dir) {
  const std::string prefix = layout.PrefixOf(dir);
  absl::StatusOr<std::vector<std::string>> files = FileNames(layout, dir, prefix);
  if (!files.ok()) return files.status();
  std::vector<std::string> problems;
  for (const std::string& name : *files) {
    if (!name.ends_with(kSegmentSuffix)) continue;
    absl::StatusOr<std::unique_ptr<MappedFile>> file =
        layout.backend().Map(StrCat(prefix, name), UINT64_MAX);
    if (absl::IsNotFound(file.status())) continue;  // a compaction deleted it meanwhile
    // The backend's errors name the file already.
    if (!file.ok()) {
      problems.emplace_back(StdView(file.status().message()));
      continue;
    }
    absl::StatusOr<format::IndexReader> reader =
        CheckSegment(StrCat(dir, "/", name), (*file)->data());
    if (!reader.ok()) problems.emplace_back(StdView(reader.status().message()));
  }
  return problems;
}

absl::StatusOr<std::vector<std::string>> ListSegments(const Layout& layout,
                                                      const std::string& dir) {
  return LiveSegments(layout, dir, layout.PrefixOf(dir));
}

absl::StatusOr<std::vector<OpenSegment>> OpenSegments(const Layout& layout,
                                                      const std::string& dir) {
  const std::string prefix = layout.PrefixOf(dir);
  for (int attempt = 0; attempt < kOpenAttempts; ++attempt) {
    absl::StatusOr<std::vector<std::string>> names = LiveSegments(layout, dir, prefix);
    if (!names.ok()) return names.status();
    if (names->empty()) {
      return WithKind(absl::NotFoundError(StrCat(dir, ": no such index")), ErrorKind::kNoSuchIndex);
    }
    std::vector<OpenSegment> segments;
    segments.reserve(names->size());
    bool vanished = false;
    for (std::string& name : *names) {
      absl::StatusOr<std::unique_ptr<MappedFile>> file =
          layout.backend().Map(StrCat(prefix, name), UINT64_MAX);
      if (absl::IsNotFound(file.status())) {
        vanished = true;
        break;
      }
      if (!file.ok()) return file.status();
      absl::StatusOr<format::IndexReader> reader = format::IndexReader::Open((*file)->data());
      if (!reader.ok()) {
        return absl::DataLossError(
            StrCat(dir, "/", name, ": ", StdView(reader.status().message())));
      }
      segments.push_back(OpenSegment{std::move(name), *std::move(file), *std::move(reader)});
    }
    if (!vanished) return segments;
  }
  return absl::UnavailableError(StrCat(dir, ": segments keep vanishing while being opened"));
}

absl::StatusOr<std::string> PublishSegment(const Layout& layout, const std::string& dir,
                                           std::string_view bytes) {
  std::string name = SegmentName(bytes);
  const std::string key = StrCat(layout.PrefixOf(dir), name);
  absl::StatusOr<Backend::KeyInfo> there = layout.backend().Stat(key);
  if (there.ok()) return name;  // the same bytes, published already
  if (!absl::IsNotFound(there.status())) return there.status();
  if (absl::Status s = layout.backend().Write(key, bytes); !s.ok()) return s;
  return name;
}

}  // namespace artidx::store
