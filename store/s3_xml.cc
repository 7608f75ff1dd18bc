#include "store/s3_xml.h"

#include <algorithm>
#include <cstdint>

namespace artidx::store {
namespace {

// The deepest XML element nesting accepted (S3's responses nest three deep).
constexpr size_t kMaxXmlDepth = 16;

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Appends XML character data with its references decoded; false when one is malformed.
bool DecodeXmlText(std::string_view raw, std::string* out) {
  for (size_t i = 0; i < raw.size();) {
    if (raw[i] != '&') {
      *out += raw[i++];
      continue;
    }
    const size_t semi = raw.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) return false;
    const std::string_view ref = raw.substr(i + 1, semi - i - 1);
    i = semi + 1;
    if (ref == "amp") {
      *out += '&';
    } else if (ref == "lt") {
      *out += '<';
    } else if (ref == "gt") {
      *out += '>';
    } else if (ref == "quot") {
      *out += '"';
    } else if (ref == "apos") {
      *out += '\'';
    } else if (ref.size() >= 2 && ref[0] == '#') {
      const bool hex = ref[1] == 'x';
      const std::string_view digits = ref.substr(hex ? 2 : 1);
      if (digits.empty()) return false;
      uint32_t cp = 0;
      for (char c : digits) {
        int v;
        if (c >= '0' && c <= '9') {
          v = c - '0';
        } else if (hex && c >= 'a' && c <= 'f') {
          v = c - 'a' + 10;
        } else if (hex && c >= 'A' && c <= 'F') {
          v = c - 'A' + 10;
        } else {
          return false;
        }
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
        if (cp > 0x10FFFF) return false;
      }
      if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
      AppendUtf8(cp, out);
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

bool WalkXml(std::string_view xml,
             absl::FunctionRef<void(const std::vector<std::string>&, const std::string&)> leaf) {
  std::vector<std::string> path;
  std::string text;
  bool saw_root = false;
  size_t i = 0;
  while (i < xml.size()) {
    if (xml[i] != '<') {
      size_t end = xml.find('<', i);
      if (end == std::string_view::npos) end = xml.size();
      if (path.empty()) {  // only white space outside the root element
        for (char c : xml.substr(i, end - i)) {
          if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
        }
      } else if (!DecodeXmlText(xml.substr(i, end - i), &text)) {
        return false;
      }
      i = end;
      continue;
    }
    const std::string_view rest = xml.substr(i);
    if (rest.substr(0, 2) == "<?" || rest.substr(0, 4) == "<!--") {
      const std::string_view close = rest[1] == '?' ? "?>" : "-->";
      const size_t end = rest.find(close);
      if (end == std::string_view::npos) return false;
      i += end + close.size();
      continue;
    }
    const size_t gt = rest.find('>');
    if (gt == std::string_view::npos || rest.substr(0, 2) == "<!") return false;
    std::string_view tag = rest.substr(1, gt - 1);
    i += gt + 1;
    if (!tag.empty() && tag[0] == '/') {
      tag.remove_prefix(1);
      while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\n')) tag.remove_suffix(1);
      if (path.empty() || path.back() != tag) return false;
      leaf(path, text);
      path.pop_back();
      text.clear();
      continue;
    }
    const bool empty_element = !tag.empty() && tag.back() == '/';
    if (empty_element) tag.remove_suffix(1);
    const size_t name_end = std::min(tag.find_first_of(" \t\r\n"), tag.size());
    const std::string_view name = tag.substr(0, name_end);
    if (name.empty() || (path.empty() && saw_root) || path.size() >= kMaxXmlDepth) return false;
    saw_root = true;
    path.emplace_back(name);
    text.clear();
    if (empty_element) {
      leaf(path, text);
      path.pop_back();
    }
  }
  return saw_root && path.empty();
}

bool PathIs(const std::vector<std::string>& path, std::initializer_list<std::string_view> want) {
  return path.size() == want.size() && std::equal(path.begin(), path.end(), want.begin());
}

}  // namespace artidx::store
