#include "format/index_encoder.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "common/coding.h"
#include "common/strings.h"
#include "format/index_format.h"
#include "format/index_reader.h"
#include "xxhash.h"

namespace artidx::format {
namespace {

constexpr uint32_t kU32Max = std::numeric_limits<uint32_t>::max();

// Deduplicating string pool. Offsets are assigned in order of first use, and the writer uses
// strings in a canonical order, so the pool's bytes depend only on the content.
class StringPool {
 public:
  // Returns false when the pool would pass the u32 offset range. `s` must outlive the pool.
  bool Add(std::string_view s, std::string* ref) {
    auto [it, inserted] = offsets_.try_emplace(s, static_cast<uint32_t>(bytes_.size()));
    if (inserted) {
      if (bytes_.size() + s.size() > kU32Max || s.size() > kU32Max) return false;
      bytes_.append(s);
    }
    Append<uint32_t>(ref, it->second);
    Append<uint32_t>(ref, static_cast<uint32_t>(s.size()));
    return true;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  absl::flat_hash_map<std::string_view, uint32_t> offsets_;
  std::string bytes_;
};

struct Key {
  uint64_t hash;
  std::string_view bytes;
  std::vector<uint32_t> files;  // ascending
};

void PadTo8(std::string* s) { s->append((kSectionAlignment - s->size() % 8) % 8, '\0'); }

absl::Status TooLarge(std::string_view what) {
  return absl::InvalidArgumentError(
      StrCat("index too large for format v1: ", what, " past the u32 range"));
}

}  // namespace

absl::StatusOr<std::string> EncodeIndex(IndexContent content) {
  std::sort(content.bundles.begin(), content.bundles.end(), NewerFirst);
  // Bundle numbers in bundle id order, for finding a bundle by id; neighbours there are equal
  // ids, which an index must not hold.
  std::vector<uint32_t> by_id(content.bundles.size());
  for (uint32_t b = 0; b < by_id.size(); ++b) by_id[b] = b;
  std::sort(by_id.begin(), by_id.end(), [&](uint32_t a, uint32_t b) {
    return content.bundles[a].bundle_id < content.bundles[b].bundle_id;
  });
  for (size_t i = 1; i < by_id.size(); ++i) {
    if (content.bundles[by_id[i - 1]].bundle_id == content.bundles[by_id[i]].bundle_id) {
      return absl::InvalidArgumentError(
          StrCat("bundle ", content.bundles[by_id[i]].bundle_id, " appears twice in one index"));
    }
  }
  size_t total_files = 0;
  for (BundleEntry& bundle : content.bundles) {
    if (bundle.tombstone && (!bundle.files.empty() || bundle.archive_sha1 != Sha1Digest{})) {
      return absl::InvalidArgumentError(
          StrCat("tombstone of bundle ", bundle.bundle_id, " has files or an archive"));
    }
    std::sort(bundle.files.begin(), bundle.files.end(),
              [](const FileLocator& a, const FileLocator& b) { return a.path < b.path; });
    for (size_t i = 1; i < bundle.files.size(); ++i) {
      if (bundle.files[i - 1].path == bundle.files[i].path) {
        return absl::InvalidArgumentError(
            StrCat("bundle ", bundle.bundle_id, " has two files at ", bundle.files[i].path));
      }
    }
    total_files += bundle.files.size();
  }
  if (content.bundles.size() >= kU32Max || total_files >= kU32Max) return TooLarge("a count");

  StringPool pool;
  std::string header_refs, bundles, files;
  bool ok = pool.Add(content.project, &header_refs) && pool.Add(content.release, &header_refs) &&
            pool.Add(content.dist, &header_refs);

  // Debug-id keys are built here; the vector is sized up front so views into it stay valid.
  std::vector<std::string> debug_id_keys;
  debug_id_keys.reserve(content.kind == IndexKind::kDebugId ? total_files : 0);
  absl::flat_hash_map<std::string_view, uint32_t> key_numbers;
  std::vector<Key> keys;
  uint32_t file_number = 0;
  for (uint32_t b = 0; b < content.bundles.size(); ++b) {
    const BundleEntry& bundle = content.bundles[b];
    ok = ok && pool.Add(bundle.bundle_id, &bundles);
    Append<int64_t>(&bundles, bundle.timestamp_ms);
    bundles.append(reinterpret_cast<const char*>(bundle.archive_sha1.data()), 20);
    Append<uint32_t>(&bundles, bundle.tombstone ? kBundleTombstone : 0);
    for (const FileLocator& file : bundle.files) {
      uint8_t flags =
          (file.debug_id ? kFileHasDebugId : 0) | (file.sourcemap ? kFileHasSourcemap : 0);
      Append<uint32_t>(&files, b);
      Append<uint8_t>(&files, static_cast<uint8_t>(file.type));
      Append<uint8_t>(&files, flags);
      Append<uint16_t>(&files, 0);
      ok = ok && pool.Add(file.path, &files) && pool.Add(file.url, &files) &&
           pool.Add(file.sourcemap ? std::string_view(*file.sourcemap) : "", &files);
      DebugId id = file.debug_id.value_or(DebugId{});
      files.append(reinterpret_cast<const char*>(id.uuid.data()), 16);
      Append<uint32_t>(&files, id.appendix);

      std::string_view key;
      if (content.kind == IndexKind::kUrl) {
        key = file.url;
      } else if (file.debug_id) {
        std::string& k = debug_id_keys.emplace_back(kDebugIdKeySize, '\0');
        EncodeDebugIdKey(*file.debug_id, k.data());
        key = k;
      } else {
        ++file_number;
        continue;
      }
      auto [it, inserted] = key_numbers.try_emplace(key, static_cast<uint32_t>(keys.size()));
      if (inserted) keys.push_back(Key{KeyHash(key), key, {}});
      keys[it->second].files.push_back(file_number++);
    }
  }
  if (!ok) return TooLarge("the strings section");

  std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
    return std::tie(a.hash, a.bytes) < std::tie(b.hash, b.bytes);
  });
  uint32_t bucket_bits = 0;
  while ((uint64_t{1} << bucket_bits) < keys.size()) ++bucket_bits;
  if (bucket_bits > kMaxBucketBits) return TooLarge("the key count");

