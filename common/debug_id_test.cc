// Unit tests of DebugId::Parse / ToString and of the FileType names (include/artidx/types.h).

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "artidx/types.h"
#include "common/strings.h"
#include "gtest/gtest.h"

namespace artidx {
namespace {

constexpr std::array<uint8_t, 16> kUuid = {0xeb, 0x6e, 0x60, 0xf1, 0x65, 0xff, 0x4f, 0x6f,
                                           0xab, 0xcd, 0x01, 0x23, 0x45, 0x67, 0x89, 0xef};
constexpr std::string_view kCanonical = "eb6e60f1-65ff-4f6f-abcd-0123456789ef";

DebugId ParseOrDie(std::string_view text) {
  absl::StatusOr<DebugId> id = DebugId::Parse(text);
  EXPECT_TRUE(id.ok()) << text << ": " << id.status();
  return id.ok() ? *id : DebugId{};
}

TEST(DebugIdTest, AllFormsOfOneIdParseToTheSameValue) {
  const std::vector<std::string_view> forms = {
      "eb6e60f1-65ff-4f6f-abcd-0123456789ef",
      "EB6E60F1-65FF-4F6F-ABCD-0123456789EF",
      "Eb6E60f1-65Ff-4F6f-aBcD-0123456789eF",
      "eb6e60f165ff4f6fabcd0123456789ef",
      "EB6E60F165FF4F6FABCD0123456789EF",
      // A zero appendix is the same value as no appendix.
      "eb6e60f1-65ff-4f6f-abcd-0123456789ef-0",
      "eb6e60f1-65ff-4f6f-abcd-0123456789ef-00000000",
      "eb6e60f165ff4f6fabcd0123456789ef0",
      "EB6E60F165FF4F6FABCD0123456789EF00000000",
  };
  for (std::string_view form : forms) {
    SCOPED_TRACE(form);
    DebugId id = ParseOrDie(form);
    EXPECT_EQ(id.uuid, kUuid);
    EXPECT_EQ(id.appendix, 0u);
    EXPECT_EQ(id.ToString(), kCanonical);
    EXPECT_EQ(id, ParseOrDie(kCanonical));
  }
}

TEST(DebugIdTest, Appendix) {
  struct Case {
    std::string_view text;
    uint32_t appendix;
    std::string_view canonical;
  };
  const Case cases[] = {
      {"eb6e60f1-65ff-4f6f-abcd-0123456789ef-a", 0xa, "eb6e60f1-65ff-4f6f-abcd-0123456789ef-a"},
      {"eb6e60f1-65ff-4f6f-abcd-0123456789ef-A", 0xa, "eb6e60f1-65ff-4f6f-abcd-0123456789ef-a"},
      {"eb6e60f1-65ff-4f6f-abcd-0123456789ef-feedface", 0xfeedface,
       "eb6e60f1-65ff-4f6f-abcd-0123456789ef-feedface"},
      {"EB6E60F1-65FF-4F6F-ABCD-0123456789EF-FEEDFACE", 0xfeedface,
       "eb6e60f1-65ff-4f6f-abcd-0123456789ef-feedface"},
      {"eb6e60f165ff4f6fabcd0123456789efa", 0xa, "eb6e60f1-65ff-4f6f-abcd-0123456789ef-a"},
      {"eb6e60f165ff4f6fabcd0123456789effeedface", 0xfeedface,
       "eb6e60f1-65ff-4f6f-abcd-0123456789ef-feedface"},
      // Leading zeros of the appendix are not kept.
      {"eb6e60f1-65ff-4f6f-abcd-0123456789ef-0000001", 1, "eb6e60f1-65ff-4f6f-abcd-0123456789ef-1"},
      {"eb6e60f1-65ff-4f6f-abcd-0123456789ef-ffffffff", 0xffffffff,
       "eb6e60f1-65ff-4f6f-abcd-0123456789ef-ffffffff"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    DebugId id = ParseOrDie(c.text);
    EXPECT_EQ(id.uuid, kUuid);
    EXPECT_EQ(id.appendix, c.appendix);
    EXPECT_EQ(id.ToString(), c.canonical);
    // The canonical form parses back to the same value.
    EXPECT_EQ(ParseOrDie(id.ToString()), id);
  }
  // Same uuid, different appendix: different values.
  EXPECT_NE(ParseOrDie("eb6e60f1-65ff-4f6f-abcd-0123456789ef-a"), ParseOrDie(kCanonical));
}

TEST(DebugIdTest, ToStringOfBuiltValues) {
  DebugId zero;
  EXPECT_EQ(zero.ToString(), "00000000-0000-0000-0000-000000000000");
  DebugId all;
  all.uuid.fill(0xff);
  EXPECT_EQ(all.ToString(), "ffffffff-ffff-ffff-ffff-ffffffffffff");
  all.appendix = 0x10;
  EXPECT_EQ(all.ToString(), "ffffffff-ffff-ffff-ffff-ffffffffffff-10");
  DebugId id;
  id.uuid = kUuid;
  EXPECT_EQ(id.ToString(), kCanonical);
}

TEST(DebugIdTest, DistinctIdsDiffer) {
  DebugId a = ParseOrDie("eb6e60f1-65ff-4f6f-abcd-0123456789ef");
  DebugId b = ParseOrDie("eb6e60f1-65ff-4f6f-abcd-0123456789ee");
  EXPECT_NE(a, b);
  EXPECT_LT(b, a);
}

TEST(DebugIdTest, RejectsInvalidForms) {
  const std::vector<std::string> invalid = {
      "",
      "eb6e60f1",
      "eb6e60f165ff4f6fabcd0123456789e",       // 31 hex digits
      "eb6e60f1-65ff-4f6f-abcd-0123456789e",   // hyphenated, one digit short
      "eb6e60f1-65ff-4f6f-abcd-0123456789eg",  // non-hex
      "gb6e60f165ff4f6fabcd0123456789ef",
      "eb6e60f165ff4f6fabcd0123456789e ",
      " eb6e60f165ff4f6fabcd0123456789ef",
      "eb6e60f165ff4f6fabcd0123456789ef ",
      "{eb6e60f1-65ff-4f6f-abcd-0123456789ef}",
      "eb6e60f1-65ff-4f6f-abcd-0123456789ef-",           // empty appendix
      "eb6e60f1-65ff-4f6f-abcd-0123456789ef-123456789",  // 9-digit appendix
      "eb6e60f165ff4f6fabcd0123456789ef123456789",       // 9-digit compact appendix
      "eb6e60f1-65ff-4f6f-abcd-0123456789ef-feedfacg",   // non-hex appendix
      "eb6e60f1-65ff-4f6f-abcd-0123456789efa",           // appendix without its hyphen
      "eb6e60f1-65ff-4f6f-abcd-0123456789ef--a",         // two hyphens
      "eb6e60f1-65ff-4f6f-abcd-0123456789ef-a-b",        // two appendices
      "eb6e60f165ff4f6fabcd0123456789ef-a",              // hyphen after the compact form
      "eb6e60f-165ff-4f6f-abcd-0123456789ef",            // hyphen moved left
      "eb6e60f16-5ff-4f6f-abcd-0123456789ef",            // hyphen moved right
      "eb6e60f1-65ff4-f6f-abcd-0123456789ef",            // second hyphen moved
      "eb6e60f1-65ff-4f6fa-bcd-0123456789ef",            // third hyphen moved
      "eb6e60f1-65ff-4f6f-abcd0-123456789ef",            // fourth hyphen moved
      "eb6e60f165ff-4f6f-abcd-0123456789ef",             // first hyphen missing
      "eb6e60f1-65ff-4f6f-abcd0123456789ef",             // last hyphen missing
      "eb6e-60f1-65ff-4f6f-abcd-0123456789ef",           // extra hyphen
      "eb6e60f1_65ff_4f6f_abcd_0123456789ef",            // wrong separator
      "-eb6e60f165ff4f6fabcd0123456789ef",
      "0xeb6e60f165ff4f6fabcd0123456789e",
      std::string("eb6e60f165ff4f6f\0bcd0123456789ef", 32),
      std::string("eb6e60f165ff4f6fabcd0123456789ef\0", 33),
      std::string(1000, 'a'),
  };
  for (const std::string& text : invalid) {
    SCOPED_TRACE(text);
    absl::StatusOr<DebugId> id = DebugId::Parse(text);
    ASSERT_FALSE(id.ok()) << id->ToString();
    EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(DebugIdTest, ErrorMessageQuotesAShortenedInput) {
  absl::StatusOr<DebugId> id = DebugId::Parse("nope");
  ASSERT_FALSE(id.ok());
  EXPECT_NE(StdView(id.status().message()).find("\"nope\""), std::string_view::npos);
  absl::StatusOr<DebugId> long_id = DebugId::Parse(std::string(100000, 'x'));
  ASSERT_FALSE(long_id.ok());
  EXPECT_LT(long_id.status().message().size(), 1000u);
}

TEST(FileTypeTest, NamesRoundTrip) {
  const std::pair<FileType, std::string_view> names[] = {
      {FileType::kSource, "source"},
      {FileType::kMinifiedSource, "minified_source"},
      {FileType::kSourceMap, "source_map"},
      {FileType::kIndexedRamBundle, "indexed_ram_bundle"},
  };
  static_assert(std::size(names) == kFileTypeCount);
  for (const auto& [type, name] : names) {
    EXPECT_EQ(FileTypeName(type), name);
    std::optional<FileType> parsed = ParseFileType(name);
    ASSERT_TRUE(parsed.has_value()) << name;
    EXPECT_EQ(*parsed, type);
  }
  // The stored values are fixed by the file format.
  EXPECT_EQ(static_cast<int>(FileType::kSource), 1);
  EXPECT_EQ(static_cast<int>(FileType::kMinifiedSource), 2);
  EXPECT_EQ(static_cast<int>(FileType::kSourceMap), 3);
  EXPECT_EQ(static_cast<int>(FileType::kIndexedRamBundle), 4);
}

TEST(FileTypeTest, UnknownNames) {
  for (std::string_view name : {"", "Source", "SOURCE", "sourcemap", "source-map", "minified",
                                "source ", " source", "unknown", "indexed_ram_bundles"}) {
    EXPECT_FALSE(ParseFileType(name).has_value()) << name;
  }
  EXPECT_FALSE(ParseFileType(std::string_view("source\0", 7)).has_value());
}

}  // namespace
}  // namespace artidx
