// JsonWriter builds one JSON text (RFC 8259) in memory: objects, arrays, keys and values, with
// the commas between them, strings escaped by JsonString (common/text.h: quote, backslash and
// the control characters U+0000-U+001F escaped; other bytes, UTF-8 or not, copied as they are,
// for callers hold UTF-8). No whitespace is written, so equal calls give equal bytes: the CLI's
// --json output, the Sentry-JSON export and `artidx serve`'s answers and JSON access log are
// written with it.
//
//   JsonWriter json;
//   json.BeginObject().Key("bundles").BeginArray().String("a").EndArray().EndObject();
//   json.str() == R"({"bundles":["a"]})"
//
// The caller nests the calls correctly (a Key before each value in an object, none in an
// array); the writer does not check it. Thread safety: an instance is for one thread.

#ifndef ARTIDX_COMMON_JSON_WRITER_H_
#define ARTIDX_COMMON_JSON_WRITER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace artidx {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // The key of the next value of the object being written.
  JsonWriter& Key(std::string_view key);

  JsonWriter& String(std::string_view s);
  // The string, or null.
  JsonWriter& StringOrNull(const std::optional<std::string_view>& s);
  JsonWriter& Int(int64_t v);
  JsonWriter& Uint(uint64_t v);
  // A number written with `decimals` digits after the point ("%.*f"); v must be finite.
  JsonWriter& Fixed(double v, int decimals);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // An array of strings.
  JsonWriter& Strings(const std::vector<std::string>& items);

  const std::string& str() const { return out_; }
  // The text written, moved out; the writer is left empty.
  std::string Take() {
    empty_.clear();
    after_key_ = false;
    std::string out = std::move(out_);
    out_.clear();
    return out;
  }

 private:
  // Writes the comma before a value or key, unless it opens its container or follows a key.
  void Separate();

  std::string out_;
  std::vector<bool> empty_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace artidx

#endif  // ARTIDX_COMMON_JSON_WRITER_H_
