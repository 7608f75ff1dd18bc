// End-to-end tests of `artidx cat --sourcemap` through the real binary: the source map of the
// file a lookup finds first, from its `sourcemap` header, else its `//# sourceMappingURL=`
// comment, joined to the frame URL as Symbolicator joins them and looked up in the same URL
// index; a `data:` URL decoded in place; else the source map with the file's debug id
// (Store::FindSourceMap, SPEC.md section 1 and include/artidx/lookup.h). Every answer is compared
// byte for byte with what went into the bundle, or with the fixture's own archive entry.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "artidx/indexer.h"
#include "artidx/types.h"
#include "bundle/bundle_reader.h"
#include "bundle/bundle_writer.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "tests/testing.h"

namespace artidx {
namespace {

using testing::CommandResult;
using testing::FixturePath;
using testing::ReadFileOrDie;
using testing::RunCli;
using testing::TempDir;

CommandResult Artidx(const std::string& store, std::vector<std::string> args) {
  args.insert(args.begin(), {"--store", store});
  return RunCli(args);
}

// `artidx cat ... --sourcemap` with the URL index of (web, 1.0) and this frame URL.
CommandResult CatMap(const std::string& store, const std::string& url,
                     const std::string& release = "1.0", const std::string& project = "web",
                     const std::string& dist = "") {
  std::vector<std::string> args = {"cat", "--project", project, "--release", release};
  if (!dist.empty()) args.insert(args.end(), {"--dist", dist});
  args.insert(args.end(), {"--url", url, "--sourcemap"});
  return Artidx(store, args);
}

CommandResult CatMapById(const std::string& store, const std::string& debug_id,
                         const std::string& project = "web") {
  return Artidx(store, {"cat", "--project", project, "--debug-id", debug_id, "--type",
                        "minified_source", "--sourcemap"});
}

// A successful cat wrote exactly `expected` and nothing on stderr.
void ExpectWrote(const CommandResult& r, const std::string& expected, const std::string& what) {
  EXPECT_EQ(r.exit_code, 0) << what << ": " << r.err;
  EXPECT_TRUE(r.out == expected) << what << ": wrote " << r.out.size() << " bytes \""
                                 << r.out.substr(0, 200) << "\", expected " << expected.size()
                                 << " bytes \"" << expected.substr(0, 200) << "\"";
  EXPECT_EQ(r.err, "") << what;
}

// An unsuccessful one: `exit_code`, nothing on stdout, and exactly one line on stderr, which
// names each of `names` (what was looked up, and the problem).
void ExpectOneLineFailure(const CommandResult& r, int exit_code, const std::string& what,
                          const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    EXPECT_NE(r.err.find(name), std::string::npos)
        << what << ": does not name " << name << ": " << r.err;
  }
  EXPECT_EQ(r.exit_code, exit_code) << what << ": " << r.out << r.err;
  EXPECT_EQ(r.out, "") << what;
  EXPECT_TRUE(r.err.starts_with("artidx: ")) << what << ": " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << ": " << r.err;
  EXPECT_TRUE(r.err.ends_with("\n")) << what << ": " << r.err;
}

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t bits = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) bits |= static_cast<uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) bits |= static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[bits >> 18 & 63];
    out += kAlphabet[bits >> 12 & 63];
    out += i + 1 < in.size() ? kAlphabet[bits >> 6 & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[bits & 63] : '=';
  }
  return out;
}

// A small source map, distinct per name.
std::string Map(const std::string& name) {
  return StrCat(R"({"version":3,"file":")", name, R"(","sources":["src/)", name,
                R"(.ts"],"names":[],"mappings":"AAAA,SAAS"})", "\n");
}

bundle::BundleFile File(const std::string& url, FileType type, const std::string& content,
                        std::optional<std::string> sourcemap = std::nullopt,
                        std::optional<std::string> debug_id = std::nullopt) {
  bundle::BundleFile f;
  f.url = url;
  f.type = type;
  f.content = content;
  f.sourcemap = std::move(sourcemap);
  if (debug_id) f.debug_id = *DebugId::Parse(*debug_id);
  return f;
}

