// Fuzzes DebugId::Parse: whatever it accepts, ToString() prints in the canonical form, which
// parses back to the same value.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "artidx/types.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<artidx::DebugId> id = artidx::DebugId::Parse(input);
  if (!id.ok()) return 0;
  FUZZ_CHECK(input.size() >= 32 && input.size() <= 36 + 9);
  const std::string text = id->ToString();
  FUZZ_CHECK(text.size() == 36 || (id->appendix != 0 && text.size() >= 38 && text.size() <= 45));
  for (char c : text) FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-');
  absl::StatusOr<artidx::DebugId> again = artidx::DebugId::Parse(text);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *id);
  FUZZ_CHECK(again->ToString() == text);
  return 0;
}
