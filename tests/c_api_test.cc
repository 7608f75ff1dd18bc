// Tests of the C API (include/artidx/artidx.h), called through the built libartidx.so: lookups by
// URL and debug id, candidates, file bytes, the status of every kind of error, NULL arguments;
// a store on S3 (against the server $ARTIDX_TEST_S3_URL names, as store/backend_test.cc) and
// its cache directory; the symbols the library exports; and a C program built against an installed
// copy of the build tree, once with pkg-config and once with find_package(artidx).
//
// One file of more than 600 lines: one executable linked against the built libartidx.so,
// which is what is tested; its cases share the store it builds and the C-API call helpers.

#include <stdio.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "artidx/artidx.h"
#include "artidx/indexer.h"
#include "bundle/bundle_writer.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "store/layout.h"
#include "store/segments.h"
#include "tests/testing.h"

namespace artidx {
namespace {

namespace fs = std::filesystem;
using ::artidx::testing::ReadFileOrDie;
using ::artidx::testing::TempDir;
using ::artidx::testing::WriteFileOrDie;

constexpr char kDebugId[] = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
constexpr char kOldBundle[] = "bundle-old";
constexpr char kNewBundle[] = "bundle-new";
constexpr char kFrameUrl[] = "https://cdn.example/static/app.min.js?v=3";

std::string View(const char* data, size_t len) { return std::string(data, len); }

// The candidate as one line: bundle, url, path, type, debug id, sourcemap ("-" when absent).
std::string Describe(const artidx_candidate& c) {
  return StrCat(View(c.bundle_id, c.bundle_id_len), " ", View(c.url, c.url_len), " ",
                View(c.path, c.path_len), " ", c.type, " ", c.debug_id[0] ? c.debug_id : "-", " ",
                c.sourcemap ? View(c.sourcemap, c.sourcemap_len) : "-", " ", c.timestamp_ms);
}

std::vector<std::string> DescribeAll(const artidx_result* result) {
  std::vector<std::string> lines;
  for (size_t i = 0; i < artidx_result_count(result); ++i) {
    artidx_candidate c;
    EXPECT_EQ(artidx_result_get(result, i, &c), ARTIDX_OK) << artidx_last_error();
    lines.push_back(Describe(c));
  }
  return lines;
}

// A bundle whose script (with a debug id and a sourcemap header) says `script`, with its map.
std::string WriteBundle(const std::string& path, const std::string& script) {
  bundle::BundleSpec spec;
  absl::StatusOr<DebugId> id = DebugId::Parse(kDebugId);
  EXPECT_TRUE(id.ok());
  spec.files = {
      {"~/static/app.min.js", FileType::kMinifiedSource, script, *id, "app.min.js.map"},
      {"~/static/app.min.js.map", FileType::kSourceMap, "{\"version\":3}", *id, std::nullopt},
      {"~/static/plain.js", FileType::kSource, "plain", std::nullopt, std::nullopt},
  };
  absl::StatusOr<std::string> bytes = bundle::WriteBundle(spec);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  WriteFileOrDie(path, bytes.ok() ? *bytes : "");
  return Sha1Digest::Of(bytes.ok() ? *bytes : "").Hex();
}

class CApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_ / "store";
    old_sha1_ = WriteBundle(dir_ / "old.zip", "old();");
    new_sha1_ = WriteBundle(dir_ / "new.zip", "new();");
    ASSERT_NO_FATAL_FAILURE(AddBundles(Indexer(root_)));
    artidx_store_options options;
    artidx_store_options_init(&options);
    options.staleness_ms = 0;  // see every change at once
    options.archive_check_ttl_ms = 0;
    ASSERT_EQ(artidx_store_open(root_.c_str(), &options, &store_), ARTIDX_OK)
        << artidx_last_error();
  }

  void TearDown() override { artidx_store_close(store_); }

  // Adds old.zip (at 1000) and new.zip (at 2000) to release 1.0 of project web.
  void AddBundles(const Indexer& indexer) {
    for (auto [path, id, timestamp] : {std::make_tuple("old.zip", kOldBundle, 1000),
                                       std::make_tuple("new.zip", kNewBundle, 2000)}) {
      AddOptions options;
      options.projects = {"web"};
      options.release = "1.0";
      options.timestamp_ms = timestamp;
      options.bundle_id = id;
      absl::StatusOr<std::vector<AddResult>> added = indexer.Add({dir_ / path}, options);
      ASSERT_TRUE(added.ok()) << added.status();
    }
  }

  std::string ArchivePath(const char* bundle_id, const std::string& sha1) const {
    return StrCat(store::Layout(root_).BundleDir(bundle_id), "/", sha1, ".zip");
  }

  artidx_result* LookupFrame() {
    artidx_result* result = nullptr;
    EXPECT_EQ(artidx_lookup_url(store_, "web", "1.0", nullptr, kFrameUrl, &result), ARTIDX_OK)
        << artidx_last_error();
    return result;
  }

  TempDir dir_;
  std::string root_;
  std::string old_sha1_, new_sha1_;
  artidx_store* store_ = nullptr;
};

// The calling thread's last error names each of `names`: the input and the problem.
void ExpectLastErrorNames(const std::vector<std::string>& names) {
  const std::string error = artidx_last_error();
  for (const std::string& name : names) {
    EXPECT_NE(error.find(name), std::string::npos) << "does not name " << name << ": " << error;
  }
}