constexpr FileType kMin = FileType::kMinifiedSource;
constexpr FileType kMap = FileType::kSourceMap;

constexpr char kBundleA[] = "a0000000-0000-4000-8000-00000000000a";
constexpr char kBundleB[] = "b0000000-0000-4000-8000-00000000000b";
constexpr char kIdById[] = "d1000000-0000-4000-8000-000000000001";
constexpr char kIdDangling[] = "d2000000-0000-4000-8000-000000000002";
constexpr char kIdInline[] = "d4000000-0000-4000-8000-000000000004";
constexpr char kIdNoMap[] = "d5000000-0000-4000-8000-000000000005";

// Writes a bundle to `dir`/`name` and returns its path.
std::string WriteBundleFile(const TempDir& dir, const std::string& name, const std::string& id,
                            std::vector<bundle::BundleFile> files) {
  bundle::BundleSpec spec;
  spec.debug_id = id;
  spec.files = std::move(files);
  absl::StatusOr<std::string> bytes = bundle::WriteBundle(spec);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  const std::string path = dir / name;
  testing::WriteFileOrDie(path, bytes.ok() ? *bytes : "");
  return path;
}

// A store where (web, 1.0) holds bundle A (at 1000) with every case below, and bundle B (at
// 2000) with a newer copy of one source map.
class SourceMapCatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string a = WriteBundleFile(
        tmp_, "a.zip", kBundleA,
        {
            // (a) a sourcemap header, relative, beating the file's own comment; the map is
            // stored under the absolute URL a join with the frame URL gives, and a different map
            // under the ~/ URL a join with the file's own url would give.
            File("~/static/app.min.js", kMin, "app();\n//# sourceMappingURL=wrong.js.map\n",
                 "../maps/app.min.js.map"),
            File("https://shop.example/maps/app.min.js.map", kMap, Map("app-absolute")),
            File("~/maps/app.min.js.map", kMap, Map("app-tilde")),
            File("~/static/wrong.js.map", kMap, Map("wrong")),
            // (b) no header, a comment.
            File("~/static/comment.min.js", kMin,
                 "c();\n//# sourceMappingURL=comment.min.js.map\n"),
            File("~/static/comment.min.js.map", kMap, Map("comment-old")),
            // (c) an inline map, base64 in a comment and percent-encoded in a header.
            File("~/static/inline.min.js", kMin,
                 StrCat("i();\n//# sourceMappingURL=data:application/json;base64,",
                        Base64(Map("inline")), "\n")),
            File("~/static/pct.min.js", kMin, "p();\n",
                 "data:application/json,%7B%22version%22%3A3%2C%22file%22%3A%22pct%22%7D"),
            File("~/static/bad-inline.min.js", kMin,
                 "x();\n//# sourceMappingURL=data:application/json;base64,e$$$\n"),
            // (d) neither, but a debug id whose source map has an unrelated name.
            File("~/static/byid.min.js", kMin, "b();\n", std::nullopt, kIdById),
            File("~/static/unrelated-name.map", kMap, Map("byid"), std::nullopt, kIdById),
            // A header naming nothing, with a debug id to fall back on.
            File("~/static/dangling.min.js", kMin, "d();\n", "missing.js.map", kIdDangling),
            File("~/static/d2.map", kMap, Map("dangling"), std::nullopt, kIdDangling),
            // (e) found by debug id, its map inline.
            File("~/static/inline-id.min.js", kMin,
                 StrCat("j();\n//# sourceMappingURL=data:application/json;base64,",
                        Base64(Map("inline-id")), "\n"),
                 std::nullopt, kIdInline),
            // (f) nothing to be found.
            File("~/static/orphan.min.js", kMin, "o();\n"),
            File("~/static/dangling-noid.min.js", kMin, "n();\n", "missing.js.map"),
            File("~/static/nomap.min.js", kMin, "m();\n", std::nullopt, kIdNoMap),
        });
    const std::string b = WriteBundleFile(
        tmp_, "b.zip", kBundleB, {File("~/static/comment.min.js.map", kMap, Map("comment-new"))});
    for (const auto& [bundle, timestamp] : {std::pair{a, "1000"}, std::pair{b, "2000"}}) {
      CommandResult r = Artidx(store_, {"add", bundle, "--project", "web", "--release", "1.0",
                                        "--timestamp", timestamp});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }

  TempDir tmp_;
  const std::string store_ = tmp_ / "store";
};

