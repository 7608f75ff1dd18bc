#include "format/index_salvage.h"

#include <algorithm>

#include "common/coding.h"
#include "format/index_format.h"

namespace artidx::format {
namespace {

using common::Load;

// The bytes of section `s` that lie inside `data`, however the header's entry is damaged.
std::string_view SectionBytes(std::string_view data, int s) {
  const char* entry = data.data() + kSectionTableOffset + kSectionEntrySize * s;
  const uint64_t offset = Load<uint64_t>(entry);
  const uint64_t size = Load<uint64_t>(entry + 8);
  if (offset < kHeaderSize || offset >= data.size()) return {};
  return data.substr(offset, std::min<uint64_t>(size, data.size() - offset));
}

// The string `ref` (a strref) points to, if it lies inside `strings`.
bool String(std::string_view strings, const char* ref, std::string_view* out) {
  const uint64_t offset = Load<uint32_t>(ref);
  const uint64_t length = Load<uint32_t>(ref + 4);
  if (offset + length > strings.size()) return false;
  *out = strings.substr(offset, length);
  return true;
}

}  // namespace

absl::StatusOr<SalvagedIndex> SalvageIndex(std::string_view data) {
  if (data.size() < kHeaderSize) return absl::DataLossError("shorter than an index header");
  if (data.substr(kMagicOffset, kMagic.size()) != kMagic) {
    return absl::DataLossError("not an index file (bad magic)");
  }
  const char* header = data.data();
  if (Load<uint16_t>(header + kVersionOffset) != kFormatVersion) {
    return absl::DataLossError("unsupported format version");
  }
  const uint16_t kind = Load<uint16_t>(header + kKindOffset);
  if (kind != static_cast<uint16_t>(IndexKind::kUrl) &&
      kind != static_cast<uint16_t>(IndexKind::kDebugId)) {
    return absl::DataLossError("unknown index kind");
  }
  const std::string_view strings = SectionBytes(data, kStringsSection);
  std::string_view project, release, dist;
  if (!String(strings, header + kProjectRefOffset, &project) ||
      !String(strings, header + kReleaseRefOffset, &release) ||
      !String(strings, header + kDistRefOffset, &dist)) {
    return absl::DataLossError("the header's project, release or dist is unreadable");
  }
  SalvagedIndex out;
  out.id = {static_cast<IndexKind>(kind), std::string(project), std::string(release),
            std::string(dist)};
  const std::string_view records = SectionBytes(data, kBundlesSection);
  const uint64_t count = std::min<uint64_t>(Load<uint32_t>(header + kBundleCountOffset),
                                            records.size() / kBundleRecordSize);
  for (uint64_t i = 0; i < count; ++i) {
    const char* p = records.data() + i * kBundleRecordSize;
    std::string_view id;
    const uint32_t flags = Load<uint32_t>(p + 36);
    const std::string_view sha1(p + 16, 20);
    const bool tombstone = (flags & kBundleTombstone) != 0;
    static constexpr char kZeroSha1[20] = {};
    if (!String(strings, p, &id) || id.empty() || (flags & ~kBundleKnownFlags) != 0 ||
        (tombstone && sha1 != std::string_view(kZeroSha1, sizeof kZeroSha1))) {
      ++out.skipped;
      continue;
    }
    out.bundles.push_back(SalvagedBundle{std::string(id), Load<int64_t>(p + 8),
                                         *Sha1Digest::FromRaw(sha1), tombstone});
  }
  return out;
}

}  // namespace artidx::format
