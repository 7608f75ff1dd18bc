// Unit tests of store/layout.h: name validation and the paths of a store.

#include "store/layout.h"

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/strings.h"
#include "gtest/gtest.h"

namespace artidx::store {
namespace {

using Validator = absl::Status (*)(std::string_view);

void ExpectValid(Validator validate, std::string_view value) {
  absl::Status s = validate(value);
  EXPECT_TRUE(s.ok()) << "\"" << value << "\" (" << value.size() << " bytes): " << s;
}

void ExpectInvalid(Validator validate, std::string_view value) {
  absl::Status s = validate(value);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument)
      << "\"" << value << "\" (" << value.size() << " bytes): " << s;
}

TEST(ValidateProjectTest, Accepts) {
  for (std::string_view p :
       {"a", "web", "Web-App_2", "my.project", "...", ".a", "a..b", "-", "_", "0123456789",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}) {
    ExpectValid(ValidateProject, p);
  }
  ExpectValid(ValidateProject, std::string(64, 'p'));
  ExpectValid(ValidateProject, std::string(63, 'p') + ".");
}

TEST(ValidateProjectTest, Rejects) {
  for (std::string_view p : {"", ".", "..", "a/b", "/a", "a\\b", "a b", " a", "a:b", "a*", "a?",
                             "a%2f", "caf\xc3\xa9", "a\tb", "a\nb", "a~", "a+b", "a@b"}) {
    ExpectInvalid(ValidateProject, p);
  }
  ExpectInvalid(ValidateProject, std::string(65, 'p'));
  ExpectInvalid(ValidateProject, std::string(1000, 'p'));
  ExpectInvalid(ValidateProject, std::string_view("a\0b", 3));
  ExpectInvalid(ValidateProject, std::string_view("\0", 1));
  ExpectInvalid(ValidateProject, "\x7f");
  ExpectInvalid(ValidateProject, "\xff");
}

// Release and dist share their text rules; only the lengths differ.
struct TextCase {
  const char* name;
  Validator validate;
  size_t max_bytes;
  bool empty_ok;
};

class TextValidationTest : public ::testing::TestWithParam<TextCase> {};

TEST_P(TextValidationTest, Lengths) {
  const TextCase& c = GetParam();
  if (c.empty_ok) {
    ExpectValid(c.validate, "");
  } else {
    ExpectInvalid(c.validate, "");
  }
  ExpectValid(c.validate, "x");
  ExpectValid(c.validate, std::string(c.max_bytes, 'r'));
  ExpectInvalid(c.validate, std::string(c.max_bytes + 1, 'r'));
  ExpectInvalid(c.validate, std::string(100000, 'r'));
  // The limit counts bytes, not characters.
  ExpectValid(c.validate, std::string(c.max_bytes - 2, 'r') + "\xc3\xa9");
  ExpectInvalid(c.validate, std::string(c.max_bytes - 1, 'r') + "\xc3\xa9");
  ExpectValid(c.validate, std::string(c.max_bytes - 4, 'r') + "\xf0\x9f\x98\x80");
  ExpectInvalid(c.validate, std::string(c.max_bytes - 3, 'r') + "\xf0\x9f\x98\x80");
}

TEST_P(TextValidationTest, AcceptsPrintableUnicode) {
  const TextCase& c = GetParam();
  for (std::string_view v : {
           "1.0.0",
           "shop@2.4.0",
           "web",
           " ",
           "a b",
           ".",
           "..",
           "../../etc/passwd",
           "/",
           "a/b",
           "a\\b",
           "~",
           "%00",
           "\"quoted\"",
           "caf\xc3\xa9",               // é (2 bytes)
           "\xc2\xa0",                  // U+00A0, first after C1
           "\xc2\xa1",                  // ¡
           "\xe2\x98\x83",              // ☃ (3 bytes)
           "\xe2\x80\xa8",              // U+2028 (not Cc)
           "\xef\xbb\xbf",              // U+FEFF
           "\xef\xbf\xbd",              // U+FFFD
           "\xed\x9f\xbf",              // U+D7FF, before surrogates
           "\xee\x80\x80",              // U+E000, after surrogates
           "\xf0\x9f\x98\x80",          // 😀 (4 bytes)
           "\xf4\x8f\xbf\xbf",          // U+10FFFF
           "\xe4\xb8\xad\xe6\x96\x87",  // 中文
       }) {
    ExpectValid(c.validate, v);
  }
}

TEST_P(TextValidationTest, RejectsInvalidUtf8) {
  const TextCase& c = GetParam();
  for (std::string_view v : {
           "\x80",                      // lone continuation byte
           "\xbf",                      //
           "a\xff",                     // never valid
           "\xfe",                      //
           "\xc3",                      // truncated 2-byte sequence
           "\xe2\x98",                  // truncated 3-byte sequence
           "\xf0\x9f\x98",              // truncated 4-byte sequence
           "\xc3(",                     // bad continuation
           "\xe2(\xa1",                 //
           "\xf0\x9f(\x80",             //
           "\xc0\xaf",                  // overlong '/'
           "\xc1\xbf",                  // overlong U+007F
           "\xc0\x80",                  // overlong NUL
           "\xe0\x80\xaf",              // overlong '/' in 3 bytes
           "\xe0\x9f\xbf",              // overlong U+07FF
           "\xf0\x80\x80\xaf",          // overlong '/' in 4 bytes
           "\xf0\x8f\xbf\xbf",          // overlong U+FFFF
           "\xed\xa0\x80",              // U+D800, a surrogate
           "\xed\xbf\xbf",              // U+DFFF
           "\xed\xa0\xbd\xed\xb8\x80",  // a surrogate pair in CESU-8
           "\xf4\x90\x80\x80",          // U+110000
           "\xf5\x80\x80\x80",          // lead byte past U+10FFFF
           "\xf8\x88\x80\x80\x80",      // 5-byte form
           "\xfc\x84\x80\x80\x80\x80",  // 6-byte form
           "ok\xe2\x98\x83\x83",        // valid then a stray continuation
       }) {
    ExpectInvalid(c.validate, v);
  }
}

TEST_P(TextValidationTest, RejectsControlCharacters) {
  const TextCase& c = GetParam();
  for (int cp = 0; cp < 0x20; ++cp) {
    const std::string v = "a" + std::string(1, static_cast<char>(cp)) + "b";
    ExpectInvalid(c.validate, v);
  }
  ExpectInvalid(c.validate, "\x7f");  // DEL
  ExpectInvalid(c.validate, "1.0\x7f");
  // C1 controls U+0080..U+009F, among them NEL (U+0085).
  for (int cp = 0x80; cp <= 0x9f; ++cp) {
    std::string v = "v";
    v.push_back(static_cast<char>(0xc0 | cp >> 6));
    v.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    ExpectInvalid(c.validate, v);
  }
  ExpectInvalid(c.validate, "\xc2\x85");
  ExpectInvalid(c.validate, "line\nbreak");
  ExpectInvalid(c.validate, "tab\t");
  ExpectInvalid(c.validate, "\r");
  ExpectInvalid(c.validate, std::string_view("\0", 1));
  ExpectInvalid(c.validate, std::string_view("1.0\0", 4));
}

TEST_P(TextValidationTest, ErrorsSayWhat) {
  const TextCase& c = GetParam();
  absl::Status s = c.validate("a\x01");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(StdView(s.message()).find(c.name), std::string_view::npos) << s;
  EXPECT_NE(StdView(s.message()).find("U+0001"), std::string_view::npos) << s;
  s = c.validate("a\xc2\x85");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(StdView(s.message()).find("U+0085"), std::string_view::npos) << s;
  s = c.validate("ab\xff");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(StdView(s.message()).find("UTF-8"), std::string_view::npos) << s;
}

INSTANTIATE_TEST_SUITE_P(Names, TextValidationTest,
                         ::testing::Values(TextCase{"release", &ValidateRelease, 250, false},
                                           TextCase{"dist", &ValidateDist, 64, true}),
                         [](const ::testing::TestParamInfo<TextCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(LayoutConstantsTest, Limits) {
  EXPECT_EQ(kMaxProjectBytes, 64u);
  EXPECT_EQ(kMaxReleaseBytes, 250u);
  EXPECT_EQ(kMaxDistBytes, 64u);
}

// `path` is `dir` followed by one component of 40 lowercase hex digits: a URL index directory.
void ExpectSafeIndexDir(const std::string& path, const std::string& dir) {
  ASSERT_TRUE(path.starts_with(dir)) << path;
  const std::string name = path.substr(dir.size());
  ASSERT_EQ(name.size(), 40u) << path;
  for (char ch : name) {
    EXPECT_TRUE((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')) << path;
  }
  EXPECT_EQ(name.find('/'), std::string::npos);
}

TEST(LayoutTest, UrlIndexDirsAreDistinctSafeComponents) {
  const Layout layout("/srv/store");
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"a", "bc"},
      {"ab", "c"},
      {"abc", ""},
      {"", "abc"},
      {"1.0", ""},
      {"1.0", "web"},
      {"1.0web", ""},
      {"1.0", "we"},
      {"1.0 ", "web"},
      {"../..", ""},
      {"../../etc/passwd", "/"},
      {"a/b", "c"},
      {"a", "b/c"},
      {std::string("a\0", 2), "b"},
      {"a", std::string("\0b", 2)},
      {std::string(250, 'r'), std::string(64, 'd')},
      {std::string(250, 'r'), std::string(63, 'd')},
      {"caf\xc3\xa9", ""},
      {"cafe\xcc\x81", ""},  // the same text, decomposed: a different release
  };
  std::set<std::string> seen;
  for (const auto& [release, dist] : pairs) {
    const std::string path = layout.UrlIndexDir("web", release, dist);
    SCOPED_TRACE(release + "|" + dist);
    ExpectSafeIndexDir(path, "/srv/store/projects/web/urls/");
    EXPECT_TRUE(seen.insert(path).second) << "collision: " << path;
    // Deterministic.
    EXPECT_EQ(layout.UrlIndexDir("web", release, dist), path);
    // IndexDir of a URL index's content is the same directory.
    format::IndexContent content;
    content.kind = IndexKind::kUrl;
    content.project = "web";
    content.release = release;
    content.dist = dist;
    EXPECT_EQ(layout.IndexDir(content.id()), path);
  }
  // Per project.
  EXPECT_NE(layout.UrlIndexDir("web", "1.0", ""), layout.UrlIndexDir("api", "1.0", ""));
  ExpectSafeIndexDir(layout.UrlIndexDir("api", "1.0", ""), "/srv/store/projects/api/urls/");
  // The directory name depends on (release, dist) only, not on the root or project.
  const std::string a = layout.UrlIndexDir("web", "1.0", "x");
  const std::string b = Layout("/other").UrlIndexDir("api", "1.0", "x");
  EXPECT_EQ(a.substr(a.rfind('/')), b.substr(b.rfind('/')));
}

// SPEC.md section 18: SHA-1(03 00 00 00 "1.0" 00 00 00 00).
TEST(LayoutTest, UrlIndexDirSpecExample) {
  EXPECT_EQ(Layout("/srv/store").UrlIndexDir("web", "1.0", ""),
            "/srv/store/projects/web/urls/b6e708bdb2c48cade8d1b57a6c85443357c80be0");
}

TEST(LayoutTest, OtherPaths) {
  const Layout layout("/srv/store");
  EXPECT_EQ(layout.root(), "/srv/store");
  const std::string id = "9e77a589-21d2-5428-829a-414ebcccce2a";
  EXPECT_EQ(layout.BundleDir(id), "/srv/store/bundles/9e77a589-21d2-5428-829a-414ebcccce2a");
  Sha1Digest digest{};
  digest[0] = 0xab;
  digest[19] = 0x01;
  EXPECT_EQ(layout.ArchivePath(id, digest),
            "/srv/store/bundles/9e77a589-21d2-5428-829a-414ebcccce2a/"
            "ab00000000000000000000000000000000000001.zip");
  EXPECT_EQ(layout.RefDir(id), "/srv/store/bundles/9e77a589-21d2-5428-829a-414ebcccce2a/refs");
  // Each bundle id has its own directory; each archive of an id its own file.
  EXPECT_NE(layout.BundleDir(id), layout.BundleDir("other"));
  Sha1Digest other = digest;
  other[10] = 1;
  EXPECT_NE(layout.ArchivePath(id, digest), layout.ArchivePath(id, other));
  EXPECT_NE(layout.ArchivePath(id, digest), layout.ArchivePath("other", digest));
  EXPECT_EQ(layout.ProjectDir("web"), "/srv/store/projects/web");
  EXPECT_EQ(layout.DebugIdIndexDir("web"), "/srv/store/projects/web/debug-ids");
  EXPECT_EQ(layout.IndexDir(format::IndexId{IndexKind::kDebugId, "web", "", ""}),
            layout.DebugIdIndexDir("web"));
  // A URL index never lands on the debug-id index, nor inside it.
  const std::string url = layout.UrlIndexDir("web", "1.0", "");
  EXPECT_NE(url, layout.DebugIdIndexDir("web"));
  EXPECT_FALSE(url.starts_with(layout.DebugIdIndexDir("web") + "/"));
  EXPECT_FALSE(layout.DebugIdIndexDir("web").starts_with(url));
}

}  // namespace
}  // namespace artidx::store
