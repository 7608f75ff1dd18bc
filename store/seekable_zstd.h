// Seekable zstd: how an object store keeps index segments (SPEC.md 18.3). The bytes are cut
// into frames of kSeekableFrameBytes, each compressed as an independent zstd frame with its
// content size and checksum, and a seek table follows them in a skippable frame: the layout of
// zstd's seekable format (contrib/seekable_format in zstd's sources), which any zstd decoder
// reads as the whole file (`zstd -d` skips the table). The table lets a reader fetch and
// decompress only the frames that hold a byte range, so a part of a large segment costs a part
// of its transfer.
//
// Layout, all integers little-endian:
//   frame 0 .. frame n-1          zstd frames, each kSeekableFrameBytes of data but the last
//   u32 0x184D2A5E                skippable frame magic
//   u32 8 * n + 9                 the skippable frame's size
//   n * (u32 compressed size, u32 decompressed size)
//   u32 n, u8 descriptor 0, u32 0x8F92EAB1    (descriptor bits 2-7 reserved, must be 0; bit 7,
//                                              per-entry checksums, is never set here)
//
// Decoding trusts nothing: the table must account for every byte of the object, each frame
// must decompress to exactly its table size, and every size is bounded.
//
// Thread-safe: functions share no state.

#ifndef ARTIDX_STORE_SEEKABLE_ZSTD_H_
#define ARTIDX_STORE_SEEKABLE_ZSTD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace artidx::store {

inline constexpr size_t kSeekableFrameBytes = 64 << 10;
// The table's bytes besides its entries (skippable frame header and footer), and per entry.
inline constexpr size_t kSeekTableFixedBytes = 8 + 9;
inline constexpr size_t kSeekTableEntryBytes = 8;

// `data` in the seekable layout.
std::string CompressSeekable(std::string_view data);
// The most bytes CompressSeekable makes of data_bytes.
uint64_t MaxSeekableBytes(uint64_t data_bytes);

struct SeekTable {
  struct Frame {
    uint64_t compressed_offset;    // in the object
    uint64_t decompressed_offset;  // in the data
    uint32_t compressed_size;
    uint32_t decompressed_size;
  };
  std::vector<Frame> frames;
  uint64_t decompressed_size = 0;
  // The bytes the table takes at the object's end.
  uint64_t table_size = 0;

  // The frames [first, last) that hold the data's bytes [offset, offset + length) (clipped to
  // its end; first == last when nothing is left).
  std::pair<size_t, size_t> FramesFor(uint64_t offset, uint64_t length) const;
};

// The table's size in bytes, read from the footer of `tail`, the object's last bytes (at least
// 9 of them); DataLoss when they are not a seek table's footer.
[[nodiscard]] absl::StatusOr<uint64_t> SeekTableSize(std::string_view tail);

// Parses the table from `tail`, the last bytes of an object of `object_size` bytes (at least
// SeekTableSize of them). DataLoss naming the problem when the table is not valid or does not
// account for exactly the object's bytes; ResourceExhausted when the data is over max_bytes.
[[nodiscard]] absl::StatusOr<SeekTable> ParseSeekTable(std::string_view tail, uint64_t object_size,
                                                       uint64_t max_bytes);

// Decompresses frames [first, last) of `table` from `compressed`, which holds exactly their
// bytes (from frames[first].compressed_offset on). DataLoss when a frame is damaged.
[[nodiscard]] absl::StatusOr<std::string> DecompressFrames(const SeekTable& table, size_t first,
                                                           size_t last,
                                                           std::string_view compressed);

// The whole data of a seekable object; ResourceExhausted when it is over max_bytes.
[[nodiscard]] absl::StatusOr<std::string> DecompressSeekable(std::string_view object,
                                                             uint64_t max_bytes);

}  // namespace artidx::store

#endif  // ARTIDX_STORE_SEEKABLE_ZSTD_H_
