#include "bundle/zip_reader.h"

#include <libdeflate.h>

#include <algorithm>
#include <limits>
#include <memory>

#include "absl/status/status.h"
#include "common/coding.h"
#include "common/strings.h"

namespace artidx::bundle {
namespace {

constexpr uint32_t kLocalSignature = 0x04034b50;
constexpr uint32_t kCentralSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr size_t kLocalSize = 30, kCentralSize = 46, kEndSize = 22, kZip64EndSize = 56,
                 kZip64LocatorSize = 20;
// libarchive looks for the end record in the last 16 KiB only, and fails on an archive whose
// record is further back: such an archive could not be served.
constexpr size_t kEndSearchBytes = 16 << 10;
constexpr uint32_t kNoValue32 = 0xFFFFFFFF;  // "see the ZIP64 extra field"

constexpr uint16_t kFlagEncrypted = 1 << 0, kFlagStrongEncryption = 1 << 6, kFlagUtf8 = 1 << 11,
                   kFlagCentralDirectoryEncrypted = 1 << 13;

// Unix file types, as in the high half of the external attributes.
constexpr uint32_t kTypeMask = 0170000, kTypeFifo = 0010000, kTypeDirectory = 0040000,
                   kTypeRegular = 0100000;

// Whether `length` bytes from `offset` lie within `size` bytes, without overflowing.
bool Fits(uint64_t offset, uint64_t length, uint64_t size) {
  return offset <= size && length <= size - offset;
}

std::string_view Shown(std::string_view name) { return name.substr(0, 200); }

absl::Status NotAZip(std::string_view why) {
  return absl::InvalidArgumentError(StrCat("not a zip archive: ", why));
}

absl::Status Corrupt(std::string_view why) {
  return absl::InvalidArgumentError(StrCat("corrupt zip archive: ", why));
}

// libarchive's reading of a mode from the system that wrote an entry and its external
// attributes: Unix keeps a mode in the high half, MS-DOS has a directory bit and a read-only
// bit (which libarchive applies by clearing the file type too), others say nothing.
uint32_t ModeFromAttributes(uint8_t system, uint32_t attributes) {
  if (system == 3) return attributes >> 16;
  if (system != 0) return 0;
  uint32_t mode = (attributes & 0x10) != 0 ? kTypeDirectory | 0775 : kTypeRegular | 0664;
  if ((attributes & 0x01) != 0) mode &= 0555;
  return mode;
}

// What the extra fields of a central directory record or local header may change.
struct ExtraState {
  uint8_t system = 0;
  uint32_t mode = 0;
  uint64_t uncompressed_size = 0;
  uint64_t compressed_size = 0;
  uint64_t local_offset = 0;
  bool local = false;  // a local header's fields, so no local header offset in its ZIP64 field
};

// Reads a ZIP64 value that replaces `*value` when that is 0xFFFFFFFF.
bool TakeZip64(std::string_view* data, uint64_t* value) {
  if (*value != kNoValue32) return true;
  if (data->size() < 8) return false;
  *value = common::Load<uint64_t>(data->data());
  data->remove_prefix(8);
  return *value <= uint64_t{std::numeric_limits<int64_t>::max()};
}

// Applies the extra fields that libarchive acts on, and fails where libarchive fails on them.
// Fields must be whole records; up to 3 zero bytes of padding may follow (as zipalign writes).
// A local Unicode path field, which libarchive would take as the entry's name, must repeat the
// header's name.
absl::Status ProcessExtra(std::string_view extra, std::string_view name, ExtraState* state) {
  while (extra.size() >= 4) {
    const uint16_t id = common::Load<uint16_t>(extra.data());
    const uint16_t size = common::Load<uint16_t>(extra.data() + 2);
    extra.remove_prefix(4);
    if (size > extra.size()) {
      return Corrupt(StrCat("an extra field of \"", Shown(name), "\" runs past its end"));
    }
    std::string_view data = extra.substr(0, size);
    extra.remove_prefix(size);
    switch (id) {
      case 0x0001:  // ZIP64 sizes and offset
        if (!TakeZip64(&data, &state->uncompressed_size) ||
            !TakeZip64(&data, &state->compressed_size) ||
            (!state->local && !TakeZip64(&data, &state->local_offset))) {
          return Corrupt(StrCat("malformed ZIP64 extra field for \"", Shown(name), "\""));
        }
        break;
      case 0x5455:  // extended timestamps
        if (data.empty()) {
          return Corrupt(StrCat("empty timestamp extra field for \"", Shown(name), "\""));
        }
        break;
      case 0x9901:  // WinZip AES
        if (data.size() < 6) {
          return Corrupt(StrCat("incomplete AES extra field for \"", Shown(name), "\""));
        }
        break;
      case 0x6c78: {  // libarchive's "xl": attributes repeated in the local header
        if (data.empty()) break;
        const uint8_t bitmap = data[0];
        data.remove_prefix(1);
        for (uint8_t more = bitmap; (more & 0x80) != 0 && !data.empty(); data.remove_prefix(1)) {
          more = data[0];
        }
        if ((bitmap & 1) != 0) {
          if (data.size() < 2) break;
          state->system = static_cast<uint8_t>(common::Load<uint16_t>(data.data()) >> 8);
          data.remove_prefix(2);
        }
        if ((bitmap & 2) != 0) {
          if (data.size() < 2) break;
          data.remove_prefix(2);
        }
        if ((bitmap & 4) != 0 && data.size() >= 4) {
          state->mode = ModeFromAttributes(state->system, common::Load<uint32_t>(data.data()));
        }
        break;
      }
      case 0x7075:  // Info-ZIP Unicode path: version, CRC-32 of the name, the name
        if (state->local && data.size() >= 5 && data.substr(5) != name) {
          return absl::InvalidArgumentError(StrCat("zip entry \"", Shown(name),
                                                   "\" has a Unicode path field naming \"",
                                                   Shown(data.substr(5)), "\""));
        }
        break;
      default:
        break;
    }
  }
  if (extra.find_first_not_of('\0') != std::string_view::npos) {
    return Corrupt(StrCat("the extra fields of \"", Shown(name), "\" end in a partial field"));
  }
  return absl::OkStatus();
}

// Reads the central directory record at `*at` (which it advances) and the local header it
// points at.
absl::Status ReadEntry(std::string_view zip, uint64_t directory_end, uint64_t prefix, uint64_t* at,
                       ZipEntry* entry, std::deque<std::string>* renamed) {
  if (!Fits(*at, kCentralSize, directory_end)) {
    return Corrupt("the central directory holds fewer records than its end record says");
  }
  const char* p = zip.data() + *at;
  if (common::Load<uint32_t>(p) != kCentralSignature) {
    return Corrupt(StrCat("no central directory record at offset ", *at));
  }
  const size_t name_length = common::Load<uint16_t>(p + 28);
  const size_t extra_length = common::Load<uint16_t>(p + 30);
  const size_t comment_length = common::Load<uint16_t>(p + 32);
  if (!Fits(*at + kCentralSize, name_length + extra_length + comment_length, directory_end)) {
    return Corrupt(StrCat("the central directory record at offset ", *at,
                          " runs past the end of the central directory"));
  }
  const std::string_view name(p + kCentralSize, name_length);
  // libarchive would cut the name at the NUL: the index and other readers would disagree.
  if (name.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        StrCat("zip entry \"", Shown(name), "\" has a NUL byte in its name"));
  }
  ExtraState state;
  state.system = static_cast<uint8_t>(p[5]);
  state.mode = ModeFromAttributes(state.system, common::Load<uint32_t>(p + 38));
  state.uncompressed_size = common::Load<uint32_t>(p + 24);
  state.compressed_size = common::Load<uint32_t>(p + 20);
  state.local_offset = common::Load<uint32_t>(p + 42);
  const bool zip64_offset = state.local_offset == kNoValue32;
  if (absl::Status s =
          ProcessExtra(zip.substr(*at + kCentralSize + name_length, extra_length), name, &state);
      !s.ok()) {
    return s;
  }
  if (zip64_offset && prefix != 0) {
    return Corrupt(StrCat("ZIP64 offset of \"", Shown(name), "\" after a prefix"));
  }
  const uint16_t method = common::Load<uint16_t>(p + 10);
  entry->crc32 = common::Load<uint32_t>(p + 16);
  entry->compressed_size = state.compressed_size;
  entry->uncompressed_size = state.uncompressed_size;
  *at += kCentralSize + name_length + extra_length + comment_length;

