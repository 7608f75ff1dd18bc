// Unit tests of artidx::Index (include/artidx/lookup.h) over index files written into a temp
// directory with EncodeIndex + store::WriteFileAtomically; and of Store over such a directory.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "artidx/lookup.h"
#include "format/coding.h"
#include "format/index_content.h"
#include "format/index_format.h"
#include "format/index_writer.h"
#include "format/strings.h"
#include "gtest/gtest.h"
#include "store/bundle_writer.h"
#include "store/file_util.h"
#include "store/layout.h"
#include "store/sha1.h"
#include "tests/testing.h"

namespace artidx {
namespace {

using format::BundleEntry;
using format::FileLocator;
using format::IndexContent;

format::Sha1Digest Digest(uint8_t seed) {
  format::Sha1Digest d;
  for (size_t i = 0; i < d.size(); ++i) d[i] = static_cast<uint8_t>(seed ^ (i * 11));
  return d;
}

std::string_view View(const format::Sha1Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

DebugId Id(std::string_view text) {
  absl::StatusOr<DebugId> id = DebugId::Parse(text);
  EXPECT_TRUE(id.ok()) << id.status();
  return id.ok() ? *id : DebugId{};
}

FileLocator File(std::string path, std::string url, FileType type = FileType::kMinifiedSource,
                 std::optional<DebugId> id = std::nullopt,
                 std::optional<std::string> sourcemap = std::nullopt) {
  FileLocator f;
  f.path = std::move(path);
  f.url = std::move(url);
  f.type = type;
  f.debug_id = id;
  f.sourcemap = std::move(sourcemap);
  return f;
}

std::string WriteIndex(const std::string& path, const IndexContent& content) {
  absl::StatusOr<std::string> bytes = format::EncodeIndex(content);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  absl::Status s = store::WriteFileAtomically(path, bytes.ok() ? *bytes : "");
  EXPECT_TRUE(s.ok()) << s;
  return bytes.ok() ? *bytes : std::string();
}

std::unique_ptr<Index> OpenOrDie(const std::string& path) {
  absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(path);
  EXPECT_TRUE(index.ok()) << index.status();
  return index.ok() ? *std::move(index) : nullptr;
}

DebugId IdX() { return Id("eb6e60f1-65ff-4f6f-abcd-0123456789ef"); }
DebugId IdY() { return Id("2f259f80-58b7-44cb-d7cd-de1505e7e718"); }

// Bundles holding the URL forms of https://example.com/static/app.js?v=3:
//   b-query (50):  the full url
//   b-mid (200):   the url without query
//   b-new (300), b-tie-z (200), b-tie-a (200), b-old (100):  ~/static/app.js
IndexContent UrlContent() {
  IndexContent c;
  c.kind = format::IndexKind::kUrl;
  c.project = "web";
  c.release = "shop@2.4.0";
  c.dist = "eu";
  c.bundles = {
      {"b-old", 100, Digest(1), {File("files/_/_/static/app.js", "~/static/app.js")}},
      {"b-new",
       300,
       Digest(2),
       {File("files/_/_/static/app.js", "~/static/app.js", FileType::kMinifiedSource, IdX(),
             "app.js.map"),
        File("files/_/_/static/app.js.map", "~/static/app.js.map", FileType::kSourceMap, IdX()),
        File("files/_/_/static/other.js", "~/static/other.js")}},
      {"b-tie-a", 200, Digest(3), {File("files/_/_/static/app.js", "~/static/app.js")}},
      {"b-tie-z", 200, Digest(4), {File("files/_/_/static/app.js", "~/static/app.js")}},
      {"b-mid",
       200,
       Digest(5),
       {File("files/https/example.com/static/app.js", "https://example.com/static/app.js")}},
      {"b-query",
       50,
       Digest(6),
       {File("files/https/example.com/static/app.js", "https://example.com/static/app.js?v=3",
             FileType::kSource)}},
      {"b-empty", 10, Digest(7), {}},
  };
  return c;
}

IndexContent DebugIdContent() {
  IndexContent c;
  c.kind = format::IndexKind::kDebugId;
  c.project = "web";
  c.bundles = {
      {"b-old",
       100,
       Digest(1),
       {File("files/_/_/a.js", "~/a.js", FileType::kMinifiedSource, IdX()),
        File("files/_/_/a.js.map", "~/a.js.map", FileType::kSourceMap, IdX())}},
      {"b-new",
       300,
       Digest(2),
       {File("files/_/_/a.js.map", "~/a.js.map", FileType::kSourceMap, IdX()),
        File("files/_/_/a.js", "~/a.js", FileType::kMinifiedSource, IdX(), "a.js.map"),
        File("files/_/_/y.js", "~/y.js", FileType::kMinifiedSource, IdY())}},
      {"b-mid",
       200,
       Digest(3),
       {File("files/_/_/z.map", "~/z.map", FileType::kSourceMap, IdX()),
        File("files/_/_/b.map", "~/b.map", FileType::kSourceMap, IdX())}},
  };
  return c;
}

std::vector<std::string> Describe(const std::vector<Candidate>& found) {
  std::vector<std::string> out;
  for (const Candidate& c : found) out.push_back(StrCat(c.bundle_id, " ", c.path));
  return out;
}

using V = std::vector<std::string>;

class IndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_path_ = dir_ / "web/urls/u.aix";
    debug_path_ = dir_ / "web/debug-ids.aix";
    url_bytes_ = WriteIndex(url_path_, UrlContent());
    debug_bytes_ = WriteIndex(debug_path_, DebugIdContent());
  }

