// Unit tests of the index file format: EncodeIndex (format/index_encoder.h) and IndexReader
// (format/index_reader.h). Round trips, canonical bytes, key lookups, and a corruption sweep
// (truncations and bit flips) that must only ever produce errors, never crashes or reads out of
// bounds (these tests also run under ASan).
//
// One file of more than 600 lines: the round-trip, canonical-bytes and corruption tests all
// build their inputs with the same content builders (UrlContent, DebugIdContent, SpecExample).

#include "format/index_format.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/coding.h"
#include "common/strings.h"
#include "format/index_content.h"
#include "format/index_encoder.h"
#include "format/index_reader.h"
#include "gtest/gtest.h"

namespace artidx::format {
namespace {

DebugId Id(uint8_t seed, uint32_t appendix = 0) {
  DebugId id;
  for (size_t i = 0; i < id.uuid.size(); ++i) id.uuid[i] = static_cast<uint8_t>(seed * 31 + i);
  id.appendix = appendix;
  return id;
}

Sha1Digest Digest(uint8_t seed) {
  Sha1Digest d;
  for (size_t i = 0; i < d.size(); ++i) d[i] = static_cast<uint8_t>(seed + 7 * i);
  return d;
}

FileLocator File(std::string path, std::string url, FileType type,
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

// A URL index of four bundles: a shared URL in three of them, a timestamp tie, files with and
// without debug ids and sourcemaps, an empty-string sourcemap, and non-ASCII bytes.
IndexContent UrlContent() {
  IndexContent c;
  c.kind = IndexKind::kUrl;
  c.project = "web";
  c.release = "shop@2.4.0";
  c.dist = "eu";
  BundleEntry b1{"bundle-old", 1000, Digest(1), false, {}};
  b1.files = {
      File("files/_/_/app.js", "~/app.js", FileType::kMinifiedSource, Id(1), "app.js.map"),
      File("files/_/_/app.js.map", "~/app.js.map", FileType::kSourceMap, Id(1)),
      File("files/_/_/only-old.js", "~/only-old.js", FileType::kSource),
  };
  BundleEntry b2{"bundle-new", 3000, Digest(2), false, {}};
  b2.files = {
      File("files/_/_/app.js", "~/app.js", FileType::kMinifiedSource, Id(2), "app.js.map"),
      File("files/_/_/app.js.map", "~/app.js.map", FileType::kSourceMap, Id(2)),
      File("files/https/x.io/app.js", "https://x.io/app.js", FileType::kMinifiedSource, Id(3, 7),
           ""),
      File("files/_/_/caf\xc3\xa9.js", "~/caf\xc3\xa9.js", FileType::kIndexedRamBundle),
  };
  // Two bundles with one timestamp: the greater id comes first.
  BundleEntry b3{"bundle-tie-a", 2000, Digest(3), false, {}};
  b3.files = {File("files/_/_/app.js", "~/app.js", FileType::kMinifiedSource)};
  BundleEntry b4{"bundle-tie-b", 2000, Digest(4), false, {}};
  b4.files = {File("files/_/_/app.js", "~/app.js", FileType::kMinifiedSource),
              // One url at two paths of one bundle (sentry-cli's `.1` suffix).
              File("files/_/_/app.js.1", "~/app.js", FileType::kSource)};
  // A bundle that contributes no file.
  BundleEntry b5{"bundle-empty", 500, Digest(5), false, {}};
  c.bundles = {b1, b2, b3, b4, b5};
  return c;
}

IndexContent DebugIdContent() {
  IndexContent c;
  c.kind = IndexKind::kDebugId;
  c.project = "web";
  BundleEntry b1{"11111111-1111-1111-1111-111111111111", 1000, Digest(1), false, {}};
  b1.files = {
      File("files/_/_/a.js", "~/a.js", FileType::kMinifiedSource, Id(1)),
      File("files/_/_/a.js.map", "~/a.js.map", FileType::kSourceMap, Id(1)),
      File("files/_/_/b.js", "~/b.js", FileType::kMinifiedSource, Id(2, 0xfeedface)),
  };
  BundleEntry b2{"22222222-2222-2222-2222-222222222222", 2000, Digest(2), false, {}};
  b2.files = {
      File("files/_/_/a.js", "~/a.js", FileType::kMinifiedSource, Id(1)),
      File("files/_/_/a2.js.map", "~/a2.js.map", FileType::kSourceMap, Id(1)),
      File("files/_/_/a.js.map", "~/a.js.map", FileType::kSourceMap, Id(1)),
      // No debug id: decoded back, but under no key.
      File("files/_/_/plain.js", "~/plain.js", FileType::kSource),
  };
  c.bundles = {b1, b2};
  return c;
}

IndexContent Canonical(IndexContent c) {
  std::sort(c.bundles.begin(), c.bundles.end(), NewerFirst);
  for (BundleEntry& b : c.bundles) {
    std::sort(b.files.begin(), b.files.end(),
              [](const FileLocator& x, const FileLocator& y) { return x.path < y.path; });
  }
  return c;
}

std::string EncodeOrDie(const IndexContent& c) {
  absl::StatusOr<std::string> bytes = EncodeIndex(c);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : std::string();
}

// The files (decoded) that a url key maps to.
std::vector<FileView> FindUrl(const IndexReader& r, std::string_view a, std::string_view b = {}) {
  Postings p;
  EXPECT_TRUE(r.Find(KeyHash(a, b), a, b, &p));
  std::vector<FileView> files;
  for (uint32_t i = 0; i < p.size(); ++i) {
    FileView f;
    EXPECT_TRUE(r.GetFile(p[i], &f));
    files.push_back(f);
  }
  return files;
}

// The files of `id`, of `type` unless it is nullopt (SPEC.md "Debug-id lookup").
std::vector<uint32_t> FindDebugId(const IndexReader& r, const DebugId& id,
                                  std::optional<FileType> type) {
  char key[kDebugIdKeySize];
  EncodeDebugIdKey(id, key);
  std::string_view k(key, sizeof key);
  Postings p;
  EXPECT_TRUE(r.Find(KeyHash(k), k, {}, &p));
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < p.size(); ++i) {
    FileView f;
    EXPECT_TRUE(r.GetFile(p[i], &f));
    if (!type || f.type == *type) out.push_back(p[i]);
  }
  return out;
}

std::string BundleIdOf(const IndexReader& r, uint32_t bundle) {
  BundleView v;
  EXPECT_TRUE(r.GetBundle(bundle, &v));
  return std::string(v.id);
}

TEST(KeyHashTest, HashesTheConcatenation) {
  const std::string long_a(300, 'a'), long_b(5000, 'b');
  const std::pair<std::string, std::string> splits[] = {
      {"~", "/app.js"}, {"", "~/app.js"}, {"~/app.js", ""},
      {"~/a", "pp.js"}, {"", ""},         {long_a, "x"},
      {"x", long_b},    {long_a, long_b}, {std::string(128, 'c'), std::string(128, 'd')},
  };
  for (const auto& [a, b] : splits) {
    EXPECT_EQ(KeyHash(a, b), KeyHash(a + b)) << a.size() << "+" << b.size();
  }
  EXPECT_NE(KeyHash("~/app.js"), KeyHash("~/app.jS"));
}

TEST(DebugIdKeyTest, Layout) {
  DebugId id = Id(9, 0x01020304);
  char key[kDebugIdKeySize];
  EncodeDebugIdKey(id, key);
  static_assert(kDebugIdKeySize == 20);
  EXPECT_EQ(std::memcmp(key, id.uuid.data(), 16), 0);
  EXPECT_EQ(Load<uint32_t>(key + 16), 0x01020304u);
}

TEST(IndexFormatTest, RoundTripUrlIndex) {
  const IndexContent content = UrlContent();
  const std::string bytes = EncodeOrDie(content);
  ASSERT_GE(bytes.size(), kHeaderSize + kFooterSize);
  EXPECT_EQ(bytes.substr(0, 8), kMagic);
  EXPECT_EQ(bytes.size() % 8, 0u);
  absl::StatusOr<IndexReader> r = IndexReader::Open(bytes);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind(), IndexKind::kUrl);
  EXPECT_EQ(r->project(), "web");
  EXPECT_EQ(r->release(), "shop@2.4.0");
  EXPECT_EQ(r->dist(), "eu");
  EXPECT_EQ(r->bundle_count(), 5u);
  EXPECT_EQ(r->file_count(), 10u);
  // Distinct urls: ~/app.js, ~/app.js.map, ~/only-old.js, https://x.io/app.js, ~/café.js.
  EXPECT_EQ(r->key_count(), 5u);
  absl::StatusOr<IndexContent> decoded = r->Decode();
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, Canonical(content));
  EXPECT_TRUE(r->Verify().ok()) << r->Verify();
}