  // The local header: libarchive takes the name, the flags and the method from it.
  const uint64_t local = state.local_offset + prefix;
  if (!Fits(local, kLocalSize, zip.size()) ||
      common::Load<uint32_t>(zip.data() + local) != kLocalSignature) {
    return Corrupt(StrCat("no local header for \"", Shown(name), "\" where the directory says"));
  }
  const char* h = zip.data() + local;
  const size_t local_name_length = common::Load<uint16_t>(h + 26);
  const size_t local_extra_length = common::Load<uint16_t>(h + 28);
  if (!Fits(local + kLocalSize, local_name_length + local_extra_length, zip.size())) {
    return Corrupt(StrCat("the local header of \"", Shown(name), "\" is truncated"));
  }
  if (std::string_view(h + kLocalSize, local_name_length) != name) {
    return Corrupt(StrCat("the local header of \"", Shown(name), "\" names another file"));
  }
  entry->flags = common::Load<uint16_t>(h + 6);
  entry->method = common::Load<uint16_t>(h + 8);
  if (entry->method != method) {
    return Corrupt(StrCat("the local header of \"", Shown(name), "\" has another method"));
  }
  const uint16_t encryption =
      kFlagEncrypted | kFlagStrongEncryption | kFlagCentralDirectoryEncrypted;
  if ((entry->flags & encryption) == encryption) {
    return Corrupt("the central directory is encrypted");
  }
  // libarchive converts a name flagged UTF-8 to the locale's charset, and fails in the C
  // locale (the CLI's) on anything but ASCII.
  if ((entry->flags & kFlagUtf8) != 0 &&
      std::any_of(name.begin(), name.end(), [](char c) { return (c & 0x80) != 0; })) {
    return absl::InvalidArgumentError(StrCat(
        "zip entry \"", Shown(name), "\" has a non-ASCII UTF-8 name, which is not supported"));
  }
  ExtraState local_state;
  local_state.system = static_cast<uint8_t>(h[5]);
  local_state.mode = state.mode;
  local_state.uncompressed_size = common::Load<uint32_t>(h + 22);
  local_state.compressed_size = common::Load<uint32_t>(h + 18);
  local_state.local = true;
  if (absl::Status s =
          ProcessExtra(zip.substr(local + kLocalSize + local_name_length, local_extra_length), name,
                       &local_state);
      !s.ok()) {
    return s;
  }
  // The local header may leave out the CRC-32 and sizes (0, as before a data descriptor); what
  // it gives must match the directory. libarchive 3.6 takes 0xFFFFFFFF without a ZIP64 field
  // for a size, not for "left out".
  const uint32_t local_crc = common::Load<uint32_t>(h + 14);
  if ((local_crc != 0 && local_crc != entry->crc32) ||
      (local_state.compressed_size != 0 && local_state.compressed_size != entry->compressed_size) ||
      (local_state.uncompressed_size != 0 &&
       local_state.uncompressed_size != entry->uncompressed_size)) {
    return Corrupt(
        StrCat("the local header and the central directory disagree on \"", Shown(name), "\""));
  }
  entry->data_offset = local + kLocalSize + local_name_length + local_extra_length;
  if (!Fits(entry->data_offset, entry->compressed_size, zip.size())) {
    return Corrupt(StrCat("the data of \"", Shown(name), "\" runs past the end of the file"));
  }

