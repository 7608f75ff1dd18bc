// Unit tests of lookup/sourcemap.h: joining a sourcemap reference to a frame's URL as
// Symbolicator's `join_paths` (crates/symbolicator-js/src/utils.rs) does, with artidx's `~/`
// extension; finding the `//# sourceMappingURL=` comment of a file; decoding `data:` URLs.

#include "lookup/sourcemap.h"

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace artidx::lookup {
namespace {

struct JoinCase {
  std::string_view base;
  std::string_view reference;
  std::string_view expected;
};

void ExpectJoins(const JoinCase* cases, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(JoinUrl(cases[i].base, cases[i].reference), cases[i].expected)
        << "JoinUrl(\"" << cases[i].base << "\", \"" << cases[i].reference << "\")";
  }
}

// Symbolicator's own `joining_paths` cases, including those it ported from Sentry's Python.
TEST(JoinUrlTest, SymbolicatorCases) {
  constexpr std::string_view kBase =
      "https://example.com/path/to/assets/bundle.min.js?foo=1&bar=baz#wat";
  const JoinCase cases[] = {
      {kBase, "../sourcemaps/bundle.min.js.map",
       "https://example.com/path/to/sourcemaps/bundle.min.js.map"},
      {kBase, "/foo.js", "https://example.com/foo.js"},
      {kBase, "~/foo.js", "https://example.com/foo.js"},
      {kBase, ".././.././to/./sourcemaps/./bundle.min.js.map",
       "https://example.com/path/to/sourcemaps/bundle.min.js.map"},
      {"/home/foo/bar/baz.js", "../sourcemaps/bundle.min.js.map",
       "/home/foo/sourcemaps/bundle.min.js.map"},
      {"/home/foo/bar/baz.js", "/foo.js", "/foo.js"},
      {"/home/foo/bar/baz.js", "~/foo.js", "/foo.js"},
      {"http://example.com", "webpack:///../node_modules/scheduler/cjs/scheduler.production.min.js",
       "webpack:///../node_modules/scheduler/cjs/scheduler.production.min.js"},
      {"http://example.com", "path/./to/file.min.js", "http://example.com/path/to/file.min.js"},
      {"/playground/öut path/rollup/entrypoint1.js", "~/0.js.map", "/0.js.map"},
      {"app:///_next/static/chunks/pages/_app-569c402ef19f6d7b.js.map",
       "./node_modules/@sentry/browser/esm/integrations/trycatch.js",
       "app:///_next/static/chunks/pages/node_modules/@sentry/browser/esm/integrations/"
       "trycatch.js"},
      {"app:///main-es2015.6216307eafb7335c4565.js.map",
       "webpack:/node_modules/@angular/core/__ivy_ngcc__/fesm2015/core.js",
       "webpack:/node_modules/@angular/core/__ivy_ngcc__/fesm2015/core.js"},
      {"https://foo.cloudfront.net/static//js/npm.sentry.d8b531aaf5202ddb7e90.js",
       "npm.sentry.d8b531aaf5202ddb7e90.js.map",
       "https://foo.cloudfront.net/static/js/npm.sentry.d8b531aaf5202ddb7e90.js.map"},
      {"http://example.com/foo", "bar", "http://example.com/bar"},
      {"http://example.com/foo", "/bar", "http://example.com/bar"},
      {"https://example.com/foo", "/bar", "https://example.com/bar"},
      {"http://example.com/foo/baz", "bar", "http://example.com/foo/bar"},
      {"http://example.com/foo/baz", "/bar", "http://example.com/bar"},
      {"aps://example.com/foo", "/bar", "aps://example.com/bar"},
      {"apsunknown://example.com/foo", "/bar", "apsunknown://example.com/bar"},
      {"apsunknown://example.com/foo", "//aha/uhu", "apsunknown://aha/uhu"},
  };
  ExpectJoins(cases, std::size(cases));
}

TEST(JoinUrlTest, Http) {
  const JoinCase cases[] = {
      // The base's last segment goes, and its query and fragment with it.
      {"https://shop.example/static/js/app.min.js?v=42#frag", "app.min.js.map",
       "https://shop.example/static/js/app.min.js.map"},
      {"http://shop.example/static/js/app.min.js", "app.min.js.map",
       "http://shop.example/static/js/app.min.js.map"},
      {"https://shop.example/static/js/app.min.js", "maps/app.min.js.map",
       "https://shop.example/static/js/maps/app.min.js.map"},
      // A base that ends in "/" or has no path at all.
      {"https://shop.example/static/", "app.js.map", "https://shop.example/static/app.js.map"},
      {"https://shop.example/", "app.js.map", "https://shop.example/app.js.map"},
      {"https://shop.example", "app.js.map", "https://shop.example/app.js.map"},
      {"https://shop.example:8443/a/b.js", "b.js.map", "https://shop.example:8443/a/b.js.map"},
      // ".." pops a segment and is dropped above the root; "." is always skipped.
      {"https://shop.example/a/b/c.js", "../c.js.map", "https://shop.example/a/c.js.map"},
      {"https://shop.example/a/b/c.js", "../../c.js.map", "https://shop.example/c.js.map"},
      {"https://shop.example/a/b/c.js", "../../../../c.js.map", "https://shop.example/c.js.map"},
      {"https://shop.example/a/b/c.js", "./c.js.map", "https://shop.example/a/b/c.js.map"},
      {"https://shop.example/a/b/c.js", "x/./y/../c.js.map", "https://shop.example/a/b/x/c.js.map"},
      {"https://shop.example/a/b/c.js", "x/./c.js.map", "https://shop.example/a/b/x/c.js.map"},
      // Absolute references: on the base's origin; "//" keeps only the scheme; "~/" is "/".
      {"https://shop.example/a/b/c.js", "/maps/c.js.map", "https://shop.example/maps/c.js.map"},
      {"https://shop.example:8443/a/b/c.js", "/c.js.map", "https://shop.example:8443/c.js.map"},
      {"https://shop.example/a/b/c.js?q=1", "~/maps/c.js.map",
       "https://shop.example/maps/c.js.map"},
      {"https://shop.example/a/b/c.js", "//cdn.example/maps/c.js.map",
       "https://cdn.example/maps/c.js.map"},
      {"http://shop.example/a/b/c.js", "//cdn.example/c.js.map", "http://cdn.example/c.js.map"},
      // References with a scheme of their own, or webpack:, are taken as they are.
      {"https://shop.example/a/b/c.js", "https://cdn.example/x/../c.js.map",
       "https://cdn.example/x/../c.js.map"},
      {"https://shop.example/a/b/c.js", "file:///tmp/c.js.map", "file:///tmp/c.js.map"},
      {"https://shop.example/a/b/c.js", "webpack:///./src/c.js", "webpack:///./src/c.js"},
      {"https://shop.example/a/b/c.js", "webpack:c.js", "webpack:c.js"},
      // A reference's query stays in the result.
      {"https://shop.example/a/b/c.js?v=1", "c.js.map?v=1",
       "https://shop.example/a/b/c.js.map?v=1"},
      {"https://shop.example/a/b/c.js", "../c.js.map?v=2&x=y",
       "https://shop.example/a/c.js.map?v=2&x=y"},
      {"https://shop.example/a/b/c.js", "/c.js.map?v=3", "https://shop.example/c.js.map?v=3"},
      // Empty segments of either side are dropped.
      {"https://shop.example/a/b/index.js", "index.js.map//",
       "https://shop.example/a/b/index.js.map"},
      {"https://shop.example/a/b/index.js", "maps//index.js.map",
       "https://shop.example/a/b/maps/index.js.map"},
      {"https://shop.example/a//b/index.js", "index.js.map",
       "https://shop.example/a/b/index.js.map"},
  };
  ExpectJoins(cases, std::size(cases));
}

TEST(JoinUrlTest, OtherSchemes) {
  const JoinCase cases[] = {
      {"app:///dist/main.js", "main.js.map", "app:///dist/main.js.map"},
      {"app:///dist/main.js?x=1", "main.js.map", "app:///dist/main.js.map"},
      {"app:///dist/main.js", "/maps/main.js.map", "app:///maps/main.js.map"},
      {"app:///dist/main.js", "~/maps/main.js.map", "app:///maps/main.js.map"},
      {"app:///dist/main.js", "//host/main.js.map", "app://host/main.js.map"},
      {"app:///dist/main.js", "../main.js.map", "app:///main.js.map"},
      // Above the root, ".." is kept for schemes other than http(s).
      {"app:///dist/main.js", "../../main.js.map", "app:///../main.js.map"},
      // "." is skipped only as the first segment.
      {"app:///dist/main.js", "./main.js.map", "app:///dist/main.js.map"},
      {"app:///dist/main.js", "maps/./main.js.map", "app:///dist/maps/./main.js.map"},
      {"app:///dist/main.js", "index.js.map//", "app:///dist/index.js.map"},
      {"app://bundle/dist/main.js", "main.js.map", "app://bundle/dist/main.js.map"},
      {"app://bundle/dist/main.js", "/main.js.map", "app://bundle/main.js.map"},
  };
  ExpectJoins(cases, std::size(cases));
}

// A base without "://" is a file path (scheme "file"): no origin, and an absolute reference is
// returned as it is.
TEST(JoinUrlTest, FilePaths) {
  const JoinCase cases[] = {
      {"/srv/www/static/main.js", "main.js.map", "/srv/www/static/main.js.map"},
      {"/srv/www/static/main.js", "../maps/main.js.map", "/srv/www/maps/main.js.map"},
      {"/srv/www/static/main.js", "./main.js.map", "/srv/www/static/main.js.map"},
      {"/srv/www/static/main.js", "maps/./main.js.map", "/srv/www/static/maps/./main.js.map"},
      // Above the root ".." is kept (not http), and a later ".." pops it again, as in
      // Symbolicator.
      {"/a/main.js", "../../main.js.map", "/../main.js.map"},
      {"/a/main.js", "../../../main.js.map", "/main.js.map"},
      {"/srv/www/static/main.js", "/abs/main.js.map", "/abs/main.js.map"},
      {"/srv/www/static/main.js", "//host/main.js.map", "//host/main.js.map"},
      {"/srv/www/static/main.js", "~/main.js.map", "/main.js.map"},
      {"/srv/www/static/main.js", "main.js.map?v=1", "/srv/www/static/main.js.map?v=1"},
      {"/srv/www/static/main.js", "index.js.map//", "/srv/www/static/index.js.map"},
      {"/srv/www/static/main.js", "https://cdn.example/m.map", "https://cdn.example/m.map"},
      {"/srv/www/static/main.js", "webpack:///m.js", "webpack:///m.js"},
      // A relative path comes out rooted, as in Symbolicator.
      {"dist/main.js", "main.js.map", "/dist/main.js.map"},
      {"main.js", "main.js.map", "/main.js.map"},
  };
  ExpectJoins(cases, std::size(cases));
}

// Symbolicator takes the scheme apart with `split_once("://")` and treats the scheme "file" as
// it treats a base without one: "file:///srv/x.js" joins like the path "/srv/x.js".
// An explicit file:// base is a file path, as in Symbolicator's join_paths: the result has no
// scheme ("//host/x" stays "//host/x").
TEST(JoinUrlTest, FileSchemeJoinsLikeAPath) {
  const JoinCase cases[] = {
      {"file:///srv/www/main.js", "main.js.map", "/srv/www/main.js.map"},
      {"file:///srv/www/main.js", "../maps/main.js.map", "/srv/maps/main.js.map"},
      {"file:///srv/www/main.js", "/abs/main.js.map", "/abs/main.js.map"},
      {"file:///srv/www/main.js", "~/main.js.map", "/main.js.map"},
      {"file:///srv/www/main.js", "//host/main.js.map", "//host/main.js.map"},
  };
  ExpectJoins(cases, std::size(cases));
}

// artidx's extension: a base starting with "~/" is a path on an unnamed origin, and the result
// keeps the "~".
TEST(JoinUrlTest, TildeBases) {
  const JoinCase cases[] = {
      {"~/static/main.min.js", "main.min.js.map", "~/static/main.min.js.map"},
      {"~/static/main.min.js", "maps/main.min.js.map", "~/static/maps/main.min.js.map"},
      {"~/static/main.min.js", "../maps/main.min.js.map", "~/maps/main.min.js.map"},
      {"~/static/main.min.js", "./main.min.js.map", "~/static/main.min.js.map"},
      {"~/static/main.min.js", "/maps/main.min.js.map", "~/maps/main.min.js.map"},
      {"~/static/main.min.js", "~/maps/main.min.js.map", "~/maps/main.min.js.map"},
      {"~/static/main.min.js", "https://cdn.example/m.map", "https://cdn.example/m.map"},
      {"~/static/main.min.js", "webpack:///./src/main.js", "webpack:///./src/main.js"},
      {"~/static/main.min.js?v=1", "main.min.js.map?v=1", "~/static/main.min.js.map?v=1"},
      {"~/static/rx/ajax/index.js", "index.js.map//", "~/static/rx/ajax/index.js.map"},
      {"~/static//main.min.js", "main.min.js.map", "~/static/main.min.js.map"},
      {"~/main.js", "main.js.map", "~/main.js.map"},
      // Not an http(s) origin: ".." above the root is kept, as for app://.
      {"~/main.js", "../main.js.map", "~/../main.js.map"},
  };
  ExpectJoins(cases, std::size(cases));
}

// "//host/x" keeps only the base's scheme; an unnamed origin has none, so the reference stays
// scheme-relative (which is also what Symbolicator returns for such a base, a file path to it).
// The stand-in scheme artidx joins `~/` bases on must never show.
// A scheme-relative reference against a "~/" base names its own host and gets no scheme.
TEST(JoinUrlTest, TildeBaseWithSchemeRelativeReference) {
  const std::string joined = JoinUrl("~/static/main.min.js", "//cdn.example/main.min.js.map");
  EXPECT_EQ(joined.find("tilde"), std::string::npos) << joined;
  EXPECT_EQ(joined, "//cdn.example/main.min.js.map");
}

// --- FindSourceMappingUrl -------------------------------------------------------------------

TEST(FindSourceMappingUrlTest, Found) {
  struct Case {
    std::string_view source;
    std::string_view expected;
  };
  const Case cases[] = {
      {"a();\n//# sourceMappingURL=a.js.map\n", "a.js.map"},
      {"a();\n//# sourceMappingURL=a.js.map", "a.js.map"},
      {"//# sourceMappingURL=only.map", "only.map"},
      {"a();\n//@ sourceMappingURL=legacy.js.map\n", "legacy.js.map"},
      // Trailing whitespace, CRLF line ends and trailing blank lines.
      {"a();\n//# sourceMappingURL=a.js.map   \t\n", "a.js.map"},
      {"a();\r\n//# sourceMappingURL=a.js.map\r\n", "a.js.map"},
      {"a();\r\n//# sourceMappingURL=a.js.map\r\n\r\n", "a.js.map"},
      {"a();\n//# sourceMappingURL=a.js.map\n\n   \n\t\n", "a.js.map"},
      {"a();\n//# sourceMappingURL=  spaced.map  \n", "spaced.map"},
      // As sentry-cli leaves files: the debugId comment after the reference.
      {"a();\n//# sourceMappingURL=preact.js.map\n\n//# "
       "debugId=6969f4a4-dd3a-5f6d-9265-fc283d4fe27c\n",
       "preact.js.map"},
      // The last one wins, whichever spelling.
      {"//# sourceMappingURL=first.map\na();\n//# sourceMappingURL=second.map\nb();\n",
       "second.map"},
      {"//# sourceMappingURL=first.map\n//@ sourceMappingURL=second.map\n", "second.map"},
      {"//@ sourceMappingURL=first.map\n//# sourceMappingURL=second.map\n", "second.map"},
      // One that is not alone on its line does not count; an earlier one that is does.
      {"//# sourceMappingURL=good.map\nb(); //# sourceMappingURL=bad.map\n", "good.map"},
      {"//# sourceMappingURL=good.map\nvar s = '\\n//# sourceMappingURL=bad.map';\n", "good.map"},
      // data: URLs and odd suffixes are returned as written.
      {"a();\n//# sourceMappingURL=index.js.map// rebuilt\n", "index.js.map// rebuilt"},
      {"a();\n//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjozfQ==\n",
       "data:application/json;base64,eyJ2ZXJzaW9uIjozfQ=="},
  };
  for (const Case& c : cases) {
    std::optional<std::string_view> found = FindSourceMappingUrl(c.source);
    ASSERT_TRUE(found.has_value()) << c.source;
    EXPECT_EQ(*found, c.expected) << c.source;
  }
}

TEST(FindSourceMappingUrlTest, NotFound) {
  const std::string_view cases[] = {
      "",
      "\n",
      "\n\n\r\n",
      "a();\n",
      "a(); //# sourceMappingURL=a.js.map\n",
      "var s = '//# sourceMappingURL=a.js.map';\n",
      "/* //# sourceMappingURL=a.js.map */\n",
      "//# sourceMappingURL=\n",
      "//# sourceMappingURL=   \n",
      "// # sourceMappingURL=a.js.map\n",
      "//# sourceURL=a.js\n",
      "//# debugId=6969f4a4-dd3a-5f6d-9265-fc283d4fe27c\n",
  };
  for (std::string_view source : cases) {
    std::optional<std::string_view> found = FindSourceMappingUrl(source);
    EXPECT_FALSE(found.has_value()) << "\"" << source << "\" gave \"" << found.value_or("") << "\"";
  }
}

// The result is a view into the source, on the comment's own line.
TEST(FindSourceMappingUrlTest, ViewsIntoTheSource) {
  const std::string source = "x();\n//# sourceMappingURL=x.map\n//# debugId=abc\n";
  std::optional<std::string_view> found = FindSourceMappingUrl(source);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->data(), source.data() + source.find("x.map"));
  EXPECT_EQ(found->size(), 5u);
}

