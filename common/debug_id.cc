#include <array>
#include <cstdint>
#include <cstdio>

#include "absl/status/status.h"
#include "artidx/types.h"
#include "common/strings.h"

namespace artidx {
namespace {

// A table rather than comparisons: ids are random, and a branch per digit mispredicts half
// the time (bundles carry tens of thousands of ids).
constexpr std::array<int8_t, 256> kHexValues = [] {
  std::array<int8_t, 256> values{};
  values.fill(-1);
  for (int i = 0; i < 10; ++i) values['0' + i] = static_cast<int8_t>(i);
  for (int i = 0; i < 6; ++i) {
    values['a' + i] = static_cast<int8_t>(10 + i);
    values['A' + i] = static_cast<int8_t>(10 + i);
  }
  return values;
}();

int HexValue(char c) { return kHexValues[static_cast<unsigned char>(c)]; }

// Parses 1 to 8 hex digits.
bool ParseAppendix(std::string_view text, uint32_t* out) {
  if (text.empty() || text.size() > 8) return false;
  uint32_t value = 0;
  for (char c : text) {
    int v = HexValue(c);
    if (v < 0) return false;
    value = value << 4 | static_cast<uint32_t>(v);
  }
  *out = value;
  return true;
}

absl::Status Invalid(std::string_view text) {
  constexpr size_t kShown = 80;
  return absl::InvalidArgumentError(
      StrCat("invalid debug id \"", text.substr(0, kShown), text.size() > kShown ? "..." : "",
             "\": expected 32 hex digits, optionally hyphenated 8-4-4-4-12, optionally "
             "followed by an appendix of 1 to 8 hex digits"));
}

}  // namespace

absl::StatusOr<DebugId> DebugId::Parse(std::string_view text) {
  DebugId id;
  // Hyphen positions of the 36-character form; the compact form has none.
  const bool hyphenated =
      text.size() >= 36 && text[8] == '-' && text[13] == '-' && text[18] == '-' && text[23] == '-';
  const size_t uuid_len = hyphenated ? 36 : 32;
  if (text.size() < uuid_len) return Invalid(text);
  // Where each byte's two digits start, in the compact and the hyphenated form. Every digit is
  // read before any is checked: one branch per id rather than one per digit.
  static constexpr uint8_t kDigitsAt[2][16] = {
      {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30},
      {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}};
  const uint8_t* at = kDigitsAt[hyphenated];
  int invalid = 0;
  for (size_t i = 0; i < id.uuid.size(); ++i) {
    const int high = HexValue(text[at[i]]), low = HexValue(text[at[i] + 1]);
    invalid |= high | low;
    id.uuid[i] = static_cast<uint8_t>((high & 15) << 4 | (low & 15));
  }
  if (invalid < 0) return Invalid(text);
  std::string_view rest = text.substr(uuid_len);
  if (!rest.empty()) {
    if (hyphenated) {
      if (rest[0] != '-') return Invalid(text);
      rest.remove_prefix(1);
    }
    if (!ParseAppendix(rest, &id.appendix)) return Invalid(text);
  }
  return id;
}

std::string DebugId::ToString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36 + 9);
  for (size_t i = 0; i < uuid.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[uuid[i] >> 4]);
    out.push_back(kHex[uuid[i] & 15]);
  }
  if (appendix != 0) StrAppend(&out, "-", absl::Hex(appendix));
  return out;
}

}  // namespace artidx
