#include "store/segments.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "absl/container/flat_hash_set.h"
#include "format/errors.h"
#include "format/strings.h"
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

std::vector<Covers> ReadCovers(const std::string& dir) {
  std::vector<Covers> all;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= 32 || !name.ends_with(kCoversSuffix)) continue;
    absl::StatusOr<std::string> text = ReadFile(it->path().string(), 64 << 20);
    if (!text.ok()) continue;
    Covers covers{it->path().string(), StrCat(name.substr(0, 32), kSegmentSuffix), {}};
    for (std::string_view rest = *text; !rest.empty();) {
      const size_t end = rest.find('\n');
      const std::string_view segment = rest.substr(0, end);
      if (IsSegmentName(segment) && segment != covers.output) {
        covers.segments.emplace_back(segment);
      }
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    }
    all.push_back(std::move(covers));
  }
  return all;
}

absl::StatusOr<std::vector<std::string>> ListSegments(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (IsSegmentName(name)) names.push_back(std::move(name));
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return absl::InternalError(StrCat(dir, ": cannot list: ", ec.message()));
  }
  std::sort(names.begin(), names.end());
  absl::flat_hash_set<std::string> covered;
  for (Covers& covers : ReadCovers(dir)) {
    // A cover counts while its output exists; without it, its segments are either gone or
    // harmlessly merged again.
    if (!std::binary_search(names.begin(), names.end(), covers.output)) continue;
    for (std::string& segment : covers.segments) covered.insert(std::move(segment));
  }
  std::erase_if(names, [&](const std::string& n) { return covered.contains(n); });
  return names;
}

absl::StatusOr<std::vector<OpenSegment>> OpenSegments(const std::string& dir) {
  for (int attempt = 0; attempt < kOpenAttempts; ++attempt) {
    absl::StatusOr<std::vector<std::string>> names = ListSegments(dir);
    if (!names.ok()) return names.status();
    if (names->empty()) {
      return WithKind(absl::NotFoundError(StrCat(dir, ": no such index")), ErrorKind::kNoSuchIndex);
    }
    std::vector<OpenSegment> segments;
    bool vanished = false;
    for (const std::string& name : *names) {
      const std::string path = StrCat(dir, "/", name);
      absl::StatusOr<std::unique_ptr<MappedFile>> file = MappedFile::Open(path);
      if (absl::IsNotFound(file.status())) {
        vanished = true;
        break;
      }
      if (!file.ok()) return file.status();
      absl::StatusOr<format::IndexReader> reader = format::IndexReader::Open((*file)->data());
      if (!reader.ok()) {
        return absl::DataLossError(StrCat(path, ": ", StdView(reader.status().message())));
      }
      segments.push_back(OpenSegment{name, *std::move(file), *std::move(reader)});
    }
    if (!vanished) return segments;
  }
  return absl::UnavailableError(StrCat(dir, ": segments keep vanishing while being opened"));
}

absl::StatusOr<std::string> PublishSegment(const std::string& dir, std::string_view bytes) {
  std::string name = SegmentName(bytes);
  const std::string path = StrCat(dir, "/", name);
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return name;  // the same bytes, published already
  if (absl::Status s = WriteFileAtomically(path, bytes); !s.ok()) return s;
  return name;
}

}  // namespace artidx::store