TEST(IndexFormatTest, RoundTripDebugIdIndex) {
  const IndexContent content = DebugIdContent();
  const std::string bytes = EncodeOrDie(content);
  absl::StatusOr<IndexReader> r = IndexReader::Open(bytes);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind(), IndexKind::kDebugId);
  EXPECT_EQ(r->project(), "web");
  EXPECT_EQ(r->release(), "");
  EXPECT_EQ(r->dist(), "");
  EXPECT_EQ(r->bundle_count(), 2u);
  EXPECT_EQ(r->file_count(), 7u);
  // Id1 (minified sources and maps), Id2+appendix.
  EXPECT_EQ(r->key_count(), 2u);
  absl::StatusOr<IndexContent> decoded = r->Decode();
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, Canonical(content));
  EXPECT_TRUE(r->Verify().ok());
}

TEST(IndexFormatTest, CanonicalBytesWhateverTheOrder) {
  for (const IndexContent& original : {UrlContent(), DebugIdContent()}) {
    const std::string expected = EncodeOrDie(original);
    EXPECT_EQ(EncodeOrDie(Canonical(original)), expected);
    std::mt19937 rng(12345);
    for (int round = 0; round < 50; ++round) {
      IndexContent shuffled = original;
      std::shuffle(shuffled.bundles.begin(), shuffled.bundles.end(), rng);
      for (BundleEntry& b : shuffled.bundles) std::shuffle(b.files.begin(), b.files.end(), rng);
      ASSERT_EQ(EncodeOrDie(shuffled), expected) << "round " << round;
    }
  }
}

TEST(IndexFormatTest, ContentChangesChangeTheBytes) {
  const std::string base = EncodeOrDie(UrlContent());
  IndexContent c = UrlContent();
  c.bundles[0].timestamp_ms += 1;
  EXPECT_NE(EncodeOrDie(c), base);
  c = UrlContent();
  c.bundles[1].files[2].sourcemap.reset();  // "" sourcemap differs from none
  EXPECT_NE(EncodeOrDie(c), base);
  c = UrlContent();
  c.bundles[1].files[2].debug_id->appendix = 0;
  EXPECT_NE(EncodeOrDie(c), base);
  c = UrlContent();
  c.dist = "";
  EXPECT_NE(EncodeOrDie(c), base);
}

TEST(IndexFormatTest, HorizonRoundTrips) {
  for (int64_t horizon : {int64_t{-1}, int64_t{1700000000000}, INT64_MAX}) {
    IndexContent c = UrlContent();
    c.horizon_ms = horizon;
    const std::string bytes = EncodeOrDie(c);
    EXPECT_NE(bytes, EncodeOrDie(UrlContent()));
    EXPECT_EQ(Load<int64_t>(bytes.data() + kHorizonOffset), horizon);
    absl::StatusOr<IndexReader> r = IndexReader::Open(bytes);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->Verify().ok()) << r->Verify();
    absl::StatusOr<IndexContent> decoded = r->Decode();
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, Canonical(c));
  }
}

TEST(IndexFormatTest, UrlLookupNewestFirst) {
  const std::string bytes = EncodeOrDie(UrlContent());
  absl::StatusOr<IndexReader> r = IndexReader::Open(bytes);
  ASSERT_TRUE(r.ok()) << r.status();

  std::vector<FileView> app = FindUrl(*r, "~/app.js");
  ASSERT_EQ(app.size(), 5u);
  // bundle-new (3000), bundle-tie-b (2000, greater id, two paths), bundle-tie-a, bundle-old.
  EXPECT_EQ(BundleIdOf(*r, app[0].bundle), "bundle-new");
  EXPECT_EQ(BundleIdOf(*r, app[1].bundle), "bundle-tie-b");
  EXPECT_EQ(app[1].path, "files/_/_/app.js");
  EXPECT_EQ(BundleIdOf(*r, app[2].bundle), "bundle-tie-b");
  EXPECT_EQ(app[2].path, "files/_/_/app.js.1");
  EXPECT_EQ(app[2].type, FileType::kSource);
  EXPECT_EQ(BundleIdOf(*r, app[3].bundle), "bundle-tie-a");
  EXPECT_EQ(BundleIdOf(*r, app[4].bundle), "bundle-old");
  for (const FileView& f : app) EXPECT_EQ(f.url, "~/app.js");
  EXPECT_EQ(app[0].debug_id, Id(2));
  ASSERT_TRUE(app[0].sourcemap.has_value());
  EXPECT_EQ(*app[0].sourcemap, "app.js.map");
  EXPECT_FALSE(app[3].debug_id.has_value());
  EXPECT_FALSE(app[3].sourcemap.has_value());

  // The same key found through a split (prefix, body) and whole.
  std::vector<FileView> split = FindUrl(*r, "~", "/app.js");
  ASSERT_EQ(split.size(), app.size());
  for (size_t i = 0; i < app.size(); ++i) EXPECT_EQ(split[i].path, app[i].path);
  EXPECT_EQ(FindUrl(*r, "", "~/app.js").size(), 5u);

  std::vector<FileView> abs = FindUrl(*r, "https://x.io/app.js");
  ASSERT_EQ(abs.size(), 1u);
  EXPECT_EQ(abs[0].debug_id, Id(3, 7));
  ASSERT_TRUE(abs[0].sourcemap.has_value());  // present but empty
  EXPECT_EQ(*abs[0].sourcemap, "");
  EXPECT_EQ(FindUrl(*r, "~/caf\xc3\xa9.js").size(), 1u);
  EXPECT_EQ(FindUrl(*r, "~/only-old.js").size(), 1u);

  BundleView b;
  ASSERT_TRUE(r->GetBundle(0, &b));
  EXPECT_EQ(b.id, "bundle-new");
  EXPECT_EQ(b.timestamp_ms, 3000);
  EXPECT_EQ(b.archive_sha1, std::string_view(reinterpret_cast<const char*>(Digest(2).data()), 20));
  EXPECT_FALSE(r->GetBundle(5, &b));
  EXPECT_FALSE(r->GetBundle(UINT32_MAX, &b));
  FileView f;
  EXPECT_FALSE(r->GetFile(10, &f));
  EXPECT_FALSE(r->GetFile(UINT32_MAX, &f));
}

