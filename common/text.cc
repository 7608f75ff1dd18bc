#include "common/text.h"

#include <algorithm>
#include <chrono>

#include "common/strings.h"

namespace artidx {
namespace {

// Parses exactly `n` decimal digits at text[*pos].
bool Digits(std::string_view text, size_t* pos, int n, int* out) {
  if (*pos + static_cast<size_t>(n) > text.size()) return false;
  int value = 0;
  for (int i = 0; i < n; ++i) {
    const char c = text[*pos + static_cast<size_t>(i)];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *pos += static_cast<size_t>(n);
  *out = value;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace

size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const uint8_t lead = b(0);
  size_t len;
  uint32_t min;
  if (lead < 0x80) {
    *cp = lead;
    return 1;
  } else if ((lead & 0xE0) == 0xC0) {
    len = 2, min = 0x80, *cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    len = 3, min = 0x800, *cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, *cp = lead & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    *cp = *cp << 6 | (b(k) & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return len;
}

std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  // Runs of bytes that need no escape are appended whole.
  size_t plain = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + plain, i - plain);
    plain = i + 1;
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else {
      StrAppend(out, "\\u", absl::Hex(c, absl::kZeroPad4));
    }
  }
  out->append(s.data() + plain, s.size() - plain);
  out->push_back('"');
}

std::string OneLine(std::string_view message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
    message.remove_suffix(1);
  }
  std::string out;
  for (size_t i = 0; i < message.size();) {
    uint32_t cp;
    const size_t len = DecodeUtf8(message, i, &cp);
    if (len == 0 || IsControl(cp)) {
      // Each byte of a bad or control sequence as \xNN; a line break as \n.
      for (size_t k = 0; k < std::max<size_t>(len, 1); ++k) {
        static constexpr char kHex[] = "0123456789abcdef";
        const auto c = static_cast<unsigned char>(message[i + k]);
        out += c == '\n' ? std::string("\\n") : std::string{'\\', 'x', kHex[c >> 4], kHex[c & 15]};
      }
      i += std::max<size_t>(len, 1);
      continue;
    }
    out.append(message.substr(i, len));
    i += len;
  }
  return out;
}

std::string FormatIso8601(int64_t ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds{ms}};
  const sys_days day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> tod{t - day};
  return StrCat(absl::Dec(static_cast<int>(ymd.year()), absl::kZeroPad4), "-",
                absl::Dec(static_cast<unsigned>(ymd.month()), absl::kZeroPad2), "-",
                absl::Dec(static_cast<unsigned>(ymd.day()), absl::kZeroPad2), "T",
                absl::Dec(tod.hours().count(), absl::kZeroPad2), ":",
                absl::Dec(tod.minutes().count(), absl::kZeroPad2), ":",
                absl::Dec(tod.seconds().count(), absl::kZeroPad2), ".",
                absl::Dec(tod.subseconds().count(), absl::kZeroPad3), "Z");
}

std::optional<int64_t> ParseIso8601(std::string_view text) {
  using namespace std::chrono;
  size_t pos = 0;
  int y, mo, d, h, mi, s;
  if (!Digits(text, &pos, 4, &y) || !Expect(text, &pos, '-') || !Digits(text, &pos, 2, &mo) ||
      !Expect(text, &pos, '-') || !Digits(text, &pos, 2, &d) ||
      !(Expect(text, &pos, 'T') || Expect(text, &pos, ' ')) || !Digits(text, &pos, 2, &h) ||
      !Expect(text, &pos, ':') || !Digits(text, &pos, 2, &mi) || !Expect(text, &pos, ':') ||
      !Digits(text, &pos, 2, &s) || h > 23 || mi > 59 || s > 60) {
    return std::nullopt;
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  int64_t ms = 0;
  if (Expect(text, &pos, '.')) {
    int digits = 0;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++digits) {
      if (digits < 3) ms = ms * 10 + (text[pos] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) ms *= 10;
  }
  int64_t offset_minutes = 0;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos++] == '+' ? 1 : -1;
    int oh, om;
    if (!Digits(text, &pos, 2, &oh) || !Expect(text, &pos, ':') || !Digits(text, &pos, 2, &om)) {
      return std::nullopt;
    }
    offset_minutes = sign * (oh * 60 + om);
  } else {
    Expect(text, &pos, 'Z');
  }
  if (pos != text.size()) return std::nullopt;
  const int64_t seconds = sys_days{ymd}.time_since_epoch().count() * 86400 + h * 3600 + mi * 60 +
                          s - offset_minutes * 60;
  return seconds * 1000 + ms;
}

}  // namespace artidx
