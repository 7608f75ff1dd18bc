// Fuzzes lookup::ExpandUrl: for any abs_path it returns 1 to 4 distinct forms, each "" or "~"
// followed by a substring of the input (a view into it, so expanding allocates nothing).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "lookup/url_candidates.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  artidx::lookup::UrlForm forms[artidx::lookup::kMaxUrlForms];
  const int n = artidx::lookup::ExpandUrl(input, forms);
  FUZZ_CHECK(n >= 1 && n <= artidx::lookup::kMaxUrlForms);
  std::string urls[artidx::lookup::kMaxUrlForms];
  for (int i = 0; i < n; ++i) {
    const artidx::lookup::UrlForm& form = forms[i];
    FUZZ_CHECK(form.prefix.empty() || form.prefix == "~");
    if (!form.body.empty()) {
      // A view into the input, not merely equal to part of it.
      FUZZ_CHECK(form.body.data() >= input.data() &&
                 form.body.data() + form.body.size() <= input.data() + input.size());
    }
    urls[i] = form.ToString();
    FUZZ_CHECK(urls[i].size() == form.prefix.size() + form.body.size());
    for (int j = 0; j < i; ++j) FUZZ_CHECK(urls[i] != urls[j]);
  }
  // The first form is the input itself, less an "async " prefix and any fragment.
  FUZZ_CHECK(forms[0].prefix.empty());
  FUZZ_CHECK(forms[0].body.find('#') == std::string_view::npos);
  return 0;
}