TEST(IndexFormatTest, AbsentKeys) {
  const std::string bytes = EncodeOrDie(UrlContent());
  absl::StatusOr<IndexReader> r = IndexReader::Open(bytes);
  ASSERT_TRUE(r.ok());
  for (std::string_view key : {"", "~", "~/app", "~/app.js ", "~/APP.JS", "~/app.js.map.x",
                               "app.js", "https://x.io/app.js?x", "~/caf\xc3\xa9"}) {
    Postings p;
    EXPECT_TRUE(r->Find(KeyHash(key), key, {}, &p)) << key;
    EXPECT_EQ(p.size(), 0u) << key;
  }
  // A right key under a wrong hash is not found (the hash selects the bucket and the record).
  Postings p;
  EXPECT_TRUE(r->Find(KeyHash("~/app.js") ^ 1, "~/app.js", {}, &p));
  EXPECT_EQ(p.size(), 0u);
  // A debug-id key asked of a URL index: absent.
  char key[kDebugIdKeySize];
  EncodeDebugIdKey(Id(2), key);
  EXPECT_TRUE(r->Find(KeyHash(std::string_view(key, sizeof key)), std::string_view(key, sizeof key),
                      {}, &p));
  EXPECT_EQ(p.size(), 0u);
}

TEST(IndexFormatTest, DebugIdLookup) {
  const std::string bytes = EncodeOrDie(DebugIdContent());
  absl::StatusOr<IndexReader> r = IndexReader::Open(bytes);
  ASSERT_TRUE(r.ok());
  std::vector<uint32_t> maps = FindDebugId(*r, Id(1), FileType::kSourceMap);
  ASSERT_EQ(maps.size(), 3u);
  // Newest bundle first, then by path within the bundle.
  std::vector<std::string> paths;
  for (uint32_t f : maps) {
    FileView v;
    ASSERT_TRUE(r->GetFile(f, &v));
    EXPECT_EQ(v.type, FileType::kSourceMap);
    EXPECT_EQ(v.debug_id, Id(1));
    paths.push_back(BundleIdOf(*r, v.bundle).substr(0, 1) + ":" + std::string(v.path));
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"2:files/_/_/a.js.map", "2:files/_/_/a2.js.map",
                                             "1:files/_/_/a.js.map"}));
  EXPECT_TRUE(std::is_sorted(maps.begin(), maps.end()));
  EXPECT_EQ(FindDebugId(*r, Id(1), FileType::kMinifiedSource).size(), 2u);
  EXPECT_TRUE(FindDebugId(*r, Id(1), FileType::kSource).empty());
  EXPECT_TRUE(FindDebugId(*r, Id(1), FileType::kIndexedRamBundle).empty());
  // Any type: one key, the id's files of every type in answer order.
  const std::vector<uint32_t> all = FindDebugId(*r, Id(1), std::nullopt);
  EXPECT_EQ(all.size(), 5u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  // The appendix is part of the key.
  EXPECT_EQ(FindDebugId(*r, Id(2, 0xfeedface), FileType::kMinifiedSource).size(), 1u);
  EXPECT_TRUE(FindDebugId(*r, Id(2), FileType::kMinifiedSource).empty());
  EXPECT_TRUE(FindDebugId(*r, Id(77), FileType::kMinifiedSource).empty());
  // A debug-id index has no url keys.
  EXPECT_TRUE(FindUrl(*r, "~/a.js").empty());
}

TEST(IndexFormatTest, EmptyIndex) {
  for (IndexKind kind : {IndexKind::kUrl, IndexKind::kDebugId}) {
    IndexContent c;
    c.kind = kind;
    c.project = "p";
    if (kind == IndexKind::kUrl) c.release = "r";
    const std::string bytes = EncodeOrDie(c);
    absl::StatusOr<IndexReader> r = IndexReader::Open(bytes);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->bundle_count(), 0u);
    EXPECT_EQ(r->file_count(), 0u);
    EXPECT_EQ(r->key_count(), 0u);
    EXPECT_TRUE(FindUrl(*r, "~/a.js").empty());
    EXPECT_TRUE(FindUrl(*r, "").empty());
    BundleView b;
    EXPECT_FALSE(r->GetBundle(0, &b));
    FileView f;
    EXPECT_FALSE(r->GetFile(0, &f));
    absl::StatusOr<IndexContent> decoded = r->Decode();
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, c);
    EXPECT_TRUE(r->Verify().ok()) << r->Verify();
  }
  // Bundles without files: still recorded.
  IndexContent c;
  c.project = "p";
  c.release = "r";
  c.bundles.push_back(BundleEntry{"b", 1, Digest(1), false, {}});
  const std::string bytes = EncodeOrDie(c);
  absl::StatusOr<IndexReader> r = IndexReader::Open(bytes);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->bundle_count(), 1u);
  EXPECT_EQ(r->key_count(), 0u);
  EXPECT_TRUE(r->Verify().ok());
}

