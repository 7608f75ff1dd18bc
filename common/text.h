// Small text encodings shared by the writers of JSON and of human-readable output: JSON string
// literals, ISO 8601 timestamps, and error messages as one printable line.
//
// Thread-safe: pure functions.

#ifndef ARTIDX_COMMON_TEXT_H_
#define ARTIDX_COMMON_TEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace artidx {

// `s` as a JSON string literal, quotes included. Bytes >= 0x80 pass through unchanged (callers
// hold UTF-8); control characters are escaped.
std::string JsonString(std::string_view s);
// Appends JsonString(s) to *out, without a temporary.
void AppendJsonString(std::string* out, std::string_view s);

// Decodes the UTF-8 sequence at s[i]: returns its length and sets *cp, or returns 0 when it is
// malformed (overlong, a surrogate, past U+10FFFF, or truncated).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp);

// Unicode's control characters (general category Cc): C0, DEL and C1.
inline bool IsControl(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

// An error message as one printable line, as the CLI prints it and the Python package raises it:
// messages quote bundle contents (entry names, types, libarchive's words), so trailing line
// breaks are dropped, other line breaks become \n, and control characters and bytes that are
// not UTF-8 become \xNN.
std::string OneLine(std::string_view message);

// "2023-11-14T22:13:20.000Z" for 1700000000000.
std::string FormatIso8601(int64_t ms);

// Milliseconds since the epoch of "YYYY-MM-DDTHH:MM:SS", optionally followed by a fraction of
// a second (digits past milliseconds are dropped) and by "Z" or an offset "+HH:MM" / "-HH:MM"
// (none means UTC). nullopt for anything else.
std::optional<int64_t> ParseIso8601(std::string_view text);

}  // namespace artidx

#endif  // ARTIDX_COMMON_TEXT_H_
