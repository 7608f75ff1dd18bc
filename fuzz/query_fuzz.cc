// Fuzzes server::ParseTarget, the decoder of every request target `artidx serve` receives:
// whatever it accepts holds no control character or invalid UTF-8, stays within its limits, and
// percent-encoding the decoded parts back gives a target that decodes to the same.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/text.h"
#include "fuzz/fuzz_check.h"
#include "server/query.h"

namespace {

std::string Encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

void CheckClean(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    const size_t n = artidx::DecodeUtf8(s, i, &cp);
    FUZZ_CHECK(n > 0);
    FUZZ_CHECK(cp >= 0x20 && cp != 0x7F);
    i += n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<artidx::server::Target> target = artidx::server::ParseTarget(input);
  if (!target.ok()) return 0;
  FUZZ_CHECK(input.size() <= artidx::server::kMaxTargetBytes);
  FUZZ_CHECK(target->params.size() <= artidx::server::kMaxParams);
  FUZZ_CHECK(!target->raw_path.empty() && target->raw_path[0] == '/');
  CheckClean(target->path);
  std::string again = "/" + Encode(std::string_view(target->path).substr(1)) + "?";
  for (const auto& [name, value] : target->params) {
    CheckClean(name);
    CheckClean(value);
    again += Encode(name) + "=" + Encode(value) + "&";
    FUZZ_CHECK(target->All(name).size() >= 1);
  }
  FUZZ_CHECK(target->path[0] == '/');
  if (again.size() <= artidx::server::kMaxTargetBytes) {
    absl::StatusOr<artidx::server::Target> reparsed = artidx::server::ParseTarget(again);
    FUZZ_CHECK(reparsed.ok());
    FUZZ_CHECK(reparsed->path == target->path);
    FUZZ_CHECK(reparsed->params == target->params);
  }
  return 0;
}