// Enough keys for many buckets; every key is found, with exactly its files.
TEST(IndexFormatTest, ManyKeys) {
  IndexContent c;
  c.project = "p";
  c.release = "r";
  for (int b = 0; b < 3; ++b) {
    BundleEntry bundle{StrCat("bundle", b), 100 + b, Digest(static_cast<uint8_t>(b)), false, {}};
    for (int i = 0; i < 700; ++i) {
      if ((i + b) % 3 == 0) continue;
      std::string url = StrCat("~/static/chunk-", i, ".js");
      bundle.files.push_back(File(StrCat("files/_/_/static/chunk-", i, ".js"), url,
                                  FileType::kMinifiedSource, Id(static_cast<uint8_t>(i))));
    }
    c.bundles.push_back(std::move(bundle));
  }
  const std::string bytes = EncodeOrDie(c);
  absl::StatusOr<IndexReader> r = IndexReader::Open(bytes);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->key_count(), 700u);
  for (int i = 0; i < 700; ++i) {
    const std::string url = StrCat("~/static/chunk-", i, ".js");
    std::vector<FileView> found = FindUrl(*r, url);
    std::vector<std::string> bundles;
    for (const FileView& f : found) {
      EXPECT_EQ(f.url, url);
      bundles.push_back(BundleIdOf(*r, f.bundle));
    }
    std::vector<std::string> expected;
    for (int b = 2; b >= 0; --b) {
      if ((i + b) % 3 != 0) expected.push_back(StrCat("bundle", b));
    }
    ASSERT_EQ(bundles, expected) << url;
  }
  EXPECT_TRUE(FindUrl(*r, "~/static/chunk-700.js").empty());
  EXPECT_TRUE(r->Verify().ok());
}

TEST(IndexFormatTest, RejectsDuplicateBundleIds) {
  IndexContent c = UrlContent();
  c.bundles.push_back(c.bundles[0]);
  absl::StatusOr<std::string> bytes = EncodeIndex(c);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument);

  // Same id, different contributions, adjacent in the canonical order.
  c = UrlContent();
  BundleEntry again = c.bundles[1];  // bundle-new, 3000
  again.timestamp_ms = 2500;
  c.bundles.push_back(again);
  bytes = EncodeIndex(c);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument);
}

// Two entries of one id with different timestamps and another bundle between them are not
// neighbours in the NewerFirst order; they are still two bundles with one id (index_encoder.h).
TEST(IndexFormatTest, RejectsDuplicateBundleIdsThatAreNotNeighbours) {
  IndexContent c;
  c.project = "p";
  c.release = "r";
  c.bundles.push_back(BundleEntry{"a", 3000, Digest(1), false, {}});
  c.bundles.push_back(BundleEntry{"b", 2000, Digest(2), false, {}});
  c.bundles.push_back(BundleEntry{"a", 1000, Digest(3), false, {}});
  absl::StatusOr<std::string> bytes = EncodeIndex(c);
  EXPECT_FALSE(bytes.ok()) << "two bundles with id \"a\" were encoded";
  if (!bytes.ok()) {
    EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(IndexFormatTest, RejectsDuplicatePathsInABundle) {
  IndexContent c = UrlContent();
  c.bundles[0].files.push_back(
      File("files/_/_/app.js", "~/other.js", FileType::kSource));  // path of files[0]
  absl::StatusOr<std::string> bytes = EncodeIndex(c);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(StdView(bytes.status().message()).find("files/_/_/app.js"), std::string_view::npos)
      << bytes.status();
  // One path in two bundles is fine.
  EXPECT_TRUE(EncodeIndex(UrlContent()).ok());
}

// The bundle-ids section: the bundle numbers sorted by id, and FindBundle over it.
TEST(IndexFormatTest, FindBundleByIdInEveryBundle) {
  for (const IndexContent& content : {UrlContent(), DebugIdContent()}) {
    const std::string bytes = EncodeOrDie(content);
    absl::StatusOr<IndexReader> r = IndexReader::Open(bytes);
    ASSERT_TRUE(r.ok()) << r.status();
    const char* h = bytes.data();
    const uint64_t at =
        Load<uint64_t>(h + kSectionTableOffset + kBundleIdsSection * kSectionEntrySize);
    const uint64_t size =
        Load<uint64_t>(h + kSectionTableOffset + kBundleIdsSection * kSectionEntrySize + 8);
    ASSERT_EQ(size, 4u * r->bundle_count());
    // A permutation of the bundle numbers, in ascending id order.
    std::vector<std::string> ids;
    std::set<uint32_t> numbers;
    for (uint32_t i = 0; i < r->bundle_count(); ++i) {
      const uint32_t number = Load<uint32_t>(h + at + 4 * i);
      numbers.insert(number);
      ids.push_back(BundleIdOf(*r, number));
    }
    EXPECT_EQ(numbers.size(), r->bundle_count());
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    EXPECT_EQ(*numbers.rbegin(), r->bundle_count() - 1);
    for (const BundleEntry& b : content.bundles) {
      uint32_t number = UINT32_MAX;
      ASSERT_TRUE(r->FindBundle(b.bundle_id, &number)) << b.bundle_id;
      ASSERT_LT(number, r->bundle_count()) << b.bundle_id;
      EXPECT_EQ(BundleIdOf(*r, number), b.bundle_id);
    }
    // Absent ids, before, between and after the present ones: bundle_count().
    for (std::string_view absent : {"", "a", "bundle-", "bundle-nex", "bundle-newer", "zzz",
                                    "11111111-1111-1111-1111-11111111111", "\xff"}) {
      uint32_t number = 0;
      ASSERT_TRUE(r->FindBundle(absent, &number)) << absent;
      EXPECT_EQ(number, r->bundle_count()) << absent;
    }
  }
  // An empty index finds nothing.
  IndexContent empty;
  empty.project = "p";
  empty.release = "r";
  const std::string bytes = EncodeOrDie(empty);
  absl::StatusOr<IndexReader> r = IndexReader::Open(bytes);
  ASSERT_TRUE(r.ok());
  uint32_t number = 5;
  ASSERT_TRUE(r->FindBundle("a", &number));
  EXPECT_EQ(number, 0u);
}

// A bundle-ids entry naming a bundle past the count: FindBundle reports the corruption.
TEST(IndexFormatTest, CorruptBundleIdsAreReported) {
  const std::string good = EncodeOrDie(UrlContent());
  const uint64_t at =
      Load<uint64_t>(good.data() + kSectionTableOffset + kBundleIdsSection * kSectionEntrySize);
  for (uint32_t entry = 0; entry < 5; ++entry) {
    std::string bad = good;
    Store<uint32_t>(bad.data() + at + 4 * entry, 5);
    absl::StatusOr<IndexReader> r = IndexReader::Open(bad);
    ASSERT_TRUE(r.ok());
    // Every binary search for a present id probes the middle entry; some probe this one.
    bool any_failed = false;
    for (std::string_view id :
         {"bundle-empty", "bundle-new", "bundle-old", "bundle-tie-a", "bundle-tie-b"}) {
      uint32_t number;
      any_failed = any_failed || !r->FindBundle(id, &number);
    }
    EXPECT_TRUE(any_failed) << "entry " << entry;
    EXPECT_FALSE(r->Verify().ok());
  }
}

// A tombstone: a bundle record with flag bit 0, no files and a zero SHA-1.
TEST(IndexFormatTest, TombstonesRoundTrip) {
  IndexContent c = UrlContent();
  c.bundles.push_back(BundleEntry{"bundle-gone", 2500, {}, true, {}});
  const std::string bytes = EncodeOrDie(c);
  absl::StatusOr<IndexReader> r = IndexReader::Open(bytes);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->bundle_count(), 6u);
  EXPECT_EQ(r->file_count(), 10u);
  // Newest first: bundle-new (3000), then the tombstone (2500).
  BundleView b;
  ASSERT_TRUE(r->GetBundle(1, &b));
  EXPECT_EQ(b.id, "bundle-gone");
  EXPECT_EQ(b.timestamp_ms, 2500);
  EXPECT_TRUE(b.tombstone);
  EXPECT_EQ(b.archive_sha1, std::string(20, '\0'));
  const size_t bundles_at = Load<uint64_t>(bytes.data() + kSectionTableOffset);
  EXPECT_EQ(Load<uint32_t>(bytes.data() + bundles_at + kBundleRecordSize + 36), kBundleTombstone);
  EXPECT_EQ(Load<uint32_t>(bytes.data() + bundles_at + 36), 0u);
  ASSERT_TRUE(r->GetBundle(0, &b));
  EXPECT_FALSE(b.tombstone);
  uint32_t number;
  ASSERT_TRUE(r->FindBundle("bundle-gone", &number));
  EXPECT_EQ(number, 1u);
  absl::StatusOr<IndexContent> decoded = r->Decode();
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, Canonical(c));
  EXPECT_TRUE(r->Verify().ok()) << r->Verify();
  // The tombstone changes the bytes: it is content.
  EXPECT_NE(bytes, EncodeOrDie(UrlContent()));

  // A tombstone with files or an archive is refused.
  IndexContent with_files = UrlContent();
  with_files.bundles[0].tombstone = true;
  with_files.bundles[0].archive_sha1 = {};
  absl::StatusOr<std::string> refused = EncodeIndex(with_files);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();
  IndexContent with_archive = UrlContent();
  with_archive.bundles.push_back(BundleEntry{"bundle-gone", 2500, Digest(9), true, {}});
  refused = EncodeIndex(with_archive);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();
  // A tombstone and a contribution of one id are two bundles with one id.
  IndexContent twice = UrlContent();
  twice.bundles.push_back(BundleEntry{"bundle-old", 2500, {}, true, {}});
  refused = EncodeIndex(twice);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();
}

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// SPEC.md section 24: the exact bytes of a one-file URL index (with this test's archive SHA-1).
IndexContent SpecExample() {
  IndexContent c;
  c.kind = IndexKind::kUrl;
  c.project = "web";
  c.release = "1.0";
  BundleEntry b{"example", 1700000000000, {}, false, {}};
  const std::string sha1 = FromHex("35fe907f9dab483b000ca28b7e545ecdcd02a60d");
  std::memcpy(b.archive_sha1.data(), sha1.data(), 20);
  absl::StatusOr<DebugId> id = DebugId::Parse("2f259f80-58b7-44cb-d7cd-de1505e7e718");
  EXPECT_TRUE(id.ok());
  b.files = {File("files/_/_/a.js", "~/a.js", FileType::kMinifiedSource, *id)};
  c.bundles = {b};
  return c;
}