TEST_F(CApiTest, LookupUrlGivesCandidatesNewestFirst) {
  artidx_result* result = LookupFrame();
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(artidx_last_error(), std::string());
  EXPECT_EQ(DescribeAll(result),
            (std::vector<std::string>{
                StrCat(kNewBundle, " ~/static/app.min.js files/_/_/static/app.min.js 2 ", kDebugId,
                       " app.min.js.map 2000"),
                StrCat(kOldBundle, " ~/static/app.min.js files/_/_/static/app.min.js 2 ", kDebugId,
                       " app.min.js.map 1000"),
            }));
  artidx_candidate c;
  ASSERT_EQ(artidx_result_get(result, 0, &c), ARTIDX_OK);
  EXPECT_EQ(std::string(c.archive_sha1), new_sha1_);
  ASSERT_EQ(artidx_result_get(result, 1, &c), ARTIDX_OK);
  EXPECT_EQ(std::string(c.archive_sha1), old_sha1_);

  // A dist of "" is none, as NULL is; a source has neither debug id nor sourcemap.
  artidx_result* plain = nullptr;
  ASSERT_EQ(
      artidx_lookup_url(store_, "web", "1.0", "", "https://cdn.example/static/plain.js", &plain),
      ARTIDX_OK);
  EXPECT_EQ(DescribeAll(plain),
            (std::vector<std::string>{
                StrCat(kNewBundle, " ~/static/plain.js files/_/_/static/plain.js 1 - - 2000"),
                StrCat(kOldBundle, " ~/static/plain.js files/_/_/static/plain.js 1 - - 1000")}));
  artidx_result_free(plain);
  artidx_result_free(result);
}

TEST_F(CApiTest, ReadFileGivesTheBytesOfEachCandidate) {
  artidx_result* result = LookupFrame();
  ASSERT_NE(result, nullptr);
  for (auto [i, expected] : {std::make_pair(0, "new();"), std::make_pair(1, "old();")}) {
    char* data = nullptr;
    size_t len = 0;
    ASSERT_EQ(artidx_read_file(store_, result, i, &data, &len), ARTIDX_OK) << artidx_last_error();
    EXPECT_EQ(std::string(data, len), expected);
    EXPECT_EQ(data[len], '\0');
    artidx_free(data);
  }
  char* data = reinterpret_cast<char*>(1);
  size_t len = 7;
  EXPECT_EQ(artidx_read_file(store_, result, 2, &data, &len), ARTIDX_INVALID_ARGUMENT);
  EXPECT_EQ(data, nullptr);
  EXPECT_EQ(len, 0u);
  EXPECT_NE(std::string(artidx_last_error()).find("candidate 2 of 2"), std::string::npos);
  artidx_result_free(result);
}

TEST_F(CApiTest, LookupDebugIdByType) {
  for (const char* text : {kDebugId, "AAAAAAAABBBB4CCC8DDDEEEEEEEEEEEE"}) {
    artidx_result* result = nullptr;
    ASSERT_EQ(artidx_lookup_debug_id(store_, "web", text, ARTIDX_TYPE_ANY, &result), ARTIDX_OK)
        << artidx_last_error();
    EXPECT_EQ(DescribeAll(result),
              (std::vector<std::string>{
                  StrCat(kNewBundle, " ~/static/app.min.js files/_/_/static/app.min.js 2 ",
                         kDebugId, " app.min.js.map 2000"),
                  StrCat(kNewBundle, " ~/static/app.min.js.map files/_/_/static/app.min.js.map 3 ",
                         kDebugId, " - 2000"),
                  StrCat(kOldBundle, " ~/static/app.min.js files/_/_/static/app.min.js 2 ",
                         kDebugId, " app.min.js.map 1000"),
                  StrCat(kOldBundle, " ~/static/app.min.js.map files/_/_/static/app.min.js.map 3 ",
                         kDebugId, " - 1000"),
              }));
    artidx_result_free(result);
  }
  artidx_result* maps = nullptr;
  ASSERT_EQ(artidx_lookup_debug_id(store_, "web", kDebugId, ARTIDX_TYPE_SOURCE_MAP, &maps),
            ARTIDX_OK);
  ASSERT_EQ(artidx_result_count(maps), 2u);
  char* data = nullptr;
  size_t len = 0;
  ASSERT_EQ(artidx_read_file(store_, maps, 0, &data, &len), ARTIDX_OK);
  EXPECT_EQ(std::string(data, len), "{\"version\":3}");
  artidx_free(data);
  artidx_result_free(maps);

  artidx_result* none = reinterpret_cast<artidx_result*>(1);
  EXPECT_EQ(artidx_lookup_debug_id(store_, "web", kDebugId, ARTIDX_TYPE_SOURCE, &none),
            ARTIDX_NOT_FOUND);
  EXPECT_EQ(none, nullptr);
}

