// End-to-end tests over the real uploads in shared/fixtures: each bundle is added (through the
// library or the CLI) into a scratch store with explicit timestamps, then looked up; every
// expected answer is written out by hand from the fixtures' manifests (bundle id, timestamp,
// archive, url, zip path, type, debug id, sourcemap, and order).
//
// Archive SHA-1s below are the `checksum` of each sentry-cli upload's request.json (checked by
// RequestFilesName...), or `sha1sum` of the symbolicator files.
//
// One file of more than 600 lines: the hand-written expected answers for each fixture make up
// most of it, each beside its test; they share the scratch-store helpers.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "artidx/indexer.h"
#include "artidx/lookup.h"
#include "artidx/types.h"
#include "bundle/bundle_reader.h"
#include "bundle/bundle_writer.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "format/index_reader.h"
#include "gtest/gtest.h"
#include "store/layout.h"
#include "tests/testing.h"

namespace artidx {
namespace {

using ::artidx::testing::FixturePath;
using ::artidx::testing::ReadFileOrDie;
using ::artidx::testing::RunCli;
using ::artidx::testing::TempDir;

// Bundle ids (manifest debug_id) and archive SHA-1s of the fixtures.
constexpr char kRxjsId[] = "c3c862b2-84c8-5e2e-96e2-13b0eb571db9";
constexpr char kRxjsSha1[] = "c8be70156eede7e21152873a0f95665e85714169";
constexpr char kRebuiltId[] = "4c758782-40d6-5de6-8a1d-90926eb590b7";
constexpr char kRebuiltSha1[] = "3ec181e8c094a1a00cb206bfea98491629037a89";
constexpr char kPreactWebId[] = "f69f1011-1af1-57c4-8a73-805d8bf23700";
constexpr char kPreactWebSha1[] = "820d8c4e168787f3420ec0371dde9968aab66c1d";
constexpr char kNightlyId[] = "028492d1-f4ce-56f3-9ca3-11a75d6fec62";
constexpr char kNightlySha1[] = "2904b19fecee07f1b4bccb75f8c544da0d2b514a";
constexpr char kScrapedId[] = "b99f8005-2682-466a-a9a7-dba9dc01f5d3";
constexpr char kScrapedSha1[] = "0a379413a1e6435e1126074a074cc43c92c4d8a0";
constexpr char kNodeId[] = "9e77a589-21d2-5428-829a-414ebcccce2a";
constexpr char kNodeSha1[] = "300e92442e10da855dd7230ca86a4fedc809f2ec";
// No manifest debug_id: the bundle id is the archive's SHA-1 hex.
constexpr char kNoHeaderSha1[] = "9ac9ddafd15edb9fbb7bef47c6f38904edda6431";
constexpr char kWrongSha1[] = "8a9e4b62161ceabc3b302716a956c98cf547092c";
constexpr char kCorrectSha1[] = "ba2e9feb82799d2830a79f7824e2c21a33eea94d";

constexpr char kRelease[] = "shop@2.4.0";

constexpr FileType kMin = FileType::kMinifiedSource;
constexpr FileType kMap = FileType::kSourceMap;
constexpr FileType kSrc = FileType::kSource;

std::string Hex(std::string_view raw) {
  Sha1Digest d{};
  if (raw.size() != d.size()) return "<bad sha1 of " + std::to_string(raw.size()) + " bytes>";
  std::copy_n(raw.begin(), d.size(), d.begin());
  return d.Hex();
}

std::string Sha1Hex(std::string_view data) { return Sha1Digest::Of(data).Hex(); }

// A candidate as plain values, comparable and printable.
struct Hit {
  std::string bundle_id;
  int64_t timestamp_ms;
  std::string archive_sha1;  // hex
  std::string url;
  std::string path;
  FileType type;
  std::optional<std::string> debug_id;
  std::optional<std::string> sourcemap;
  friend bool operator==(const Hit&, const Hit&) = default;
};

void PrintTo(const Hit& h, std::ostream* os) {
  *os << "{" << h.bundle_id << " @" << h.timestamp_ms << " archive " << h.archive_sha1 << " "
      << h.path << " url=" << h.url << " " << FileTypeName(h.type)
      << " debug_id=" << h.debug_id.value_or("-") << " sourcemap=" << h.sourcemap.value_or("-")
      << "}";
}

std::vector<Hit> ToHits(const std::vector<Candidate>& found) {
  std::vector<Hit> hits;
  for (const Candidate& c : found) {
    hits.push_back(
        Hit{std::string(c.bundle_id), c.timestamp_ms, Hex(c.archive_sha1), std::string(c.url),
            std::string(c.path), c.type,
            c.debug_id ? std::optional<std::string>(c.debug_id->ToString()) : std::nullopt,
            c.sourcemap ? std::optional<std::string>(std::string(*c.sourcemap)) : std::nullopt});
  }
  return hits;
}

std::optional<std::string> None() { return std::nullopt; }
std::optional<std::string> Some(std::string s) { return s; }

// Counts of a one-segment index, from its segment's header (the format) and from the lookup
// library's listings (which must agree).
struct Counts {
  size_t bundles, files, keys;
  friend bool operator==(const Counts&, const Counts&) = default;
};

void PrintTo(const Counts& c, std::ostream* os) {
  *os << c.bundles << " bundles, " << c.files << " files, " << c.keys << " keys";
}

Counts CountsOf(const Index& index) {
  EXPECT_EQ(index.segment_count(), 1u) << index.dir();
  const std::string bytes = ReadFileOrDie(testing::OnlySegmentPath(index.dir()));
  absl::StatusOr<format::IndexReader> reader = format::IndexReader::Open(bytes);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return {};
  std::vector<Index::BundleInfo> bundles;
  EXPECT_TRUE(index.ListBundles(&bundles).ok());
  std::vector<Candidate> files;
  EXPECT_TRUE(index.ListFiles(&files).ok());
  EXPECT_EQ(bundles.size(), reader->bundle_count());
  EXPECT_EQ(files.size(), reader->file_count());
  return {reader->bundle_count(), reader->file_count(), reader->key_count()};
}

::testing::AssertionResult Contains(const std::string& haystack, const std::string& needle) {
  if (haystack.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\"" << haystack << "\" does not contain \"" << needle << "\"";
}

class FixturesTest : public ::testing::Test {
 protected:
  // Adds one fixture through the library; fails the test on error.
  AddResult Add(const std::string& fixture, std::vector<std::string> projects,
                const std::string& release, const std::string& dist, int64_t timestamp_ms) {
    AddOptions options;
    options.projects = std::move(projects);
    options.release = release;
    options.dist = dist;
    options.timestamp_ms = timestamp_ms;
    absl::StatusOr<std::vector<AddResult>> added =
        Indexer(root()).Add({FixturePath(fixture)}, options);
    EXPECT_TRUE(added.ok()) << fixture << ": " << added.status();
    if (!added.ok() || added->size() != 1) return AddResult{};
    return added->front();
  }

  std::vector<Hit> Url(const std::string& project, const std::string& release,
                       const std::string& dist, const std::string& url) {
    auto index = Store(root()).UrlIndex(project, release, dist);
    EXPECT_TRUE(index.ok()) << index.status();
    if (!index.ok()) return {};
    std::vector<Candidate> found;
    absl::Status s = (*index)->LookupUrl(url, &found);
    EXPECT_TRUE(s.ok()) << s;
    return ToHits(found);
  }

  std::vector<Hit> ById(const std::string& project, const std::string& id,
                        std::optional<FileType> type) {
    absl::StatusOr<DebugId> parsed = DebugId::Parse(id);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    if (!parsed.ok()) return {};
    auto index = Store(root()).DebugIdIndex(project);
    EXPECT_TRUE(index.ok()) << index.status();
    if (!index.ok()) return {};
    std::vector<Candidate> found;
    absl::Status s = (*index)->LookupDebugId(*parsed, type, &found);
    EXPECT_TRUE(s.ok()) << s;
    return ToHits(found);
  }

  // The bytes of the first URL candidate, read from the store.
  std::string FirstFileBytes(const std::string& project, const std::string& release,
                             const std::string& dist, const std::string& url) {
    auto index = Store(root()).UrlIndex(project, release, dist);
    EXPECT_TRUE(index.ok()) << index.status();
    if (!index.ok()) return "";
    std::vector<Candidate> found;
    EXPECT_TRUE((*index)->LookupUrl(url, &found).ok());
    EXPECT_FALSE(found.empty()) << url;
    if (found.empty()) return "";
    absl::StatusOr<std::string> bytes = Store(root()).ReadFile(found.front());
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    return bytes.ok() ? *bytes : "";
  }

  // The entry's bytes read straight from the fixture archive, independently of the store.
  static std::string EntryOfFixture(const std::string& fixture, const std::string& zip_path) {
    const std::string archive = ReadFileOrDie(FixturePath(fixture));
    absl::StatusOr<std::string> bytes = bundle::ReadArchiveEntry(archive, zip_path, 1 << 30);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    return bytes.ok() ? *bytes : "";
  }

  const std::string& root() const { return dir_.path(); }

  TempDir dir_;
};

// --- the associations ---------------------------------------------------------------------------

TEST_F(FixturesTest, RequestFilesNameTheAssociationsAndChecksumsUsedHere) {
  const std::string rxjs = ReadFileOrDie(FixturePath("sentry-cli/rxjs-cjs.request.json"));
  EXPECT_TRUE(Contains(rxjs, "\"projects\": [\"web\"], \"version\": \"shop@2.4.0\"}"));
  EXPECT_TRUE(Contains(rxjs, StrCat("\"checksum\": \"", kRxjsSha1, "\"")));
  const std::string rebuilt =
      ReadFileOrDie(FixturePath("sentry-cli/rxjs-cjs-rebuilt.request.json"));
  EXPECT_TRUE(Contains(rebuilt, "\"projects\": [\"web\"], \"version\": \"shop@2.4.0\"}"));
  EXPECT_TRUE(Contains(rebuilt, StrCat("\"checksum\": \"", kRebuiltSha1, "\"")));
  const std::string web = ReadFileOrDie(FixturePath("sentry-cli/preact-web.request.json"));
  EXPECT_TRUE(Contains(
      web, "\"projects\": [\"web\", \"mobile\"], \"version\": \"shop@2.4.0\", \"dist\": \"web\"}"));
  EXPECT_TRUE(Contains(web, StrCat("\"checksum\": \"", kPreactWebSha1, "\"")));
  const std::string nightly = ReadFileOrDie(FixturePath("sentry-cli/preact-nightly.request.json"));
  EXPECT_TRUE(Contains(nightly, "\"projects\": [\"web\"]}"));
  EXPECT_FALSE(Contains(nightly, "version"));
  EXPECT_TRUE(Contains(nightly, StrCat("\"checksum\": \"", kNightlySha1, "\"")));

  // And the archive SHA-1s of every fixture, computed from the bytes.
  EXPECT_EQ(Sha1Hex(ReadFileOrDie(FixturePath("sentry-cli/rxjs-cjs.zip"))), kRxjsSha1);
  EXPECT_EQ(Sha1Hex(ReadFileOrDie(FixturePath("sentry-cli/rxjs-cjs-rebuilt.zip"))), kRebuiltSha1);
  EXPECT_EQ(Sha1Hex(ReadFileOrDie(FixturePath("sentry-cli/preact-web.zip"))), kPreactWebSha1);
  EXPECT_EQ(Sha1Hex(ReadFileOrDie(FixturePath("sentry-cli/preact-nightly.zip"))), kNightlySha1);
  EXPECT_EQ(Sha1Hex(ReadFileOrDie(FixturePath("symbolicator/e2e_scraped_debugid_bundle.zip"))),
            kScrapedSha1);
  EXPECT_EQ(Sha1Hex(ReadFileOrDie(FixturePath("symbolicator/e2e_node_debugid_bundle.zip"))),
            kNodeSha1);
  EXPECT_EQ(Sha1Hex(ReadFileOrDie(FixturePath("symbolicator/e2e_source_no_header_bundle.zip"))),
            kNoHeaderSha1);
  EXPECT_EQ(Sha1Hex(ReadFileOrDie(FixturePath("symbolicator/sorted_bundles_01_wrong.zip"))),
            kWrongSha1);
  EXPECT_EQ(Sha1Hex(ReadFileOrDie(FixturePath("symbolicator/sorted_bundles_02_correct.zip"))),
            kCorrectSha1);
}

// --- rxjs-cjs, then its rebuild in the same release ---------------------------------------------

// Both adds in either order must give the same answers: the rebuild carries the greater
// timestamp.
class RxjsTest : public FixturesTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    const bool rebuilt_first = GetParam();
    if (rebuilt_first) AddRebuilt();
    AddOriginal();
    if (!rebuilt_first) AddRebuilt();
  }
  void AddOriginal() {
    AddResult r = Add("sentry-cli/rxjs-cjs.zip", {"web"}, kRelease, "", 1'700'000'000'000);
    EXPECT_EQ(r.bundle_id, kRxjsId);
    EXPECT_EQ(r.archive_sha1, kRxjsSha1);
    EXPECT_EQ(r.timestamp_ms, 1'700'000'000'000);
    EXPECT_EQ(r.files, 500u);
    EXPECT_EQ(r.debug_id_files, 500u);
  }
  void AddRebuilt() {
    AddResult r = Add("sentry-cli/rxjs-cjs-rebuilt.zip", {"web"}, kRelease, "", 1'700'000'600'000);
    EXPECT_EQ(r.bundle_id, kRebuiltId);
    EXPECT_EQ(r.archive_sha1, kRebuiltSha1);
    EXPECT_EQ(r.files, 500u);
    // files/_/_/static/rx/ajax/index.js.map of the rebuild has no headers at all.
    EXPECT_EQ(r.debug_id_files, 499u);
  }
};

TEST_P(RxjsTest, IndexesHoldBothBundlesNewestFirst) {
  auto urls = Store(root()).UrlIndex("web", kRelease, "");
  ASSERT_TRUE(urls.ok()) << urls.status();
  // The same 500 URLs in both.
  EXPECT_EQ(CountsOf(**urls), (Counts{2, 1000, 500}));
  std::vector<Index::BundleInfo> bundles;
  ASSERT_TRUE((*urls)->ListBundles(&bundles).ok());
  ASSERT_EQ(bundles.size(), 2u);
  EXPECT_EQ(bundles[0].bundle_id, kRebuiltId);
  EXPECT_EQ(bundles[0].timestamp_ms, 1'700'000'600'000);
  EXPECT_EQ(Hex(bundles[0].archive_sha1), kRebuiltSha1);
  EXPECT_EQ(bundles[0].files, 500u);
  EXPECT_EQ(bundles[1].bundle_id, kRxjsId);
  EXPECT_EQ(bundles[1].timestamp_ms, 1'700'000'000'000);
  EXPECT_EQ(Hex(bundles[1].archive_sha1), kRxjsSha1);
  EXPECT_EQ(bundles[1].files, 500u);
  EXPECT_TRUE((*urls)->Verify().ok());

  auto ids = Store(root()).DebugIdIndex("web");
  ASSERT_TRUE(ids.ok()) << ids.status();
  std::vector<Index::BundleInfo> id_bundles;
  ASSERT_TRUE((*ids)->ListBundles(&id_bundles).ok());
  EXPECT_EQ(id_bundles.size(), 2u);
  EXPECT_EQ(CountsOf(**ids).files, 999u);
  EXPECT_TRUE((*ids)->Verify().ok());
  // The archives are in the store under their bundle id and SHA-1.
  EXPECT_EQ(Sha1Hex(ReadFileOrDie(StrCat(root(), "/bundles/", kRxjsId, "/", kRxjsSha1, ".zip"))),
            kRxjsSha1);
  EXPECT_EQ(
      Sha1Hex(ReadFileOrDie(StrCat(root(), "/bundles/", kRebuiltId, "/", kRebuiltSha1, ".zip"))),
      kRebuiltSha1);
}

TEST_P(RxjsTest, UrlLookupsGiveTheRebuildFirst) {
  const std::vector<Hit> script = {
      {kRebuiltId, 1'700'000'600'000, kRebuiltSha1, "~/static/rx/ajax/index.js",
       "files/_/_/static/rx/ajax/index.js", kMin, Some("c75e1e8a-0b51-5f6a-9262-0396cf6d3a62"),
       Some("index.js.map//")},
      {kRxjsId, 1'700'000'000'000, kRxjsSha1, "~/static/rx/ajax/index.js",
       "files/_/_/static/rx/ajax/index.js", kMin, Some("36d14141-53c5-5ff2-ba14-88e003812693"),
       Some("index.js.map")},
  };
  EXPECT_EQ(Url("web", kRelease, "", "https://shop.example/static/rx/ajax/index.js"), script);
  EXPECT_EQ(Url("web", kRelease, "", "~/static/rx/ajax/index.js"), script);
  EXPECT_EQ(Url("web", kRelease, "", "https://shop.example/static/rx/ajax/index.js?v=1#L3"),
            script);
  EXPECT_EQ(Url("web", kRelease, "", "async https://shop.example/static/rx/ajax/index.js"), script);

  // The rebuild's map has no debug id; the original's does.
  EXPECT_EQ(Url("web", kRelease, "", "http://localhost:8080/static/rx/ajax/index.js.map"),
            (std::vector<Hit>{
                {kRebuiltId, 1'700'000'600'000, kRebuiltSha1, "~/static/rx/ajax/index.js.map",
                 "files/_/_/static/rx/ajax/index.js.map", kMap, None(), None()},
                {kRxjsId, 1'700'000'000'000, kRxjsSha1, "~/static/rx/ajax/index.js.map",
                 "files/_/_/static/rx/ajax/index.js.map", kMap,
                 Some("36d14141-53c5-5ff2-ba14-88e003812693"), None()},
            }));

  // An unchanged file: both bundles, same debug id.
  EXPECT_EQ(Url("web", kRelease, "", "app:///static/rx/fetch/index.js"),
            (std::vector<Hit>{
                {kRebuiltId, 1'700'000'600'000, kRebuiltSha1, "~/static/rx/fetch/index.js",
                 "files/_/_/static/rx/fetch/index.js", kMin,
                 Some("92836f21-23c9-5722-8df0-e2c8a787a329"), Some("index.js.map")},
                {kRxjsId, 1'700'000'000'000, kRxjsSha1, "~/static/rx/fetch/index.js",
                 "files/_/_/static/rx/fetch/index.js", kMin,
                 Some("92836f21-23c9-5722-8df0-e2c8a787a329"), Some("index.js.map")},
            }));

  EXPECT_EQ(Url("web", kRelease, "", "https://shop.example/static/rx/nope.js"), std::vector<Hit>{});
  // Matching is exact: no prefix or case folding.
  EXPECT_EQ(Url("web", kRelease, "", "https://shop.example/static/rx/ajax/INDEX.js"),
            std::vector<Hit>{});
  EXPECT_EQ(Url("web", kRelease, "", "https://shop.example/rx/ajax/index.js"), std::vector<Hit>{});
}

TEST_P(RxjsTest, DebugIdLookupsWithAndWithoutType) {
  // Only the original carries 36d14141: the script and its map.
  const Hit orig_js{kRxjsId,
                    1'700'000'000'000,
                    kRxjsSha1,
                    "~/static/rx/ajax/index.js",
                    "files/_/_/static/rx/ajax/index.js",
                    kMin,
                    Some("36d14141-53c5-5ff2-ba14-88e003812693"),
                    Some("index.js.map")};
  const Hit orig_map{kRxjsId,
                     1'700'000'000'000,
                     kRxjsSha1,
                     "~/static/rx/ajax/index.js.map",
                     "files/_/_/static/rx/ajax/index.js.map",
                     kMap,
                     Some("36d14141-53c5-5ff2-ba14-88e003812693"),
                     None()};
  EXPECT_EQ(ById("web", "36d14141-53c5-5ff2-ba14-88e003812693", std::nullopt),
            (std::vector<Hit>{orig_js, orig_map}));
  EXPECT_EQ(ById("web", "36D1414153C55FF2BA1488E003812693", kMap), std::vector<Hit>{orig_map});
  EXPECT_EQ(ById("web", "36d14141-53c5-5ff2-ba14-88e003812693", kMin), std::vector<Hit>{orig_js});
  EXPECT_EQ(ById("web", "36d14141-53c5-5ff2-ba14-88e003812693", kSrc), std::vector<Hit>{});

  // The rebuild's new id: its script only, its map lost the header.
  const Hit rebuilt_js{kRebuiltId,
                       1'700'000'600'000,
                       kRebuiltSha1,
                       "~/static/rx/ajax/index.js",
                       "files/_/_/static/rx/ajax/index.js",
                       kMin,
                       Some("c75e1e8a-0b51-5f6a-9262-0396cf6d3a62"),
                       Some("index.js.map//")};
  EXPECT_EQ(ById("web", "c75e1e8a-0b51-5f6a-9262-0396cf6d3a62", std::nullopt),
            std::vector<Hit>{rebuilt_js});
  EXPECT_EQ(ById("web", "c75e1e8a-0b51-5f6a-9262-0396cf6d3a62", kMap), std::vector<Hit>{});

  // A shared id: newest bundle first, within a bundle by zip path.
  const std::string id = "92836f21-23c9-5722-8df0-e2c8a787a329";
  const Hit new_js{kRebuiltId,
                   1'700'000'600'000,
                   kRebuiltSha1,
                   "~/static/rx/fetch/index.js",
                   "files/_/_/static/rx/fetch/index.js",
                   kMin,
                   Some(id),
                   Some("index.js.map")};
  const Hit new_map{kRebuiltId,
                    1'700'000'600'000,
                    kRebuiltSha1,
                    "~/static/rx/fetch/index.js.map",
                    "files/_/_/static/rx/fetch/index.js.map",
                    kMap,
                    Some(id),
                    None()};
  const Hit old_js{kRxjsId,
                   1'700'000'000'000,
                   kRxjsSha1,
                   "~/static/rx/fetch/index.js",
                   "files/_/_/static/rx/fetch/index.js",
                   kMin,
                   Some(id),
                   Some("index.js.map")};
  const Hit old_map{kRxjsId,
                    1'700'000'000'000,
                    kRxjsSha1,
                    "~/static/rx/fetch/index.js.map",
                    "files/_/_/static/rx/fetch/index.js.map",
                    kMap,
                    Some(id),
                    None()};
  EXPECT_EQ(ById("web", id, std::nullopt), (std::vector<Hit>{new_js, new_map, old_js, old_map}));
  EXPECT_EQ(ById("web", id, kMap), (std::vector<Hit>{new_map, old_map}));
  EXPECT_EQ(ById("web", id, kMin), (std::vector<Hit>{new_js, old_js}));

  // A debug id nobody has.
  EXPECT_EQ(ById("web", "00000000-0000-0000-0000-000000000001", std::nullopt), std::vector<Hit>{});
}

TEST_P(RxjsTest, ReadFileGivesTheNewestBytes) {
  const std::string newest =
      FirstFileBytes("web", kRelease, "", "https://shop.example/static/rx/ajax/index.js");
  EXPECT_EQ(newest.size(), 1226u);
  EXPECT_EQ(Sha1Hex(newest), "cb377619acbbdfc6942e7833cdc2282c8e1d81c3");
  EXPECT_EQ(newest,
            EntryOfFixture("sentry-cli/rxjs-cjs-rebuilt.zip", "files/_/_/static/rx/ajax/index.js"));
  const std::string map =
      FirstFileBytes("web", kRelease, "", "https://shop.example/static/rx/ajax/index.js.map");
  EXPECT_EQ(map.size(), 225u);
  EXPECT_EQ(Sha1Hex(map), "a32fad074cc130dc7238bcfb3aff94d348d4c231");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RxjsTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "RebuiltAddedFirst" : "OriginalAddedFirst";
                         });