// Derived from the layout: a 184-byte header (7 sections, horizon 0), then bundles (40 B) at
// 0xb8, files (52 B + 4 padding) at 0xe0, keys (24 B) at 0x118, buckets [0, 1] at 0x130,
// postings [0] (+ 4 padding) at 0x138, strings "web" "1.0" "example" "files/_/_/a.js" "~/a.js"
// (33 B + 7 padding) at 0x140, bundle ids [0] (+ 4 padding) at 0x168, and the footer at 0x170:
// 376 bytes. The empty dist is first added after "web1.0", so it and the absent sourcemap are
// (6, 0). The key hash is XXH3-64("~/a.js") = 0x31b6a7aa5dd4e788; the footer is XXH3-64 of
// bytes 0..0x16f.
TEST(IndexFormatTest, SpecExampleBytes) {
  const std::string expected = FromHex(
      // magic; version 1; kind 1 (url); flags 0 | file_size 0x178; project (0, 3)
      "4152544944581a0a010001000000000078010000000000000000000003000000"
      // release (3, 3); dist (6, 0) | 1 bundle, 1 file, 1 key; bucket_bits 0
      "0300000003000000060000000000000001000000010000000100000000000000"
      // section table: bundles (0xb8, 40); files (0xe0, 52)
      "b8000000000000002800000000000000e0000000000000003400000000000000"
      // keys (0x118, 24); buckets (0x130, 8)
      "1801000000000000180000000000000030010000000000000800000000000000"
      // postings (0x138, 4); strings (0x140, 33)
      "3801000000000000040000000000000040010000000000002100000000000000"
      // bundle ids (0x168, 4) | horizon 0 | bundle 0: id (6, 7) "example"
      "6801000000000000040000000000000000000000000000000600000007000000"
      // timestamp 1700000000000; archive SHA-1; flags 0
      "0068e5cf8b01000035fe907f9dab483b000ca28b7e545ecdcd02a60d00000000"
      // file 0: bundle 0, type 2, flags 1 (debug id), reserved 0; path (13, 14); url (27, 6);
      // sourcemap (6, 0)
      "00000000020100000d0000000e0000001b000000060000000600000000000000"
      // debug id uuid; appendix 0; padding | key 0: hash
      "2f259f8058b744cbd7cdde1505e7e718000000000000000088e7d45daaa7b631"
      // key (27, 6); first posting 0, count 1 | buckets 0, 1 | postings 0; padding
      "1b00000006000000000000000100000000000000010000000000000000000000"
      // strings "web1.0example" "files/_/_/a.js" "~/a.j
      "776562312e306578616d706c6566696c65732f5f2f5f2f612e6a737e2f612e6a"
      // s"; padding (7 bytes) | bundle ids: 0; padding | footer
      "7300000000000000000000000000000032031bf9f379db7e");
  ASSERT_EQ(expected.size(), 376u);
  // The footer is the checksum of the rest, and the key hash is the key's XXH3-64.
  EXPECT_EQ(Load<uint64_t>(expected.data() + 368),
            KeyHash(std::string_view(expected).substr(0, 368)));
  EXPECT_EQ(Load<uint64_t>(expected.data() + 0x118), KeyHash("~/a.js"));
  const std::string bytes = EncodeOrDie(SpecExample());
  ASSERT_EQ(bytes.size(), expected.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    ASSERT_EQ(static_cast<uint8_t>(bytes[i]), static_cast<uint8_t>(expected[i]))
        << "first difference at byte " << i;
  }
  absl::StatusOr<IndexReader> r = IndexReader::Open(expected);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->Verify().ok());
  absl::StatusOr<IndexContent> decoded = r->Decode();
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, SpecExample());
  uint32_t number = 7;
  ASSERT_TRUE(r->FindBundle("example", &number));
  EXPECT_EQ(number, 0u);
}

