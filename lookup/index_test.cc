// Unit tests of artidx::Index (include/artidx/lookup.h) over index directories whose segments
// are written with EncodeIndex + store::PublishSegment; and of Store over such a store.
//
// One file of more than 600 lines: Index's tests share the helpers that write index
// directories (EncodeIndex + PublishSegment); the stem lookup cases (SPEC.md 16.3) are a
// section of it for the same reason.

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "artidx/lookup.h"
#include "bundle/bundle_writer.h"
#include "common/coding.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "format/index_content.h"
#include "format/index_encoder.h"
#include "format/index_format.h"
#include "format/index_reader.h"
#include "gtest/gtest.h"
#include "store/file_util.h"
#include "store/layout.h"
#include "store/segments.h"
#include "tests/testing.h"

namespace artidx {
namespace {

using format::BundleEntry;
using format::FileLocator;
using format::IndexContent;

Sha1Digest Digest(uint8_t seed) {
  Sha1Digest d;
  for (size_t i = 0; i < d.size(); ++i) d[i] = static_cast<uint8_t>(seed ^ (i * 11));
  return d;
}

// The hex of a candidate's 20 raw SHA-1 bytes.
std::string Hex(std::string_view raw) {
  Sha1Digest d{};
  EXPECT_EQ(raw.size(), d.size());
  std::copy_n(raw.begin(), std::min(raw.size(), d.size()), d.begin());
  return d.Hex();
}

std::string_view View(const Sha1Digest& d) {
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

std::string Encode(const IndexContent& content) {
  absl::StatusOr<std::string> bytes = format::EncodeIndex(content);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : std::string();
}

// Publishes `content` as a segment of index directory `dir`; returns the segment's bytes.
std::string WriteSegment(const std::string& dir, const IndexContent& content,
                         std::string* path = nullptr) {
  const std::string bytes = Encode(content);
  absl::StatusOr<std::string> name = store::PublishSegment(store::Layout(dir), dir, bytes);
  EXPECT_TRUE(name.ok()) << name.status();
  if (path != nullptr) *path = StrCat(dir, "/", name.ok() ? *name : "");
  return bytes;
}

// Writes `bytes`, whatever they are, as a segment file of `dir` (named as a segment of those
// bytes); returns its path.
std::string WriteRawSegment(const std::string& dir, const std::string& bytes) {
  std::filesystem::create_directories(dir);
  const std::string path = StrCat(dir, "/", store::SegmentName(bytes));
  testing::WriteFileOrDie(path, bytes);
  return path;
}

std::unique_ptr<Index> OpenOrDie(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(dir);
  EXPECT_TRUE(index.ok()) << index.status();
  return index.ok() ? *std::move(index) : nullptr;
}

// The key count of a one-segment index, read from its segment's header.
uint32_t KeyCount(const std::string& dir) {
  const std::string bytes = testing::ReadFileOrDie(testing::OnlySegmentPath(dir));
  absl::StatusOr<format::IndexReader> reader = format::IndexReader::Open(bytes);
  EXPECT_TRUE(reader.ok()) << reader.status();
  return reader.ok() ? reader->key_count() : 0;
}

size_t FileCount(const Index& index) {
  std::vector<Candidate> files;
  EXPECT_TRUE(index.ListFiles(&files).ok());
  return files.size();
}

size_t BundleCount(const Index& index) {
  std::vector<Index::BundleInfo> bundles;
  EXPECT_TRUE(index.ListBundles(&bundles).ok());
  return bundles.size();
}

DebugId IdX() { return Id("eb6e60f1-65ff-4f6f-abcd-0123456789ef"); }
DebugId IdY() { return Id("2f259f80-58b7-44cb-d7cd-de1505e7e718"); }

// Bundles holding the URL forms of https://example.com/static/app.js?v=3:
//   b-query (50):  the full url
//   b-mid (200):   the url without query
//   b-new (300), b-tie-z (200), b-tie-a (200), b-old (100):  ~/static/app.js
IndexContent UrlContent() {
  IndexContent c;
  c.kind = IndexKind::kUrl;
  c.project = "web";
  c.release = "shop@2.4.0";
  c.dist = "eu";
  c.bundles = {
      {"b-old", 100, Digest(1), false, {File("files/_/_/static/app.js", "~/static/app.js")}},
      {"b-new",
       300,
       Digest(2),
       false,
       {File("files/_/_/static/app.js", "~/static/app.js", FileType::kMinifiedSource, IdX(),
             "app.js.map"),
        File("files/_/_/static/app.js.map", "~/static/app.js.map", FileType::kSourceMap, IdX()),
        File("files/_/_/static/other.js", "~/static/other.js")}},
      {"b-tie-a", 200, Digest(3), false, {File("files/_/_/static/app.js", "~/static/app.js")}},
      {"b-tie-z", 200, Digest(4), false, {File("files/_/_/static/app.js", "~/static/app.js")}},
      {"b-mid",
       200,
       Digest(5),
       false,
       {File("files/https/example.com/static/app.js", "https://example.com/static/app.js")}},
      {"b-query",
       50,
       Digest(6),
       false,
       {File("files/https/example.com/static/app.js", "https://example.com/static/app.js?v=3",
             FileType::kSource)}},
      {"b-empty", 10, Digest(7), false, {}},
  };
  return c;
}

IndexContent DebugIdContent() {
  IndexContent c;
  c.kind = IndexKind::kDebugId;
  c.project = "web";
  c.bundles = {
      {"b-old",
       100,
       Digest(1),
       false,
       {File("files/_/_/a.js", "~/a.js", FileType::kMinifiedSource, IdX()),
        File("files/_/_/a.js.map", "~/a.js.map", FileType::kSourceMap, IdX())}},
      {"b-new",
       300,
       Digest(2),
       false,
       {File("files/_/_/a.js.map", "~/a.js.map", FileType::kSourceMap, IdX()),
        File("files/_/_/a.js", "~/a.js", FileType::kMinifiedSource, IdX(), "a.js.map"),
        File("files/_/_/y.js", "~/y.js", FileType::kMinifiedSource, IdY())}},
      {"b-mid",
       200,
       Digest(3),
       false,
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
    url_dir_ = dir_ / "web/urls/u";
    debug_dir_ = dir_ / "web/debug-ids";
    url_bytes_ = WriteSegment(url_dir_, UrlContent(), &url_segment_);
    debug_bytes_ = WriteSegment(debug_dir_, DebugIdContent(), &debug_segment_);
  }

  testing::TempDir dir_;
  std::string url_dir_, debug_dir_, url_segment_, debug_segment_, url_bytes_, debug_bytes_;
};

TEST_F(IndexTest, Accessors) {
  EXPECT_EQ(testing::OnlySegmentPath(url_dir_), url_segment_);
  std::unique_ptr<Index> url = OpenOrDie(url_dir_);
  ASSERT_TRUE(url);
  EXPECT_EQ(url->dir(), url_dir_);
  EXPECT_EQ(url->segment_count(), 1u);
  EXPECT_EQ(url->kind(), IndexKind::kUrl);
  EXPECT_EQ(url->project(), "web");
  EXPECT_EQ(url->release(), "shop@2.4.0");
  EXPECT_EQ(url->dist(), "eu");
  EXPECT_EQ(BundleCount(*url), 7u);
  EXPECT_EQ(FileCount(*url), 8u);
  EXPECT_EQ(KeyCount(url_dir_), 5u);
  EXPECT_TRUE(url->Verify().ok()) << url->Verify();

  std::unique_ptr<Index> debug = OpenOrDie(debug_dir_);
  ASSERT_TRUE(debug);
  EXPECT_EQ(debug->dir(), debug_dir_);
  EXPECT_EQ(debug->segment_count(), 1u);
  EXPECT_EQ(debug->kind(), IndexKind::kDebugId);
  EXPECT_EQ(debug->project(), "web");
  EXPECT_EQ(debug->release(), "");
  EXPECT_EQ(debug->dist(), "");
  EXPECT_EQ(BundleCount(*debug), 3u);
  EXPECT_EQ(FileCount(*debug), 7u);
  EXPECT_EQ(KeyCount(debug_dir_), 2u);  // X (minified and map), Y
  EXPECT_TRUE(debug->Verify().ok());
}

TEST_F(IndexTest, LookupUrlOrdersByFormThenNewestBundle) {
  std::unique_ptr<Index> index = OpenOrDie(url_dir_);
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
  std::unique_ptr<Index> index = OpenOrDie(url_dir_);
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
  std::unique_ptr<Index> index = OpenOrDie(url_dir_);
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
  std::unique_ptr<Index> index = OpenOrDie(debug_dir_);
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
  std::unique_ptr<Index> index = OpenOrDie(debug_dir_);
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
  std::unique_ptr<Index> url = OpenOrDie(url_dir_);
  std::unique_ptr<Index> debug = OpenOrDie(debug_dir_);
  ASSERT_TRUE(url && debug);
  std::vector<Candidate> found;
  absl::Status s = url->LookupDebugId(IdX(), std::nullopt, &found);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(StdView(s.message()).find(url_dir_), std::string_view::npos) << s;
  s = debug->LookupUrl("~/a.js", &found);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(found.empty());
}

TEST_F(IndexTest, MissingIndexIsNotFound) {
  absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(dir_ / "nope");
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), absl::StatusCode::kNotFound) << index.status();
  index = Index::Open(dir_ / "missing-dir/nope");
  EXPECT_EQ(index.status().code(), absl::StatusCode::kNotFound) << index.status();
  // A directory without a segment: empty, or holding only files that are not segments (an
  // index file of another name, a writer's temporary).
  const std::string empty = dir_ / "empty";
  std::filesystem::create_directories(empty);
  index = Index::Open(empty);
  EXPECT_EQ(index.status().code(), absl::StatusCode::kNotFound) << index.status();
  const std::string others = dir_ / "others";
  std::filesystem::create_directories(others);
  testing::WriteFileOrDie(others + "/u.aix", url_bytes_);
  testing::WriteFileOrDie(StrCat(others, "/", store::SegmentName(url_bytes_), ".tmp.1.0"),
                          url_bytes_);
  index = Index::Open(others);
  EXPECT_EQ(index.status().code(), absl::StatusCode::kNotFound) << index.status();
  // A segment file is not an index directory.
  index = Index::Open(url_segment_);
  EXPECT_FALSE(index.ok());
}

TEST_F(IndexTest, CorruptHeaderIsDataLossNamingTheFile) {
  struct Case {
    std::string name;
    std::string bytes;
  };
  std::vector<Case> cases;
  std::string bad = url_bytes_;
  bad[0] = 'X';
  cases.push_back({"magic", bad});
  bad = url_bytes_;
  common::Store<uint16_t>(bad.data() + format::kVersionOffset, 9);
  cases.push_back({"version", bad});
  bad = url_bytes_;
  common::Store<uint16_t>(bad.data() + format::kKindOffset, 7);
  cases.push_back({"kind", bad});
  cases.push_back({"truncated", url_bytes_.substr(0, url_bytes_.size() - 1)});
  cases.push_back({"short", url_bytes_.substr(0, 100)});
  cases.push_back({"empty", ""});
  cases.push_back({"text", "{\"bundles\":[]}\n"});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // Alone, and beside a good segment of the same index.
    const std::string alone = dir_ / ("alone-" + c.name);
    const std::string beside = dir_ / ("beside-" + c.name);
    WriteSegment(beside, UrlContent());
    for (const std::string& dir : {alone, beside}) {
      const std::string path = WriteRawSegment(dir, c.bytes);
      absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(dir);
      ASSERT_FALSE(index.ok()) << dir;
      EXPECT_EQ(index.status().code(), absl::StatusCode::kDataLoss) << index.status();
      EXPECT_NE(StdView(index.status().message()).find(path), std::string_view::npos)
          << index.status();
    }
  }
}

TEST_F(IndexTest, SegmentsOfAnotherIndexAreDataLoss) {
  // A debug-id segment, or a URL segment of another release, among the URL index's.
  IndexContent other_release = UrlContent();
  other_release.release = "shop@2.4.1";
  IndexContent other_project = UrlContent();
  other_project.project = "api";
  for (const IndexContent& stray : {DebugIdContent(), other_release, other_project}) {
    testing::TempDir dir;
    WriteSegment(dir.path(), UrlContent());
    std::string path;
    WriteSegment(dir.path(), stray, &path);
    absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(dir.path());
    ASSERT_FALSE(index.ok());
    EXPECT_EQ(index.status().code(), absl::StatusCode::kDataLoss) << index.status();
    EXPECT_NE(StdView(index.status().message()).find(dir.path()), std::string_view::npos)
        << index.status();
  }
}

TEST_F(IndexTest, CorruptRecordsAreDataLossNamingTheFile) {
  // Damage the first file record (the newest bundle's first path: b-new's static/app.js) so
  // that Open, which reads only the header, succeeds, and the lookup that reaches it fails.
  std::string bad = url_bytes_;
  const uint64_t files_at = common::Load<uint64_t>(
      bad.data() + format::kSectionTableOffset + format::kFilesSection * format::kSectionEntrySize);
  bad[files_at + 4] = 0;  // file type 0 does not exist
  const std::string dir = dir_ / "records";
  const std::string path = WriteRawSegment(dir, bad);
  std::unique_ptr<Index> index = OpenOrDie(dir);
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
  std::unique_ptr<Index> index = OpenOrDie(url_dir_);
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

  std::unique_ptr<Index> debug = OpenOrDie(debug_dir_);
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

// An open Index is a snapshot: a compaction that publishes a new segment and deletes the old one
// (as the indexer does) changes nothing for it; the next Open sees the new segment only.
TEST_F(IndexTest, OpenIndexIsASnapshot) {
  std::unique_ptr<Index> index = OpenOrDie(url_dir_);
  ASSERT_TRUE(index);
  std::vector<Candidate> before;
  ASSERT_TRUE(index->LookupUrl("~/static/app.js", &before).ok());
  IndexContent other = UrlContent();
  other.bundles.resize(1);  // b-old only
  std::string replacement;
  WriteSegment(url_dir_, other, &replacement);
  ASSERT_NE(replacement, url_segment_);
  ASSERT_TRUE(store::RemoveFile(url_segment_).ok());
  std::vector<Candidate> after;
  ASSERT_TRUE(index->LookupUrl("~/static/app.js", &after).ok());
  EXPECT_EQ(Describe(after), Describe(before));
  EXPECT_EQ(index->segment_count(), 1u);
  std::unique_ptr<Index> reopened = OpenOrDie(url_dir_);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->segment_count(), 1u);
  EXPECT_EQ(BundleCount(*reopened), 1u);
  after.clear();
  ASSERT_TRUE(reopened->LookupUrl("~/static/app.js", &after).ok());
  EXPECT_EQ(Describe(after), V{"b-old files/_/_/static/app.js"});
}

// SPEC.md 18.2: a segment is not live while a covers file lists it and the covering segment
// exists; a covers file whose covering segment is missing covers nothing.
TEST_F(IndexTest, CoveredSegmentsAreNotLive) {
  IndexContent old = UrlContent();
  old.bundles.resize(1);  // b-old only: already merged into url_segment_
  std::string covered;
  WriteSegment(url_dir_, old, &covered);
  const std::string covered_name = std::filesystem::path(covered).filename();
  const std::string covering_name = std::filesystem::path(url_segment_).filename();
  ASSERT_EQ(store::ListSegments(store::Layout(url_dir_), url_dir_)->size(), 2u);

  testing::WriteFileOrDie(
      StrCat(url_dir_, "/", covering_name.substr(0, 32), "-0123456789abcdef", store::kCoversSuffix),
      StrCat(covered_name, "\nnot a segment\n"));
  // Covers nothing, not even the live segment it lists: its covering segment does not exist.
  testing::WriteFileOrDie(
      StrCat(url_dir_, "/", std::string(32, 'a'), "-0123456789abcdef", store::kCoversSuffix),
      StrCat(covering_name, "\n"));
  absl::StatusOr<std::vector<std::string>> live =
      store::ListSegments(store::Layout(url_dir_), url_dir_);
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_EQ(*live, V{covering_name});
  EXPECT_EQ(store::ReadCovers(store::Layout(url_dir_), url_dir_)->size(), 2u);
  std::unique_ptr<Index> index = OpenOrDie(url_dir_);
  ASSERT_TRUE(index);
  EXPECT_EQ(index->segment_count(), 1u);
  EXPECT_EQ(BundleCount(*index), 7u);

  ASSERT_TRUE(store::RemoveFile(url_segment_).ok());
  live = store::ListSegments(store::Layout(url_dir_), url_dir_);
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_EQ(*live, V{covered_name});
  index = OpenOrDie(url_dir_);
  ASSERT_TRUE(index);
  EXPECT_EQ(BundleCount(*index), 1u);
}

// Everything an index answers, every field: lookups, bundles and files.
std::vector<std::string> Everything(const Index& index) {
  std::vector<std::string> out;
  auto describe = [&](std::string_view what, const std::vector<Candidate>& found) {
    for (const Candidate& c : found) {
      out.push_back(StrCat(what, ": ", c.bundle_id, " @", c.timestamp_ms, " ", Hex(c.archive_sha1),
                           " ", c.path, " url=", c.url, " ", FileTypeName(c.type), " ",
                           c.debug_id ? c.debug_id->ToString() : "-", " ",
                           c.sourcemap ? StrCat("\"", *c.sourcemap, "\"") : "-"));
    }
    out.push_back(StrCat(what, ": ", found.size(), " answers"));
  };
  if (index.kind() == IndexKind::kUrl) {
    for (std::string_view url :
         {"https://example.com/static/app.js?v=3", "~/static/app.js", "~/static/app.js.map",
          "~/static/other.js", "https://example.com/static/app.js", "~/static/missing.js"}) {
      std::vector<Candidate> found;
      EXPECT_TRUE(index.LookupUrl(url, &found).ok());
      describe(url, found);
    }
    for (std::string_view stem :
         {"/static/app", "/STATIC/APP.JS", "/example.com/", "/other", "static/app", "/missing"}) {
      std::vector<Candidate> found;
      EXPECT_TRUE(index.LookupStem(stem, &found).ok());
      describe(StrCat("stem ", stem), found);
    }
  } else {
    for (const DebugId& id : {IdX(), IdY(), DebugId{}}) {
      for (int t = 0; t <= kFileTypeCount; ++t) {
        std::vector<Candidate> found;
        EXPECT_TRUE(index
                        .LookupDebugId(id,
                                       t == 0 ? std::nullopt
                                              : std::optional<FileType>(static_cast<FileType>(t)),
                                       &found)
                        .ok());
        describe(StrCat(id.ToString(), " type ", t), found);
      }
    }
  }
  std::vector<Candidate> files;
  EXPECT_TRUE(index.ListFiles(&files).ok());
  describe("files", files);
  std::vector<Index::BundleInfo> bundles;
  EXPECT_TRUE(index.ListBundles(&bundles).ok());
  for (const Index::BundleInfo& b : bundles) {
    out.push_back(StrCat("bundle ", b.bundle_id, " @", b.timestamp_ms, " ", b.files, " files"));
  }
  return out;
}

// Several segments answer as one segment of their merged content (format/merge.h: per id, the
// greatest (timestamp, tombstone, archive SHA-1)) does, whichever segment is the largest.
TEST_F(IndexTest, SegmentsAnswerAsTheirMergedContent) {
  struct Case {
    IndexContent whole;                  // one segment: the expected answers
    std::vector<IndexContent> segments;  // the same value, split and superseded
  };
  std::vector<Case> cases;
  {
    // The URL content in three segments, plus one with a tombstone of b-new at its timestamp
    // (a removal wins the tie), a newer contribution of b-tie-a and an older one of b-mid.
    const IndexContent all = UrlContent();
    Case c{all, {}};
    auto part = [&](std::vector<int> numbers) {
      IndexContent p = all;
      p.bundles.clear();
      for (int n : numbers) p.bundles.push_back(all.bundles[n]);
      return p;
    };
    c.segments = {part({0, 1, 2}), part({3, 4}), part({5, 6})};
    IndexContent later = all;
    later.bundles = {
        BundleEntry{"b-new", 300, {}, true, {}},
        BundleEntry{"b-tie-a",
                    400,
                    Digest(8),
                    false,
                    {File("files/_/_/static/app.js.1", "~/static/app.js", FileType::kSource)}},
        BundleEntry{"b-mid",
                    150,
                    Digest(9),
                    false,
                    {File("files/_/_/static/other.js", "~/static/other.js")}},
    };
    c.segments.push_back(later);
    c.whole.bundles[1] = later.bundles[0];  // b-new: removed
    c.whole.bundles[2] = later.bundles[1];  // b-tie-a: the newer contribution
    cases.push_back(c);
  }
  {
    // The debug-id content with b-old re-added newer (other files) in a second segment and
    // b-mid removed after its add in a third.
    const IndexContent all = DebugIdContent();
    Case c{all, {all}};
    IndexContent readd = all;
    readd.bundles = {
        BundleEntry{"b-old",
                    500,
                    Digest(4),
                    false,
                    {File("files/_/_/new.js", "~/new.js", FileType::kMinifiedSource, IdY())}}};
    IndexContent removal = all;
    removal.bundles = {BundleEntry{"b-mid", 201, {}, true, {}},
                       BundleEntry{"b-new", 299, {}, true, {}}};  // older than b-new: no effect
    c.segments.push_back(readd);
    c.segments.push_back(removal);
    c.whole.bundles[0] = readd.bundles[0];
    c.whole.bundles[2] = removal.bundles[0];
    cases.push_back(c);
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    // As is, the base (the largest segment) holds superseded entries; padded with file-less
    // bundles, the last, superseding segment is the base instead.
    for (bool padded : {false, true}) {
      SCOPED_TRACE(StrCat("case ", i, padded ? ", superseding segment largest" : ""));
      Case c = cases[i];
      if (padded) {
        for (int n = 0; n < 8; ++n) {
          BundleEntry filler{
              StrCat("filler-", n), 1000 + n, Digest(static_cast<uint8_t>(n)), false, {}};
          c.segments.back().bundles.push_back(filler);
          c.whole.bundles.push_back(filler);
        }
      }
      const std::string suffix = StrCat(i, padded ? "-padded" : "");
      const std::string whole_dir = dir_ / ("whole-" + suffix);
      WriteSegment(whole_dir, c.whole);
      std::unique_ptr<Index> whole = OpenOrDie(whole_dir);
      ASSERT_TRUE(whole);
      const std::vector<std::string> expected = Everything(*whole);
      const std::string dir = dir_ / ("split-" + suffix);
      for (const IndexContent& segment : c.segments) WriteSegment(dir, segment);
      std::unique_ptr<Index> split = OpenOrDie(dir);
      ASSERT_TRUE(split);
      EXPECT_EQ(split->segment_count(), c.segments.size());
      EXPECT_EQ(Everything(*split), expected);
      EXPECT_TRUE(split->Verify().ok()) << split->Verify();
    }
  }
}

TEST_F(IndexTest, LookupStemMatchesUrlsCaseInsensitivelyNewestFirst) {
  std::unique_ptr<Index> index = OpenOrDie(url_dir_);
  ASSERT_TRUE(index);
  auto stem = [&](std::string_view s) {
    std::vector<Candidate> found;
    absl::Status st = index->LookupStem(s, &found);
    EXPECT_TRUE(st.ok()) << st;
    return Describe(found);
  };
  // Symbolicator's stem of https://example.com/static/app.min.js?v=3: every app.js URL form,
  // and the source map whose URL holds the stem too, newest bundle first, then path.
  const V app = {
      "b-new files/_/_/static/app.js",   "b-new files/_/_/static/app.js.map",
      "b-tie-z files/_/_/static/app.js",  // at 200: greater bundle id first
      "b-tie-a files/_/_/static/app.js", "b-mid files/https/example.com/static/app.js",
      "b-old files/_/_/static/app.js",   "b-query files/https/example.com/static/app.js",
  };
  EXPECT_EQ(stem("/static/app"), app);
  EXPECT_EQ(stem("/sTaTiC/App"), app);
  EXPECT_EQ(stem("/app"), app);  // the older Symbolicator's stem: last component to its dot
  EXPECT_EQ(stem("/static"),
            (V{"b-new files/_/_/static/app.js", "b-new files/_/_/static/app.js.map",
               "b-new files/_/_/static/other.js", "b-tie-z files/_/_/static/app.js",
               "b-tie-a files/_/_/static/app.js", "b-mid files/https/example.com/static/app.js",
               "b-old files/_/_/static/app.js", "b-query files/https/example.com/static/app.js"}));
  EXPECT_EQ(stem("/example.com/static/app.js?v"),
            (V{"b-query files/https/example.com/static/app.js"}));
  EXPECT_EQ(stem("/static/app.js.map"), (V{"b-new files/_/_/static/app.js.map"}));
  EXPECT_EQ(stem("/static/app.js.map/"), V{});
  EXPECT_EQ(stem("/tatic"), V{});  // inside a component: not at a '/'
  EXPECT_EQ(stem("/missing"), V{});
  EXPECT_EQ(stem("tatic/app.js?V=3"), (V{"b-query files/https/example.com/static/app.js"}));
  std::vector<Candidate> found;
  EXPECT_TRUE(absl::IsInvalidArgument(index->LookupStem("", &found)));
  std::unique_ptr<Index> debug = OpenOrDie(debug_dir_);
  ASSERT_TRUE(debug);
  EXPECT_TRUE(absl::IsFailedPrecondition(debug->LookupStem("/a", &found)));
}

// The stem table is built once, by whichever of several concurrent first lookups comes first;
// every thread gets the whole answer (ThreadSanitizer runs this in scripts/test).
TEST_F(IndexTest, LookupStemConcurrentFirstUse) {
  std::unique_ptr<Index> index = OpenOrDie(url_dir_);
  ASSERT_TRUE(index);
  std::vector<std::vector<std::string>> answers(8);
  std::vector<std::thread> threads;
  for (auto& answer : answers) {
    threads.emplace_back([&index, &answer] {
      std::vector<Candidate> found;
      if (index->LookupStem("/static/app", &found).ok()) answer = Describe(found);
    });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& answer : answers) {
    EXPECT_EQ(answer.size(), 7u);
    EXPECT_EQ(answer, answers[0]);
  }
}

// An Index reopened with its predecessor shares the stem tables of the segments both hold, and
// answers as a fresh open does, also once the predecessor (and its mapping) is gone.
TEST_F(IndexTest, LookupStemAfterReopenWithPrevious) {
  std::unique_ptr<Index> first = OpenOrDie(url_dir_);
  ASSERT_TRUE(first);
  std::vector<Candidate> found;
  ASSERT_TRUE(first->LookupStem("/static/app", &found).ok());
  EXPECT_EQ(found.size(), 7u);
  IndexContent more = UrlContent();
  more.bundles = {BundleEntry{
      "b-newer", 400, Digest(9), false, {File("files/_/_/static/app.js", "~/static/app.js?v=4")}}};
  WriteSegment(url_dir_, more);
  absl::StatusOr<std::unique_ptr<Index>> reopened = Index::Open(url_dir_, false, first.get());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  first.reset();
  std::unique_ptr<Index> fresh = OpenOrDie(url_dir_);
  ASSERT_TRUE(fresh);
  for (std::string_view stem : {"/static/app", "/STATIC", "/app.js?v", "/static/other"}) {
    std::vector<Candidate> a, b;
    ASSERT_TRUE((*reopened)->LookupStem(stem, &a).ok());
    ASSERT_TRUE(fresh->LookupStem(stem, &b).ok());
    EXPECT_EQ(Describe(a), Describe(b)) << stem;
  }
  std::vector<Candidate> app;
  ASSERT_TRUE((*reopened)->LookupStem("/static/app", &app).ok());
  ASSERT_EQ(app.size(), 8u);
  EXPECT_EQ(app[0].bundle_id, "b-newer");
}

// LookupStem against a brute-force substring scan of every file, over random URLs and stems
// built from a small alphabet (so that prefixes collide, within and beyond the 8-byte keys),
// in one segment and split across several.
TEST_F(IndexTest, LookupStemEqualsASubstringScan) {
  std::mt19937 rng(13);
  auto pick = [&](std::string_view alphabet, int max_len) {
    std::string out;
    for (int n = std::uniform_int_distribution<int>(1, max_len)(rng); n > 0; --n) {
      out += alphabet[std::uniform_int_distribution<size_t>(0, alphabet.size() - 1)(rng)];
    }
    return out;
  };
  constexpr std::string_view kAlphabet = "/aAbB.?~";
  IndexContent content;
  content.kind = IndexKind::kUrl;
  content.project = "p";
  content.release = "r";
  for (int b = 0; b < 12; ++b) {
    BundleEntry bundle{StrCat("b", b), 100 + b % 5, Digest(static_cast<uint8_t>(b)), false, {}};
    for (int f = 0; f < 30; ++f) bundle.files.push_back(File(StrCat("f", f), pick(kAlphabet, 24)));
    content.bundles.push_back(bundle);
  }
  const std::string one = dir_ / "one", split = dir_ / "split";
  WriteSegment(one, content);
  for (int part = 0; part < 3; ++part) {
    IndexContent p = content;
    p.bundles.assign(content.bundles.begin() + 4 * part, content.bundles.begin() + 4 * part + 4);
    WriteSegment(split, p);
  }
  for (const std::string& dir : {one, split}) {
    std::unique_ptr<Index> index = OpenOrDie(dir);
    ASSERT_TRUE(index);
    std::vector<Candidate> all;
    ASSERT_TRUE(index->ListFiles(&all).ok());
    for (int i = 0; i < 400; ++i) {
      const std::string stem = (i % 4 == 0 ? "" : "/") + pick(kAlphabet, 12);
      std::vector<std::string> expected;
      for (const Candidate& c : all) {
        std::string url(c.url), lower_stem = stem;
        for (std::string* s : {&url, &lower_stem}) {
          for (char& ch : *s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        if (url.find(lower_stem) != std::string::npos)
          expected.push_back(StrCat(c.bundle_id, " ", c.path));
      }
      std::vector<Candidate> found;
      ASSERT_TRUE(index->LookupStem(stem, &found).ok());
      ASSERT_EQ(Describe(found), expected) << dir << " stem " << stem;
    }
  }
}

TEST(StoreTest, OpensIndexesByNameAndReadsFiles) {
  testing::TempDir dir;
  const store::Layout layout(dir.path());
  // A real bundle archive in the store.
  bundle::BundleSpec spec;
  spec.files = {{"~/static/app.js", FileType::kMinifiedSource, "app();", IdX(), "app.js.map"},
                {"~/static/app.js.map", FileType::kSourceMap, "{\"version\":3}", IdX(), {}}};
  absl::StatusOr<std::string> archive = bundle::WriteBundle(spec);
  ASSERT_TRUE(archive.ok()) << archive.status();
  const Sha1Digest sha1 = Sha1Digest::Of(*archive);
  ASSERT_TRUE(store::WriteFileAtomically(layout.ArchivePath("b", sha1), *archive).ok());

  IndexContent urls;
  urls.project = "web";
  urls.release = "1.0";
  urls.bundles = {
      {"b",
       1,
       sha1,
       false,
       {File("files/_/_/static/app.js", "~/static/app.js", FileType::kMinifiedSource, IdX(),
             "app.js.map"),
        File("files/_/_/static/app.js.map", "~/static/app.js.map", FileType::kSourceMap, IdX())}}};
  WriteSegment(layout.UrlIndexDir("web", "1.0", ""), urls);
  IndexContent ids = urls;
  ids.kind = IndexKind::kDebugId;
  ids.release.clear();
  WriteSegment(layout.DebugIdIndexDir("web"), ids);

  Store s(dir.path());
  absl::StatusOr<std::shared_ptr<const Index>> index = s.UrlIndex("web", "1.0", "");
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ((*index)->dir(), layout.UrlIndexDir("web", "1.0", ""));
  std::vector<Candidate> found;
  ASSERT_TRUE((*index)->LookupUrl("https://example.com/static/app.js", &found).ok());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(s.ArchivePath(found[0]), layout.ArchivePath("b", sha1));
  absl::StatusOr<std::string> bytes = s.ReadFile(found[0]);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, "app();");

  absl::StatusOr<std::shared_ptr<const Index>> debug = s.DebugIdIndex("web");
  ASSERT_TRUE(debug.ok()) << debug.status();
  EXPECT_EQ((*debug)->dir(), layout.DebugIdIndexDir("web"));
  found.clear();
  ASSERT_TRUE((*debug)->LookupDebugId(IdX(), FileType::kSourceMap, &found).ok());
  ASSERT_EQ(found.size(), 1u);
  bytes = s.ReadFile(found[0]);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, "{\"version\":3}");

  // Other (release, dist) pairs and projects: NotFound; invalid names: InvalidArgument.
  EXPECT_EQ(s.UrlIndex("web", "1.0", "eu").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.UrlIndex("web", "1.", "0").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.UrlIndex("api", "1.0", "").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.DebugIdIndex("api").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.UrlIndex("..", "1.0", "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.UrlIndex("web", "", "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.UrlIndex("web", "1.0", "\n").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.DebugIdIndex("a/b").status().code(), absl::StatusCode::kInvalidArgument);

  absl::StatusOr<std::vector<std::string>> dirs = s.UrlIndexDirs("web");
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  EXPECT_EQ(*dirs, V{layout.UrlIndexDir("web", "1.0", "")});
  dirs = s.UrlIndexDirs("api");
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  EXPECT_TRUE(dirs->empty());
  EXPECT_EQ(s.UrlIndexDirs("a/b").status().code(), absl::StatusCode::kInvalidArgument);

  // A candidate whose archive entry is missing: NotFound naming the archive.
  Candidate ghost = found[0];
  ghost.path = "files/_/_/ghost.js";
  bytes = s.ReadFile(ghost);
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kNotFound) << bytes.status();
  EXPECT_NE(StdView(bytes.status().message()).find(layout.ArchivePath("b", sha1)),
            std::string_view::npos);
}

// A Store keeps an index open and shares it; it sees new segments once `staleness_ms` passed.
TEST(StoreTest, CachesIndexesWithinTheStalenessBound) {
  testing::TempDir dir;
  const store::Layout layout(dir.path());
  IndexContent urls = UrlContent();
  const std::string index_dir = layout.UrlIndexDir("web", urls.release, urls.dist);
  IndexContent first = urls;
  first.bundles.resize(1);  // b-old
  WriteSegment(index_dir, first);

  Store fresh(dir.path(), StoreOptions{.staleness_ms = 0});
  Store stale(dir.path(), StoreOptions{.staleness_ms = int64_t{3600} * 1000});
  for (const Store* s : {&fresh, &stale}) {
    absl::StatusOr<std::shared_ptr<const Index>> a = s->UrlIndex("web", urls.release, urls.dist);
    absl::StatusOr<std::shared_ptr<const Index>> b = s->UrlIndex("web", urls.release, urls.dist);
    ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
    EXPECT_EQ(a->get(), b->get()) << "an unchanged index is opened once";
    EXPECT_EQ(BundleCount(**a), 1u);
  }
  // A writer publishes another segment.
  IndexContent second = urls;
  second.bundles.erase(second.bundles.begin());
  WriteSegment(index_dir, second);
  absl::StatusOr<std::shared_ptr<const Index>> seen =
      fresh.UrlIndex("web", urls.release, urls.dist);
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ((*seen)->segment_count(), 2u);
  EXPECT_EQ(BundleCount(**seen), 7u);
  absl::StatusOr<std::shared_ptr<const Index>> cached =
      stale.UrlIndex("web", urls.release, urls.dist);
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ((*cached)->segment_count(), 1u);
  EXPECT_EQ(BundleCount(**cached), 1u);
}

// Repair on read: a candidate whose archive is gone is dropped, and a tombstone published so
// that later lookups skip its bundle.
TEST(StoreTest, DropMissingRemovesCandidatesAndPublishesTombstones) {
  testing::TempDir dir;
  const store::Layout layout(dir.path());
  IndexContent urls = UrlContent();
  const std::string index_dir = layout.UrlIndexDir("web", urls.release, urls.dist);
  WriteSegment(index_dir, urls);
  // Every archive exists but b-new's and b-tie-z's.
  for (const BundleEntry& b : urls.bundles) {
    if (b.bundle_id == "b-new" || b.bundle_id == "b-tie-z") continue;
    ASSERT_TRUE(
        store::WriteFileAtomically(layout.ArchivePath(b.bundle_id, b.archive_sha1), "x").ok());
  }
  Store s(dir.path(), StoreOptions{.staleness_ms = 0});
  absl::StatusOr<std::shared_ptr<const Index>> index = s.UrlIndex("web", urls.release, urls.dist);
  ASSERT_TRUE(index.ok()) << index.status();
  std::vector<Candidate> found;
  ASSERT_TRUE((*index)->LookupUrl("~/static/app.js", &found).ok());
  ASSERT_EQ(Describe(found),
            (V{"b-new files/_/_/static/app.js", "b-tie-z files/_/_/static/app.js",
               "b-tie-a files/_/_/static/app.js", "b-old files/_/_/static/app.js"}));
  ASSERT_TRUE(s.DropMissing(**index, &found).ok());
  EXPECT_EQ(Describe(found),
            (V{"b-tie-a files/_/_/static/app.js", "b-old files/_/_/static/app.js"}));
  // The next open sees the tombstones: b-new's and b-tie-z's files are gone from every lookup.
  absl::StatusOr<std::shared_ptr<const Index>> repaired =
      s.UrlIndex("web", urls.release, urls.dist);
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  EXPECT_EQ((*repaired)->segment_count(), 2u);
  found.clear();
  ASSERT_TRUE((*repaired)->LookupUrl("~/static/app.js", &found).ok());
  EXPECT_EQ(Describe(found),
            (V{"b-tie-a files/_/_/static/app.js", "b-old files/_/_/static/app.js"}));
  found.clear();
  ASSERT_TRUE((*repaired)->LookupUrl("~/static/other.js", &found).ok());
  EXPECT_TRUE(found.empty());
  EXPECT_EQ(BundleCount(**repaired), 5u);
}

// A process verifies a segment file's checksum once (SPEC.md 14), but a file changed in place
// after that, even with its modification time put back, is verified again when next mapped:
// the damage is found, not hidden by the memory of the earlier check.
TEST_F(IndexTest, ChecksumOfAFileChangedAfterItsCheckIsCheckedAgain) {
  for (int i = 0; i < 2; ++i) {  // the second open finds the file verified before
    absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(url_dir_, /*verify_checksums=*/true);
    ASSERT_TRUE(index.ok()) << index.status();
  }
  struct stat before;
  ASSERT_EQ(::stat(url_segment_.c_str(), &before), 0);
  std::string bytes = url_bytes_;
  bytes[bytes.size() / 2] ^= 0x01;  // a byte of the body: the header checks still pass
  {
    std::FILE* f = std::fopen(url_segment_.c_str(), "r+b");  // in place: the same inode
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
    ASSERT_EQ(std::fclose(f), 0);
  }
  const timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, url_segment_.c_str(), times, 0), 0);
  absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(url_dir_, /*verify_checksums=*/true);
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), absl::StatusCode::kDataLoss) << index.status();
  EXPECT_NE(StdView(index.status().message()).find("checksum"), std::string_view::npos)
      << index.status();
}

}  // namespace
}  // namespace artidx