TEST_F(CApiTest, NotFoundIsNotAnError) {
  artidx_result* result = reinterpret_cast<artidx_result*>(1);
  EXPECT_EQ(
      artidx_lookup_url(store_, "web", "1.0", nullptr, "https://cdn.example/nope.js", &result),
      ARTIDX_NOT_FOUND);
  EXPECT_EQ(result, nullptr);
  EXPECT_NE(std::string(artidx_last_error()).find("no candidate for url "), std::string::npos)
      << artidx_last_error();
  EXPECT_EQ(
      artidx_lookup_debug_id(store_, "web", "00000000-0000-0000-0000-000000000001", 0, &result),
      ARTIDX_NOT_FOUND);
  EXPECT_EQ(artidx_result_count(nullptr), 0u);
}

TEST_F(CApiTest, InvalidArguments) {
  artidx_result* result = reinterpret_cast<artidx_result*>(1);
  struct Case {
    artidx_status status;
    const char* message;
  };
  std::vector<Case> cases = {
      {artidx_lookup_url(store_, "no/such", "1.0", nullptr, kFrameUrl, &result), "no/such"},
      {artidx_lookup_url(store_, "web", "", nullptr, kFrameUrl, &result), "release"},
      {artidx_lookup_url(store_, "web", "1.0", "bad\ndist", kFrameUrl, &result), "dist"},
      {artidx_lookup_debug_id(store_, "web", "not-a-debug-id", 0, &result), "not-a-debug-id"},
      {artidx_lookup_debug_id(store_, "web", kDebugId, 5, &result), "invalid file type 5"},
      {artidx_lookup_debug_id(store_, "web", kDebugId, -1, &result), "invalid file type -1"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.status, ARTIDX_INVALID_ARGUMENT);
    EXPECT_EQ(result, nullptr);
  }
  // Each message names its input: check by repeating each call alone.
  EXPECT_EQ(artidx_lookup_debug_id(store_, "web", "not-a-debug-id", 0, &result),
            ARTIDX_INVALID_ARGUMENT);
  EXPECT_NE(std::string(artidx_last_error()).find("not-a-debug-id"), std::string::npos)
      << artidx_last_error();
  EXPECT_EQ(artidx_lookup_debug_id(store_, "web", kDebugId, 5, &result), ARTIDX_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(artidx_last_error()),
            "artidx_lookup_debug_id: invalid file type 5 (0 to 4)");

  artidx_store* store = reinterpret_cast<artidx_store*>(1);
  EXPECT_EQ(artidx_store_open("", nullptr, &store), ARTIDX_INVALID_ARGUMENT);
  EXPECT_EQ(store, nullptr);
  artidx_store_options options;
  artidx_store_options_init(&options);
  EXPECT_EQ(options.staleness_ms, 1000);
  EXPECT_EQ(options.max_open_indexes, 1024u);
  EXPECT_EQ(options.archive_check_ttl_ms, 10000);
  options.staleness_ms = -1;
  EXPECT_EQ(artidx_store_open(root_.c_str(), &options, &store), ARTIDX_INVALID_ARGUMENT);
  EXPECT_EQ(store, nullptr);
}

TEST_F(CApiTest, NullArgumentsAreInvalidNeverACrash) {
  artidx_result* result = nullptr;
  artidx_candidate c;
  char* data;
  size_t len;
  artidx_store* store;
  const std::vector<std::pair<artidx_status, std::string>> calls = {
      {artidx_store_open(nullptr, nullptr, &store), "artidx_store_open: root is NULL"},
      {artidx_store_open(root_.c_str(), nullptr, nullptr), "artidx_store_open: store is NULL"},
      {artidx_lookup_url(nullptr, "web", "1.0", nullptr, kFrameUrl, &result),
       "artidx_lookup_url: store is NULL"},
      {artidx_lookup_url(store_, nullptr, "1.0", nullptr, kFrameUrl, &result),
       "artidx_lookup_url: project is NULL"},
      {artidx_lookup_url(store_, "web", nullptr, nullptr, kFrameUrl, &result),
       "artidx_lookup_url: release is NULL"},
      {artidx_lookup_url(store_, "web", "1.0", nullptr, nullptr, &result),
       "artidx_lookup_url: url is NULL"},
      {artidx_lookup_url(store_, "web", "1.0", nullptr, kFrameUrl, nullptr),
       "artidx_lookup_url: result is NULL"},
      {artidx_lookup_debug_id(nullptr, "web", kDebugId, 0, &result),
       "artidx_lookup_debug_id: store is NULL"},
      {artidx_lookup_debug_id(store_, nullptr, kDebugId, 0, &result),
       "artidx_lookup_debug_id: project is NULL"},
      {artidx_lookup_debug_id(store_, "web", nullptr, 0, &result),
       "artidx_lookup_debug_id: debug_id is NULL"},
      {artidx_lookup_debug_id(store_, "web", kDebugId, 0, nullptr),
       "artidx_lookup_debug_id: result is NULL"},
      {artidx_result_get(nullptr, 0, &c), "artidx_result_get: result is NULL"},
      {artidx_read_file(nullptr, nullptr, 0, &data, &len), "artidx_read_file: store is NULL"},
      {artidx_read_file(store_, nullptr, 0, &data, &len), "artidx_read_file: result is NULL"},
      {artidx_mark_used(nullptr, nullptr, 0), "artidx_mark_used: store is NULL"},
      {artidx_mark_used(store_, nullptr, 0), "artidx_mark_used: result is NULL"},
      {artidx_drop_missing(nullptr, nullptr), "artidx_drop_missing: store is NULL"},
      {artidx_drop_missing(store_, nullptr), "artidx_drop_missing: result is NULL"},
      {artidx_store_open_with_cache(nullptr, nullptr, "cache", 0, &store),
       "artidx_store_open_with_cache: root is NULL"},
      {artidx_store_open_with_cache(root_.c_str(), nullptr, nullptr, 0, nullptr),
       "artidx_store_open_with_cache: store is NULL"},
  };
  for (const auto& [status, message] : calls) {
    EXPECT_EQ(status, ARTIDX_INVALID_ARGUMENT) << message;
  }
  // The message is the last call's: repeat each call alone to check them.
  EXPECT_EQ(artidx_store_open(nullptr, nullptr, &store), ARTIDX_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(artidx_last_error()), calls[0].second);
  EXPECT_EQ(artidx_lookup_url(store_, "web", "1.0", nullptr, nullptr, &result),
            ARTIDX_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(artidx_last_error()), calls[5].second);
  EXPECT_EQ(artidx_store_open_with_cache(root_.c_str(), nullptr, nullptr, 0, nullptr),
            ARTIDX_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(artidx_last_error()), calls.back().second);

  result = LookupFrame();
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(artidx_result_get(result, 0, nullptr), ARTIDX_INVALID_ARGUMENT);
  EXPECT_EQ(artidx_result_get(result, 2, &c), ARTIDX_INVALID_ARGUMENT);
  EXPECT_EQ(c.bundle_id, nullptr);  // cleared on failure
  EXPECT_EQ(artidx_read_file(store_, result, 0, nullptr, &len), ARTIDX_INVALID_ARGUMENT);
  EXPECT_EQ(artidx_read_file(store_, result, 0, &data, nullptr), ARTIDX_INVALID_ARGUMENT);
  EXPECT_EQ(artidx_mark_used(store_, result, 9), ARTIDX_INVALID_ARGUMENT);
  artidx_result_free(result);

  // Releasing NULL does nothing; the options of NULL are no crash either.
  artidx_store_close(nullptr);
  artidx_result_free(nullptr);
  artidx_free(nullptr);
  artidx_store_options_init(nullptr);
}

