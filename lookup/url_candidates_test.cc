// Unit tests of lookup::ExpandUrl against every row of section 3 of the reference
// (shared/reference/artifact-bundles.md) and edge cases.

#include "lookup/url_candidates.h"

#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace artidx::lookup {
namespace {

std::vector<std::string> Expand(std::string_view abs_path) {
  UrlForm forms[kMaxUrlForms];
  const int n = ExpandUrl(abs_path, forms);
  EXPECT_GE(n, 1);
  EXPECT_LE(n, kMaxUrlForms);
  std::vector<std::string> out;
  for (int i = 0; i < n && i < kMaxUrlForms; ++i) {
    EXPECT_TRUE(forms[i].prefix.empty() || forms[i].prefix == "~") << forms[i].prefix;
    // Forms are views into the input: nothing is allocated.
    if (!forms[i].body.empty()) {
      EXPECT_GE(forms[i].body.data(), abs_path.data());
      EXPECT_LE(forms[i].body.data() + forms[i].body.size(), abs_path.data() + abs_path.size());
    }
    out.push_back(forms[i].ToString());
  }
  return out;
}

struct Row {
  std::string_view url;
  std::vector<std::string> candidates;
};

using V = std::vector<std::string>;

// Section 3's table, row by row.
const Row kReferenceRows[] = {
    {"https://example.com/assets/bundle.min.js",
     V{"https://example.com/assets/bundle.min.js", "~/assets/bundle.min.js"}},
    {"https://example.com/assets/bundle.min.js?foo=1&bar=baz",
     V{"https://example.com/assets/bundle.min.js?foo=1&bar=baz",
       "https://example.com/assets/bundle.min.js", "~/assets/bundle.min.js?foo=1&bar=baz",
       "~/assets/bundle.min.js"}},
    {"https://example.com/assets/bundle.min.js#wat",
     V{"https://example.com/assets/bundle.min.js", "~/assets/bundle.min.js"}},
    {"https://example.com/assets/bundle.min.js?foo=1&bar=baz#wat",
     V{"https://example.com/assets/bundle.min.js?foo=1&bar=baz",
       "https://example.com/assets/bundle.min.js", "~/assets/bundle.min.js?foo=1&bar=baz",
       "~/assets/bundle.min.js"}},
    {"app:///_next/server/pages/_error.js",
     V{"app:///_next/server/pages/_error.js", "~/_next/server/pages/_error.js"}},
    {"~/foo.js", V{"~/foo.js"}},
    {"/Users/me/dist/main.js", V{"/Users/me/dist/main.js", "~/Users/me/dist/main.js"}},
    {"webpack:///./src/a.js", V{"webpack:///./src/a.js", "~/./src/a.js"}},
    {"https://example.com", V{"https://example.com", "~example.com"}},
};

TEST(ExpandUrlTest, ReferenceTable) {
  for (const Row& row : kReferenceRows) {
    EXPECT_EQ(Expand(row.url), row.candidates) << row.url;
  }
}

TEST(ExpandUrlTest, ReferenceTableWithAsyncPrefix) {
  for (const Row& row : kReferenceRows) {
    const std::string with_async = "async " + std::string(row.url);
    EXPECT_EQ(Expand(with_async), row.candidates) << with_async;
  }
}

TEST(ExpandUrlTest, AsyncPrefixIsExact) {
  // Only a leading "async " is stripped, once.
  EXPECT_EQ(Expand("asyncfoo.js"), (V{"asyncfoo.js", "~asyncfoo.js"}));
  EXPECT_EQ(Expand("async async ~/a.js"), (V{"async ~/a.js", "~async ~/a.js"}));
  EXPECT_EQ(Expand(" async ~/a.js"), (V{" async ~/a.js", "~ async ~/a.js"}));
  EXPECT_EQ(Expand("Async ~/a.js"), (V{"Async ~/a.js", "~Async ~/a.js"}));
  EXPECT_EQ(Expand("async "), (V{"", "~"}));
}

TEST(ExpandUrlTest, EdgeCases) {
  const Row rows[] = {
      // Empty: the URL and "~" + its (empty) relative form.
      {"", V{"", "~"}},
      {"#frag", V{"", "~"}},
      {"~", V{"~"}},
      {"~?x", V{"~?x", "~"}},
      // Only a query: the url without it is empty.
      {"?a=1", V{"?a=1", "", "~?a=1", "~"}},
      // No "://": unchanged as the relative form.
      {"//host/path", V{"//host/path", "~//host/path"}},
      {"a.js", V{"a.js", "~a.js"}},
      {"http:/x.js", V{"http:/x.js", "~http:/x.js"}},
      // The `#` cuts before `?` does: no query left.
      {"https://example.com/a.js#frag?x=1", V{"https://example.com/a.js", "~/a.js"}},
      {"https://example.com/a.js?x=1#frag?y=2",
       V{"https://example.com/a.js?x=1", "https://example.com/a.js", "~/a.js?x=1", "~/a.js"}},
      // Percent-encoding is kept as is.
      {"https://example.com/a%20b.js?x=%3F",
       V{"https://example.com/a%20b.js?x=%3F", "https://example.com/a%20b.js", "~/a%20b.js?x=%3F",
         "~/a%20b.js"}},
      {"https://example.com/%7Efoo.js", V{"https://example.com/%7Efoo.js", "~/%7Efoo.js"}},
      // Non-ASCII bytes pass through.
      {"https://\xe4\xbe\x8b\xe3\x81\x88.jp/\xe3\x83\x91\xe3\x82\xb9.js",
       V{"https://\xe4\xbe\x8b\xe3\x81\x88.jp/\xe3\x83\x91\xe3\x82\xb9.js",
         "~/\xe3\x83\x91\xe3\x82\xb9.js"}},
      // An empty query is still a query.
      {"https://example.com/a.js?",
       V{"https://example.com/a.js?", "https://example.com/a.js", "~/a.js?", "~/a.js"}},
      // A host without a path, with a query.
      {"https://example.com?x=1",
       V{"https://example.com?x=1", "https://example.com", "~example.com?x=1", "~example.com"}},
      {"https://example.com/", V{"https://example.com/", "~/"}},
      {"file:///C:/dist/x.js", V{"file:///C:/dist/x.js", "~/C:/dist/x.js"}},
      {"http://localhost:8080/a.js", V{"http://localhost:8080/a.js", "~/a.js"}},
      // `~` URLs with a query: the relative forms duplicate the absolute ones.
      {"~/a.js?v=3", V{"~/a.js?v=3", "~/a.js"}},
      // A `?` in the host part.
      {"https://host?x=/y", V{"https://host?x=/y", "https://host", "~/y"}},
  };
  for (const Row& row : rows) EXPECT_EQ(Expand(row.url), row.candidates) << row.url;
}

TEST(ExpandUrlTest, HugeUrl) {
  const std::string path(100 << 10, 'p');
  const std::string url = "https://example.com/" + path + ".js?v=" + std::string(1000, '1');
  std::vector<std::string> forms = Expand(url);
  ASSERT_EQ(forms.size(), 4u);
  EXPECT_EQ(forms[0], url);
  EXPECT_EQ(forms[1], "https://example.com/" + path + ".js");
  EXPECT_EQ(forms[2], "~/" + path + ".js?v=" + std::string(1000, '1'));
  EXPECT_EQ(forms[3], "~/" + path + ".js");
}

TEST(ExpandUrlTest, FormsAreDistinctAndFollowTheRules) {
  std::mt19937 rng(99);
  const std::string_view alphabet[] = {"a", "/", "~", "?", "#", "://", ".", "async ", "x=1", "%2F"};
  for (int round = 0; round < 20000; ++round) {
    std::string url;
    const int parts = static_cast<int>(rng() % 8);
    for (int i = 0; i < parts; ++i) url += alphabet[rng() % std::size(alphabet)];
    std::vector<std::string> forms = Expand(url);
    ASSERT_FALSE(forms.empty()) << url;
    std::set<std::string> distinct(forms.begin(), forms.end());
    EXPECT_EQ(distinct.size(), forms.size()) << url;
    // The first form is always the url without "async " and fragment.
    std::string_view expected = url;
    if (expected.starts_with("async ")) expected.remove_prefix(6);
    expected = expected.substr(0, expected.find('#'));
    EXPECT_EQ(forms[0], expected) << url;
    for (const std::string& f : forms) EXPECT_EQ(f.find('#'), std::string::npos) << url;
  }
}

}  // namespace
}  // namespace artidx::lookup
