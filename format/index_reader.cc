#include "format/index_reader.h"

#include "common/coding.h"
#include "common/strings.h"
#include "format/index_encoder.h"
#define XXH_INLINE_ALL  // XXH3_state_t is complete only in the inline build
#include "xxhash.h"

namespace artidx::format {
namespace {

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(StrCat("corrupt index: ", what));
}

}  // namespace

uint64_t KeyHash(std::string_view a, std::string_view b) {
  if (b.empty()) return XXH3_64bits(a.data(), a.size());
  if (a.empty()) return XXH3_64bits(b.data(), b.size());
  // Copying a short key beats the streaming state's setup cost.
  if (char buffer[256]; a.size() + b.size() <= sizeof buffer) {
    std::memcpy(buffer, a.data(), a.size());
    std::memcpy(buffer + a.size(), b.data(), b.size());
    return XXH3_64bits(buffer, a.size() + b.size());
  }
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, a.data(), a.size());
  XXH3_64bits_update(&state, b.data(), b.size());
  return XXH3_64bits_digest(&state);
}

void EncodeDebugIdKey(const DebugId& id, char out[kDebugIdKeySize]) {
  std::memcpy(out, id.uuid.data(), 16);
  Store<uint32_t>(out + 16, id.appendix);
}

absl::StatusOr<IndexReader> IndexReader::Open(std::string_view data) {
  if (data.size() < kHeaderSize + kFooterSize) {
    return Corrupt(StrCat("file of ", data.size(), " bytes is shorter than a header"));
  }
  const char* h = data.data();
  if (data.substr(kMagicOffset, kMagic.size()) != kMagic) return Corrupt("bad magic");
  if (uint16_t v = Load<uint16_t>(h + kVersionOffset); v != kFormatVersion) {
    return Corrupt(StrCat("unsupported format version ", v));
  }
  IndexReader r;
  uint16_t kind = Load<uint16_t>(h + kKindOffset);
  if (kind != static_cast<uint16_t>(IndexKind::kUrl) &&
      kind != static_cast<uint16_t>(IndexKind::kDebugId)) {
    return Corrupt(StrCat("unknown index kind ", kind));
  }
  r.kind_ = static_cast<IndexKind>(kind);
  if (Load<uint32_t>(h + kFlagsOffset) != 0) return Corrupt("reserved header flags set");
  if (Load<uint64_t>(h + kFileSizeOffset) != data.size()) {
    return Corrupt(StrCat("header says ", Load<uint64_t>(h + kFileSizeOffset), " bytes, file has ",
                          data.size(), " (truncated?)"));
  }
  r.data_ = data;
  r.bundle_count_ = Load<uint32_t>(h + kBundleCountOffset);
  r.file_count_ = Load<uint32_t>(h + kFileCountOffset);
  r.key_count_ = Load<uint32_t>(h + kKeyCountOffset);
  r.bucket_bits_ = Load<uint32_t>(h + kBucketBitsOffset);
  if (r.bucket_bits_ > kMaxBucketBits) return Corrupt("bucket bits out of range");

  const uint64_t body_end = data.size() - kFooterSize;
  const char* starts[kSectionCount];
  uint64_t sizes[kSectionCount];
  for (int s = 0; s < kSectionCount; ++s) {
    uint64_t offset = Load<uint64_t>(h + kSectionTableOffset + s * kSectionEntrySize);
    uint64_t size = Load<uint64_t>(h + kSectionTableOffset + s * kSectionEntrySize + 8);
    if (offset < kHeaderSize || offset > body_end || size > body_end - offset) {
      return Corrupt(StrCat("section ", s, " lies outside the file"));
    }
    starts[s] = h + offset;
    sizes[s] = size;
  }
  const uint64_t expected[] = {
      uint64_t{r.bundle_count_} * kBundleRecordSize,
      uint64_t{r.file_count_} * kFileRecordSize,
      uint64_t{r.key_count_} * kKeyRecordSize,
      ((uint64_t{1} << r.bucket_bits_) + 1) * 4,
  };
  for (int s = 0; s < kSectionCount; ++s) {
    if (s == kPostingsSection || s == kStringsSection) continue;
    const uint64_t want = s == kBundleIdsSection ? uint64_t{r.bundle_count_} * 4 : expected[s];
    if (sizes[s] != want) {
      return Corrupt(StrCat("section ", s, " has ", sizes[s], " bytes, expected ", want));
    }
  }
  if (sizes[kPostingsSection] % 4 != 0 || sizes[kPostingsSection] / 4 > UINT32_MAX ||
      sizes[kStringsSection] > UINT32_MAX) {
    return Corrupt("postings or strings section size out of range");
  }
  r.bundles_ = starts[kBundlesSection];
  r.files_ = starts[kFilesSection];
  r.keys_ = starts[kKeysSection];
  r.buckets_ = starts[kBucketsSection];
  r.postings_ = starts[kPostingsSection];
  r.bundle_ids_ = starts[kBundleIdsSection];
  r.posting_count_ = static_cast<uint32_t>(sizes[kPostingsSection] / 4);
  r.strings_ = std::string_view(starts[kStringsSection], sizes[kStringsSection]);
  if (!r.String(h + kProjectRefOffset, &r.project_) ||
      !r.String(h + kReleaseRefOffset, &r.release_) || !r.String(h + kDistRefOffset, &r.dist_)) {
    return Corrupt("header string outside the strings section");
  }
  return r;
}