TEST_F(CApiTest, NoSuchIndex) {
  artidx_result* result = nullptr;
  EXPECT_EQ(artidx_lookup_url(store_, "web", "2.0", nullptr, kFrameUrl, &result),
            ARTIDX_NO_SUCH_INDEX);
  ExpectLastErrorNames({store::Layout(root_).UrlIndexDir("web", "2.0", "") + ": no such index"});
  EXPECT_EQ(artidx_lookup_url(store_, "web", "1.0", "dist", kFrameUrl, &result),
            ARTIDX_NO_SUCH_INDEX);
  EXPECT_EQ(artidx_lookup_debug_id(store_, "mobile", kDebugId, 0, &result), ARTIDX_NO_SUCH_INDEX);
  EXPECT_EQ(result, nullptr);

  // A store directory that does not exist (yet) has no index either.
  artidx_store* empty = nullptr;
  ASSERT_EQ(artidx_store_open((dir_ / "nothing").c_str(), nullptr, &empty), ARTIDX_OK);
  EXPECT_EQ(artidx_lookup_url(empty, "web", "1.0", nullptr, kFrameUrl, &result),
            ARTIDX_NO_SUCH_INDEX);
  artidx_store_close(empty);
}

TEST_F(CApiTest, CorruptIndex) {
  const std::string dir = store::Layout(root_).UrlIndexDir("web", "1.0", "");
  absl::StatusOr<std::vector<std::string>> segments =
      store::ListSegments(store::Layout(root_), dir);
  ASSERT_TRUE(segments.ok()) << segments.status();
  ASSERT_FALSE(segments->empty());
  for (const std::string& name : *segments) {
    WriteFileOrDie(StrCat(dir, "/", name), "not an index at all, but long enough to be read....");
  }
  artidx_result* result = nullptr;
  EXPECT_EQ(artidx_lookup_url(store_, "web", "1.0", nullptr, kFrameUrl, &result),
            ARTIDX_CORRUPT_INDEX);
  EXPECT_EQ(result, nullptr);
  ExpectLastErrorNames({dir, "corrupt index"});
}