  std::string key_records, postings, buckets;
  uint64_t posting_count = 0;
  for (const Key& key : keys) {
    Append<uint64_t>(&key_records, key.hash);
    ok = ok && pool.Add(key.bytes, &key_records);
    Append<uint32_t>(&key_records, static_cast<uint32_t>(posting_count));
    Append<uint32_t>(&key_records, static_cast<uint32_t>(key.files.size()));
    for (uint32_t f : key.files) Append<uint32_t>(&postings, f);
    posting_count += key.files.size();
    if (posting_count > kU32Max) return TooLarge("the posting count");
  }
  if (!ok) return TooLarge("the strings section");
  // buckets[b] = the first key whose hash's top bits are >= b; one extra entry closes the last.
  const uint64_t bucket_count = uint64_t{1} << bucket_bits;
  size_t k = 0;
  for (uint64_t b = 0; b <= bucket_count; ++b) {
    while (k < keys.size() && (bucket_bits == 0 ? 0 : keys[k].hash >> (64 - bucket_bits)) < b) ++k;
    Append<uint32_t>(&buckets, static_cast<uint32_t>(k));
  }

  std::string bundle_ids;
  for (uint32_t b : by_id) Append<uint32_t>(&bundle_ids, b);

  const std::string* sections[kSectionCount] = {&bundles,  &files,        &key_records, &buckets,
                                                &postings, &pool.bytes(), &bundle_ids};
  std::string out(kHeaderSize, '\0');
  uint64_t section_table[kSectionCount][2];
  for (int s = 0; s < kSectionCount; ++s) {
    section_table[s][0] = out.size();
    section_table[s][1] = sections[s]->size();
    out.append(*sections[s]);
    PadTo8(&out);
  }
  const uint64_t file_size = out.size() + kFooterSize;
  char* h = out.data();
  std::copy(kMagic.begin(), kMagic.end(), h + kMagicOffset);
  Store<uint16_t>(h + kVersionOffset, kFormatVersion);
  Store<uint16_t>(h + kKindOffset, static_cast<uint16_t>(content.kind));
  Store<uint32_t>(h + kFlagsOffset, 0);
  Store<uint64_t>(h + kFileSizeOffset, file_size);
  std::copy(header_refs.begin(), header_refs.end(), h + kProjectRefOffset);
  Store<uint32_t>(h + kBundleCountOffset, static_cast<uint32_t>(content.bundles.size()));
  Store<uint32_t>(h + kFileCountOffset, static_cast<uint32_t>(total_files));
  Store<uint32_t>(h + kKeyCountOffset, static_cast<uint32_t>(keys.size()));
  Store<uint32_t>(h + kBucketBitsOffset, bucket_bits);
  for (int s = 0; s < kSectionCount; ++s) {
    Store<uint64_t>(h + kSectionTableOffset + s * kSectionEntrySize, section_table[s][0]);
    Store<uint64_t>(h + kSectionTableOffset + s * kSectionEntrySize + 8, section_table[s][1]);
  }
  Store<int64_t>(h + kHorizonOffset, content.horizon_ms);
  Append<uint64_t>(&out, XXH3_64bits(out.data(), out.size()));
  return out;
}

}  // namespace artidx::format