  // libarchive's file type: FIFOs are taken for regular files (Info-ZIP archived pipes that
  // way), a name ending in '/' is a directory, no type at all is a regular file.
  uint32_t mode = local_state.mode;
  if ((mode & kTypeMask) == kTypeFifo) mode = (mode & ~kTypeMask) | kTypeRegular;
  entry->name = name;
  // Archivers on Windows may separate with backslashes: libarchive makes them slashes when the
  // name has no slash and the local header's "version needed" says MS-DOS (nearly all do).
  if (local_state.system == 0 && name.find('/') == std::string_view::npos &&
      name.find('\\') != std::string_view::npos) {
    std::string& slashed = renamed->emplace_back(name);
    std::replace(slashed.begin(), slashed.end(), '\\', '/');
    entry->name = slashed;
  }
  if ((mode & kTypeMask) != kTypeDirectory) {
    if (entry->name.ends_with('/')) {
      mode = kTypeDirectory;
    } else if ((mode & kTypeMask) == 0) {
      mode = kTypeRegular;
    }
  }
  switch (mode & kTypeMask) {
    case kTypeRegular:
      entry->type = ZipEntryType::kRegular;
      break;
    case kTypeDirectory:
      entry->type = ZipEntryType::kDirectory;
      break;
    default:
      entry->type = ZipEntryType::kOther;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ZipEnd> ReadZipEnd(std::string_view archive) {
  if (archive.size() < kEndSize) return NotAZip("too short");
  size_t end = std::string_view::npos;
  const size_t lowest = archive.size() - std::min(archive.size(), kEndSearchBytes);
  for (size_t at = archive.size() - kEndSize + 1; at-- > lowest;) {
    if (common::Load<uint32_t>(archive.data() + at) == kEndSignature) {
      end = at;
      break;
    }
  }
  if (end == std::string_view::npos) {
    return NotAZip("no end of central directory record in its last 16 KiB");
  }
  const char* p = archive.data() + end;
  if (end + kEndSize + common::Load<uint16_t>(p + 20) > archive.size()) {
    return Corrupt("the archive comment runs past the end of the file");
  }
  if (common::Load<uint16_t>(p + 4) != 0 || common::Load<uint16_t>(p + 6) != 0 ||
      common::Load<uint16_t>(p + 8) != common::Load<uint16_t>(p + 10)) {
    return Corrupt("the archive spans several disks");
  }
  uint64_t entries = common::Load<uint16_t>(p + 10);
  uint64_t size = common::Load<uint32_t>(p + 12);
  uint64_t offset = common::Load<uint32_t>(p + 16);
  uint64_t directory_end = end;
  const bool zip64 = end >= kZip64LocatorSize &&
                     common::Load<uint32_t>(p - kZip64LocatorSize) == kZip64LocatorSignature;
  if (zip64) {
    // The locator right before the end record, the ZIP64 end record right before the locator.
    // libarchive takes the locator's offset as it is, never shifted by a prefix: the record
    // must be where it says.
    const char* locator = p - kZip64LocatorSize;
    const uint64_t record = common::Load<uint64_t>(locator + 8);
    const uint64_t locator_at = end - kZip64LocatorSize;
    if (common::Load<uint32_t>(locator + 4) != 0 || common::Load<uint32_t>(locator + 16) != 1) {
      return Corrupt("the archive spans several disks");
    }
    if (!Fits(record, kZip64EndSize, locator_at) ||
        common::Load<uint32_t>(archive.data() + record) != kZip64EndSignature ||
        common::Load<uint64_t>(archive.data() + record + 4) != locator_at - record - 12) {
      return Corrupt("no ZIP64 end record where its locator says");
    }
    const char* z = archive.data() + record;
    if (common::Load<uint32_t>(z + 16) != 0 || common::Load<uint32_t>(z + 20) != 0 ||
        common::Load<uint64_t>(z + 24) != common::Load<uint64_t>(z + 32)) {
      return Corrupt("the archive spans several disks");
    }
    entries = common::Load<uint64_t>(z + 32);
    size = common::Load<uint64_t>(z + 40);
    offset = common::Load<uint64_t>(z + 48);
    directory_end = record;
  }
  // The directory ends where the end records start. Its recorded offset may count from a later
  // point than the start of the file: every offset is then shifted by the difference.
  if (size > directory_end || offset > directory_end - size) {
    return Corrupt("the central directory does not fit before its end record");
  }
  ZipEnd result;
  result.entries = entries;
  result.directory_start = directory_end - size;
  result.directory_end = directory_end;
  result.prefix = result.directory_start - offset;
  if (zip64 && result.prefix != 0) {
    return Corrupt("the ZIP64 central directory is not where its end record says");
  }
  return result;
}

absl::StatusOr<ZipDirectory> ZipDirectory::Read(std::string_view archive, const ZipEnd& end) {
  const uint64_t size = end.directory_end - end.directory_start;
  if (end.entries > size / kCentralSize) {
    return Corrupt(
        StrCat("a central directory of ", size, " bytes cannot hold ", end.entries, " records"));
  }
  ZipDirectory directory;
  directory.entries_.resize(end.entries);
  uint64_t at = end.directory_start;
  for (ZipEntry& entry : directory.entries_) {
    if (absl::Status s =
            ReadEntry(archive, end.directory_end, end.prefix, &at, &entry, &directory.renamed_);
        !s.ok()) {
      return s;
    }
  }
  if (at != end.directory_end) {
    return Corrupt(StrCat("the central directory holds more than the ", end.entries,
                          " records its end record says"));
  }
  return directory;
}

absl::StatusOr<PaddedBytes> ReadZipEntry(std::string_view archive, const ZipEntry& entry,
                                         uint64_t max_bytes, size_t padding) {
  if ((entry.flags & (kFlagEncrypted | kFlagStrongEncryption)) != 0 ||
      (entry.method != 0 && entry.method != 8)) {
    return absl::UnimplementedError(
        StrCat("reading ", entry.name, ": method ", entry.method, ", flags ", entry.flags));
  }
  // The size is the directory's: bytes inflated past it are counted up to the cap, so that a
  // zip bomb is told from a wrong size.
  if (entry.uncompressed_size > max_bytes) {
    return absl::ResourceExhaustedError(
        StrCat(entry.name, " inflates past the limit of ", max_bytes, " bytes"));
  }
  PaddedBytes out;
  out.size = entry.uncompressed_size;
  out.data = std::make_unique_for_overwrite<char[]>(out.size + padding);
  const std::string_view data = archive.substr(entry.data_offset, entry.compressed_size);
  auto wrong_size = [&](std::string_view actually) {
    return absl::InvalidArgumentError(StrCat("reading ", entry.name, ": its data ", actually,
                                             ", not the ", out.size, " bytes recorded"));
  };
  if (entry.method == 0) {
    if (data.size() != out.size) return wrong_size(StrCat("holds ", data.size(), " bytes"));
    std::copy(data.begin(), data.end(), out.data.get());
  } else {
    std::unique_ptr<libdeflate_decompressor, decltype(&libdeflate_free_decompressor)> d(
        libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
    if (d == nullptr) return absl::ResourceExhaustedError("out of memory");
    // The directory gives the size: the whole entry inflates in one call, into its buffer.
    size_t inflated = 0;
    libdeflate_result r = libdeflate_deflate_decompress_ex(
        d.get(), data.data(), data.size(), out.data.get(), out.size, nullptr, &inflated);
    // More than recorded: inflated again into ever larger scratch space, up to one byte past
    // the cap, so that a zip bomb is told from a wrong size without holding more than the cap.
    const uint64_t past_cap =
        std::min<uint64_t>(max_bytes, std::numeric_limits<size_t>::max() - 1) + 1;
    for (uint64_t room = out.size; r == LIBDEFLATE_INSUFFICIENT_SPACE && room < past_cap;) {
      room = room >= past_cap / 2 ? past_cap : std::max<uint64_t>(room * 2, 64 << 10);
      room = std::min(room, past_cap);
      const std::unique_ptr<char[]> scratch = std::make_unique_for_overwrite<char[]>(room);
      r = libdeflate_deflate_decompress_ex(d.get(), data.data(), data.size(), scratch.get(), room,
                                           nullptr, &inflated);
      if (r == LIBDEFLATE_SUCCESS && inflated > max_bytes) r = LIBDEFLATE_INSUFFICIENT_SPACE;
    }
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
      return absl::ResourceExhaustedError(
          StrCat(entry.name, " inflates past the limit of ", max_bytes, " bytes"));
    }
    if (r != LIBDEFLATE_SUCCESS) {
      return absl::InvalidArgumentError(
          StrCat("reading ", entry.name, ": corrupt or truncated deflate data"));
    }
    if (inflated != out.size) return wrong_size(StrCat("inflates to ", inflated, " bytes"));
  }
  if (libdeflate_crc32(0, out.data.get(), out.size) != entry.crc32) {
    return absl::InvalidArgumentError(StrCat("reading ", entry.name, ": ZIP bad CRC"));
  }
  return out;
}

}  // namespace artidx::bundle