TEST_F(CApiTest, ArchiveMissingThenDropMissing) {
  artidx_result* result = LookupFrame();
  ASSERT_NE(result, nullptr);
  ASSERT_TRUE(fs::remove(ArchivePath(kNewBundle, new_sha1_)));

  char* data = reinterpret_cast<char*>(1);
  size_t len = 1;
  EXPECT_EQ(artidx_read_file(store_, result, 0, &data, &len), ARTIDX_ARCHIVE_MISSING);
  EXPECT_EQ(data, nullptr);
  ExpectLastErrorNames({ArchivePath(kNewBundle, new_sha1_), "No such file or directory"});
  // Marking a bundle used whose archive is gone says so.
  EXPECT_EQ(artidx_mark_used(store_, result, 0), ARTIDX_ARCHIVE_MISSING);
  EXPECT_EQ(artidx_mark_used(store_, result, 1), ARTIDX_OK) << artidx_last_error();

  // Repair on read: the result loses the candidate, and later lookups no longer see it.
  ASSERT_EQ(artidx_drop_missing(store_, result), ARTIDX_OK) << artidx_last_error();
  ASSERT_EQ(artidx_result_count(result), 1u);
  artidx_candidate c;
  ASSERT_EQ(artidx_result_get(result, 0, &c), ARTIDX_OK);
  EXPECT_EQ(View(c.bundle_id, c.bundle_id_len), kOldBundle);
  ASSERT_EQ(artidx_read_file(store_, result, 0, &data, &len), ARTIDX_OK);
  EXPECT_EQ(std::string(data, len), "old();");
  artidx_free(data);
  artidx_result_free(result);

  result = LookupFrame();
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(artidx_result_count(result), 1u);
  // With every archive gone, nothing remains.
  ASSERT_TRUE(fs::remove(ArchivePath(kOldBundle, old_sha1_)));
  EXPECT_EQ(artidx_drop_missing(store_, result), ARTIDX_NOT_FOUND);
  EXPECT_EQ(artidx_result_count(result), 0u);
  EXPECT_EQ(artidx_result_get(result, 0, &c), ARTIDX_INVALID_ARGUMENT);
  artidx_result_free(result);
  EXPECT_EQ(artidx_lookup_url(store_, "web", "1.0", nullptr, kFrameUrl, &result), ARTIDX_NOT_FOUND);
}

TEST_F(CApiTest, EntryMissing) {
  artidx_result* result = LookupFrame();
  ASSERT_NE(result, nullptr);
  // The archive is replaced by one that lacks the entry.
  absl::StatusOr<std::string> zip = bundle::WriteZip({{"manifest.json", "{}"}}, true);
  ASSERT_TRUE(zip.ok());
  WriteFileOrDie(ArchivePath(kNewBundle, new_sha1_), *zip);
  char* data = nullptr;
  size_t len = 0;
  EXPECT_EQ(artidx_read_file(store_, result, 0, &data, &len), ARTIDX_ENTRY_MISSING);
  EXPECT_EQ(data, nullptr);
  ExpectLastErrorNames(
      {ArchivePath(kNewBundle, new_sha1_), "archive has no entry \"files/_/_/static/app.min.js\""});
  // An archive that is not a zip at all: the same.
  WriteFileOrDie(ArchivePath(kNewBundle, new_sha1_), "garbage");
  EXPECT_EQ(artidx_read_file(store_, result, 0, &data, &len), ARTIDX_ENTRY_MISSING);
  ExpectLastErrorNames({ArchivePath(kNewBundle, new_sha1_), "not a zip archive"});
  artidx_result_free(result);
}

TEST_F(CApiTest, OtherErrors) {
  // A store root that is a file: the index directory cannot be listed.
  const std::string file = dir_ / "file";
  WriteFileOrDie(file, "x");
  artidx_store* store = nullptr;
  ASSERT_EQ(artidx_store_open(file.c_str(), nullptr, &store), ARTIDX_OK);
  artidx_result* result = nullptr;
  EXPECT_EQ(artidx_lookup_url(store, "web", "1.0", nullptr, kFrameUrl, &result), ARTIDX_ERROR);
  ExpectLastErrorNames({file + "/projects/web/urls/", "cannot list: Not a directory"});
  artidx_store_close(store);
}

TEST_F(CApiTest, ResultOutlivesStoreAndIndexChanges) {
  artidx_result* result = LookupFrame();
  ASSERT_NE(result, nullptr);
  artidx_store_close(store_);
  store_ = nullptr;
  // Replace the index on disk: the result keeps its snapshot mapped.
  Indexer indexer(root_);
  ASSERT_TRUE(indexer.Remove(kNewBundle, {}).ok());
  ASSERT_TRUE(indexer.Compact("web").ok());
  std::vector<std::string> lines = DescribeAll(result);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].substr(0, lines[0].find(' ')), kNewBundle);
  artidx_result_free(result);
}

TEST_F(CApiTest, StatusNamesAndVersion) {
  EXPECT_STREQ(artidx_version(), ARTIDX_VERSION);
  const std::vector<std::pair<int, const char*>> names = {
      {ARTIDX_OK, "ok"},
      {ARTIDX_NOT_FOUND, "not_found"},
      {ARTIDX_INVALID_ARGUMENT, "invalid_argument"},
      {ARTIDX_NO_SUCH_INDEX, "no_such_index"},
      {ARTIDX_CORRUPT_INDEX, "corrupt_index"},
      {ARTIDX_ARCHIVE_MISSING, "archive_missing"},
      {ARTIDX_ENTRY_MISSING, "entry_missing"},
      {ARTIDX_ERROR, "error"},
      {99, "unknown"},
      {-1, "unknown"},
  };
  for (auto [status, name] : names) EXPECT_STREQ(artidx_status_name(status), name);
}

TEST_F(CApiTest, LastErrorIsPerThread) {
  artidx_result* result = nullptr;
  EXPECT_EQ(artidx_lookup_url(store_, "web", "2.0", nullptr, kFrameUrl, &result),
            ARTIDX_NO_SUCH_INDEX);
  const std::string mine = artidx_last_error();
  std::string theirs = "unset";
  std::thread([&] {
    theirs = artidx_last_error();
    artidx_result* r = nullptr;
    EXPECT_EQ(artidx_lookup_url(store_, "web", "1.0", nullptr, kFrameUrl, &r), ARTIDX_OK);
    EXPECT_EQ(artidx_result_count(r), 2u);
    artidx_result_free(r);
  }).join();
  EXPECT_EQ(theirs, "");
  EXPECT_EQ(artidx_last_error(), mine);
}