// (a) The header is joined to the frame URL, whose query and fragment go with its last segment;
// of the join's candidate URLs the exact one comes first.
TEST_F(SourceMapCatTest, HeaderRelativeToFrameUrlWithQueryAndFragment) {
  ExpectWrote(CatMap(store_, "https://shop.example/static/app.min.js?v=42#frag"),
              Map("app-absolute"), "frame with query and fragment");
  ExpectWrote(CatMap(store_, "https://shop.example/static/app.min.js"), Map("app-absolute"),
              "plain frame");
  // Another origin: only the ~/ form of the joined URL is stored.
  ExpectWrote(CatMap(store_, "https://other.example/static/app.min.js?v=1"), Map("app-tilde"),
              "frame on another origin");
  // The frame is the file's own ~/ url: joined on the unnamed origin.
  ExpectWrote(CatMap(store_, "~/static/app.min.js"), Map("app-tilde"), "~/ frame");
  // Without --sourcemap, the file itself.
  CommandResult plain = Artidx(store_, {"cat", "--project", "web", "--release", "1.0", "--url",
                                        "https://shop.example/static/app.min.js?v=42#frag"});
  ExpectWrote(plain, "app();\n//# sourceMappingURL=wrong.js.map\n", "the file");
}

// (b) No header: the comment names the map, and the newest bundle holding it wins.
TEST_F(SourceMapCatTest, CommentWithoutHeader) {
  ExpectWrote(CatMap(store_, "https://shop.example/static/comment.min.js?x=1#y"),
              Map("comment-new"), "comment");
  // Removing the newer bundle brings back the older map.
  CommandResult rm = Artidx(store_, {"rm", kBundleB, "--timestamp", "3000"});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  ExpectWrote(CatMap(store_, "https://shop.example/static/comment.min.js"), Map("comment-old"),
              "comment after rm");
}

// (c) data: URLs are decoded in place, from a comment (base64) or a header (percent-encoded).
TEST_F(SourceMapCatTest, InlineDataUrl) {
  ExpectWrote(CatMap(store_, "https://shop.example/static/inline.min.js"), Map("inline"),
              "base64 comment");
  ExpectWrote(CatMap(store_, "https://shop.example/static/pct.min.js"),
              R"({"version":3,"file":"pct"})", "percent-encoded header");
  // A malformed one is an error (exit 2), not "not found", on one line.
  ExpectOneLineFailure(CatMap(store_, "https://shop.example/static/bad-inline.min.js"), 2,
                       "malformed data: URL",
                       {"~/static/bad-inline.min.js: source map data: URL is not valid base64"});
}

// (d) No reference at all, or one that names nothing: the project's debug-id index is asked
// for the file's debug id with type source_map.
TEST_F(SourceMapCatTest, FoundByDebugId) {
  ExpectWrote(CatMap(store_, "https://shop.example/static/byid.min.js"), Map("byid"),
              "no reference");
  ExpectWrote(CatMap(store_, "https://shop.example/static/dangling.min.js"), Map("dangling"),
              "dangling reference");
}

// (e) A file found by debug id: no release, so its reference is not looked up by URL; its own
// debug id finds the map, and an inline map is decoded.
TEST_F(SourceMapCatTest, DebugIdLookupWithSourcemap) {
  ExpectWrote(CatMapById(store_, kIdById), Map("byid"), "--debug-id");
  ExpectWrote(CatMapById(store_, "D1000000000040008000000000000001"), Map("byid"),
              "--debug-id, compact upper case");
  ExpectWrote(CatMapById(store_, kIdDangling), Map("dangling"), "--debug-id, dangling header");
  ExpectWrote(CatMapById(store_, kIdInline), Map("inline-id"), "--debug-id, inline map");
}

