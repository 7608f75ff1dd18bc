// Unit tests of Sha1Digest: Of against FIPS 180 test vectors and digests computed with Python's
// hashlib for the lengths around the padding boundaries; the hex and raw conversions.

#include "common/sha1.h"

#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace artidx {
namespace {

std::string HexSha1(std::string_view data) { return Sha1Digest::Of(data).Hex(); }

// n bytes of (7 i + 3) mod 256: every byte value, not only ASCII.
std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + 3) % 256);
  return s;
}

TEST(Sha1Test, FipsVectors) {
  EXPECT_EQ(HexSha1(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(HexSha1("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HexSha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(
      HexSha1("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
              "klmnopqrlmnopqrsmnopqrstnopqrstu"),
      "a49b2446a02c645bf419f995b67091253a04a259");
  EXPECT_EQ(HexSha1(std::string(1000000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(Sha1Test, PaddingBoundaries) {
  // Expected values from python3: hashlib.sha1(bytes((i*7+3)%256 for i in range(n))).
  const std::pair<size_t, std::string_view> cases[] = {
      {55, "ddf57317ef34bfee3b6df83d359098930eb278bc"},  // padding fits the block
      {56, "a0d492bb0fc889d0eca3bc137066ab6f4f74f369"},  // the length spills to a 2nd block
      {63, "c55856749bef509bdfe6bfebfc7bf4e793e82132"},
      {64, "bede92be29c3874e1b54ddc77988d606fc857a8e"},  // exactly one block
      {65, "b05a80522b053d6dc7e0a517d0e70212c7dad11f"},
      {119, "504e27376a6e0f0dba8295b85cb25dc4dfa17d23"},  // 64 + 55
      {120, "82134b02fb3f702491be9bed581eeab59334acb2"},  // 64 + 56
      {128, "a09133e6730ffe899efb70204cb5646cd5dc24ee"},
  };
  for (const auto& [n, hex] : cases) EXPECT_EQ(HexSha1(Pattern(n)), hex) << n << " bytes";
}

TEST(Sha1Test, ReadsOnlyTheViewAndEmbeddedNulsCount) {
  const std::string padded = Pattern(64) + "tail";
  EXPECT_EQ(HexSha1(std::string_view(padded).substr(0, 64)),
            "bede92be29c3874e1b54ddc77988d606fc857a8e");
  EXPECT_NE(HexSha1(std::string(1, '\0')), HexSha1(""));
  EXPECT_NE(HexSha1(std::string(2, '\0')), HexSha1(std::string(1, '\0')));
}

TEST(Sha1Test, DigestBytesAndHex) {
  Sha1Digest d = Sha1Digest::Of("abc");
  EXPECT_EQ(d[0], 0xa9);
  EXPECT_EQ(d[1], 0x99);
  EXPECT_EQ(d[19], 0x9d);
  Sha1Digest zero{};
  EXPECT_EQ(zero.Hex(), std::string(40, '0'));
  Sha1Digest mixed{};
  for (size_t i = 0; i < mixed.size(); ++i) mixed[i] = static_cast<uint8_t>(i * 13 + 0x0f);
  EXPECT_EQ(mixed.Hex(), "0f1c293643505d6a7784919eabb8c5d2dfecf906");
}

TEST(Sha1Test, HexAndRawRoundTrip) {
  const Sha1Digest d = Sha1Digest::Of("abc");
  EXPECT_EQ(Sha1Digest::FromHex(d.Hex()), d);
  EXPECT_EQ(Sha1Digest::FromRaw(d.Raw()), d);
  EXPECT_EQ(d.Raw().size(), 20u);
  EXPECT_EQ(static_cast<uint8_t>(d.Raw()[0]), 0xa9);
}

TEST(Sha1Test, FromHexTakesOnlyTheCanonicalForm) {
  const std::string hex = "a9993e364706816aba3e25717850c26c9cd0d89d";
  EXPECT_TRUE(Sha1Digest::FromHex(hex));
  EXPECT_FALSE(Sha1Digest::FromHex("A9993E364706816ABA3E25717850C26C9CD0D89D"));  // upper case
  EXPECT_FALSE(Sha1Digest::FromHex(hex.substr(1)));                               // 39 digits
  EXPECT_FALSE(Sha1Digest::FromHex(hex + "0"));                                   // 41 digits
  EXPECT_FALSE(Sha1Digest::FromHex("g" + hex.substr(1)));
  EXPECT_FALSE(Sha1Digest::FromHex(""));
}

TEST(Sha1Test, FromRawTakesExactlyTwentyBytes) {
  EXPECT_FALSE(Sha1Digest::FromRaw(std::string(19, 'x')));
  EXPECT_FALSE(Sha1Digest::FromRaw(std::string(21, 'x')));
  const std::optional<Sha1Digest> d = Sha1Digest::FromRaw(std::string(20, '\x7f'));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->Hex(), "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f");
}

}  // namespace
}  // namespace artidx