// --- a store on S3 ----------------------------------------------------------------------------

// Sets an environment variable (or unsets it, for nullptr) for the life of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value == nullptr) {
      ::unsetenv(name);
    } else {
      ::setenv(name, value, 1);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// The regular files under `dir`.
std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file()) found.push_back(it->path().string());
  }
  return found;
}

// The same bundles added to a store on S3 give, through the C API, the same candidates and the
// same bytes as the local store; the segments and archives it maps are copied into the cache
// directory given.
TEST_F(CApiTest, StoreOnS3AnswersAsTheLocalStore) {
  const std::string location = ::artidx::testing::FreshS3Store("c-api");
  ARTIDX_SKIP_WITHOUT_S3(location);
  IndexerOptions indexer_options;
  indexer_options.cache.dir = dir_ / "indexer-cache";
  ASSERT_NO_FATAL_FAILURE(AddBundles(Indexer(location, indexer_options)));
  const std::string cache = dir_ / "cache";
  artidx_store* s3 = nullptr;
  ASSERT_EQ(artidx_store_open_with_cache(location.c_str(), nullptr, cache.c_str(), 0, &s3),
            ARTIDX_OK)
      << artidx_last_error();

  artidx_result* local = LookupFrame();
  artidx_result* remote = nullptr;
  ASSERT_EQ(artidx_lookup_url(s3, "web", "1.0", nullptr, kFrameUrl, &remote), ARTIDX_OK)
      << artidx_last_error();
  ASSERT_EQ(artidx_result_count(remote), 2u);
  EXPECT_EQ(DescribeAll(remote), DescribeAll(local));
  for (size_t i = 0; i < 2; ++i) {
    artidx_candidate mine, theirs;
    ASSERT_EQ(artidx_result_get(remote, i, &mine), ARTIDX_OK);
    ASSERT_EQ(artidx_result_get(local, i, &theirs), ARTIDX_OK);
    EXPECT_STREQ(mine.archive_sha1, theirs.archive_sha1);
    char* data = nullptr;
    size_t len = 0;
    ASSERT_EQ(artidx_read_file(s3, remote, i, &data, &len), ARTIDX_OK) << artidx_last_error();
    EXPECT_EQ(std::string(data, len), i == 0 ? "new();" : "old();");
    artidx_free(data);
  }
  artidx_result_free(local);
  artidx_result_free(remote);

  artidx_result* maps = nullptr;
  ASSERT_EQ(artidx_lookup_debug_id(s3, "web", kDebugId, ARTIDX_TYPE_SOURCE_MAP, &maps), ARTIDX_OK)
      << artidx_last_error();
  artidx_result* local_maps = nullptr;
  ASSERT_EQ(artidx_lookup_debug_id(store_, "web", kDebugId, ARTIDX_TYPE_SOURCE_MAP, &local_maps),
            ARTIDX_OK);
  EXPECT_EQ(DescribeAll(maps), DescribeAll(local_maps));
  char* data = nullptr;
  size_t len = 0;
  ASSERT_EQ(artidx_read_file(s3, maps, 1, &data, &len), ARTIDX_OK) << artidx_last_error();
  EXPECT_EQ(std::string(data, len), "{\"version\":3}");
  artidx_free(data);
  artidx_result_free(maps);
  artidx_result_free(local_maps);

  artidx_result* none = nullptr;
  EXPECT_EQ(artidx_lookup_url(s3, "web", "2.0", nullptr, kFrameUrl, &none), ARTIDX_NO_SUCH_INDEX);
  EXPECT_EQ(artidx_lookup_debug_id(s3, "mobile", kDebugId, 0, &none), ARTIDX_NO_SUCH_INDEX);
  artidx_store_close(s3);
  EXPECT_FALSE(FilesUnder(cache).empty()) << "nothing was copied to " << cache;
}

// artidx_store_open gives a store on S3 the default cache directory, $ARTIDX_CACHE first.
TEST_F(CApiTest, StoreOnS3OpenedWithoutACacheUsesTheDefault) {
  const std::string location = ::artidx::testing::FreshS3Store("c-api-default-cache");
  ARTIDX_SKIP_WITHOUT_S3(location);
  IndexerOptions indexer_options;
  indexer_options.cache.dir = dir_ / "indexer-cache";
  ASSERT_NO_FATAL_FAILURE(AddBundles(Indexer(location, indexer_options)));
  const std::string cache = dir_ / "env-cache";
  ScopedEnv env("ARTIDX_CACHE", cache.c_str());
  artidx_store* s3 = nullptr;
  ASSERT_EQ(artidx_store_open(location.c_str(), nullptr, &s3), ARTIDX_OK) << artidx_last_error();
  artidx_result* found = nullptr;
  ASSERT_EQ(artidx_lookup_url(s3, "web", "1.0", nullptr, kFrameUrl, &found), ARTIDX_OK)
      << artidx_last_error();
  EXPECT_EQ(artidx_result_count(found), 2u);
  artidx_result_free(found);
  artidx_store_close(s3);
  EXPECT_FALSE(FilesUnder(cache).empty()) << "nothing was copied to " << cache;
}

