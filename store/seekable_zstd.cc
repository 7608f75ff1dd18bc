#include "store/seekable_zstd.h"

#include <zstd.h>

#include <algorithm>
#include <memory>

#include "common/coding.h"
#include "common/strings.h"

namespace artidx::store {
namespace {

using common::Load;

constexpr uint32_t kSkippableMagic = 0x184D2A5E;
constexpr uint32_t kSeekableMagic = 0x8F92EAB1;
constexpr size_t kFooterBytes = 9;
constexpr int kLevel = 3;

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

absl::Status Damaged(std::string_view why) {
  return absl::DataLossError(StrCat("damaged seekable zstd object: ", why));
}

}  // namespace

std::string CompressSeekable(std::string_view data) {
  std::unique_ptr<ZSTD_CCtx, CCtxFree> cctx(ZSTD_createCCtx());
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, kLevel);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  std::string out;
  std::string table;
  uint32_t frames = 0;
  for (size_t at = 0; at < data.size(); at += kSeekableFrameBytes, ++frames) {
    const std::string_view chunk = data.substr(at, kSeekableFrameBytes);
    const size_t start = out.size();
    out.resize(start + ZSTD_compressBound(chunk.size()));
    const size_t n = ZSTD_compress2(cctx.get(), out.data() + start, out.size() - start,
                                    chunk.data(), chunk.size());
    // Compressing into a buffer of ZSTD_compressBound bytes cannot fail but for allocation.
    if (ZSTD_isError(n)) std::abort();
    out.resize(start + n);
    common::Append<uint32_t>(&table, static_cast<uint32_t>(n));
    common::Append<uint32_t>(&table, static_cast<uint32_t>(chunk.size()));
  }
  common::Append<uint32_t>(&out, kSkippableMagic);
  common::Append<uint32_t>(&out, static_cast<uint32_t>(table.size() + kFooterBytes));
  out += table;
  common::Append<uint32_t>(&out, frames);
  out.push_back('\0');
  common::Append<uint32_t>(&out, kSeekableMagic);
  return out;
}

uint64_t MaxSeekableBytes(uint64_t data_bytes) {
  if (data_bytes > (uint64_t{1} << 56)) return UINT64_MAX;
  const uint64_t frames = data_bytes / kSeekableFrameBytes + 1;
  return frames * (ZSTD_COMPRESSBOUND(kSeekableFrameBytes) + kSeekTableEntryBytes) +
         kSeekTableFixedBytes;
}

std::pair<size_t, size_t> SeekTable::FramesFor(uint64_t offset, uint64_t length) const {
  const uint64_t end = std::min(decompressed_size, offset + std::min(length, UINT64_MAX - offset));
  if (offset >= end) return {0, 0};
  auto after = [](uint64_t at, const Frame& f) { return at < f.decompressed_offset; };
  // The frame holding `offset`, and the one past the frame holding end - 1.
  const size_t first =
      std::upper_bound(frames.begin(), frames.end(), offset, after) - frames.begin() - 1;
  const size_t last =
      std::upper_bound(frames.begin(), frames.end(), end - 1, after) - frames.begin();
  return {first, last};
}

absl::StatusOr<uint64_t> SeekTableSize(std::string_view tail) {
  if (tail.size() < kFooterBytes) return Damaged("shorter than a seek table's footer");
  const char* footer = tail.data() + tail.size() - kFooterBytes;
  if (Load<uint32_t>(footer + 5) != kSeekableMagic) return Damaged("no seek table at its end");
  // Bits 2-6 are reserved and bit 7 (entry checksums) is never written: all must be clear.
  if ((static_cast<uint8_t>(footer[4]) & 0xFC) != 0) {
    return Damaged("the seek table's descriptor sets reserved or unsupported bits");
  }
  return kSeekTableFixedBytes + uint64_t{Load<uint32_t>(footer)} * kSeekTableEntryBytes;
}