TEST(IndexFormatTest, SpecExampleDebugIdStrings) {
  IndexContent c = SpecExample();
  c.kind = IndexKind::kDebugId;
  c.release.clear();
  const std::string bytes = EncodeOrDie(c);
  absl::StatusOr<IndexReader> r = IndexReader::Open(bytes);
  ASSERT_TRUE(r.ok()) << r.status();
  const char* h = bytes.data();
  const uint64_t at = Load<uint64_t>(h + kSectionTableOffset + kStringsSection * kSectionEntrySize);
  const uint64_t size =
      Load<uint64_t>(h + kSectionTableOffset + kStringsSection * kSectionEntrySize + 8);
  EXPECT_EQ(std::string_view(h + at, size),
            "webexamplefiles/_/_/a.js~/a.js" + FromHex("2f259f8058b744cbd7cdde1505e7e718"
                                                       "00000000"));
  // Release, dist: (3, 0).
  EXPECT_EQ(Load<uint32_t>(h + kReleaseRefOffset), 3u);
  EXPECT_EQ(Load<uint32_t>(h + kReleaseRefOffset + 4), 0u);
  EXPECT_EQ(Load<uint32_t>(h + kDistRefOffset), 3u);
  EXPECT_EQ(Load<uint32_t>(h + kDistRefOffset + 4), 0u);
}

// --- Header checks -------------------------------------------------------------------------

void ExpectOpenFails(const std::string& bytes, std::string_view message_part) {
  absl::StatusOr<IndexReader> r = IndexReader::Open(bytes);
  ASSERT_FALSE(r.ok()) << "expected failure mentioning \"" << message_part << "\"";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  EXPECT_NE(StdView(r.status().message()).find(message_part), std::string_view::npos) << r.status();
}

TEST(IndexFormatTest, OpenRejectsBadHeaders) {
  const std::string good = EncodeOrDie(UrlContent());
  ASSERT_TRUE(IndexReader::Open(good).ok());

  std::string bad = good;
  bad[0] = 'a';
  ExpectOpenFails(bad, "magic");
  bad = good;
  bad[7] = '\r';  // the text-mode-mangled newline
  ExpectOpenFails(bad, "magic");

  bad = good;
  Store<uint16_t>(bad.data() + kVersionOffset, 2);
  ExpectOpenFails(bad, "version");
  bad = good;
  Store<uint16_t>(bad.data() + kVersionOffset, 0);
  ExpectOpenFails(bad, "version");

  for (uint16_t kind : {uint16_t{0}, uint16_t{3}, uint16_t{0x101}, uint16_t{0xffff}}) {
    bad = good;
    Store<uint16_t>(bad.data() + kKindOffset, kind);
    ExpectOpenFails(bad, "kind");
  }
  for (uint32_t flags : {1u, 0x80000000u}) {
    bad = good;
    Store<uint32_t>(bad.data() + kFlagsOffset, flags);
    ExpectOpenFails(bad, "flags");
  }
  for (uint64_t size : {uint64_t{0}, uint64_t{good.size() - 1}, uint64_t{good.size() + 1},
                        uint64_t{good.size()} << 32, ~uint64_t{0}}) {
    bad = good;
    Store<uint64_t>(bad.data() + kFileSizeOffset, size);
    ExpectOpenFails(bad, "bytes");
  }
  // A file padded at the end, its header unchanged.
  ExpectOpenFails(good + std::string(8, '\0'), "bytes");

  bad = good;
  Store<uint32_t>(bad.data() + kBucketBitsOffset, 32);
  ExpectOpenFails(bad, "bucket bits");
  bad = good;
  Store<uint32_t>(bad.data() + kBucketBitsOffset, 5);  // buckets section size no longer matches
  ExpectOpenFails(bad, "section");

  for (int s = 0; s < kSectionCount; ++s) {
    const size_t entry = kSectionTableOffset + s * kSectionEntrySize;
    bad = good;
    Store<uint64_t>(bad.data() + entry, good.size());  // offset past the body
    ExpectOpenFails(bad, "outside");
    bad = good;
    Store<uint64_t>(bad.data() + entry, 0);  // offset inside the header
    ExpectOpenFails(bad, "outside");
    bad = good;
    Store<uint64_t>(bad.data() + entry + 8, ~uint64_t{0});  // size overflowing offset + size
    ExpectOpenFails(bad, "outside");
  }
  bad = good;
  Store<uint32_t>(bad.data() + kBundleCountOffset, 6);
  ExpectOpenFails(bad, "section 0");
  bad = good;
  Store<uint32_t>(bad.data() + kFileCountOffset, 0);
  ExpectOpenFails(bad, "section 1");
  bad = good;
  Store<uint32_t>(bad.data() + kKeyCountOffset, 0xffffffff);
  ExpectOpenFails(bad, "section 2");
  for (uint64_t size : {uint64_t{0}, uint64_t{16}, uint64_t{24}}) {  // 5 bundles: 20 bytes
    bad = good;
    Store<uint64_t>(bad.data() + kSectionTableOffset + kBundleIdsSection * kSectionEntrySize + 8,
                    size);
    ExpectOpenFails(bad, "section 6");
  }
  bad = good;
  Store<uint32_t>(bad.data() + kProjectRefOffset + 4, 0xffffffff);  // project length
  ExpectOpenFails(bad, "header string");
  bad = good;
  Store<uint32_t>(bad.data() + kDistRefOffset, 0xfffffff0);  // dist offset
  ExpectOpenFails(bad, "header string");

  ExpectOpenFails("", "shorter than a header");
  ExpectOpenFails(good.substr(0, kHeaderSize + kFooterSize - 1), "shorter than a header");
  ExpectOpenFails(std::string(4096, '\0'), "magic");
}