  testing::TempDir dir_;
  std::string url_path_, debug_path_, url_bytes_, debug_bytes_;
};

TEST_F(IndexTest, Accessors) {
  std::unique_ptr<Index> url = OpenOrDie(url_path_);
  ASSERT_TRUE(url);
  EXPECT_EQ(url->path(), url_path_);
  EXPECT_EQ(url->kind(), IndexKind::kUrl);
  EXPECT_EQ(url->project(), "web");
  EXPECT_EQ(url->release(), "shop@2.4.0");
  EXPECT_EQ(url->dist(), "eu");
  EXPECT_EQ(url->bundle_count(), 7u);
  EXPECT_EQ(url->file_count(), 8u);
  EXPECT_EQ(url->key_count(), 5u);
  EXPECT_TRUE(url->Verify().ok()) << url->Verify();

  std::unique_ptr<Index> debug = OpenOrDie(debug_path_);
  ASSERT_TRUE(debug);
  EXPECT_EQ(debug->kind(), IndexKind::kDebugId);
  EXPECT_EQ(debug->project(), "web");
  EXPECT_EQ(debug->release(), "");
  EXPECT_EQ(debug->dist(), "");
  EXPECT_EQ(debug->bundle_count(), 3u);
  EXPECT_EQ(debug->file_count(), 7u);
  EXPECT_EQ(debug->key_count(), 3u);  // (X, minified), (X, map), (Y, minified)
  EXPECT_TRUE(debug->Verify().ok());
}

TEST_F(IndexTest, LookupUrlOrdersByFormThenNewestBundle) {
  std::unique_ptr<Index> index = OpenOrDie(url_path_);
  ASSERT_TRUE(index);
  std::vector<Candidate> found;
  ASSERT_TRUE(index->LookupUrl("https://example.com/static/app.js?v=3", &found).ok());
  EXPECT_EQ(Describe(found), (V{
                                 // (a) the url with its query: the oldest bundle, still first
                                 "b-query files/https/example.com/static/app.js",
                                 // (b) without the query
                                 "b-mid files/https/example.com/static/app.js",
                                 // (c) ~/static/app.js?v=3: nothing; (d) ~/static/app.js:
                                 "b-new files/_/_/static/app.js",
                                 "b-tie-z files/_/_/static/app.js",  // tie: greater id first
                                 "b-tie-a files/_/_/static/app.js",
                                 "b-old files/_/_/static/app.js",
                             }));
  ASSERT_EQ(found.size(), 6u);
  EXPECT_EQ(found[0].url, "https://example.com/static/app.js?v=3");
  EXPECT_EQ(found[0].type, FileType::kSource);
  EXPECT_EQ(found[0].timestamp_ms, 50);
  EXPECT_EQ(found[0].archive_sha1, View(Digest(6)));
  EXPECT_FALSE(found[0].debug_id.has_value());
  EXPECT_FALSE(found[0].sourcemap.has_value());
  const Candidate& newest = found[2];
  EXPECT_EQ(newest.url, "~/static/app.js");
  EXPECT_EQ(newest.timestamp_ms, 300);
  EXPECT_EQ(newest.archive_sha1, View(Digest(2)));
  EXPECT_EQ(newest.type, FileType::kMinifiedSource);
  EXPECT_EQ(newest.debug_id, IdX());
  EXPECT_EQ(newest.sourcemap, "app.js.map");
  EXPECT_EQ(found[3].timestamp_ms, 200);
  EXPECT_EQ(found[5].timestamp_ms, 100);
}

TEST_F(IndexTest, LookupUrlForms) {
  std::unique_ptr<Index> index = OpenOrDie(url_path_);
  ASSERT_TRUE(index);
  const V tilde = {"b-new files/_/_/static/app.js", "b-tie-z files/_/_/static/app.js",
                   "b-tie-a files/_/_/static/app.js", "b-old files/_/_/static/app.js"};
  for (std::string_view url : {"~/static/app.js", "async ~/static/app.js", "~/static/app.js#x",
                               "app:///static/app.js", "/static/app.js"}) {
    std::vector<Candidate> found;
    ASSERT_TRUE(index->LookupUrl(url, &found).ok());
    EXPECT_EQ(Describe(found), tilde) << url;
  }
  std::vector<Candidate> found;
  ASSERT_TRUE(index->LookupUrl("https://example.com/static/app.js#frag", &found).ok());
  EXPECT_EQ(Describe(found).front(), "b-mid files/https/example.com/static/app.js");
  EXPECT_EQ(found.size(), 5u);
  // Another host: only the relative forms match.
  found.clear();
  ASSERT_TRUE(index->LookupUrl("https://cdn.other.net/static/app.js?v=3", &found).ok());
  EXPECT_EQ(Describe(found), tilde);
}

TEST_F(IndexTest, LookupUrlAppendsAndMissesCleanly) {
  std::unique_ptr<Index> index = OpenOrDie(url_path_);
  ASSERT_TRUE(index);
  std::vector<Candidate> found;
  ASSERT_TRUE(index->LookupUrl("~/static/other.js", &found).ok());
  ASSERT_EQ(found.size(), 1u);
  // Appends: earlier results stay.
  ASSERT_TRUE(index->LookupUrl("~/static/other.js", &found).ok());
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].path, found[1].path);
  for (std::string_view url : {"", "~", "~/static/missing.js", "~/static/app", "~/STATIC/APP.JS",
                               "https://example.com/static/app.js?v=4x"}) {
    std::vector<Candidate> none;
    ASSERT_TRUE(index->LookupUrl(url, &none).ok()) << url;
    if (std::string_view(url) == "https://example.com/static/app.js?v=4x") {
      // The query-less and relative forms still match.
      EXPECT_EQ(none.size(), 5u);
    } else {
      EXPECT_TRUE(none.empty()) << url;
    }
  }
}