// An s3:// root without credentials opens (nothing is read yet), then every lookup fails with
// ARTIDX_INVALID_ARGUMENT and a message naming the location and the problem.
TEST(CApiS3Test, WithoutCredentialsEveryLookupFailsNamingTheLocation) {
  ScopedEnv key("AWS_ACCESS_KEY_ID", nullptr);
  ScopedEnv secret("AWS_SECRET_ACCESS_KEY", nullptr);
  const char* location = "s3://no-credentials/prefix";
  artidx_store* store = nullptr;
  ASSERT_EQ(artidx_store_open_with_cache(location, nullptr, nullptr, 0, &store), ARTIDX_OK);
  artidx_result* result = reinterpret_cast<artidx_result*>(1);
  EXPECT_EQ(artidx_lookup_url(store, "web", "1.0", nullptr, kFrameUrl, &result),
            ARTIDX_INVALID_ARGUMENT);
  EXPECT_EQ(result, nullptr);
  ExpectLastErrorNames({location, "credentials"});
  EXPECT_EQ(artidx_lookup_debug_id(store, "web", kDebugId, 0, &result), ARTIDX_INVALID_ARGUMENT);
  ExpectLastErrorNames({location, "credentials"});
  artidx_store_close(store);
}

// --- the library as installed ---------------------------------------------------------------

struct Output {
  int exit_code;
  std::string text;  // stdout and stderr
};

