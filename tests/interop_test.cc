// End-to-end tests of the interchange with Sentry's RFC 0106 JSON through the real binary:
// `artidx export --format sentry-json` writes exactly the RFC's shape (bundles oldest first as
// "artifact_bundle/<id>" with ISO 8601 timestamps; per key the positions of its bundles,
// ascending and de-duplicated so that the last is the newest; is_complete), and `artidx import`
// of such a JSON reproduces the index: equal lookups and a byte-identical export. A bad JSON or a
// missing archive fails on one line and changes nothing.

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "artidx/types.h"
#include "bundle/bundle_writer.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "tests/testing.h"

namespace artidx {
namespace {

namespace fs = std::filesystem;
using testing::Artidx;
using testing::CommandResult;
using testing::FileIdOf;
using testing::IdOf;
using testing::TempDir;
using testing::Tree;

constexpr FileType kMin = FileType::kMinifiedSource;
constexpr FileType kMap = FileType::kSourceMap;
constexpr FileType kSrc = FileType::kSource;

bundle::BundleFile File(const std::string& url, FileType type, int debug_id = 0) {
  bundle::BundleFile f;
  f.url = url;
  f.type = type;
  f.content = StrCat("// ", url, " ", FileTypeName(type), " ", debug_id, "\n");
  if (debug_id != 0) f.debug_id = *DebugId::Parse(FileIdOf(debug_id));
  return f;
}

std::string Bundle(int n, std::vector<bundle::BundleFile> files, const std::string& salt = "") {
  bundle::BundleSpec spec;
  spec.debug_id = IdOf(n);
  for (bundle::BundleFile& f : files) f.content += salt;
  spec.files = std::move(files);
  absl::StatusOr<std::string> bytes = bundle::WriteBundle(spec);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : "";
}

constexpr int64_t kT = 1700000000000;  // 2023-11-14T22:13:20.000Z

// The lookups that tell two (web-like) indexes apart: every URL and debug id the bundles use,
// as `lookup --json` prints them, with exit codes.
std::string Answers(const std::string& store, const std::string& project, bool urls = true) {
  std::string out;
  auto lookup = [&](std::vector<std::string> args) {
    std::vector<std::string> full = {"lookup", "--project", project, "--json"};
    full.insert(full.end(), args.begin(), args.end());
    CommandResult r = Artidx(store, full);
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
    StrAppend(&out, r.exit_code, " ", r.out);
  };
  if (urls) {
    for (const std::string path : {"a.js", "a.js.map", "b.js", "b-old.js", "c.js", "d.js", "e.js",
                                   "shared.js", "x.js", "y.js"}) {
      lookup({"--release", "1.0", "--url", StrCat("https://shop.example/", path, "?v=1")});
    }
  }
  for (int n = 1; n <= 9; ++n) lookup({"--debug-id", FileIdOf(n)});
  return out;
}

std::string Export(const std::string& store, const std::string& project, bool url_index) {
  std::vector<std::string> args = {"export", "--project", project, "--format", "sentry-json"};
  if (url_index) args.insert(args.end(), {"--release", "1.0"});
  CommandResult r = Artidx(store, args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  return r.out;
}

void ExpectOneLineFailure(const CommandResult& r, const std::string& what) {
  EXPECT_EQ(r.exit_code, 2) << what << ": " << r.out << r.err;
  EXPECT_EQ(r.out, "") << what;
  EXPECT_TRUE(r.err.starts_with("artidx: ")) << what << ": " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << ": " << r.err;
  EXPECT_TRUE(r.err.ends_with("\n")) << what << ": " << r.err;
}

// A store of project web, release 1.0: bundles 1..5 added out of order, 2 and 3 at one
// timestamp, 2 re-added with new contents, 4 removed. `archives_` holds each bundle's current
// archive as <id>.zip, as `import --bundles` wants them.
class InteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(archives_);
    // Bundle 1 holds ~/a.js twice (a minified file and its original source, two zip entries
    // with one url) and a.js and its map share debug id 1: each key's positions stay unique.
    const std::string b1 = Bundle(1, {File("~/a.js", kMin, 1), File("~/a.js", kSrc),
                                      File("~/a.js.map", kMap, 1), File("~/shared.js", kMin)});
    const std::string b2_old = Bundle(2, {File("~/b-old.js", kMin, 6), File("~/shared.js", kMin)});
    const std::string b2 = Bundle(2, {File("~/b.js", kMin, 2), File("~/shared.js", kMin)}, "new");
    const std::string b3 = Bundle(3, {File("~/c.js", kMin, 3), File("~/shared.js", kMin)});
    const std::string b4 = Bundle(4, {File("~/d.js", kMin, 4), File("~/shared.js", kMin)});
    const std::string b5 =
        Bundle(5, {File("~/a.js", kMin, 1), File("~/e.js", kMin, 5), File("~/shared.js", kMin)});
    const std::pair<std::string, int64_t> adds[] = {
        {b5, kT + 86'400'005}, {b2_old, kT + 30'000}, {b4, kT + 120'000},
        {b3, kT + 60'000},     {b1, kT + 123},        {b2, kT + 60'000},
    };
    int k = 0;
    for (const auto& [bytes, timestamp] : adds) {
      const std::string path = tmp_ / StrCat("upload-", k++, ".zip");
      testing::WriteFileOrDie(path, bytes);
      Add(path, timestamp);
    }
    CommandResult rm = Artidx(store_, {"rm", IdOf(4), "--timestamp", StrCat(kT + 180'000)});
    ASSERT_EQ(rm.exit_code, 0) << rm.err;
    for (const auto& [n, bytes] : std::map<int, std::string>{{1, b1}, {2, b2}, {3, b3}, {5, b5}}) {
      testing::WriteFileOrDie(archives_ + "/" + IdOf(n) + ".zip", bytes);
    }
  }

  void Add(const std::string& bundle, int64_t timestamp) {
    CommandResult r = Artidx(store_, {"add", bundle, "--project", "web", "--release", "1.0",
                                      "--timestamp", StrCat(timestamp)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  TempDir tmp_;
  const std::string store_ = tmp_ / "store";
  const std::string archives_ = tmp_ / "archives";
};

const std::string kBundlesJson = StrCat(
    R"({"bundles":[)",
    R"({"bundle_id":"artifact_bundle/00000000-0000-4000-8000-000000000001","timestamp":"2023-11-14T22:13:20.123Z"},)",
    R"({"bundle_id":"artifact_bundle/00000000-0000-4000-8000-000000000002","timestamp":"2023-11-14T22:14:20.000Z"},)",
    R"({"bundle_id":"artifact_bundle/00000000-0000-4000-8000-000000000003","timestamp":"2023-11-14T22:14:20.000Z"},)",
    R"({"bundle_id":"artifact_bundle/00000000-0000-4000-8000-000000000005","timestamp":"2023-11-15T22:13:20.005Z"}],)");

TEST_F(InteropTest, ExportUrlIndexHasTheRfcShape) {
  EXPECT_EQ(Export(store_, "web", true),
            StrCat(kBundlesJson,
                   R"("files_by_url":{"~/a.js":[0,3],"~/a.js.map":[0],"~/b.js":[1],"~/c.js":[2],)",
                   R"("~/e.js":[3],"~/shared.js":[0,1,2,3]},"is_complete":true})", "\n"));
}

TEST_F(InteropTest, ExportDebugIdIndexHasTheRfcShape) {
  EXPECT_EQ(Export(store_, "web", false),
            StrCat(kBundlesJson, R"("files_by_debug_id":{)",
                   R"("10000000-0000-4000-8000-000000000001":[0,3],)",
                   R"("10000000-0000-4000-8000-000000000002":[1],)",
                   R"("10000000-0000-4000-8000-000000000003":[2],)",
                   R"("10000000-0000-4000-8000-000000000005":[3]},"is_complete":true})", "\n"));
}

TEST_F(InteropTest, ExportErrors) {
  CommandResult r =
      Artidx(store_, {"export", "--project", "web", "--release", "9.9", "--format", "sentry-json"});
  ExpectOneLineFailure(r, "no such index");
  r = Artidx(store_, {"export", "--project", "web", "--format", "json"});
  ExpectOneLineFailure(r, "unknown format");
}

// Import into a fresh store, the archives taken from --bundles DIR.
TEST_F(InteropTest, ImportIntoFreshStoreWithBundlesDir) {
  const std::string url_json = Export(store_, "web", true);
  const std::string id_json = Export(store_, "web", false);
  testing::WriteFileOrDie(tmp_ / "urls.json", url_json);
  testing::WriteFileOrDie(tmp_ / "ids.json", id_json);

  const std::string fresh = tmp_ / "fresh";
  CommandResult r = Artidx(fresh, {"import", tmp_ / "urls.json", "--project", "web", "--release",
                                   "1.0", "--bundles", archives_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with(StrCat(R"({"imported":[")", IdOf(1), R"(",")", IdOf(2), R"(",")",
                                       IdOf(3), R"(",")", IdOf(5), R"("],"added":[{"bundle":")")))
      << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '{') - 1, 4) << r.out;
  EXPECT_EQ(Export(fresh, "web", true), url_json);
  // Every add indexes debug ids too: that index comes out equal as well.
  EXPECT_EQ(Export(fresh, "web", false), id_json);
  EXPECT_EQ(Answers(fresh, "web"), Answers(store_, "web"));
  // A file's bytes come from the imported archive.
  const std::vector<std::string> cat = {
      "cat", "--project", "web", "--release", "1.0", "--url", "https://shop.example/a.js"};
  EXPECT_EQ(Artidx(fresh, cat).out, Artidx(store_, cat).out);
  EXPECT_EQ(Artidx(fresh, cat).out, "// ~/a.js minified_source 1\n");

  // Importing again changes nothing: adds are idempotent.
  const auto before = Tree(fresh);
  r = Artidx(fresh, {"import", tmp_ / "urls.json", "--project", "web", "--release", "1.0",
                     "--bundles", archives_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Tree(fresh) == before);

  // The debug-id index alone, into another fresh store.
  const std::string fresh2 = tmp_ / "fresh2";
  r = Artidx(fresh2, {"import", tmp_ / "ids.json", "--project", "web", "--bundles", archives_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Each line names the archive imported.
  const auto archive = [&](int n) {
    return Sha1Digest::Of(testing::ReadFileOrDie(StrCat(archives_, "/", IdOf(n), ".zip"))).Hex();
  };
  EXPECT_EQ(
      r.out,
      StrCat("imported ", IdOf(1), " at 2023-11-14T22:13:20.123Z (archive ", archive(1),
             ")\nimported ", IdOf(2), " at 2023-11-14T22:14:20.000Z (archive ", archive(2),
             ")\nimported ", IdOf(3), " at 2023-11-14T22:14:20.000Z (archive ", archive(3),
             ")\nimported ", IdOf(5), " at 2023-11-15T22:13:20.005Z (archive ", archive(5), ")\n"));
  EXPECT_EQ(Export(fresh2, "web", false), id_json);
  EXPECT_EQ(Answers(fresh2, "web", /*urls=*/false), Answers(store_, "web", false));
  r = Artidx(fresh2, {"export", "--project", "web", "--release", "1.0", "--format", "sentry-json"});
  EXPECT_EQ(r.exit_code, 2) << "imported without a release, yet there is a URL index";
}

// Import without --bundles: the store already holds the archives (here: into another project of
// the same store).
TEST_F(InteropTest, ImportFromTheStoresOwnArchives) {
  const std::string url_json = Export(store_, "web", true);
  testing::WriteFileOrDie(tmp_ / "urls.json", url_json);
  const auto web_before = Tree(store_ + "/projects/web");
  CommandResult r =
      Artidx(store_, {"import", tmp_ / "urls.json", "--project", "mirror", "--release", "1.0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Export(store_, "mirror", true), url_json);
  EXPECT_EQ(Export(store_, "mirror", false), Export(store_, "web", false));
  EXPECT_EQ(Answers(store_, "mirror"), Answers(store_, "web"));
  EXPECT_TRUE(Tree(store_ + "/projects/web") == web_before) << "import touched another project";
}

// Sentry wrote timestamps as Python's isoformat(): microseconds and a "+00:00" offset. They are
// read as the instant they name; the export writes them back in UTC, to the millisecond. The
// file lists in the JSON are not what is imported: the archives say what the bundles hold.
TEST_F(InteropTest, ImportSentryWrittenJson) {
  testing::WriteFileOrDie(
      tmp_ / "sentry.json",
      StrCat(
          R"({"bundles":[)",
          R"({"bundle_id":"artifact_bundle/00000000000040008000000000000001","timestamp":"2023-11-14T23:13:20.123999+01:00"},)",
          R"({"bundle_id":"artifact_bundle/00000000-0000-4000-8000-000000000005","timestamp":"2023-11-15T22:13:20.005000+00:00"}],)",
          R"("files_by_url":{"~/nothing.js":[0]},"is_complete":false})"));
  const std::string fresh = tmp_ / "fresh";
  // The first id is in compact form: its archive is found under the name the JSON gives.
  fs::copy_file(archives_ + "/" + IdOf(1) + ".zip",
                archives_ + "/00000000000040008000000000000001.zip");
  CommandResult r = Artidx(fresh, {"import", tmp_ / "sentry.json", "--project", "web", "--release",
                                   "1.0", "--bundles", archives_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      Export(fresh, "web", true),
      StrCat(
          R"({"bundles":[)",
          R"({"bundle_id":"artifact_bundle/00000000-0000-4000-8000-000000000001","timestamp":"2023-11-14T22:13:20.123Z"},)",
          R"({"bundle_id":"artifact_bundle/00000000-0000-4000-8000-000000000005","timestamp":"2023-11-15T22:13:20.005Z"}],)",
          R"("files_by_url":{"~/a.js":[0,1],"~/a.js.map":[0],"~/e.js":[1],"~/shared.js":[0,1]},)",
          R"("is_complete":true})", "\n"));
}

// Bad input: exit 2, one line, and the target store unchanged.
TEST_F(InteropTest, ImportFailuresChangeNothing) {
  const std::string url_json = Export(store_, "web", true);
  // A target store with content: a fresh import of the export.
  const std::string target = tmp_ / "target";
  testing::WriteFileOrDie(tmp_ / "urls.json", url_json);
  ASSERT_EQ(Artidx(target, {"import", tmp_ / "urls.json", "--project", "web", "--release", "1.0",
                            "--bundles", archives_})
                .exit_code,
            0);
  const auto target_before = Tree(target);
  ASSERT_FALSE(target_before.empty());

  // An archive directory lacking bundle 9, and one whose bundle 1 is garbage.
  const std::string partial = tmp_ / "partial", garbage = tmp_ / "garbage";
  fs::create_directories(partial);
  fs::create_directories(garbage);
  fs::copy_file(archives_ + "/" + IdOf(1) + ".zip", partial + "/" + IdOf(1) + ".zip");
  fs::copy_file(archives_ + "/" + IdOf(1) + ".zip", garbage + "/" + IdOf(1) + ".zip");
  testing::WriteFileOrDie(garbage + "/" + IdOf(3) + ".zip", "PK\x03\x04 this is no zip");
  // Bundle 1 comes first and is fine: the failure on a later one must not leave it added.
  const std::string two =
      StrCat(R"({"bundles":[{"bundle_id":"artifact_bundle/)", IdOf(1),
             R"(","timestamp":"2024-01-01T00:00:00.000Z"},{"bundle_id":"artifact_bundle/)", IdOf(9),
             R"(","timestamp":"2024-01-02T00:00:00.000Z"}],"files_by_url":{},"is_complete":true})");
  const std::string with_3 =
      StrCat(R"({"bundles":[{"bundle_id":"artifact_bundle/)", IdOf(1),
             R"(","timestamp":"2024-01-01T00:00:00.000Z"},{"bundle_id":"artifact_bundle/)", IdOf(3),
             R"(","timestamp":"2024-01-02T00:00:00.000Z"}],"files_by_url":{},"is_complete":true})");
  struct Case {
    std::string name;
    std::string json;
    std::string bundles;  // --bundles, or "" for none
  };
  const Case cases[] = {
      {"not JSON", "{not json", archives_},
      {"truncated JSON", url_json.substr(0, url_json.size() / 2), archives_},
      {"empty file", "", archives_},
      {"bundles not an array", R"({"bundles":{},"files_by_url":{},"is_complete":true})", archives_},
      {"no bundles", R"({"files_by_url":{},"is_complete":true})", archives_},
      {"no timestamp", StrCat(R"({"bundles":[{"bundle_id":"artifact_bundle/)", IdOf(1), R"("}]})"),
       archives_},
      {"timestamp not ISO 8601",
       StrCat(R"({"bundles":[{"bundle_id":"artifact_bundle/)", IdOf(1),
              R"(","timestamp":"yesterday"}]})"),
       archives_},
      {"numeric timestamp",
       StrCat(R"({"bundles":[{"bundle_id":"artifact_bundle/)", IdOf(1),
              R"(","timestamp":1700000000000}]})"),
       archives_},
      {"bundle id with a path",
       R"({"bundles":[{"bundle_id":"artifact_bundle/../../etc","timestamp":"2024-01-01T00:00:00Z"}]})",
       archives_},
      {"missing archive after a good one", two, partial},
      {"garbage archive after a good one", with_3, garbage},
      {"archive not in the store", two, ""},
  };
  for (const Case& c : cases) {
    const std::string json_path = tmp_ / "case.json";
    testing::WriteFileOrDie(json_path, c.json);
    std::vector<std::string> args = {"import", json_path, "--project", "web", "--release", "1.0"};
    if (!c.bundles.empty()) args.insert(args.end(), {"--bundles", c.bundles});
    ExpectOneLineFailure(Artidx(target, args), c.name);
    EXPECT_TRUE(Tree(target) == target_before) << c.name << ": the store changed";
    // Into a store that does not exist yet: nothing is created.
    const std::string none = tmp_ / "none";
    ExpectOneLineFailure(Artidx(none, args), c.name + " (fresh store)");
    EXPECT_TRUE(Tree(none).empty()) << c.name << ": a fresh store got files";
  }
  ExpectOneLineFailure(Artidx(target, {"import", tmp_ / "absent.json", "--project", "web"}),
                       "no such JSON file");
  EXPECT_TRUE(Tree(target) == target_before);
}