// --- DecodeDataUrl --------------------------------------------------------------------------

TEST(DecodeDataUrlTest, Base64) {
  struct Case {
    std::string_view url;
    std::string_view expected;
  };
  const Case cases[] = {
      {"data:application/json;base64,eyJ2ZXJzaW9uIjozfQ==", R"({"version":3})"},
      {"data:application/json;base64,eyJ2ZXJzaW9uIjozfQ", R"({"version":3})"},
      {"data:application/json;charset=utf-8;base64,eyJ2ZXJzaW9uIjozfQ==", R"({"version":3})"},
      {"data:;base64,SGVsbG8sIFdvcmxkIQ==", "Hello, World!"},
      {"data:;base64,SGVsbG8sIFdvcmxkIQ", "Hello, World!"},
      {"data:text/plain;base64,SGk=", "Hi"},
      {"data:text/plain;base64,SGk", "Hi"},
      {"data:text/plain;base64,SGV5", "Hey"},
      {"data:text/plain;base64,", ""},
      // 0xfb 0xff 0xbf: "+/+/" in the standard alphabet, "-_-_" in the url-safe one.
      {"data:application/octet-stream;base64,+/+/", "\xfb\xff\xbf"},
      {"data:application/octet-stream;base64,-_-_", "\xfb\xff\xbf"},
      {"data:application/octet-stream;base64,-_8", "\xfb\xff"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> decoded = DecodeDataUrl(c.url);
    ASSERT_TRUE(decoded.ok()) << c.url << ": " << decoded.status();
    EXPECT_EQ(*decoded, c.expected) << c.url;
  }
  // Binary bytes, NUL included.
  absl::StatusOr<std::string> binary = DecodeDataUrl("data:;base64,AAEC/w==");
  ASSERT_TRUE(binary.ok()) << binary.status();
  EXPECT_EQ(*binary, std::string("\x00\x01\x02\xff", 4));
}

TEST(DecodeDataUrlTest, PercentEncoded) {
  struct Case {
    std::string_view url;
    std::string_view expected;
  };
  const Case cases[] = {
      {"data:,foo", "foo"},
      {"data:,Hello%2C%20World%21", "Hello, World!"},
      {"data:application/json,%7B%22version%22%3A3%7D", R"({"version":3})"},
      {"data:application/json;charset=utf-8,%7b%22version%22%3a3%7d", R"({"version":3})"},
      {"data:application/json,{\"version\":3}", R"({"version":3})"},
      {"data:,%00%ff", std::string_view("\x00\xff", 2)},
      {"data:,", ""},
      // As WHATWG's percent-decode: a "%" not followed by two hex digits stays as it is.
      {"data:,100%", "100%"},
      {"data:,%zz%4", "%zz%4"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> decoded = DecodeDataUrl(c.url);
    ASSERT_TRUE(decoded.ok()) << c.url << ": " << decoded.status();
    EXPECT_EQ(*decoded, c.expected) << c.url;
  }
}

TEST(DecodeDataUrlTest, Malformed) {
  const std::string_view cases[] = {
      "data:",                                     // no payload at all (Symbolicator's case)
      "data:application/json;base64",              // no comma
      "data:application/json",                     // no comma
      "http://example.com/a.js.map",               // not a data: URL
      "a.js.map",                                  // not a data: URL
      "data:application/json;base64,eyJ2ZX$Jz",    // not in either alphabet
      "data:application/json;base64,eyJ2ZX*Jz",    // not in either alphabet
      "data:application/json;base64,eyJ2Z%3D%3D",  // percent-encoding is not base64
      "data:;base64,A",                            // one character left over: 6 bits
      "data:;base64,SGVsb",                        // likewise
  };
  for (std::string_view url : cases) {
    absl::StatusOr<std::string> decoded = DecodeDataUrl(url);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument)
        << url << " gave " << (decoded.ok() ? *decoded : std::string(decoded.status().message()));
  }
  absl::StatusOr<std::string> control = DecodeDataUrl("data:;base64,SGVsbA");
  ASSERT_TRUE(control.ok()) << control.status();
  EXPECT_EQ(*control, "Hell");
}

// Padding that is not at the end, or of the wrong length, is malformed base64 (RFC 4648; the
// WHATWG forgiving-base64 decode Symbolicator's data: URL parser uses rejects them too:
// Symbolicator's own test expects "data:;base64,SGVsbG8sIFdvcmxkIQ=" to fail).
// Padding only at the end, and only as much as completes the last group.
TEST(DecodeDataUrlTest, MisplacedPadding) {
  const std::string_view cases[] = {
      "data:;base64,SGVsbG8sIFdvcmxkIQ=",  // one "=" where two belong
      "data:;base64,SG=k",                 // "=" inside
      "data:;base64,=SGk",                 // "=" first
      "data:;base64,SGk==",                // one "=" too many
  };
  for (std::string_view url : cases) {
    absl::StatusOr<std::string> decoded = DecodeDataUrl(url);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument)
        << url << " gave " << (decoded.ok() ? *decoded : std::string(decoded.status().message()));
  }
}

}  // namespace
}  // namespace artidx::lookup
