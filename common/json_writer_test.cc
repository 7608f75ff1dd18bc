#include "common/json_writer.h"

#include <limits>
#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace artidx {
namespace {

TEST(JsonWriterTest, NestsWithCommasBetweenMembersAndItems) {
  JsonWriter json;
  json.BeginObject()
      .Key("a")
      .BeginArray()
      .Int(1)
      .BeginObject()
      .EndObject()
      .BeginArray()
      .EndArray()
      .Null()
      .EndArray()
      .Key("b")
      .BeginObject()
      .Key("c")
      .Bool(true)
      .Key("d")
      .Bool(false)
      .EndObject()
      .Key("e")
      .Strings({"x", "y"})
      .Key("f")
      .Strings({})
      .EndObject();
  EXPECT_EQ(json.str(), R"({"a":[1,{},[],null],"b":{"c":true,"d":false},"e":["x","y"],"f":[]})");
}

TEST(JsonWriterTest, Numbers) {
  JsonWriter json;
  json.BeginArray()
      .Int(std::numeric_limits<int64_t>::min())
      .Int(0)
      .Uint(std::numeric_limits<uint64_t>::max())
      .EndArray();
  EXPECT_EQ(json.str(), "[-9223372036854775808,0,18446744073709551615]");
}

TEST(JsonWriterTest, FixedWritesTheDigitsAsked) {
  JsonWriter json;
  json.BeginArray().Fixed(1.23456, 3).Fixed(0, 3).Fixed(2.5, 0).Fixed(-0.25, 1).EndArray();
  EXPECT_EQ(json.str(), "[1.235,0.000,2,-0.2]");
}

TEST(JsonWriterTest, TakeMovesTheTextOutAndStartsOver) {
  JsonWriter json;
  json.BeginObject().Key("a").Int(1).EndObject();
  EXPECT_EQ(json.Take(), R"({"a":1})");
  json.BeginArray().Int(2).EndArray();
  EXPECT_EQ(json.str(), "[2]");
}

TEST(JsonWriterTest, OptionalStringIsNullWhenAbsent) {
  JsonWriter json;
  json.BeginObject()
      .Key("s")
      .StringOrNull(std::optional<std::string_view>("v"))
      .Key("n")
      .StringOrNull(std::optional<std::string_view>())
      .EndObject();
  EXPECT_EQ(json.str(), R"({"s":"v","n":null})");
}

// RFC 8259, section 7: quotation mark, reverse solidus and U+0000 to U+001F must be escaped.
// Other bytes are copied: UTF-8 as it is, and bytes that are not UTF-8 too (callers hold
// UTF-8; what they print must not change, see common/text.h).
TEST(JsonWriterTest, EscapesStringsAndKeysPerRfc8259) {
  std::string controls;
  for (int c = 0; c < 0x20; ++c) controls.push_back(static_cast<char>(c));
  JsonWriter json;
  json.BeginObject()
      .Key("k\"\\")
      .String(controls)
      .Key("utf8")
      .String("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/\x7f")
      .Key("bad")
      .String(std::string("\xff\xc3(\0", 4))
      .EndObject();
  std::string expected_controls;
  for (int c = 0; c < 0x20; ++c) {
    static constexpr char kHex[] = "0123456789abcdef";
    expected_controls += std::string("\\u00") + kHex[c >> 4] + kHex[c & 15];
  }
  EXPECT_EQ(json.str(), "{\"k\\\"\\\\\":\"" + expected_controls +
                            "\",\"utf8\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/\x7f\","
                            "\"bad\":\"\xff\xc3(\\u0000\"}");
}

}  // namespace
}  // namespace artidx