TEST(IndexFormatTest, VerifyRejectsChecksumMismatchAndNonCanonicalFiles) {
  const std::string good = EncodeOrDie(UrlContent());
  // The footer itself.
  std::string bad = good;
  bad.back() ^= 1;
  absl::StatusOr<IndexReader> r = IndexReader::Open(bad);
  ASSERT_TRUE(r.ok());
  absl::Status s = r->Verify();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(StdView(s.message()).find("checksum"), std::string_view::npos) << s;

  // Swap the timestamps of two bundles and fix the checksum: structurally valid, decodable, but
  // no longer in canonical order.
  bad = good;
  const size_t b0 = Load<uint64_t>(good.data() + kSectionTableOffset);
  const int64_t t0 = Load<int64_t>(good.data() + b0 + 8);
  const int64_t t1 = Load<int64_t>(good.data() + b0 + kBundleRecordSize + 8);
  ASSERT_NE(t0, t1);
  Store<int64_t>(bad.data() + b0 + 8, t1);
  Store<int64_t>(bad.data() + b0 + kBundleRecordSize + 8, t0);
  // Recompute the footer: KeyHash(x) is XXH3-64 (seed 0) of x, the checksum's function.
  const size_t body = bad.size() - kFooterSize;
  Store<uint64_t>(bad.data() + body, KeyHash(std::string_view(bad.data(), body)));
  r = IndexReader::Open(bad);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->Decode().ok());
  s = r->Verify();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(StdView(s.message()).find("canonical"), std::string_view::npos) << s;
}

// --- Corruption sweep ----------------------------------------------------------------------

// Touches every accessor of an opened (possibly corrupt) reader. Only the return values may
// reflect the corruption; ASan catches any read out of bounds.
void ExerciseReader(const IndexReader& r, const std::vector<std::string>& keys) {
  BundleView b;
  FileView f;
  const uint32_t bundles = std::min<uint32_t>(r.bundle_count(), 4096);
  const uint32_t files = std::min<uint32_t>(r.file_count(), 4096);
  uint32_t number;
  for (uint32_t i = 0; i <= bundles; ++i) {
    if (r.GetBundle(i, &b) && r.FindBundle(b.id, &number)) {
      // Found or not, the answer is a bundle number or bundle_count().
      EXPECT_LE(number, r.bundle_count());
    }
  }
  for (std::string_view id : {"", "bundle-new", "~", "\xff\xff"}) {
    if (r.FindBundle(id, &number)) {
      EXPECT_LE(number, r.bundle_count());
    }
  }
  for (uint32_t i = 0; i <= files; ++i) {
    if (r.GetFile(i, &f)) {
      // A valid file record names a valid bundle index.
      EXPECT_LT(f.bundle, r.bundle_count());
      (void)r.GetBundle(f.bundle, &b);
    }
  }
  (void)r.GetBundle(UINT32_MAX, &b);
  (void)r.GetFile(UINT32_MAX, &f);
  for (const std::string& key : keys) {
    Postings p;
    if (!r.Find(KeyHash(key), key, {}, &p)) continue;
    for (uint32_t i = 0; i < p.size() && i < 4096; ++i) (void)r.GetFile(p[i], &f);
    if (key.size() > 1 &&
        r.Find(KeyHash(key.substr(0, 1), key.substr(1)), key.substr(0, 1), key.substr(1), &p)) {
      for (uint32_t i = 0; i < p.size() && i < 4096; ++i) (void)r.GetFile(p[i], &f);
    }
  }
  (void)r.Decode();
}

std::vector<std::string> SweepKeys(const IndexContent& c) {
  std::set<std::string> keys = {"", "~", "~/missing.js"};
  for (const BundleEntry& b : c.bundles) {
    for (const FileLocator& f : b.files) {
      keys.insert(f.url);
      if (f.debug_id) {
        char k[kDebugIdKeySize];
        EncodeDebugIdKey(*f.debug_id, k);
        keys.insert(std::string(k, sizeof k));
      }
    }
  }
  return {keys.begin(), keys.end()};
}

class CorruptionTest : public ::testing::TestWithParam<IndexKind> {
 protected:
  IndexContent Content() const {
    return GetParam() == IndexKind::kUrl ? UrlContent() : DebugIdContent();
  }
};

TEST_P(CorruptionTest, EveryTruncationIsRejected) {
  const std::string good = EncodeOrDie(Content());
  for (size_t n = 0; n < good.size(); ++n) {
    // A fresh allocation of exactly n bytes, so that ASan sees any read past the end.
    std::unique_ptr<char[]> copy(new char[n == 0 ? 1 : n]);
    std::memcpy(copy.get(), good.data(), n);
    absl::StatusOr<IndexReader> r = IndexReader::Open(std::string_view(copy.get(), n));
    ASSERT_FALSE(r.ok()) << "truncated to " << n << " of " << good.size() << " bytes";
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  }
}

TEST_P(CorruptionTest, EveryBitFlipIsDetectedAndHarmless) {
  const IndexContent content = Content();
  const std::string good = EncodeOrDie(content);
  const std::vector<std::string> keys = SweepKeys(content);
  size_t opened = 0;
  for (size_t byte = 0; byte < good.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::unique_ptr<char[]> copy(new char[good.size()]);
      std::memcpy(copy.get(), good.data(), good.size());
      copy[byte] = static_cast<char>(copy[byte] ^ (1 << bit));
      const std::string_view data(copy.get(), good.size());
      absl::StatusOr<IndexReader> r = IndexReader::Open(data);
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
        continue;
      }
      ++opened;
      ExerciseReader(*r, keys);
      absl::Status verified = r->Verify();
      ASSERT_FALSE(verified.ok()) << "flip of bit " << bit << " at byte " << byte
                                  << " passed Verify()";
      EXPECT_EQ(verified.code(), absl::StatusCode::kDataLoss);
    }
  }
  // Most flips land in the sections, which Open does not read.
  EXPECT_GT(opened, good.size());
}

// The same flips with the checksum made to match, so that Verify goes on to decode and
// re-encode the damaged content: it may accept a flip that yields another canonical file (a
// changed timestamp, say), but must never crash, and anything it accepts decodes cleanly.
TEST_P(CorruptionTest, BitFlipsWithAValidChecksumAreHarmless) {
  const IndexContent content = Content();
  const std::string good = EncodeOrDie(content);
  const std::vector<std::string> keys = SweepKeys(content);
  const size_t body = good.size() - kFooterSize;
  size_t rejected = 0;
  for (size_t byte = 0; byte < body; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::unique_ptr<char[]> copy(new char[good.size()]);
      std::memcpy(copy.get(), good.data(), good.size());
      copy[byte] = static_cast<char>(copy[byte] ^ (1 << bit));
      Store<uint64_t>(copy.get() + body, KeyHash(std::string_view(copy.get(), body)));
      absl::StatusOr<IndexReader> r = IndexReader::Open(std::string_view(copy.get(), good.size()));
      if (!r.ok()) {
        ++rejected;
        continue;
      }
      ExerciseReader(*r, keys);
      absl::Status verified = r->Verify();
      if (verified.ok()) {
        EXPECT_TRUE(r->Decode().ok());
      } else {
        ++rejected;
        EXPECT_EQ(verified.code(), absl::StatusCode::kDataLoss) << verified;
      }
    }
  }
  EXPECT_GT(rejected, 0u);
}