TEST_F(IndexTest, LookupDebugIdByType) {
  std::unique_ptr<Index> index = OpenOrDie(debug_path_);
  ASSERT_TRUE(index);
  std::vector<Candidate> found;
  ASSERT_TRUE(index->LookupDebugId(IdX(), FileType::kMinifiedSource, &found).ok());
  EXPECT_EQ(Describe(found), (V{"b-new files/_/_/a.js", "b-old files/_/_/a.js"}));
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].debug_id, IdX());
  EXPECT_EQ(found[0].sourcemap, "a.js.map");
  EXPECT_EQ(found[0].timestamp_ms, 300);
  EXPECT_EQ(found[0].archive_sha1, View(Digest(2)));
  EXPECT_EQ(found[0].url, "~/a.js");

  found.clear();
  ASSERT_TRUE(index->LookupDebugId(IdX(), FileType::kSourceMap, &found).ok());
  EXPECT_EQ(Describe(found), (V{"b-new files/_/_/a.js.map", "b-mid files/_/_/b.map",
                                "b-mid files/_/_/z.map", "b-old files/_/_/a.js.map"}));
  for (const Candidate& c : found) EXPECT_EQ(c.type, FileType::kSourceMap);

  found.clear();
  ASSERT_TRUE(index->LookupDebugId(IdX(), FileType::kSource, &found).ok());
  EXPECT_TRUE(found.empty());
  ASSERT_TRUE(index->LookupDebugId(IdY(), FileType::kSourceMap, &found).ok());
  EXPECT_TRUE(found.empty());
  ASSERT_TRUE(index->LookupDebugId(IdY(), FileType::kMinifiedSource, &found).ok());
  EXPECT_EQ(Describe(found), (V{"b-new files/_/_/y.js"}));
}