// A bundle id added twice with different archives, the later-written one with the older
// timestamp: the index holds the earlier-written archive. An import from the store's own
// archives must pick the archive the exported index holds, or the lookups differ.
TEST(InteropArchivesTest, ImportPicksTheArchiveTheIndexHolds) {
  TempDir tmp;
  const std::string store = tmp / "store";
  const std::string newer = Bundle(7, {File("~/x.js", kMin, 7)});
  const std::string older = Bundle(7, {File("~/y.js", kMin, 8)});
  testing::WriteFileOrDie(tmp / "newer.zip", newer);
  testing::WriteFileOrDie(tmp / "older.zip", older);
  for (const auto& [path, timestamp] :
       {std::pair{tmp / "newer.zip", kT + 2000}, std::pair{tmp / "older.zip", kT + 1000}}) {
    CommandResult r = Artidx(store, {"add", path, "--project", "web", "--release", "1.0",
                                     "--timestamp", StrCat(timestamp)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // The winning archive was uploaded an hour before the losing one.
  for (const auto& entry : fs::directory_iterator(store + "/bundles/" + IdOf(7))) {
    if (entry.path().extension() != ".zip") continue;
    if (testing::ReadFileOrDie(entry.path()) == newer) {
      fs::last_write_time(entry.path(), fs::last_write_time(entry.path()) - std::chrono::hours(1));
    }
  }
  const std::string json = Export(store, "web", true);
  ASSERT_NE(json.find("\"~/x.js\":[0]"), std::string::npos) << json;
  testing::WriteFileOrDie(tmp / "urls.json", json);
  CommandResult r =
      Artidx(store, {"import", tmp / "urls.json", "--project", "mirror", "--release", "1.0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Without --bundles, import takes the archive of the winning add (the one the index holds),
  // not the newest file.
  EXPECT_EQ(Export(store, "mirror", true), json);
  EXPECT_EQ(Answers(store, "mirror"), Answers(store, "web"));
}

}  // namespace
}  // namespace artidx