// Runs `command` with /bin/sh.
Output Shell(const std::string& command) {
  Output out{-1, ""};
  FILE* pipe = ::popen(StrCat("(", command, ") 2>&1").c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.text.append(buffer, n);
  const int status = ::pclose(pipe);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

TEST(CApiLibraryTest, ExportsOnlyTheCApi) {
  Output nm = Shell(StrCat("nm -D --defined-only ", Quote(ARTIDX_SHARED_LIB)));
  ASSERT_EQ(nm.exit_code, 0) << nm.text;
  std::set<std::string> symbols;
  std::istringstream lines(nm.text);
  for (std::string line; std::getline(lines, line);) {
    symbols.insert(line.substr(line.rfind(' ') + 1));
  }
  const std::set<std::string> expected = {
      "ARTIDX_0",  // the version node of cmake/artidx.map
      "artidx_drop_missing",
      "artidx_free",
      "artidx_last_error",
      "artidx_lookup_debug_id",
      "artidx_lookup_url",
      "artidx_mark_used",
      "artidx_read_file",
      "artidx_result_count",
      "artidx_result_free",
      "artidx_result_get",
      "artidx_status_name",
      "artidx_store_close",
      "artidx_store_open",
      "artidx_store_open_with_cache",
      "artidx_store_options_init",
      "artidx_version",
  };
  std::set<std::string> got;
  for (const std::string& s : symbols) got.insert(s.substr(0, s.find('@')));
  EXPECT_EQ(got, expected) << nm.text;
}

#if defined(__SANITIZE_ADDRESS__)
#define ARTIDX_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARTIDX_UNDER_ASAN 1
#endif
#endif

// Installs the build tree into a scratch prefix, makes a store with the installed CLI, and
// builds and runs tests/c_consumer.c against the installed library: with pkg-config (shared, and
// static with --static), and with find_package(artidx) (shared and static).
TEST(CApiInstallTest, CConsumerBuildsWithPkgConfigAndFindPackage) {
#ifdef ARTIDX_UNDER_ASAN
  GTEST_SKIP() << "an instrumented libartidx.so needs an instrumented consumer";
#endif
  TempDir dir;
  const std::string prefix = dir / "prefix";
  Output r = Shell(StrCat(Quote(ARTIDX_CMAKE), " --install ", Quote(ARTIDX_BUILD_DIR), " --prefix ",
                          Quote(prefix)));
  ASSERT_EQ(r.exit_code, 0) << r.text;
  const std::string libdir = StrCat(prefix, "/", ARTIDX_INSTALL_LIBDIR);
  for (const std::string& path :
       {StrCat(prefix, "/bin/artidx"), StrCat(prefix, "/include/artidx/artidx.h"),
        StrCat(prefix, "/include/artidx/lookup.h"), StrCat(prefix, "/include/artidx/types.h"),
        StrCat(libdir, "/libartidx.so"), StrCat(libdir, "/libartidx.so.0"),
        StrCat(libdir, "/libartidx.a"), StrCat(libdir, "/pkgconfig/artidx.pc"),
        StrCat(libdir, "/cmake/artidx/artidxConfig.cmake"),
        StrCat(libdir, "/cmake/artidx/artidxConfigVersion.cmake")}) {
    EXPECT_TRUE(fs::exists(path)) << path;
  }
  EXPECT_FALSE(fs::exists(StrCat(prefix, "/include/artidx/indexer.h")));

  // A store made with the installed CLI.
  const std::string cli = StrCat(prefix, "/bin/artidx");
  const std::string src = dir / "src", root = dir / "store";
  fs::create_directories(src + "/js");
  WriteFileOrDie(src + "/js/app.min.js", "console.log(\"hi\");\n");
  r = Shell(StrCat(Quote(cli), " make-bundle ", Quote(src), " -o ", Quote(dir / "b.zip"),
                   " --url-prefix '~/'"));
  ASSERT_EQ(r.exit_code, 0) << r.text;
  r = Shell(StrCat(Quote(cli), " --store ", Quote(root), " add ", Quote(dir / "b.zip"),
                   " --project web --release 1.0 --timestamp 5000 --bundle-id b1"));
  ASSERT_EQ(r.exit_code, 0) << r.text;
  r = Shell(StrCat(Quote(cli), " --store ", Quote(root),
                   " lookup --project web --release 1.0 --url https://x.io/js/app.min.js"));
  ASSERT_EQ(r.exit_code, 0) << r.text;

  // The debug id make-bundle gave the script, as the CLI shows it.
  const size_t at = r.text.find("debug_id=");
  ASSERT_NE(at, std::string::npos) << r.text;
  const std::string debug_id = r.text.substr(at + 9, 36);
  const std::string expected =
      StrCat("artidx ", ARTIDX_VERSION,
             "\ncandidates 1\n0 bundle=b1 url=~/js/app.min.js path=files/_/_/js/app.min.js "
             "type=2 debug_id=",
             debug_id,
             " timestamp=5000 sourcemap=-\nfile 19\nconsole.log(\"hi\");\n\nend\n"
             "other project: no_such_index\n");
  auto check = [&](const std::string& binary) {
    Output run = Shell(StrCat(Quote(binary), " ", Quote(root), " web 1.0 ",
                              Quote("https://x.io/js/app.min.js?v=1")));
    EXPECT_EQ(run.exit_code, 0) << binary;
    EXPECT_EQ(run.text, expected) << binary;
  };

  // pkg-config, linked with the shared library only.
  const std::string pkg_env = StrCat("PKG_CONFIG_PATH=", Quote(libdir + "/pkgconfig"));
  r = Shell(StrCat(pkg_env, " pkg-config --cflags --libs artidx"));
  ASSERT_EQ(r.exit_code, 0) << r.text;
  EXPECT_NE(r.text.find("-lartidx"), std::string::npos) << r.text;
  const std::string consumer = dir / "c_consumer";
  r = Shell(StrCat(Quote(ARTIDX_C_COMPILER), " -std=c99 -pedantic -Wall -Wextra -Werror ",
                   Quote(StrCat(ARTIDX_SOURCE_DIR, "/tests/c_consumer.c")), " -o ", Quote(consumer),
                   " $(", pkg_env, " pkg-config --cflags --libs artidx) -Wl,-rpath,",
                   Quote(libdir)));
  ASSERT_EQ(r.exit_code, 0) << r.text;
  check(consumer);
  // It needs libartidx.so.0 and the C library, nothing else directly.
  r = Shell(StrCat("readelf -d ", Quote(consumer), " | grep NEEDED"));
  EXPECT_NE(r.text.find("[libartidx.so.0]"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("absl"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("stdc++"), std::string::npos) << r.text;

  // pkg-config --static, linked with libartidx.a and (shared) dependencies.
  const std::string static_consumer = dir / "c_consumer_pkg_static";
  r = Shell(StrCat(Quote(ARTIDX_C_COMPILER), " -std=c99 -pedantic -Wall -Wextra -Werror ",
                   Quote(StrCat(ARTIDX_SOURCE_DIR, "/tests/c_consumer.c")), " -o ",
                   Quote(static_consumer), " $(", pkg_env,
                   " pkg-config --cflags artidx) -Wl,-Bstatic -lartidx -Wl,-Bdynamic $(", pkg_env,
                   " pkg-config --static --libs artidx)"));
  ASSERT_EQ(r.exit_code, 0) << r.text;
  check(static_consumer);
  r = Shell(StrCat("readelf -d ", Quote(static_consumer), " | grep NEEDED"));
  EXPECT_EQ(r.text.find("libartidx"), std::string::npos) << r.text;

  // find_package(artidx): artidx::artidx and artidx::artidx_static.
  const std::string build = dir / "build";
  r = Shell(StrCat(Quote(ARTIDX_CMAKE), " -S ",
                   Quote(StrCat(ARTIDX_SOURCE_DIR, "/tests/c_consumer")), " -B ", Quote(build),
                   " -G ", Quote(ARTIDX_CMAKE_GENERATOR),
                   " -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=", Quote(prefix),
                   " -DCMAKE_C_COMPILER=", Quote(ARTIDX_C_COMPILER),
                   " -DCMAKE_CXX_COMPILER=", Quote(ARTIDX_CXX_COMPILER)));
  ASSERT_EQ(r.exit_code, 0) << r.text;
  r = Shell(StrCat(Quote(ARTIDX_CMAKE), " --build ", Quote(build)));
  ASSERT_EQ(r.exit_code, 0) << r.text;
  check(build + "/c_consumer");
  check(build + "/c_consumer_static");
  r = Shell(StrCat("readelf -d ", Quote(build + "/c_consumer_static"), " | grep NEEDED"));
  EXPECT_EQ(r.text.find("libartidx"), std::string::npos) << r.text;
}

}  // namespace
}  // namespace artidx