TEST_F(IndexTest, LookupDebugIdAnyTypeMergesNewestFirst) {
  std::unique_ptr<Index> index = OpenOrDie(debug_path_);
  ASSERT_TRUE(index);
  std::vector<Candidate> found;
  ASSERT_TRUE(index->LookupDebugId(IdX(), std::nullopt, &found).ok());
  EXPECT_EQ(Describe(found),
            (V{"b-new files/_/_/a.js", "b-new files/_/_/a.js.map", "b-mid files/_/_/b.map",
               "b-mid files/_/_/z.map", "b-old files/_/_/a.js", "b-old files/_/_/a.js.map"}));
  // Unknown ids and the appendix.
  found.clear();
  DebugId with_appendix = IdX();
  with_appendix.appendix = 1;
  ASSERT_TRUE(index->LookupDebugId(with_appendix, std::nullopt, &found).ok());
  EXPECT_TRUE(found.empty());
  ASSERT_TRUE(index->LookupDebugId(DebugId{}, std::nullopt, &found).ok());
  EXPECT_TRUE(found.empty());
}

TEST_F(IndexTest, WrongKindIsFailedPrecondition) {
  std::unique_ptr<Index> url = OpenOrDie(url_path_);
  std::unique_ptr<Index> debug = OpenOrDie(debug_path_);
  ASSERT_TRUE(url && debug);
  std::vector<Candidate> found;
  absl::Status s = url->LookupDebugId(IdX(), std::nullopt, &found);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(StdView(s.message()).find(url_path_), std::string_view::npos) << s;
  s = debug->LookupUrl("~/a.js", &found);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(found.empty());
}

TEST_F(IndexTest, MissingFileIsNotFound) {
  absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(dir_ / "nope.aix");
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), absl::StatusCode::kNotFound) << index.status();
  index = Index::Open(dir_ / "missing-dir/nope.aix");
  EXPECT_EQ(index.status().code(), absl::StatusCode::kNotFound) << index.status();
}

TEST_F(IndexTest, CorruptHeaderIsDataLossNamingTheFile) {
  struct Case {
    std::string name;
    std::string bytes;
  };
  std::vector<Case> cases;
  std::string bad = url_bytes_;
  bad[0] = 'X';
  cases.push_back({"magic.aix", bad});
  bad = url_bytes_;
  format::Store<uint16_t>(bad.data() + format::kVersionOffset, 9);
  cases.push_back({"version.aix", bad});
  bad = url_bytes_;
  format::Store<uint16_t>(bad.data() + format::kKindOffset, 7);
  cases.push_back({"kind.aix", bad});
  cases.push_back({"truncated.aix", url_bytes_.substr(0, url_bytes_.size() - 1)});
  cases.push_back({"short.aix", url_bytes_.substr(0, 100)});
  cases.push_back({"empty.aix", ""});
  cases.push_back({"text.aix", "{\"bundles\":[]}\n"});
  for (const Case& c : cases) {
    const std::string path = dir_ / c.name;
    testing::WriteFileOrDie(path, c.bytes);
    absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(path);
    ASSERT_FALSE(index.ok()) << c.name;
    EXPECT_EQ(index.status().code(), absl::StatusCode::kDataLoss) << index.status();
    EXPECT_NE(StdView(index.status().message()).find(path), std::string_view::npos)
        << index.status();
  }
}