// --- preact-web: two projects, a dist, absolute URLs -------------------------------------------

TEST_F(FixturesTest, PreactWebInTwoProjectsWithDist) {
  AddResult r = Add("sentry-cli/preact-web.zip", {"web", "mobile"}, kRelease, "web", 1'000);
  EXPECT_EQ(r.bundle_id, kPreactWebId);
  EXPECT_EQ(r.archive_sha1, kPreactWebSha1);
  EXPECT_EQ(r.files, 13u);
  EXPECT_EQ(r.debug_id_files, 13u);

  const std::vector<Hit> min_js = {
      {kPreactWebId, 1'000, kPreactWebSha1, "https://cdn.shop.example/js/preact.min.js",
       "files/https/cdn.shop.example/js/preact.min.js", kMin,
       Some("73804d9e-999a-5604-9788-866b3479dcbb"), Some("preact.min.js.map")}};
  for (const std::string project : {"web", "mobile"}) {
    SCOPED_TRACE(project);
    EXPECT_EQ(Url(project, kRelease, "web", "https://cdn.shop.example/js/preact.min.js"), min_js);
    // Query and fragment: found on the second form (query dropped).
    EXPECT_EQ(Url(project, kRelease, "web",
                  "https://cdn.shop.example/js/preact.min.js?v=2.4.0&x=%20#L1:200"),
              min_js);
    EXPECT_EQ(Url(project, kRelease, "web", "https://cdn.shop.example/js/preact.min.js#frag"),
              min_js);
    // Absolute URLs only match on their host: ~/js/... is not in the bundle.
    EXPECT_EQ(Url(project, kRelease, "web", "https://other.example/js/preact.min.js"),
              std::vector<Hit>{});
    EXPECT_EQ(Url(project, kRelease, "web", "~/js/preact.min.js"), std::vector<Hit>{});
    EXPECT_EQ(Url(project, kRelease, "web", "http://cdn.shop.example/js/preact.min.js"),
              std::vector<Hit>{});
    EXPECT_EQ(Url(project, kRelease, "web", "https://cdn.shop.example/js/preact.umd.js.map"),
              (std::vector<Hit>{{kPreactWebId, 1'000, kPreactWebSha1,
                                 "https://cdn.shop.example/js/preact.umd.js.map",
                                 "files/https/cdn.shop.example/js/preact.umd.js.map", kMap,
                                 Some("cdc3a40c-fbb3-54bc-8703-c90b359f7853"), None()}}));

    // One debug id on two scripts (preact.mjs and preact.module.js) and their map.
    const std::string id = "e7d443de-482d-52ee-8735-8d543ecfb301";
    const Hit mjs{kPreactWebId,
                  1'000,
                  kPreactWebSha1,
                  "https://cdn.shop.example/js/preact.mjs",
                  "files/https/cdn.shop.example/js/preact.mjs",
                  kMin,
                  Some(id),
                  Some("preact.module.js.map")};
    const Hit module_js{kPreactWebId,
                        1'000,
                        kPreactWebSha1,
                        "https://cdn.shop.example/js/preact.module.js",
                        "files/https/cdn.shop.example/js/preact.module.js",
                        kMin,
                        Some(id),
                        Some("preact.module.js.map")};
    const Hit module_map{kPreactWebId,
                         1'000,
                         kPreactWebSha1,
                         "https://cdn.shop.example/js/preact.module.js.map",
                         "files/https/cdn.shop.example/js/preact.module.js.map",
                         kMap,
                         Some(id),
                         None()};
    EXPECT_EQ(ById(project, id, std::nullopt), (std::vector<Hit>{mjs, module_js, module_map}));
    EXPECT_EQ(ById(project, "E7D443DE-482D-52EE-8735-8D543ECFB301", kMap),
              std::vector<Hit>{module_map});
    EXPECT_EQ(ById(project, id, kMin), (std::vector<Hit>{mjs, module_js}));
  }
  // The index is per (project, release, dist): no dist, another dist, another release.
  EXPECT_TRUE(absl::IsNotFound(Store(root()).UrlIndex("web", kRelease, "").status()));
  EXPECT_TRUE(absl::IsNotFound(Store(root()).UrlIndex("web", kRelease, "ios").status()));
  EXPECT_TRUE(absl::IsNotFound(Store(root()).UrlIndex("web", "shop@2.4.1", "web").status()));
  EXPECT_TRUE(absl::IsNotFound(Store(root()).DebugIdIndex("other").status()));

  auto index = Store(root()).UrlIndex("mobile", kRelease, "web");
  ASSERT_TRUE(index.ok());
  EXPECT_EQ((*index)->project(), "mobile");
  EXPECT_EQ((*index)->release(), kRelease);
  EXPECT_EQ((*index)->dist(), "web");
  EXPECT_EQ((*index)->kind(), IndexKind::kUrl);
  EXPECT_EQ(CountsOf(**index), (Counts{1, 13, 13}));

  const std::string bytes =
      FirstFileBytes("mobile", kRelease, "web", "https://cdn.shop.example/js/preact.min.js?v=3");
  EXPECT_EQ(bytes.size(), 11680u);
  EXPECT_EQ(Sha1Hex(bytes), "57f65f6bf02f8532458302f7aadaf87a1a6a5669");
}

// A hit on an earlier candidate form beats a newer bundle's hit on a later form (Symbolicator
// tries URLs in the outer loop).
TEST_F(FixturesTest, MoreSpecificUrlFormBeatsNewerBundle) {
  Add("sentry-cli/preact-web.zip", {"web"}, kRelease, "web", 1'000);
  bundle::BundleSpec spec;
  spec.debug_id = "0f0f0f0f-0000-4000-8000-000000000001";
  spec.files.push_back({"~/js/preact.min.js", kMin, "newer", std::nullopt, std::nullopt});
  absl::StatusOr<std::string> bytes = bundle::WriteBundle(spec);
  ASSERT_TRUE(bytes.ok());
  const std::string path = dir_ / "newer.zip";
  testing::WriteFileOrDie(path, *bytes);
  AddOptions options;
  options.projects = {"web"};
  options.release = kRelease;
  options.dist = "web";
  options.timestamp_ms = 2'000;
  auto added = Indexer(root() + "/").Add({path}, options);  // a trailing slash changes nothing
  ASSERT_TRUE(added.ok()) << added.status();
  const std::string newer_sha1 = Sha1Hex(*bytes);
  EXPECT_EQ(Url("web", kRelease, "web", "https://cdn.shop.example/js/preact.min.js?x=1"),
            (std::vector<Hit>{
                {kPreactWebId, 1'000, kPreactWebSha1, "https://cdn.shop.example/js/preact.min.js",
                 "files/https/cdn.shop.example/js/preact.min.js", kMin,
                 Some("73804d9e-999a-5604-9788-866b3479dcbb"), Some("preact.min.js.map")},
                {"0f0f0f0f-0000-4000-8000-000000000001", 2'000, newer_sha1, "~/js/preact.min.js",
                 "files/_/_/js/preact.min.js", kMin, None(), None()},
            }));
}

// --- preact-nightly: no release, debug ids only ------------------------------------------------

TEST_F(FixturesTest, PreactNightlyWithoutRelease) {
  AddResult r = Add("sentry-cli/preact-nightly.zip", {"web"}, "", "", 3'000);
  EXPECT_EQ(r.bundle_id, kNightlyId);
  EXPECT_EQ(r.archive_sha1, kNightlySha1);
  EXPECT_EQ(r.files, 7u);
  EXPECT_EQ(r.debug_id_files, 7u);

  // No URL index at all.
  auto url_indexes = Store(root()).UrlIndexDirs("web");
  ASSERT_TRUE(url_indexes.ok());
  EXPECT_TRUE(url_indexes->empty());

  const std::string id = "1e5bad2b-dd7e-5fc9-9656-8a15a4a2778b";
  const Hit js{kNightlyId,           3'000, kNightlySha1, "/hooks.js",
               "files/_/_/hooks.js", kMin,  Some(id),     Some("hooks.js.map")};
  const Hit map{kNightlyId, 3'000,    kNightlySha1, "/hooks.js.map", "files/_/_/hooks.js.map",
                kMap,       Some(id), None()};
  EXPECT_EQ(ById("web", id, std::nullopt), (std::vector<Hit>{js, map}));
  EXPECT_EQ(ById("web", "1E5BAD2BDD7E5FC996568A15A4A2778B", kMap), std::vector<Hit>{map});
  EXPECT_EQ(ById("web", id, kMin), std::vector<Hit>{js});
  EXPECT_EQ(ById("web", id, FileType::kIndexedRamBundle), std::vector<Hit>{});

  const std::string umd = "30a05b0f-152b-52b5-96ed-6b9f125fc50c";
  EXPECT_EQ(ById("web", umd, kMap),
            (std::vector<Hit>{{kNightlyId, 3'000, kNightlySha1, "/hooks.umd.js.map",
                               "files/_/_/hooks.umd.js.map", kMap, Some(umd), None()}}));

  // An appendix makes another debug id.
  EXPECT_EQ(ById("web", id + "-1", std::nullopt), std::vector<Hit>{});

  auto index = Store(root()).DebugIdIndex("web");
  ASSERT_TRUE(index.ok());
  EXPECT_EQ((*index)->kind(), IndexKind::kDebugId);
  EXPECT_EQ((*index)->release(), "");
  // Debug-id keys: 3 ids (hooks.mjs and hooks.module.js share one), each of a minified file
  // and its map.
  EXPECT_EQ(CountsOf(**index), (Counts{1, 7, 3}));
}

// --- symbolicator's bundles ----------------------------------------------------------------------

TEST_F(FixturesTest, ScrapedBundleUsesPathAsUrl) {
  AddResult r = Add("symbolicator/e2e_scraped_debugid_bundle.zip", {"sym"}, "1.0.0", "", 100);
  EXPECT_EQ(r.bundle_id, kScrapedId);
  EXPECT_EQ(r.archive_sha1, kScrapedSha1);
  EXPECT_EQ(r.files, 1u);
  const Hit scraped{kScrapedId,
                    100,
                    kScrapedSha1,
                    "~/app.js.map",
                    "files/app.js.map",
                    kMap,
                    Some("2f259f80-58b7-44cb-d7cd-de1505e7e718"),
                    None()};
  EXPECT_EQ(Url("sym", "1.0.0", "", "https://example.com/app.js.map"), std::vector<Hit>{scraped});
  EXPECT_EQ(Url("sym", "1.0.0", "", "~/app.js.map"), std::vector<Hit>{scraped});

  // e2e_node_debugid_bundle shares the debug id; it is newer.
  r = Add("symbolicator/e2e_node_debugid_bundle.zip", {"sym"}, "1.0.0", "", 200);
  EXPECT_EQ(r.bundle_id, kNodeId);
  EXPECT_EQ(r.archive_sha1, kNodeSha1);
  const Hit node_js{kNodeId,
                    200,
                    kNodeSha1,
                    "~/0.js",
                    "files/_/_/0.js",
                    kMin,
                    Some("2f259f80-58b7-44cb-d7cd-de1505e7e718"),
                    Some("entrypoint1.js.map")};
  const Hit node_map{kNodeId,
                     200,
                     kNodeSha1,
                     "~/0.js.map",
                     "files/_/_/0.js.map",
                     kMap,
                     Some("2f259f80-58b7-44cb-d7cd-de1505e7e718"),
                     None()};
  EXPECT_EQ(ById("sym", "2f259f80-58b7-44cb-d7cd-de1505e7e718", std::nullopt),
            (std::vector<Hit>{node_js, node_map, scraped}));
  EXPECT_EQ(ById("sym", "2f259f8058b744cbd7cdde1505e7e718", kMap),
            (std::vector<Hit>{node_map, scraped}));
  EXPECT_EQ(ById("sym", "2F259F80-58B7-44CB-D7CD-DE1505E7E718", kMin), std::vector<Hit>{node_js});
  EXPECT_EQ(Url("sym", "1.0.0", "", "http://localhost/0.js"), std::vector<Hit>{node_js});

  // The scraped bundle's file bytes.
  auto index = Store(root()).DebugIdIndex("sym");
  ASSERT_TRUE(index.ok());
  std::vector<Candidate> found;
  ASSERT_TRUE(
      (*index)
          ->LookupDebugId(*DebugId::Parse("2f259f80-58b7-44cb-d7cd-de1505e7e718"), kMap, &found)
          .ok());
  ASSERT_EQ(found.size(), 2u);
  absl::StatusOr<std::string> bytes = Store(root()).ReadFile(found[1]);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(bytes->size(), 894u);
  EXPECT_EQ(Sha1Hex(*bytes), "a333088fbdcf3b0694499b68e95dc1d32a9005b8");
  bytes = Store(root()).ReadFile(found[0]);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(bytes->size(), 1751u);
  EXPECT_EQ(Sha1Hex(*bytes), "d1270934825e9bef3ebec716527893dae0c2488f");
}

TEST_F(FixturesTest, SourceBundleWithoutHeadersIsNamedBySha1) {
  const std::string fixture = "symbolicator/e2e_source_no_header_bundle.zip";
  // The bundle id falls back to the SHA-1 of the archive's bytes.
  EXPECT_EQ(Sha1Hex(ReadFileOrDie(FixturePath(fixture))), kNoHeaderSha1);
  AddResult r = Add(fixture, {"sym"}, "1.0.0", "", 300);
  EXPECT_EQ(r.bundle_id, kNoHeaderSha1);
  EXPECT_EQ(r.archive_sha1, kNoHeaderSha1);
  EXPECT_EQ(r.files, 2u);
  EXPECT_EQ(r.debug_id_files, 0u);

  const Hit source{kNoHeaderSha1,       300,  kNoHeaderSha1, "~/_next/server/pages/_error.js",
                   "files/test.min.js", kSrc, None(),        None()};
  // Symbolicator's own case: app:///_next/... finds ~/_next/... on the third form.
  EXPECT_EQ(Url("sym", "1.0.0", "", "app:///_next/server/pages/_error.js"),
            std::vector<Hit>{source});
  EXPECT_EQ(
      Url("sym", "1.0.0", "", "~/_next/server/pages/test.min.js.map"),
      (std::vector<Hit>{{kNoHeaderSha1, 300, kNoHeaderSha1, "~/_next/server/pages/test.min.js.map",
                         "files/test.min.js.map", kMap, None(), None()}}));
  // The zip path is not a URL.
  EXPECT_EQ(Url("sym", "1.0.0", "", "~/test.min.js"), std::vector<Hit>{});

  const std::string bytes =
      FirstFileBytes("sym", "1.0.0", "", "app:///_next/server/pages/_error.js");
  EXPECT_EQ(bytes.size(), 236u);
  EXPECT_EQ(Sha1Hex(bytes), "3bc128756ba96f90c5235125f8490d16ca94fffa");

  // Recorded in the project's debug-id index, with no file there.
  auto index = Store(root()).DebugIdIndex("sym");
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(CountsOf(**index), (Counts{1, 0, 0}));
  std::vector<Index::BundleInfo> bundles;
  ASSERT_TRUE((*index)->ListBundles(&bundles).ok());
  ASSERT_EQ(bundles.size(), 1u);
  EXPECT_EQ(bundles[0].bundle_id, kNoHeaderSha1);
  EXPECT_EQ(bundles[0].files, 0u);

  // Without a release it would be in no index: refused.
  AddOptions options;
  options.projects = {"other"};
  options.timestamp_ms = 1;
  auto refused = Indexer(root()).Add({FixturePath(fixture)}, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(std::string(StdView(refused.status().message())), FixturePath(fixture)));
  EXPECT_TRUE(absl::IsNotFound(Store(root()).DebugIdIndex("other").status()));
}

struct SortedCase {
  const char* name;
  int64_t wrong_ms;
  int64_t correct_ms;
  bool correct_first;
};

void PrintTo(const SortedCase& c, std::ostream* os) {
  *os << c.name << " (wrong @" << c.wrong_ms << ", correct @" << c.correct_ms << ")";
}

class SortedBundlesTest : public FixturesTest, public ::testing::WithParamInterface<SortedCase> {};

TEST_P(SortedBundlesTest, GreaterTimestampThenGreaterIdComesFirst) {
  const SortedCase& c = GetParam();
  AddResult wrong =
      Add("symbolicator/sorted_bundles_01_wrong.zip", {"sym"}, "1.0.0", "", c.wrong_ms);
  AddResult correct =
      Add("symbolicator/sorted_bundles_02_correct.zip", {"sym"}, "1.0.0", "", c.correct_ms);
  EXPECT_EQ(wrong.bundle_id, kWrongSha1);
  EXPECT_EQ(correct.bundle_id, kCorrectSha1);

  const Hit wrong_js{kWrongSha1,          c.wrong_ms, kWrongSha1, "~/test.min.js",
                     "files/test.min.js", kMin,       None(),     None()};
  const Hit correct_js{kCorrectSha1,        c.correct_ms, kCorrectSha1, "~/test.min.js",
                       "files/test.min.js", kMin,         None(),       None()};
  const Hit wrong_map{
      kWrongSha1, c.wrong_ms, kWrongSha1, "~/test.min.js.map", "files/test.min.js.map",
      kMap,       None(),     None()};
  const Hit correct_map{
      kCorrectSha1, c.correct_ms, kCorrectSha1, "~/test.min.js.map", "files/test.min.js.map",
      kMap,         None(),       None()};
  auto ordered = [&](const Hit& a, const Hit& b) {
    return c.correct_first ? std::vector<Hit>{a, b} : std::vector<Hit>{b, a};
  };
  EXPECT_EQ(Url("sym", "1.0.0", "", "http://example.com/test.min.js"),
            ordered(correct_js, wrong_js));
  EXPECT_EQ(Url("sym", "1.0.0", "", "http://example.com/test.min.js.map?x"),
            ordered(correct_map, wrong_map));

  // The first candidate's map is that bundle's.
  const std::string map = FirstFileBytes("sym", "1.0.0", "", "~/test.min.js.map");
  if (c.correct_first) {
    EXPECT_EQ(map.size(), 842u);
    EXPECT_EQ(Sha1Hex(map), "573d869fbaf7b19e26f6d6103b9ead7e740c5158");
  } else {
    EXPECT_EQ(map.size(), 849u);
    EXPECT_EQ(Sha1Hex(map), "40cf7950bf626a7646853cbbc4428c407e73a348");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, SortedBundlesTest,
    ::testing::Values(SortedCase{"CorrectNewer", 1'000, 2'000, true},
                      SortedCase{"WrongNewer", 2'000, 1'000, false},
                      // Equal timestamps: the greater bundle id (ba2e... > 8a9e...) first.
                      SortedCase{"EqualTimestamps", 1'000, 1'000, true}),
    [](const ::testing::TestParamInfo<SortedCase>& info) { return info.param.name; });

// The same archive contents as a plain zip (no SYSB prefix, as Sentry's own tests build them)
// and under SYSB format version 1: both accepted; version 3 is not.
TEST_F(FixturesTest, PlainZipAndSysbVersion1AreAccepted) {
  const std::string fixture =
      ReadFileOrDie(FixturePath("symbolicator/sorted_bundles_02_correct.zip"));
  std::vector<std::pair<std::string, std::string>> entries;
  for (const char* name : {"files/test.min.js", "files/test.min.js.map", "manifest.json"}) {
    absl::StatusOr<std::string> bytes = bundle::ReadArchiveEntry(fixture, name, 1 << 20);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    entries.emplace_back(name, *bytes);
  }
  absl::StatusOr<std::string> plain = bundle::WriteZip(entries, /*sysb_prefix=*/false);
  ASSERT_TRUE(plain.ok());
  ASSERT_EQ(plain->substr(0, 4), "PK\x03\x04");
  std::string v1 = fixture;
  v1[4] = 1;
  std::string v3 = fixture;
  v3[4] = 3;
  int64_t timestamp = 100;
  for (const auto& [name, bytes] :
       {std::pair<std::string, std::string>{"plain.zip", *plain}, {"v1.zip", v1}}) {
    SCOPED_TRACE(name);
    TempDir store;
    const std::string path = dir_ / name;
    testing::WriteFileOrDie(path, bytes);
    AddOptions options;
    options.projects = {"sym"};
    options.release = "1.0.0";
    options.timestamp_ms = ++timestamp;
    auto added = Indexer(store.path()).Add({path}, options);
    ASSERT_TRUE(added.ok()) << added.status();
    // No manifest debug_id: named by this archive's SHA-1.
    EXPECT_EQ(added->front().bundle_id, Sha1Hex(bytes));
    auto index = Store(store.path()).UrlIndex("sym", "1.0.0", "");
    ASSERT_TRUE(index.ok());
    std::vector<Candidate> found;
    ASSERT_TRUE((*index)->LookupUrl("https://example.com/test.min.js.map", &found).ok());
    EXPECT_EQ(ToHits(found),
              (std::vector<Hit>{{Sha1Hex(bytes), timestamp, Sha1Hex(bytes), "~/test.min.js.map",
                                 "files/test.min.js.map", kMap, None(), None()}}));
    ASSERT_EQ(found.size(), 1u);
    absl::StatusOr<std::string> file = Store(store.path()).ReadFile(found[0]);
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_EQ(Sha1Hex(*file), "573d869fbaf7b19e26f6d6103b9ead7e740c5158");
  }
  const std::string path = dir_ / "v3.zip";
  testing::WriteFileOrDie(path, v3);
  AddOptions options;
  options.projects = {"sym"};
  options.release = "1.0.0";
  auto refused = Indexer(root()).Add({path}, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(Contains(std::string(StdView(refused.status().message())),
                       "unsupported SYSB format version 3"));
}

// Manifest spellings real bundles use (header names in any case, the legacy x-sourcemap, an
// appendix, `path` when `url` is empty, a compact bundle id with appendix) and the candidate
// URL forms of Symbolicator's table, end to end.
TEST_F(FixturesTest, ManifestSpellingsAndUrlForms) {
  const std::string manifest = R"({"files":{
 "files/a.js":{"type":"minified_source","url":"https://example.com",
               "headers":{"Debug-Id":"EB6E60F165FF4F6F9A3B1C2D3E4F5A6B","X-SourceMap":"a.js.map"}},
 "files/b.js":{"type":"minified_source","url":"~/Users/me/dist/main.js",
               "headers":{"DEBUG-ID":"eb6e60f1-65ff-4f6f-9a3b-1c2d3e4f5a6b-feedface",
                          "SourceMap":"b.map","x-sourcemap":"ignored"}},
 "files/c.js":{"type":"source","url":"~/./src/a.js"},
 "files/d.js":{"type":"source","url":"~example.com"},
 "files/e.js":{"type":"source","url":"~/foo.js","headers":{}},
 "files/f.bundle":{"type":"indexed_ram_bundle","path":"~/ram.bundle","url":""},
 "files/g.js":{"type":"source","url":"app:///_next/server/pages/_error.js","path":"other"},
 "files/h.js":{"type":"source","url":"https://example.com/assets/bundle.min.js?foo=1&bar=baz"}
},"debug_id":"AABBCCDDEEFF00112233445566778899abc","org":"acme","note":"variants"})";
  std::vector<std::pair<std::string, std::string>> entries;
  for (const char* name : {"files/a.js", "files/b.js", "files/c.js", "files/d.js", "files/e.js",
                           "files/f.bundle", "files/g.js", "files/h.js"}) {
    entries.emplace_back(name, StrCat("contents of ", name));
  }
  entries.emplace_back("manifest.json", manifest);
  absl::StatusOr<std::string> bytes = bundle::WriteZip(entries, /*sysb_prefix=*/true);
  ASSERT_TRUE(bytes.ok());
  const std::string path = dir_ / "variants.zip";
  testing::WriteFileOrDie(path, *bytes);
  AddOptions options;
  options.projects = {"p"};
  options.release = "r";
  options.timestamp_ms = 7;
  auto added = Indexer(root()).Add({path}, options);
  ASSERT_TRUE(added.ok()) << added.status();
  // The appendix of a bundle id is dropped.
  const std::string id = "aabbccdd-eeff-0011-2233-445566778899";
  EXPECT_EQ(added->front().bundle_id, id);
  EXPECT_EQ(added->front().files, 8u);
  EXPECT_EQ(added->front().debug_id_files, 2u);
  const std::string sha1 = Sha1Hex(*bytes);
  auto src = [&](const std::string& file, const std::string& url) {
    return Hit{id, 7, sha1, url, "files/" + file, kSrc, None(), None()};
  };
  const Hit a{id,
              7,
              sha1,
              "https://example.com",
              "files/a.js",
              kMin,
              Some("eb6e60f1-65ff-4f6f-9a3b-1c2d3e4f5a6b"),
              Some("a.js.map")};
  const Hit b{id,
              7,
              sha1,
              "~/Users/me/dist/main.js",
              "files/b.js",
              kMin,
              Some("eb6e60f1-65ff-4f6f-9a3b-1c2d3e4f5a6b-feedface"),
              Some("b.map")};
  EXPECT_EQ(Url("p", "r", "", "https://example.com"),
            (std::vector<Hit>{a, src("d.js", "~example.com")}));
  EXPECT_EQ(Url("p", "r", "", "/Users/me/dist/main.js"), std::vector<Hit>{b});
  EXPECT_EQ(Url("p", "r", "", "webpack:///./src/a.js"),
            std::vector<Hit>{src("c.js", "~/./src/a.js")});
  // Once, though two forms of ~/foo.js are the same URL.
  EXPECT_EQ(Url("p", "r", "", "~/foo.js"), std::vector<Hit>{src("e.js", "~/foo.js")});
  EXPECT_EQ(Url("p", "r", "", "https://cdn.example/foo.js?v=1#L1"),
            std::vector<Hit>{src("e.js", "~/foo.js")});
  EXPECT_EQ(
      Url("p", "r", "", "https://example.com/assets/bundle.min.js?foo=1&bar=baz#wat"),
      std::vector<Hit>{src("h.js", "https://example.com/assets/bundle.min.js?foo=1&bar=baz")});
  EXPECT_EQ(Url("p", "r", "", "https://example.com/assets/bundle.min.js"), std::vector<Hit>{});
  EXPECT_EQ(Url("p", "r", "", "app:///_next/server/pages/_error.js"),
            std::vector<Hit>{src("g.js", "app:///_next/server/pages/_error.js")});
  EXPECT_EQ(Url("p", "r", "", "other"), std::vector<Hit>{});
  EXPECT_EQ(Url("p", "r", "", "http://localhost/ram.bundle"),
            (std::vector<Hit>{{id, 7, sha1, "~/ram.bundle", "files/f.bundle",
                               FileType::kIndexedRamBundle, None(), None()}}));
  // An appendix is part of the debug id.
  EXPECT_EQ(ById("p", "eb6e60f1-65ff-4f6f-9a3b-1c2d3e4f5a6b", std::nullopt), std::vector<Hit>{a});
  EXPECT_EQ(ById("p", "eb6e60f1-65ff-4f6f-9a3b-1c2d3e4f5a6b-FEEDFACE", kMin), std::vector<Hit>{b});
  EXPECT_EQ(ById("p", "EB6E60F165FF4F6F9A3B1C2D3E4F5A6Bfeedface", std::nullopt),
            std::vector<Hit>{b});
  EXPECT_EQ(FirstFileBytes("p", "r", "", "/Users/me/dist/main.js"), "contents of files/b.js");
}

// --- artidx cat: the exact bytes of the entry ----------------------------------------------------

TEST_F(FixturesTest, CliCatReturnsTheExactEntryBytes) {
  const std::vector<std::string> store = {"--store", root()};
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), store.begin(), store.end());
    return RunCli(args);
  };
  auto added =
      run({"add", FixturePath("sentry-cli/preact-web.zip"), "--project", "web", "--project",
           "mobile", "--release", kRelease, "--dist", "web", "--timestamp", "1700000000000"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(added.out,
            StrCat("added ", kPreactWebId, " (", FixturePath("sentry-cli/preact-web.zip"),
                   ", 13 files, 13 with debug ids) to project web, mobile, release "
                   "\"shop@2.4.0\", dist \"web\"\n"));
  added = run({"add", FixturePath("sentry-cli/rxjs-cjs.zip"), "--project", "web", "--release",
               kRelease, "--timestamp", "1700000000000"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  added = run({"add", FixturePath("sentry-cli/rxjs-cjs-rebuilt.zip"), "--project", "web",
               "--release", kRelease, "--timestamp", "1700000600000", "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(
      added.out,
      StrCat("{\"added\":[{\"bundle\":\"", FixturePath("sentry-cli/rxjs-cjs-rebuilt.zip"),
             "\",\"bundle_id\":\"", kRebuiltId, "\",\"archive_sha1\":\"", kRebuiltSha1,
             "\",\"timestamp\":1700000600000,\"files\":500,\"debug_id_files\":499,\"outcome\":"
             "\"added\",\"superseded_at\":null,\"replaced_by\":null}]}\n"));
  added = run({"add", FixturePath("sentry-cli/preact-nightly.zip"), "--project", "web",
               "--timestamp", "1700000000000"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(added.out,
            StrCat("added ", kNightlyId, " (", FixturePath("sentry-cli/preact-nightly.zip"),
                   ", 7 files, 7 with debug ids) to project web (debug ids only)\n"));

  struct Case {
    std::vector<std::string> args;
    std::string fixture, zip_path;
    size_t size;
    std::string sha1;
  };
  const std::vector<Case> cases = {
      {{"--project", "mobile", "--release", kRelease, "--dist", "web", "--url",
        "https://cdn.shop.example/js/preact.min.js?v=1#x"},
       "sentry-cli/preact-web.zip",
       "files/https/cdn.shop.example/js/preact.min.js",
       11680,
       "57f65f6bf02f8532458302f7aadaf87a1a6a5669"},
      {{"--project", "web", "--debug-id", "6969f4a4-dd3a-5f6d-9265-fc283d4fe27c", "--type",
        "source_map"},
       "sentry-cli/preact-web.zip",
       "files/https/cdn.shop.example/js/preact.js.map",
       86286,
       "b529268f201114943ee71cee71b585ad6dbc86fd"},
      {{"--project", "web", "--release", kRelease, "--url",
        "https://shop.example/static/rx/ajax/index.js"},
       "sentry-cli/rxjs-cjs-rebuilt.zip",
       "files/_/_/static/rx/ajax/index.js",
       1226,
       "cb377619acbbdfc6942e7833cdc2282c8e1d81c3"},
      {{"--project", "web", "--debug-id", "36d14141-53c5-5ff2-ba14-88e003812693", "--type",
        "source_map"},
       "sentry-cli/rxjs-cjs.zip",
       "files/_/_/static/rx/ajax/index.js.map",
       276,
       "a15a4bcf6355249f7578e3647468c5199f46b74f"},
      {{"--project", "web", "--release", kRelease, "--url", "~/static/rx/index.js"},
       "sentry-cli/rxjs-cjs-rebuilt.zip",
       "files/_/_/static/rx/index.js",
       35489,
       "a7e206ae7cbe610b9b6e742e8c4945eef8c22279"},
      {{"--project", "web", "--debug-id", "7c389272-06d3-5912-a335-d1fd619f4806", "--type",
        "source_map"},
       "sentry-cli/preact-nightly.zip",
       "files/_/_/hooks.module.js.map",
       125,
       "4364856e94670404cae2224a461911907b3b8985"},
      // Without a type: the first by zip path, hooks.mjs.
      {{"--project", "web", "--debug-id", "7c389272-06d3-5912-a335-d1fd619f4806"},
       "sentry-cli/preact-nightly.zip",
       "files/_/_/hooks.mjs",
       4005,
       "117078a95af042a6a293e2151ead108785f22761"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.zip_path);
    std::vector<std::string> args = {"cat"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto cat = run(args);
    EXPECT_EQ(cat.exit_code, 0) << cat.err;
    EXPECT_EQ(cat.err, "");
    EXPECT_EQ(cat.out.size(), c.size);
    EXPECT_EQ(Sha1Hex(cat.out), c.sha1);
    EXPECT_TRUE(cat.out == EntryOfFixture(c.fixture, c.zip_path));
  }
  auto none = run({"cat", "--project", "web", "--release", kRelease, "--url", "~/nope.js"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.out, "");
  EXPECT_EQ(none.err, StrCat("artidx: no candidates for url \"~/nope.js\" in project web, "
                             "release \"",
                             kRelease, "\"\n"));
}

// --- every fixture in one store ------------------------------------------------------------------

TEST_F(FixturesTest, AllFixturesInOneStoreVerify) {
  Add("sentry-cli/rxjs-cjs.zip", {"web"}, kRelease, "", 10);
  Add("sentry-cli/rxjs-cjs-rebuilt.zip", {"web"}, kRelease, "", 20);
  Add("sentry-cli/preact-web.zip", {"web", "mobile"}, kRelease, "web", 30);
  Add("sentry-cli/preact-nightly.zip", {"web"}, "", "", 40);
  for (const char* f :
       {"symbolicator/e2e_node_debugid_bundle.zip", "symbolicator/e2e_scraped_debugid_bundle.zip",
        "symbolicator/e2e_source_no_header_bundle.zip", "symbolicator/sorted_bundles_01_wrong.zip",
        "symbolicator/sorted_bundles_02_correct.zip"}) {
    Add(f, {"web"}, "1.0.0", "", 50);
  }
  // web's debug-id index: rxjs 500 + rebuilt 499 + preact-web 13 + nightly 7 + node 2 + scraped 1.
  auto ids = Store(root()).DebugIdIndex("web");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(CountsOf(**ids).bundles, 9u);
  EXPECT_EQ(CountsOf(**ids).files, 1022u);
  EXPECT_TRUE((*ids)->Verify().ok());
  std::vector<Index::BundleInfo> bundles;
  ASSERT_TRUE((*ids)->ListBundles(&bundles).ok());
  std::vector<std::pair<std::string, int64_t>> order;
  for (const auto& b : bundles) order.emplace_back(std::string(b.bundle_id), b.timestamp_ms);
  // Newest first; at 50, greater id first.
  EXPECT_EQ(order, (std::vector<std::pair<std::string, int64_t>>{
                       {kCorrectSha1, 50},   // ba2e9f...
                       {kScrapedId, 50},     // b99f80...
                       {kNodeId, 50},        // 9e77a5...
                       {kNoHeaderSha1, 50},  // 9ac9dd...
                       {kWrongSha1, 50},     // 8a9e4b...
                       {kNightlyId, 40},
                       {kPreactWebId, 30},
                       {kRebuiltId, 20},
                       {kRxjsId, 10},
                   }));
  auto paths = Store(root()).UrlIndexDirs("web");
  ASSERT_TRUE(paths.ok());
  EXPECT_EQ(paths->size(), 3u);  // (shop@2.4.0, ""), (shop@2.4.0, web), (1.0.0, "")
  const store::Layout layout(root());
  std::vector<std::string> expected_dirs = {layout.UrlIndexDir("web", kRelease, ""),
                                            layout.UrlIndexDir("web", kRelease, "web"),
                                            layout.UrlIndexDir("web", "1.0.0", "")};
  std::sort(expected_dirs.begin(), expected_dirs.end());
  EXPECT_EQ(*paths, expected_dirs);
  for (const std::string& p : *paths) {
    auto index = Index::Open(p);
    ASSERT_TRUE(index.ok());
    EXPECT_EQ((*index)->dir(), p);
    EXPECT_EQ((*index)->segment_count(), 1u);
    EXPECT_TRUE((*index)->Verify().ok()) << p;
  }
  // In (1.0.0, ""), ~/0.js.map and ~/app.js.map are both there; the sorted bundles tie at 50.
  EXPECT_EQ(Url("web", "1.0.0", "", "https://example.com/test.min.js"),
            (std::vector<Hit>{{kCorrectSha1, 50, kCorrectSha1, "~/test.min.js", "files/test.min.js",
                               kMin, None(), None()},
                              {kWrongSha1, 50, kWrongSha1, "~/test.min.js", "files/test.min.js",
                               kMin, None(), None()}}));
}

}  // namespace
}  // namespace artidx
