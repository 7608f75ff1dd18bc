// The constants of index format v1. SPEC.md is the authority on the bytes; each constant here
// names the SPEC.md section that defines it. Change both together.

#ifndef ARTIDX_FORMAT_INDEX_FORMAT_H_
#define ARTIDX_FORMAT_INDEX_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace artidx::format {

// SPEC.md "Header". "ARTIDX" names the file for `file(1)` and hex dumps; 0x1A stops a DOS
// `type`, and the final '\n' is mangled by any text-mode transfer that rewrites line endings, so
// a damaged copy fails the magic check instead of a later one.
inline constexpr std::string_view kMagic{"ARTIDX\x1a\n", 8};
inline constexpr uint16_t kFormatVersion = 1;

// Sections, in the order their (offset, size) pairs appear in the header and their bytes in
// the file.
enum Section : int {
  kBundlesSection = 0,
  kFilesSection,
  kKeysSection,
  kBucketsSection,
  kPostingsSection,
  kStringsSection,
  kBundleIdsSection,
  kSectionCount,
};

// Header field offsets (SPEC.md "Header").
inline constexpr size_t kMagicOffset = 0;
inline constexpr size_t kVersionOffset = 8;
inline constexpr size_t kKindOffset = 10;
inline constexpr size_t kFlagsOffset = 12;
inline constexpr size_t kFileSizeOffset = 16;
inline constexpr size_t kProjectRefOffset = 24;
inline constexpr size_t kReleaseRefOffset = 32;
inline constexpr size_t kDistRefOffset = 40;
inline constexpr size_t kBundleCountOffset = 48;
inline constexpr size_t kFileCountOffset = 52;
inline constexpr size_t kKeyCountOffset = 56;
inline constexpr size_t kBucketBitsOffset = 60;
inline constexpr size_t kSectionTableOffset = 64;
inline constexpr size_t kSectionEntrySize = 16;  // u64 offset, u64 size
inline constexpr size_t kHorizonOffset = kSectionTableOffset + kSectionCount * kSectionEntrySize;
inline constexpr size_t kHeaderSize = kHorizonOffset + 8;  // i64 horizon
static_assert(kHeaderSize == 184);
inline constexpr size_t kFooterSize = 8;  // XXH3-64 of every byte before it
inline constexpr size_t kSectionAlignment = 8;

// A string reference: u32 offset into the strings section, u32 length.
inline constexpr size_t kStrRefSize = 8;

// Bundle record (SPEC.md "Bundles"): id ref, i64 timestamp, 20-byte archive SHA-1, u32 flags.
inline constexpr size_t kBundleRecordSize = kStrRefSize + 8 + 20 + 4;
static_assert(kBundleRecordSize == 40);
// A tombstone records the removal of a bundle from an index: it has no files and a zero SHA-1,
// and supersedes the bundle's contributions up to its timestamp.
inline constexpr uint32_t kBundleTombstone = 1 << 0;
inline constexpr uint32_t kBundleKnownFlags = kBundleTombstone;

// File record (SPEC.md "Files"): u32 bundle, u8 type, u8 flags, u16 reserved, path ref, url
// ref, sourcemap ref, 16-byte debug id uuid, u32 debug id appendix.
inline constexpr size_t kFileRecordSize = 4 + 1 + 1 + 2 + 3 * kStrRefSize + 16 + 4;
static_assert(kFileRecordSize == 52);
inline constexpr uint8_t kFileHasDebugId = 1 << 0;
inline constexpr uint8_t kFileHasSourcemap = 1 << 1;
inline constexpr uint8_t kFileKnownFlags = kFileHasDebugId | kFileHasSourcemap;

// Key record (SPEC.md "Keys"): u64 hash, key ref, u32 first posting, u32 posting count.
inline constexpr size_t kKeyRecordSize = 8 + kStrRefSize + 4 + 4;
static_assert(kKeyRecordSize == 24);

// A debug-id index key: 16 uuid bytes, u32 appendix. The type is not part of it, so that a
// lookup of any type is one probe; a typed lookup filters the key's few files by type.
inline constexpr size_t kDebugIdKeySize = 16 + 4;

// Every count and string offset is a u32; bucket bits stay below 32 so that 2^bits + 1 bucket
// entries are countable in a u32 too.
inline constexpr uint32_t kMaxBucketBits = 31;

}  // namespace artidx::format

#endif  // ARTIDX_FORMAT_INDEX_FORMAT_H_