TEST_F(IndexTest, CorruptRecordsAreDataLossNamingTheFile) {
  // Damage the first file record (the newest bundle's first path: b-new's static/app.js) so
  // that Open, which reads only the header, succeeds, and the lookup that reaches it fails.
  std::string bad = url_bytes_;
  const uint64_t files_at = format::Load<uint64_t>(
      bad.data() + format::kSectionTableOffset + format::kFilesSection * format::kSectionEntrySize);
  bad[files_at + 4] = 0;  // file type 0 does not exist
  const std::string path = dir_ / "records.aix";
  testing::WriteFileOrDie(path, bad);
  std::unique_ptr<Index> index = OpenOrDie(path);
  ASSERT_TRUE(index);
  std::vector<Candidate> found;
  absl::Status s = index->LookupUrl("~/static/app.js", &found);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(StdView(s.message()).find(path), std::string_view::npos) << s;
  // Lookups that do not reach the record still work.
  found.clear();
  ASSERT_TRUE(index->LookupUrl("~/static/other.js", &found).ok());
  EXPECT_EQ(Describe(found), V{"b-new files/_/_/static/other.js"});
  s = index->Verify();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(StdView(s.message()).find(path), std::string_view::npos) << s;
  std::vector<Index::BundleInfo> bundles;
  EXPECT_EQ(index->ListBundles(&bundles).code(), absl::StatusCode::kDataLoss);
  std::vector<Candidate> files;
  EXPECT_EQ(index->ListFiles(&files).code(), absl::StatusCode::kDataLoss);
}

TEST_F(IndexTest, ListBundlesNewestFirstWithFileCounts) {
  std::unique_ptr<Index> index = OpenOrDie(url_path_);
  ASSERT_TRUE(index);
  std::vector<Index::BundleInfo> bundles;
  ASSERT_TRUE(index->ListBundles(&bundles).ok());
  std::vector<std::string> described;
  for (const Index::BundleInfo& b : bundles) {
    described.push_back(StrCat(b.bundle_id, ":", b.timestamp_ms, ":", b.files));
  }
  EXPECT_EQ(described, (V{"b-new:300:3", "b-tie-z:200:1", "b-tie-a:200:1", "b-mid:200:1",
                          "b-old:100:1", "b-query:50:1", "b-empty:10:0"}));
  EXPECT_EQ(bundles[0].archive_sha1, View(Digest(2)));
  // Appends, and counts only its own bundles.
  ASSERT_TRUE(index->ListBundles(&bundles).ok());
  ASSERT_EQ(bundles.size(), 14u);
  EXPECT_EQ(bundles[7].files, 3u);

  std::unique_ptr<Index> debug = OpenOrDie(debug_path_);
  ASSERT_TRUE(debug);
  bundles.clear();
  ASSERT_TRUE(debug->ListBundles(&bundles).ok());
  described.clear();
  for (const Index::BundleInfo& b : bundles) described.push_back(StrCat(b.bundle_id, ":", b.files));
  EXPECT_EQ(described, (V{"b-new:3", "b-mid:2", "b-old:2"}));

  std::vector<Candidate> files;
  ASSERT_TRUE(index->ListFiles(&files).ok());
  EXPECT_EQ(files.size(), 8u);
  EXPECT_EQ(files[0].bundle_id, "b-new");
  EXPECT_EQ(files.back().bundle_id, "b-query");
}