absl::StatusOr<SeekTable> ParseSeekTable(std::string_view tail, uint64_t object_size,
                                         uint64_t max_bytes) {
  absl::StatusOr<uint64_t> table_size = SeekTableSize(tail);
  if (!table_size.ok()) return table_size.status();
  if (*table_size > object_size || *table_size > tail.size()) {
    return Damaged(StrCat("a seek table of ", *table_size, " bytes in ",
                          std::min<uint64_t>(object_size, tail.size())));
  }
  const char* p = tail.data() + tail.size() - *table_size;
  if (Load<uint32_t>(p) != kSkippableMagic ||
      Load<uint32_t>(p + 4) != *table_size - kSeekTableFixedBytes + kFooterBytes) {
    return Damaged("the seek table's frame header does not match its footer");
  }
  SeekTable table;
  table.table_size = *table_size;
  const size_t n = (*table_size - kSeekTableFixedBytes) / kSeekTableEntryBytes;
  table.frames.reserve(n);
  uint64_t compressed = 0;
  for (size_t i = 0; i < n; ++i) {
    const char* entry = p + 8 + i * kSeekTableEntryBytes;
    const uint32_t c = Load<uint32_t>(entry);
    const uint32_t d = Load<uint32_t>(entry + 4);
    if (c == 0 || d == 0) return Damaged(StrCat("frame ", i, " is empty"));
    table.frames.push_back({compressed, table.decompressed_size, c, d});
    compressed += c;
    table.decompressed_size += d;
    if (compressed > object_size) return Damaged("its frames overrun the object");
    if (table.decompressed_size > max_bytes) {
      return absl::ResourceExhaustedError(
          StrCat("seekable zstd object: its data is over the limit of ", max_bytes, " bytes"));
    }
  }
  if (compressed + *table_size != object_size) {
    return Damaged(
        StrCat("its frames and table make ", compressed + *table_size, " bytes of ", object_size));
  }
  return table;
}

absl::StatusOr<std::string> DecompressFrames(const SeekTable& table, size_t first, size_t last,
                                             std::string_view compressed) {
  if (first > last || last > table.frames.size()) {
    return absl::InvalidArgumentError(
        StrCat("frames [", first, ", ", last, ") of ", table.frames.size()));
  }
  std::string out;
  if (first == last) return out;
  const uint64_t base = table.frames[first].compressed_offset;
  const SeekTable::Frame& end_frame = table.frames[last - 1];
  if (compressed.size() != end_frame.compressed_offset + end_frame.compressed_size - base) {
    return Damaged(StrCat("frames [", first, ", ", last, ") given ", compressed.size(), " bytes"));
  }
  out.resize(end_frame.decompressed_offset + end_frame.decompressed_size -
             table.frames[first].decompressed_offset);
  std::unique_ptr<ZSTD_DCtx, DCtxFree> dctx(ZSTD_createDCtx());
  char* dst = out.data();
  for (size_t i = first; i < last; ++i) {
    const SeekTable::Frame& f = table.frames[i];
    const char* src = compressed.data() + (f.compressed_offset - base);
    // Exactly one frame, which decompresses to exactly its table size (its checksum checked).
    const size_t frame_size = ZSTD_findFrameCompressedSize(src, f.compressed_size);
    const size_t n =
        frame_size == f.compressed_size
            ? ZSTD_decompressDCtx(dctx.get(), dst, f.decompressed_size, src, f.compressed_size)
            : frame_size;
    if (ZSTD_isError(n) || n != f.decompressed_size) {
      return Damaged(StrCat("frame ", i, ": ",
                            ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong decompressed size"));
    }
    dst += n;
  }
  return out;
}

absl::StatusOr<std::string> DecompressSeekable(std::string_view object, uint64_t max_bytes) {
  absl::StatusOr<SeekTable> table = ParseSeekTable(object, object.size(), max_bytes);
  if (!table.ok()) return table.status();
  return DecompressFrames(*table, 0, table->frames.size(),
                          object.substr(0, object.size() - table->table_size));
}

}  // namespace artidx::store