// (f) Nothing to be found: exit 1 and one line naming the file.
TEST_F(SourceMapCatTest, NoneFound) {
  for (const std::string file : {"orphan", "dangling-noid", "nomap"}) {
    CommandResult r = CatMap(store_, StrCat("https://shop.example/static/", file, ".min.js"));
    ExpectOneLineFailure(r, 1, file, {StrCat("no source map for ~/static/", file, ".min.js")});
  }
  ExpectOneLineFailure(
      CatMapById(store_, kIdNoMap), 1, "--debug-id without a map",
      {"no source map for ~/static/nomap.min.js", StrCat("and none with debug id ", kIdNoMap)});
  // No file at all.
  ExpectOneLineFailure(CatMap(store_, "https://shop.example/static/absent.min.js"), 1,
                       "no such file",
                       {"no candidates for url \"https://shop.example/static/absent.min.js\" in "
                        "project web, release \"1.0\""});
  ExpectOneLineFailure(CatMap(store_, "https://shop.example/static/app.min.js", "9.9"), 1,
                       "no such release",
                       {"no candidates for url \"https://shop.example/static/app.min.js\" in "
                        "project web, release \"9.9\""});
}

// --- the fixtures ------------------------------------------------------------------------------

struct Fixture {
  std::string archive;                     // its bytes
  std::vector<format::FileLocator> files;  // as ReadBundle reads them
};

Fixture LoadFixture(const std::string& name) {
  Fixture f;
  f.archive = ReadFileOrDie(FixturePath(name));
  absl::StatusOr<bundle::Bundle> bundle = bundle::ReadBundle(f.archive, BundleLimits());
  EXPECT_TRUE(bundle.ok()) << name << ": " << bundle.status();
  if (!bundle.ok()) return f;
  for (const bundle::ManifestFile& file : bundle->files) f.files.push_back(file.ToLocator());
  return f;
}

const format::FileLocator* FindByUrl(const Fixture& f, const std::string& url, FileType type) {
  for (const format::FileLocator& file : f.files) {
    if (file.url == url && file.type == type) return &file;
  }
  return nullptr;
}

std::string Entry(const Fixture& f, const std::string& path) {
  absl::StatusOr<std::string> bytes = bundle::ReadArchiveEntry(f.archive, path, 1 << 30);
  EXPECT_TRUE(bytes.ok()) << path << ": " << bytes.status();
  return bytes.ok() ? *bytes : "";
}

// The url a plain-name header refers to next to `url`: the directory of `url`, then the header
// without trailing slashes (the fixtures' headers are bare file names).
std::string Sibling(const std::string& url, std::string header) {
  while (header.ends_with("/")) header.pop_back();
  EXPECT_EQ(header.find('/'), std::string::npos) << header;
  return url.substr(0, url.rfind('/') + 1) + header;
}

