// Fuzzes the seekable zstd decoder that reads index segments out of an object store (whose
// bytes are untrusted): any input is the data or DataLoss / ResourceExhausted, never a crash,
// and data that decodes compresses back to an object that decodes to it again.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "store/seekable_zstd.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace artidx::store;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr uint64_t kMax = 1 << 20;
  absl::StatusOr<std::string> decoded = DecompressSeekable(input, kMax);
  if (!decoded.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(decoded.status()) || absl::IsResourceExhausted(decoded.status()));
    return 0;
  }
  FUZZ_CHECK(decoded->size() <= kMax);
  absl::StatusOr<std::string> again = DecompressSeekable(CompressSeekable(*decoded), kMax);
  FUZZ_CHECK(again.ok() && *again == *decoded);
  return 0;
}
