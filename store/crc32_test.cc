// Unit tests of store/crc32.h against zlib's crc32().

#include "store/crc32.h"

#include <zlib.h>

#include <random>
#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace artidx::store {
namespace {

uint32_t Zlib(std::string_view data) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

TEST(Crc32Test, KnownValues) {
  EXPECT_EQ(Crc32(0, ""), 0u);
  EXPECT_EQ(Crc32(0, "123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(0, std::string(1000, 'a')), Zlib(std::string(1000, 'a')));
}

// Every length around the folding steps (64, then 16 bytes at a time), at every alignment,
// whole and in two pieces.
TEST(Crc32Test, AgreesWithZlib) {
  std::mt19937 random(7);
  std::string bytes(1 << 16, '\0');
  for (char& c : bytes) c = static_cast<char>(random());
  for (size_t size = 0; size <= 600; ++size) {
    for (size_t offset = 0; offset < 16; offset += 3) {
      const std::string_view data(bytes.data() + offset, size);
      const uint32_t expected = Zlib(data);
      ASSERT_EQ(Crc32(0, data), expected) << size << " bytes at " << offset;
      const size_t cut = size * 2 / 5;
      ASSERT_EQ(Crc32(Crc32(0, data.substr(0, cut)), data.substr(cut)), expected)
          << size << " bytes at " << offset << ", cut at " << cut;
    }
  }
  EXPECT_EQ(Crc32(0, bytes), Zlib(bytes));
  EXPECT_EQ(Crc32(0, std::string(5 << 20, '\xff')), Zlib(std::string(5 << 20, '\xff')));
}

}  // namespace
}  // namespace artidx::store