// preact-web, as its upload request adds it (projects web and mobile, release shop@2.4.0, dist
// web): every minified file's map, by URL from either project and by debug id.
TEST(SourceMapCatFixtureTest, PreactWeb) {
  TempDir tmp;
  const std::string store = tmp / "store";
  CommandResult add = Artidx(store, {"add", FixturePath("sentry-cli/preact-web.zip"), "--project",
                                     "web", "--project", "mobile", "--release", "shop@2.4.0",
                                     "--dist", "web", "--timestamp", "1700000000000"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  const Fixture f = LoadFixture("sentry-cli/preact-web.zip");
  size_t minified = 0;
  for (const format::FileLocator& file : f.files) {
    if (file.type != kMin) continue;
    ++minified;
    ASSERT_TRUE(file.sourcemap.has_value()) << file.url;
    const format::FileLocator* map = FindByUrl(f, Sibling(file.url, *file.sourcemap), kMap);
    ASSERT_NE(map, nullptr) << file.url;
    const std::string expected = Entry(f, map->path);
    ASSERT_FALSE(expected.empty());
    for (const std::string project : {"web", "mobile"}) {
      ExpectWrote(CatMap(store, file.url, "shop@2.4.0", project, "web"), expected,
                  StrCat(project, " ", file.url));
    }
    ExpectWrote(CatMap(store, StrCat(file.url, "?v=2.4.0#L1"), "shop@2.4.0", "web", "web"),
                expected, StrCat(file.url, " with query"));
    // The same map by the file's debug id, which its map shares.
    ASSERT_TRUE(file.debug_id.has_value()) << file.url;
    ASSERT_EQ(map->debug_id, file.debug_id) << file.url;
    ExpectWrote(CatMapById(store, file.debug_id->ToString(), "mobile"), expected,
                StrCat("debug id of ", file.url));
    // The dist is part of the index: without it there is nothing.
    ExpectOneLineFailure(CatMap(store, file.url, "shop@2.4.0", "web"), 1, "no dist",
                         {StrCat("no candidates for url \"", file.url,
                                 "\" in project web, release \"shop@2.4.0\"")});
  }
  EXPECT_EQ(minified, 7u);
}

// rxjs-cjs-rebuilt overwrites rxjs-cjs's files in one release; one of its files has the odd
// header `index.js.map//`, and that map carries no debug id: only the header leads to it.
TEST(SourceMapCatFixtureTest, RxjsRebuiltOddHeader) {
  TempDir tmp;
  const std::string store = tmp / "store";
  for (const auto& [name, timestamp] :
       {std::pair{"rxjs-cjs", "1700000000000"}, std::pair{"rxjs-cjs-rebuilt", "1700000100000"}}) {
    CommandResult add =
        Artidx(store, {"add", FixturePath(StrCat("sentry-cli/", name, ".zip")), "--project", "web",
                       "--release", "shop@2.4.0", "--timestamp", timestamp});
    ASSERT_EQ(add.exit_code, 0) << add.err;
  }
  const Fixture old_build = LoadFixture("sentry-cli/rxjs-cjs.zip");
  const Fixture rebuilt = LoadFixture("sentry-cli/rxjs-cjs-rebuilt.zip");
  const format::FileLocator* odd = FindByUrl(rebuilt, "~/static/rx/ajax/index.js", kMin);
  ASSERT_NE(odd, nullptr);
  ASSERT_EQ(odd->sourcemap, std::optional<std::string>("index.js.map//"));
  const format::FileLocator* map = FindByUrl(rebuilt, "~/static/rx/ajax/index.js.map", kMap);
  ASSERT_NE(map, nullptr);
  EXPECT_FALSE(map->debug_id.has_value());
  const std::string expected = Entry(rebuilt, map->path);
  const std::string old_map = Entry(old_build, "files/_/_/static/rx/ajax/index.js.map");
  ASSERT_NE(expected, old_map);

  ExpectWrote(CatMap(store, "https://app.example/static/rx/ajax/index.js", "shop@2.4.0"), expected,
              "odd header, https frame");
  ExpectWrote(CatMap(store, "~/static/rx/ajax/index.js", "shop@2.4.0"), expected,
              "odd header, ~/ frame");
  ExpectWrote(CatMap(store, "app:///static/rx/ajax/index.js?v=3", "shop@2.4.0"), expected,
              "odd header, app:// frame");
  // By debug id there is no release to look the header up in, and the map has no debug id.
  ExpectOneLineFailure(CatMapById(store, odd->debug_id->ToString()), 1, "odd header by debug id",
                       {StrCat("no source map for ", odd->url)});

  // Every minified file of the rebuild: its header's map, from the rebuild (the newer bundle).
  size_t checked = 0;
  for (const format::FileLocator& file : rebuilt.files) {
    if (file.type != kMin || !file.sourcemap) continue;
    const format::FileLocator* m = FindByUrl(rebuilt, Sibling(file.url, *file.sourcemap), kMap);
    ASSERT_NE(m, nullptr) << file.url;
    ++checked;
    if (checked % 5 != 1) continue;  // a fifth of them keeps the test fast
    const std::string frame = StrCat("https://app.example", file.url.substr(1));
    ExpectWrote(CatMap(store, frame, "shop@2.4.0"), Entry(rebuilt, m->path), frame);
  }
  EXPECT_EQ(checked, 250u);
}

}  // namespace
}  // namespace artidx