bool IndexReader::FindBundle(std::string_view id, uint32_t* number) const {
  *number = bundle_count_;
  uint32_t lo = 0, hi = bundle_count_;  // binary search over the by-id permutation
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    BundleView bundle;
    if (!GetBundle(Load<uint32_t>(bundle_ids_ + 4 * size_t{mid}), &bundle)) return false;
    if (bundle.id == id) {
      *number = Load<uint32_t>(bundle_ids_ + 4 * size_t{mid});
      return true;
    }
    if (bundle.id < id) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return true;
}

bool IndexReader::Find(uint64_t hash, std::string_view a, std::string_view b, Postings* out) const {
  *out = Postings();
  const uint64_t bucket = bucket_bits_ == 0 ? 0 : hash >> (64 - bucket_bits_);
  const uint32_t begin = Load<uint32_t>(buckets_ + 4 * bucket);
  const uint32_t end = Load<uint32_t>(buckets_ + 4 * (bucket + 1));
  if (begin > end || end > key_count_) return false;
  for (uint32_t k = begin; k < end; ++k) {
    const char* p = keys_ + size_t{k} * kKeyRecordSize;
    if (Load<uint64_t>(p) != hash) continue;
    std::string_view key;
    if (!String(p + 8, &key)) return false;
    if (key.size() != a.size() + b.size() || key.substr(0, a.size()) != a ||
        key.substr(a.size()) != b) {
      continue;
    }
    uint64_t first = Load<uint32_t>(p + 16);
    uint32_t count = Load<uint32_t>(p + 20);
    if (first + count > posting_count_) return false;
    *out = Postings(postings_ + 4 * first, count);
    return true;
  }
  return true;
}

absl::StatusOr<IndexContent> IndexReader::Decode() const {
  IndexContent content;
  content.kind = kind_;
  content.project = std::string(project_);
  content.release = std::string(release_);
  content.dist = std::string(dist_);
  content.horizon_ms = Load<int64_t>(data_.data() + kHorizonOffset);
  content.bundles.resize(bundle_count_);
  for (uint32_t i = 0; i < bundle_count_; ++i) {
    BundleView view;
    if (!GetBundle(i, &view)) return Corrupt(StrCat("bundle record ", i, " is invalid"));
    BundleEntry& bundle = content.bundles[i];
    bundle.bundle_id = std::string(view.id);
    bundle.timestamp_ms = view.timestamp_ms;
    bundle.tombstone = view.tombstone;
    std::memcpy(bundle.archive_sha1.data(), view.archive_sha1.data(), 20);
  }
  for (uint32_t i = 0; i < file_count_; ++i) {
    FileView view;
    if (!GetFile(i, &view)) return Corrupt(StrCat("file record ", i, " is invalid"));
    FileLocator file;
    file.path = std::string(view.path);
    file.url = std::string(view.url);
    file.type = view.type;
    file.debug_id = view.debug_id;
    if (view.sourcemap) file.sourcemap = std::string(*view.sourcemap);
    content.bundles[view.bundle].files.push_back(std::move(file));
  }
  return content;
}

bool IndexReader::ChecksumMatches() const {
  const size_t body = data_.size() - kFooterSize;
  return XXH3_64bits(data_.data(), body) == Load<uint64_t>(data_.data() + body);
}

absl::Status IndexReader::Verify() const {
  if (!ChecksumMatches()) return Corrupt("checksum mismatch");
  absl::StatusOr<IndexContent> content = Decode();
  if (!content.ok()) return content.status();
  absl::StatusOr<std::string> canonical = EncodeIndex(*std::move(content));
  if (!canonical.ok()) return Corrupt(StdView(canonical.status().message()));
  if (*canonical != data_) return Corrupt("file is not the canonical encoding of its content");
  return absl::OkStatus();
}

}  // namespace artidx::format