// Random multi-byte damage, including to header fields, at a fixed seed.
TEST_P(CorruptionTest, RandomDamageIsHarmless) {
  const IndexContent content = Content();
  const std::string good = EncodeOrDie(content);
  const std::vector<std::string> keys = SweepKeys(content);
  std::mt19937 rng(20240601);
  for (int round = 0; round < 3000; ++round) {
    std::unique_ptr<char[]> copy(new char[good.size()]);
    std::memcpy(copy.get(), good.data(), good.size());
    const int damage = 1 + static_cast<int>(rng() % 8);
    for (int d = 0; d < damage; ++d) {
      const size_t at = rng() % good.size();
      copy[at] = static_cast<char>(rng());
    }
    const std::string_view data(copy.get(), good.size());
    absl::StatusOr<IndexReader> r = IndexReader::Open(data);
    if (!r.ok()) continue;
    ExerciseReader(*r, keys);
    if (data != good) {
      EXPECT_FALSE(r->Verify().ok()) << "round " << round;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, CorruptionTest,
                         ::testing::Values(IndexKind::kUrl, IndexKind::kDebugId),
                         [](const ::testing::TestParamInfo<IndexKind>& info) {
                           return info.param == IndexKind::kUrl ? "Url" : "DebugId";
                         });

// Corruption that keeps the header valid but points records at wrong places: every accessor
// reports it instead of reading outside the file.
TEST(IndexFormatTest, CorruptRecordsAreReported) {
  const std::string good = EncodeOrDie(UrlContent());
  const char* h = good.data();
  const size_t bundles_at = Load<uint64_t>(h + kSectionTableOffset + kBundlesSection * 16);
  const size_t files_at = Load<uint64_t>(h + kSectionTableOffset + kFilesSection * 16);
  const size_t keys_at = Load<uint64_t>(h + kSectionTableOffset + kKeysSection * 16);
  const size_t buckets_at = Load<uint64_t>(h + kSectionTableOffset + kBucketsSection * 16);

  auto open = [](const std::string& bytes) {
    absl::StatusOr<IndexReader> r = IndexReader::Open(bytes);
    EXPECT_TRUE(r.ok()) << r.status();
    return r;
  };
  BundleView b;
  FileView f;
  Postings p;

  std::string bad = good;
  Store<uint32_t>(bad.data() + bundles_at + 4, 0xffffff00);  // bundle 0 id length
  absl::StatusOr<IndexReader> r = open(bad);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->GetBundle(0, &b));
  EXPECT_FALSE(r->Decode().ok());

  // Bundle flags: only bit 0 (tombstone) is defined.
  for (uint32_t flags : {2u, 3u, 0x80000000u}) {
    bad = good;
    Store<uint32_t>(bad.data() + bundles_at + 36, flags);
    r = open(bad);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->GetBundle(0, &b)) << flags;
    EXPECT_EQ(r->Decode().status().code(), absl::StatusCode::kDataLoss) << flags;
  }
  // The tombstone bit on a bundle with files and an archive: readable, but no valid index
  // holds such a tombstone.
  bad = good;
  Store<uint32_t>(bad.data() + bundles_at + 36, kBundleTombstone);
  Store<uint64_t>(bad.data() + bad.size() - kFooterSize,
                  KeyHash(std::string_view(bad.data(), bad.size() - kFooterSize)));
  r = open(bad);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->GetBundle(0, &b));
  EXPECT_TRUE(b.tombstone);
  EXPECT_EQ(r->Verify().code(), absl::StatusCode::kDataLoss) << r->Verify();

  bad = good;
  Store<uint32_t>(bad.data() + files_at, 5);  // file 0 names bundle 5 of 5
  r = open(bad);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->GetFile(0, &f));
  EXPECT_EQ(r->Decode().status().code(), absl::StatusCode::kDataLoss);

  for (uint8_t type : {uint8_t{0}, uint8_t{5}, uint8_t{255}}) {
    bad = good;
    bad[files_at + 4] = static_cast<char>(type);
    r = open(bad);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->GetFile(0, &f)) << int{type};
  }
  bad = good;
  bad[files_at + 5] = static_cast<char>(0x04);  // unknown file flag
  r = open(bad);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->GetFile(0, &f));
  bad = good;
  bad[files_at + 6] = 1;  // reserved
  r = open(bad);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->GetFile(0, &f));
  for (size_t ref : {size_t{8}, size_t{16}, size_t{24}}) {  // path, url, sourcemap refs
    bad = good;
    Store<uint32_t>(bad.data() + files_at + ref, 0x7fffffff);
    r = open(bad);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->GetFile(0, &f)) << ref;
  }

  // Key 0's string outside the strings section, its postings outside the postings section.
  const uint32_t key_count = Load<uint32_t>(h + kKeyCountOffset);
  std::vector<std::string> keys = SweepKeys(UrlContent());
  for (size_t field : {size_t{8}, size_t{12}, size_t{16}, size_t{20}}) {
    for (uint32_t k = 0; k < key_count; ++k) {
      bad = good;
      Store<uint32_t>(bad.data() + keys_at + k * kKeyRecordSize + field, 0xfffffff0);
      r = open(bad);
      ASSERT_TRUE(r.ok());
      bool any_failed = false;
      for (const std::string& key : keys) {
        if (!r->Find(KeyHash(key), key, {}, &p)) {
          any_failed = true;
          EXPECT_EQ(p.size(), 0u);
        }
      }
      // The damaged key record is the one some existing key reaches.
      EXPECT_TRUE(any_failed) << "field " << field << " of key " << k;
    }
  }
  // Bucket boundaries past the key count or decreasing.
  const uint32_t bucket_bits = Load<uint32_t>(h + kBucketBitsOffset);
  for (uint64_t bucket = 0; bucket <= (uint64_t{1} << bucket_bits); ++bucket) {
    bad = good;
    Store<uint32_t>(bad.data() + buckets_at + 4 * bucket, key_count + 1);
    r = open(bad);
    ASSERT_TRUE(r.ok());
    for (const std::string& key : keys) (void)r->Find(KeyHash(key), key, {}, &p);
  }
  // The end of the bucket of a key that exists, past the key count: Find reports corruption.
  const uint64_t hash = KeyHash("~/app.js");
  const uint64_t bucket = bucket_bits == 0 ? 0 : hash >> (64 - bucket_bits);
  bad = good;
  Store<uint32_t>(bad.data() + buckets_at + 4 * (bucket + 1), key_count + 1);
  r = open(bad);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->Find(hash, "~/app.js", {}, &p));
  EXPECT_EQ(p.size(), 0u);
  // Its start after its end.
  bad = good;
  Store<uint32_t>(bad.data() + buckets_at + 4 * bucket, key_count);
  Store<uint32_t>(bad.data() + buckets_at + 4 * (bucket + 1), 0);
  r = open(bad);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->Find(hash, "~/app.js", {}, &p));
}

}  // namespace
}  // namespace artidx::format
