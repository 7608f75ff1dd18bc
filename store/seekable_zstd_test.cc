#include "store/seekable_zstd.h"

#include <cstdlib>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing.h"

namespace artidx::store {
namespace {

using ::testing::HasSubstr;

// Half random bytes, half text: compressible, but not to nothing.
std::string Data(size_t n, uint32_t seed = 1) {
  std::mt19937 random(seed);
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    if (random() % 2) {
      out += absl::StrCat("~/static/js/chunk.", random() % 1000, ".js\n");
    } else {
      out.push_back(static_cast<char>(random()));
    }
  }
  out.resize(n);
  return out;
}

TEST(SeekableZstdTest, RoundTripsAtFrameBoundaries) {
  const size_t f = kSeekableFrameBytes;
  for (size_t n : {size_t{0}, size_t{1}, f - 1, f, f + 1, 3 * f + 17, 40 * f}) {
    SCOPED_TRACE(n);
    const std::string data = Data(n);
    const std::string object = CompressSeekable(data);
    EXPECT_LE(object.size(), MaxSeekableBytes(n));
    absl::StatusOr<std::string> back = DecompressSeekable(object, n);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, data);
    absl::StatusOr<SeekTable> table = ParseSeekTable(object, object.size(), n);
    ASSERT_TRUE(table.ok()) << table.status();
    EXPECT_EQ(table->frames.size(), (n + f - 1) / f);
    EXPECT_EQ(table->decompressed_size, n);
    if (n > 0) {
      EXPECT_TRUE(absl::IsResourceExhausted(DecompressSeekable(object, n - 1).status()));
    }
  }
}

// Any zstd decoder reads the object as the data: the layout is zstd's own.
TEST(SeekableZstdTest, TheZstdToolDecompressesIt) {
  testing::TempDir dir;
  const std::string data = Data(5 * kSeekableFrameBytes + 3);
  testing::WriteFileOrDie(dir.path() + "/x.zst", CompressSeekable(data));
  ASSERT_EQ(
      std::system(
          absl::StrCat("zstd -q -d -f '", dir.path(), "/x.zst' -o '", dir.path(), "/x'").c_str()),
      0);
  EXPECT_EQ(testing::ReadFileOrDie(dir.path() + "/x"), data);
}

// A range decompresses only the frames that hold it, from their compressed bytes alone.
TEST(SeekableZstdTest, RangesNeedOnlyTheirFrames) {
  const size_t f = kSeekableFrameBytes;
  const std::string data = Data(10 * f + 100);
  const std::string object = CompressSeekable(data);
  absl::StatusOr<SeekTable> table = ParseSeekTable(object, object.size(), data.size());
  ASSERT_TRUE(table.ok()) << table.status();
  // The tail alone gives the table.
  const std::string tail = object.substr(object.size() - table->table_size);
  ASSERT_EQ(*SeekTableSize(tail), tail.size());
  ASSERT_TRUE(ParseSeekTable(tail, object.size(), data.size()).ok());
  struct Case {
    uint64_t offset, length;
    size_t first, last;
  };
  for (const Case& c :
       {Case{0, 1, 0, 1}, Case{f - 1, 2, 0, 2}, Case{f, f, 1, 2}, Case{3 * f + 5, 4 * f, 3, 8},
        Case{10 * f + 99, 100, 10, 11}, Case{10 * f + 100, 5, 0, 0}, Case{0, UINT64_MAX, 0, 11}}) {
    SCOPED_TRACE(absl::StrCat(c.offset, "+", c.length));
    const auto [first, last] = table->FramesFor(c.offset, c.length);
    EXPECT_EQ(first, c.first);
    EXPECT_EQ(last, c.last);
    if (first == last) continue;
    const uint64_t begin = table->frames[first].compressed_offset;
    const uint64_t end =
        table->frames[last - 1].compressed_offset + table->frames[last - 1].compressed_size;
    absl::StatusOr<std::string> frames =
        DecompressFrames(*table, first, last, std::string_view(object).substr(begin, end - begin));
    ASSERT_TRUE(frames.ok()) << frames.status();
    EXPECT_EQ(*frames, data.substr(table->frames[first].decompressed_offset, frames->size()));
    EXPECT_EQ(frames->substr(c.offset - table->frames[first].decompressed_offset,
                             std::min<uint64_t>(c.length, data.size() - c.offset)),
              data.substr(c.offset, c.length));
  }
}

// Every damaged copy is an error or the data itself (a flip in a frame's literal bytes is
// caught by the frame's checksum), never a crash or other bytes.
TEST(SeekableZstdTest, DamageIsAnErrorNeverOtherBytes) {
  const std::string data = Data(3 * kSeekableFrameBytes + 11);
  const std::string object = CompressSeekable(data);
  int errors = 0;
  for (size_t at = 0; at < object.size(); at += at + 64 >= object.size() ? 1 : 97) {
    std::string damaged = object;
    damaged[at] = static_cast<char>(damaged[at] ^ (1 << (at % 8)));
    absl::StatusOr<std::string> back = DecompressSeekable(damaged, data.size());
    if (back.ok()) {
      EXPECT_EQ(*back, data) << "flip at " << at;
    } else {
      ++errors;
      EXPECT_TRUE(absl::IsDataLoss(back.status()) || absl::IsResourceExhausted(back.status()))
          << back.status();
    }
  }
  EXPECT_GT(errors, 0);
  for (size_t cut = 0; cut < object.size(); cut += 1 + cut / 4) {
    EXPECT_FALSE(DecompressSeekable(object.substr(0, cut), data.size()).ok()) << cut;
  }
}

TEST(SeekableZstdTest, RejectsReservedBitsAndTablesThatDoNotAddUp) {
  const std::string object = CompressSeekable(Data(100));
  std::string reserved = object;
  reserved[reserved.size() - 5] = 4;  // the descriptor
  EXPECT_THAT(DecompressSeekable(reserved, 1000).status().message(), HasSubstr("reserved"));
  // A table whose frames do not cover the object exactly.
  const std::string longer = "x" + object;
  EXPECT_THAT(DecompressSeekable(longer, 1000).status().message(), HasSubstr("frames and table"));
  EXPECT_THAT(DecompressSeekable("", 1000).status().message(), HasSubstr("shorter"));
}

}  // namespace
}  // namespace artidx::store