TEST_F(IndexTest, ReplacedFileKeepsOldMappingValid) {
  std::unique_ptr<Index> index = OpenOrDie(url_path_);
  ASSERT_TRUE(index);
  std::vector<Candidate> before;
  ASSERT_TRUE(index->LookupUrl("~/static/app.js", &before).ok());
  // Replace the file (as an indexer does) with an index of other content.
  IndexContent other = UrlContent();
  other.bundles.resize(1);
  WriteIndex(url_path_, other);
  std::vector<Candidate> after;
  ASSERT_TRUE(index->LookupUrl("~/static/app.js", &after).ok());
  EXPECT_EQ(Describe(after), Describe(before));
  std::unique_ptr<Index> reopened = OpenOrDie(url_path_);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->bundle_count(), 1u);
}

TEST(StoreTest, OpensIndexesByNameAndReadsFiles) {
  testing::TempDir dir;
  const store::Layout layout(dir.path());
  // A real bundle archive in the store.
  store::BundleSpec spec;
  spec.files = {{"~/static/app.js", FileType::kMinifiedSource, "app();", IdX(), "app.js.map"},
                {"~/static/app.js.map", FileType::kSourceMap, "{\"version\":3}", IdX(), {}}};
  absl::StatusOr<std::string> archive = store::WriteBundle(spec);
  ASSERT_TRUE(archive.ok()) << archive.status();
  const format::Sha1Digest sha1 = store::Sha1(*archive);
  ASSERT_TRUE(store::WriteFileAtomically(layout.BundlePath(sha1), *archive).ok());

  IndexContent urls;
  urls.project = "web";
  urls.release = "1.0";
  urls.bundles = {
      {"b",
       1,
       sha1,
       {File("files/_/_/static/app.js", "~/static/app.js", FileType::kMinifiedSource, IdX(),
             "app.js.map"),
        File("files/_/_/static/app.js.map", "~/static/app.js.map", FileType::kSourceMap, IdX())}}};
  WriteIndex(layout.UrlIndexPath("web", "1.0", ""), urls);
  IndexContent ids = urls;
  ids.kind = format::IndexKind::kDebugId;
  ids.release.clear();
  WriteIndex(layout.DebugIdIndexPath("web"), ids);

  Store s(dir.path());
  absl::StatusOr<std::unique_ptr<Index>> index = s.OpenUrlIndex("web", "1.0", "");
  ASSERT_TRUE(index.ok()) << index.status();
  std::vector<Candidate> found;
  ASSERT_TRUE((*index)->LookupUrl("https://example.com/static/app.js", &found).ok());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(s.ArchivePath(found[0]), layout.BundlePath(sha1));
  absl::StatusOr<std::string> bytes = s.ReadFile(found[0]);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, "app();");

  absl::StatusOr<std::unique_ptr<Index>> debug = s.OpenDebugIdIndex("web");
  ASSERT_TRUE(debug.ok()) << debug.status();
  found.clear();
  ASSERT_TRUE((*debug)->LookupDebugId(IdX(), FileType::kSourceMap, &found).ok());
  ASSERT_EQ(found.size(), 1u);
  bytes = s.ReadFile(found[0]);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, "{\"version\":3}");

  // Other (release, dist) pairs and projects: NotFound; invalid names: InvalidArgument.
  EXPECT_EQ(s.OpenUrlIndex("web", "1.0", "eu").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.OpenUrlIndex("web", "1.", "0").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.OpenUrlIndex("api", "1.0", "").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.OpenDebugIdIndex("api").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.OpenUrlIndex("..", "1.0", "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.OpenUrlIndex("web", "", "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.OpenUrlIndex("web", "1.0", "\n").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.OpenDebugIdIndex("a/b").status().code(), absl::StatusCode::kInvalidArgument);

  absl::StatusOr<std::vector<std::string>> paths = s.UrlIndexPaths("web");
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_EQ(*paths, V{layout.UrlIndexPath("web", "1.0", "")});
  paths = s.UrlIndexPaths("api");
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_TRUE(paths->empty());

  // A candidate whose archive entry is missing: NotFound naming the archive.
  Candidate ghost = found[0];
  ghost.path = "files/_/_/ghost.js";
  bytes = s.ReadFile(ghost);
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kNotFound) << bytes.status();
  EXPECT_NE(StdView(bytes.status().message()).find(layout.BundlePath(sha1)),
            std::string_view::npos);
}

}  // namespace
}  // namespace artidx
