// Fuzzes ParseListObjectsV2, the parser of an S3 server's (untrusted) listing responses: any
// input is an answer or DataLoss, never a crash; an answer that says it is truncated names the
// continuation token.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "store/s3_client.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<artidx::store::S3ListPage> page = artidx::store::ParseListObjectsV2(input);
  if (!page.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(page.status()));
    return 0;
  }
  FUZZ_CHECK(!page->truncated || !page->next_continuation_token.empty());
  size_t bytes = 0;
  for (const auto& key : page->keys) bytes += key.size();
  for (const auto& prefix : page->common_prefixes) bytes += prefix.size();
  FUZZ_CHECK(bytes <= input.size());  // references only ever shrink the text
  return 0;
}
