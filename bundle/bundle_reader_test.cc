// Unit tests of bundle/bundle_reader.h (ReadBundle, ReadArchiveEntry) with archives built in the
// test by bundle/bundle_writer.h (WriteZip, WriteBundle), and of ZipPathForUrl and ScanDirectory.
// One file, over 600 lines: every case builds its archives with the same few helpers.

#include "bundle/bundle_reader.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "bundle/bundle_writer.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "tests/testing.h"

namespace artidx::bundle {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kId = "2f259f80-58b7-44cb-d7cd-de1505e7e718";

std::string Zip(const Entries& entries, bool sysb = true) {
  absl::StatusOr<std::string> zip = WriteZip(entries, sysb);
  EXPECT_TRUE(zip.ok()) << zip.status();
  return zip.ok() ? *zip : std::string();
}

// A zip holding `manifest` and an entry for each name in `names`.
std::string ZipWithManifest(std::string manifest, const std::vector<std::string>& names,
                            bool sysb = true) {
  Entries entries;
  for (const std::string& name : names) entries.emplace_back(name, "content of " + name);
  entries.emplace_back("manifest.json", std::move(manifest));
  return Zip(entries, sysb);
}

// A manifest of one entry at files/a.js whose JSON object is `entry`.
std::string OneEntryManifest(std::string_view entry) {
  return StrCat("{\"files\":{\"files/a.js\":", entry, "}}");
}

absl::StatusOr<Bundle> Read(const std::string& archive, const BundleLimits& limits = {}) {
  return ReadBundle(archive, limits);
}

absl::StatusOr<format::FileLocator> ReadOneEntry(std::string_view entry) {
  absl::StatusOr<Bundle> bundle = Read(ZipWithManifest(OneEntryManifest(entry), {"files/a.js"}));
  if (!bundle.ok()) return bundle.status();
  EXPECT_EQ(bundle->files.size(), 1u);
  if (bundle->files.size() != 1) return absl::InternalError("not one file");
  return bundle->files[0].ToLocator();
}

DebugId ParseId(std::string_view text) {
  absl::StatusOr<DebugId> id = DebugId::Parse(text);
  EXPECT_TRUE(id.ok()) << id.status();
  return id.ok() ? *id : DebugId{};
}

void ExpectError(const absl::Status& status, absl::StatusCode code, std::string_view part) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_NE(StdView(status.message()).find(part), std::string_view::npos)
      << "\"" << part << "\" not in: " << status;
}

TEST(ReadBundleTest, ReadsWhatWriteBundleWrites) {
  BundleSpec spec;
  spec.debug_id = "9E77A589-21D2-5428-829A-414EBCCCCE2A";
  spec.attributes = {{"release", "1.0.0"}, {"org", "my-org"}};
  const DebugId id = ParseId(kId);
  spec.files = {
      {"~/static/main.min.js", FileType::kMinifiedSource, "min();", id, "main.min.js.map"},
      {"~/static/main.min.js.map", FileType::kSourceMap, "{}", id, std::nullopt},
      {"https://cdn.example.com/lib.js", FileType::kSource, "lib();", std::nullopt, std::nullopt},
      // One url twice: the second gets a `.1` zip path.
      {"~/static/main.min.js", FileType::kIndexedRamBundle, "ram", std::nullopt, "x.map"},
  };
  absl::StatusOr<std::string> archive = WriteBundle(spec);
  ASSERT_TRUE(archive.ok()) << archive.status();
  EXPECT_TRUE(archive->starts_with("SYSB"));
  absl::StatusOr<Bundle> bundle = Read(*archive);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ(bundle->manifest_debug_id, "9e77a589-21d2-5428-829a-414ebcccce2a");
  ASSERT_EQ(bundle->files.size(), 4u);
  const ManifestFile& min = bundle->files[0];
  EXPECT_EQ(min.path, "files/_/_/static/main.min.js");
  EXPECT_EQ(min.url, "~/static/main.min.js");
  EXPECT_EQ(min.type, FileType::kMinifiedSource);
  EXPECT_EQ(min.debug_id, id);
  EXPECT_EQ(min.sourcemap, "main.min.js.map");
  const ManifestFile& map = bundle->files[1];
  EXPECT_EQ(map.path, "files/_/_/static/main.min.js.map");
  EXPECT_EQ(map.type, FileType::kSourceMap);
  EXPECT_EQ(map.debug_id, id);
  EXPECT_FALSE(map.sourcemap.has_value());
  const ManifestFile& lib = bundle->files[2];
  EXPECT_EQ(lib.path, "files/https/cdn.example.com/lib.js");
  EXPECT_EQ(lib.url, "https://cdn.example.com/lib.js");
  EXPECT_FALSE(lib.debug_id.has_value());
  EXPECT_FALSE(lib.sourcemap.has_value());
  const ManifestFile& ram = bundle->files[3];
  EXPECT_EQ(ram.path, "files/_/_/static/main.min.js.1");
  EXPECT_EQ(ram.url, "~/static/main.min.js");
  EXPECT_EQ(ram.type, FileType::kIndexedRamBundle);

  // Each entry's bytes.
  for (const auto& [path, content] : std::vector<std::pair<std::string, std::string>>{
           {"files/_/_/static/main.min.js", "min();"},
           {"files/_/_/static/main.min.js.map", "{}"},
           {"files/https/cdn.example.com/lib.js", "lib();"},
           {"files/_/_/static/main.min.js.1", "ram"}}) {
    absl::StatusOr<std::string> bytes = ReadArchiveEntry(*archive, path, 1 << 20);
    ASSERT_TRUE(bytes.ok()) << path << ": " << bytes.status();
    EXPECT_EQ(*bytes, content) << path;
  }
}

TEST(ReadBundleTest, WriteBundleIsDeterministic) {
  BundleSpec spec;
  spec.files = {{"~/a.js", FileType::kMinifiedSource, "a", ParseId(kId), std::nullopt}};
  absl::StatusOr<std::string> a = WriteBundle(spec), b = WriteBundle(spec);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

// A suffixed path may be another url's natural path: urls "~/a.js", "~/a.js", "~/a.js.1" must
// still get three distinct zip paths (as sentry-cli/symbolic's writer checks every candidate
// path against all paths already used), or ReadBundle would reject the bundle.
TEST(ReadBundleTest, WriteBundleNeverReusesAZipPath) {
  for (const std::vector<std::string>& urls : std::vector<std::vector<std::string>>{
           {"~/a.js", "~/a.js", "~/a.js.1"},
           {"~/a.js.1", "~/a.js", "~/a.js"},
           {"~/a.js", "~/a.js.1", "~/a.js", "~/a.js.1"},
       }) {
    BundleSpec spec;
    for (size_t i = 0; i < urls.size(); ++i) {
      spec.files.push_back(
          {urls[i], FileType::kSource, StrCat("file ", i), std::nullopt, std::nullopt});
    }
    absl::StatusOr<std::string> archive = WriteBundle(spec);
    ASSERT_TRUE(archive.ok()) << archive.status();
    absl::StatusOr<Bundle> bundle = Read(*archive);
    ASSERT_TRUE(bundle.ok()) << urls[0] << ", " << urls[1] << ", " << urls[2] << ": "
                             << bundle.status();
    ASSERT_EQ(bundle->files.size(), urls.size());
    std::set<std::string> paths;
    for (size_t i = 0; i < urls.size(); ++i) {
      EXPECT_TRUE(paths.insert(std::string(bundle->files[i].path)).second) << bundle->files[i].path;
      EXPECT_EQ(bundle->files[i].url, urls[i]);
      absl::StatusOr<std::string> bytes = ReadArchiveEntry(*archive, bundle->files[i].path, 100);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      EXPECT_EQ(*bytes, StrCat("file ", i));
    }
  }
}

TEST(ReadBundleTest, WithAndWithoutSysbPrefix) {
  const std::string manifest = OneEntryManifest(R"({"type":"source","url":"~/a.js"})");
  for (bool sysb : {false, true}) {
    const std::string archive = ZipWithManifest(manifest, {"files/a.js"}, sysb);
    EXPECT_EQ(archive.starts_with("SYSB"), sysb);
    absl::StatusOr<Bundle> bundle = Read(archive);
    ASSERT_TRUE(bundle.ok()) << "sysb=" << sysb << ": " << bundle.status();
    ASSERT_EQ(bundle->files.size(), 1u);
    EXPECT_EQ(bundle->files[0].url, "~/a.js");
    EXPECT_FALSE(bundle->manifest_debug_id.has_value());
    absl::StatusOr<std::string> bytes = ReadArchiveEntry(archive, "files/a.js", 1 << 20);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_EQ(*bytes, "content of files/a.js");
  }
  // Version 1 of the prefix is valid too.
  const std::string plain = ZipWithManifest(manifest, {"files/a.js"}, false);
  std::string v1 = std::string("SYSB\x01\x00\x00\x00", 8) + plain;
  absl::StatusOr<Bundle> bundle = Read(v1);
  EXPECT_TRUE(bundle.ok()) << bundle.status();
}

TEST(ReadBundleTest, UnsupportedSysbVersion) {
  const std::string plain = ZipWithManifest(OneEntryManifest(R"({"type":"source","url":"~/a.js"})"),
                                            {"files/a.js"}, false);
  for (uint32_t version : {0u, 3u, 0x100u, 0xffffffffu}) {
    std::string archive = "SYSB";
    for (int i = 0; i < 4; ++i) archive.push_back(static_cast<char>(version >> (8 * i)));
    archive += plain;
    absl::StatusOr<Bundle> bundle = Read(archive);
    ASSERT_FALSE(bundle.ok()) << version;
    ExpectError(bundle.status(), absl::StatusCode::kInvalidArgument, "SYSB");
    EXPECT_EQ(ReadArchiveEntry(archive, "files/a.js", 1 << 20).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  for (std::string truncated : {"SYSB", "SYSB\x02", "SYSB\x02\x00\x00"}) {
    absl::StatusOr<Bundle> bundle = Read(truncated);
    ASSERT_FALSE(bundle.ok());
    EXPECT_EQ(bundle.status().code(), absl::StatusCode::kInvalidArgument) << bundle.status();
  }
}

TEST(ReadBundleTest, NotAZip) {
  for (std::string junk : {std::string(), std::string("PK"), std::string(1000, 'x'),
                           std::string("SYSB\x02\x00\x00\x00", 8),
                           std::string("SYSB\x02\x00\x00\x00", 8) + std::string(100, '\0')}) {
    absl::StatusOr<Bundle> bundle = Read(junk);
    ASSERT_FALSE(bundle.ok()) << junk.size();
    EXPECT_EQ(bundle.status().code(), absl::StatusCode::kInvalidArgument) << bundle.status();
  }
  // A zip cut short.
  const std::string good =
      ZipWithManifest(OneEntryManifest(R"({"type":"source","url":"~/a.js"})"), {"files/a.js"});
  for (size_t n : {good.size() / 2, good.size() - 1, good.size() - 22}) {
    absl::StatusOr<Bundle> bundle = Read(good.substr(0, n));
    EXPECT_FALSE(bundle.ok()) << n;
  }
}

TEST(ReadBundleTest, UrlElsePath) {
  struct Case {
    std::string_view entry;
    std::string_view url;
  };
  const Case cases[] = {
      {R"({"type":"source","url":"~/a.js"})", "~/a.js"},
      {R"({"type":"source","path":"/abs/a.js"})", "/abs/a.js"},
      {R"({"type":"source","url":"~/a.js","path":"/abs/a.js"})", "~/a.js"},
      {R"({"type":"source","path":"/abs/a.js","url":"~/a.js"})", "~/a.js"},
      {R"({"type":"source","url":"","path":"/abs/a.js"})", "/abs/a.js"},
      {R"({"type":"source","url":null,"path":"/abs/a.js"})", "/abs/a.js"},
      {R"({"type":"source","url":"~/a.js","path":""})", "~/a.js"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<format::FileLocator> file = ReadOneEntry(c.entry);
    ASSERT_TRUE(file.ok()) << c.entry << ": " << file.status();
    EXPECT_EQ(file->url, c.url) << c.entry;
    EXPECT_EQ(file->path, "files/a.js");  // the manifest key, whatever the url
  }
}

TEST(ReadBundleTest, HeaderKeysAreCaseInsensitive) {
  const DebugId id = ParseId(kId);
  for (std::string_view key : {"debug-id", "Debug-Id", "DEBUG-ID", "Debug-id", "dEbUg-Id"}) {
    absl::StatusOr<format::FileLocator> file =
        ReadOneEntry(StrCat(R"({"type":"minified_source","url":"~/a.js","headers":{")", key,
                            R"(":")", kId, R"(","SourceMap":"a.js.map"}})"));
    ASSERT_TRUE(file.ok()) << key << ": " << file.status();
    EXPECT_EQ(file->debug_id, id) << key;
    EXPECT_EQ(file->sourcemap, "a.js.map") << key;
  }
  // Unknown headers are ignored.
  absl::StatusOr<format::FileLocator> file = ReadOneEntry(
      R"({"type":"source","url":"~/a.js","headers":{"content-type":"text/javascript","debug_id":"x"}})");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_FALSE(file->debug_id.has_value());
  EXPECT_FALSE(file->sourcemap.has_value());
}

// A header name given more than once (in any spelling): the first non-empty value counts, as
// an empty value means "absent".
TEST(ReadBundleTest, RepeatedHeaderNamesFirstNonEmptyValueWins) {
  const DebugId id = ParseId(kId);
  const DebugId other = ParseId("9e77a589-21d2-5428-829a-414ebcccce2a");
  struct Case {
    std::string headers;
    std::optional<DebugId> debug_id;
    std::optional<std::string> sourcemap;
  };
  const std::vector<Case> cases = {
      {StrCat(R"({"debug-id":"","Debug-Id":")", kId, R"("})"), id, std::nullopt},
      {StrCat(R"({"Debug-Id":")", kId, R"(","debug-id":"9e77a589-21d2-5428-829a-414ebcccce2a"})"),
       id, std::nullopt},
      {StrCat(R"({"DEBUG-ID":"","debug-id":"9e77a589-21d2-5428-829a-414ebcccce2a","Debug-Id":")",
              kId, R"("})"),
       other, std::nullopt},
      {R"({"debug-id":"","Debug-Id":""})", std::nullopt, std::nullopt},
      {R"({"sourcemap":"","SourceMap":"a.map","SOURCEMAP":"b.map"})", std::nullopt, "a.map"},
      {R"({"SourceMap":"a.map","sourcemap":""})", std::nullopt, "a.map"},
      {R"({"x-sourcemap":"","X-SourceMap":"legacy.map"})", std::nullopt, "legacy.map"},
      {R"({"sourcemap":"","sourcemap":"","x-sourcemap":"legacy.map"})", std::nullopt, "legacy.map"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<format::FileLocator> file =
        ReadOneEntry(StrCat(R"({"type":"source","url":"~/a.js","headers":)", c.headers, "}"));
    ASSERT_TRUE(file.ok()) << c.headers << ": " << file.status();
    EXPECT_EQ(file->debug_id, c.debug_id) << c.headers;
    EXPECT_EQ(file->sourcemap, c.sourcemap) << c.headers;
  }
  // The first non-empty value must parse, whatever follows it.
  absl::StatusOr<format::FileLocator> file = ReadOneEntry(StrCat(
      R"({"type":"source","url":"~/a.js","headers":{"debug-id":"","Debug-Id":"xyz","DEBUG-ID":")",
      kId, R"("}})"));
  ASSERT_FALSE(file.ok());
  ExpectError(file.status(), absl::StatusCode::kInvalidArgument, "debug-id");
}

TEST(ReadBundleTest, DebugIdHeaderIsParsedInAnyForm) {
  const DebugId id = ParseId(kId);
  for (std::string_view form :
       {"2F259F80-58B7-44CB-D7CD-DE1505E7E718", "2f259f8058b744cbd7cdde1505e7e718"}) {
    absl::StatusOr<format::FileLocator> file = ReadOneEntry(
        StrCat(R"({"type":"source","url":"~/a.js","headers":{"debug-id":")", form, R"("}})"));
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_EQ(file->debug_id, id);
  }
  // A file's debug id keeps its appendix (only the bundle id drops it).
  absl::StatusOr<format::FileLocator> file = ReadOneEntry(
      StrCat(R"({"type":"source","url":"~/a.js","headers":{"debug-id":")", kId, R"(-feedface"}})"));
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(file->debug_id.has_value());
  EXPECT_EQ(file->debug_id->appendix, 0xfeedfaceu);
}

TEST(ReadBundleTest, SourcemapHeaders) {
  struct Case {
    std::string_view headers;
    std::optional<std::string> sourcemap;
  };
  const Case cases[] = {
      {R"({"sourcemap":"a.map"})", "a.map"},
      {R"({"x-sourcemap":"legacy.map"})", "legacy.map"},
      {R"({"X-SourceMap":"legacy.map"})", "legacy.map"},
      {R"({"x-sourcemap":"legacy.map","sourcemap":"a.map"})", "a.map"},
      {R"({"sourcemap":"a.map","x-sourcemap":"legacy.map"})", "a.map"},
      {R"({"sourcemap":"","x-sourcemap":"legacy.map"})", "legacy.map"},
      {R"({"sourcemap":""})", std::nullopt},
      {R"({"x-sourcemap":""})", std::nullopt},
      {R"({})", std::nullopt},
      {R"(null)", std::nullopt},
      {R"({"sourcemap":"data:application/json;base64,e30="})", "data:application/json;base64,e30="},
  };
  for (const Case& c : cases) {
    absl::StatusOr<format::FileLocator> file =
        ReadOneEntry(StrCat(R"({"type":"source","url":"~/a.js","headers":)", c.headers, "}"));
    ASSERT_TRUE(file.ok()) << c.headers << ": " << file.status();
    EXPECT_EQ(file->sourcemap, c.sourcemap) << c.headers;
  }
}

TEST(ReadBundleTest, EmptyValuesAreAbsent) {
  absl::StatusOr<format::FileLocator> file =
      ReadOneEntry(R"({"type":"source","url":"~/a.js","headers":{"debug-id":"","sourcemap":""}})");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_FALSE(file->debug_id.has_value());
  EXPECT_FALSE(file->sourcemap.has_value());

  absl::StatusOr<Bundle> bundle = Read(ZipWithManifest(R"({"files":{},"debug_id":""})", {}));
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_FALSE(bundle->manifest_debug_id.has_value());
  bundle = Read(ZipWithManifest(R"({"files":{},"debug_id":null})", {}));
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_FALSE(bundle->manifest_debug_id.has_value());
  EXPECT_TRUE(bundle->files.empty());
}

TEST(ReadBundleTest, ManifestDebugIdIsNormalised) {
  for (std::string_view form : {
           "9e77a589-21d2-5428-829a-414ebcccce2a",
           "9E77A589-21D2-5428-829A-414EBCCCCE2A",
           "9e77a58921d25428829a414ebcccce2a",
           "9E77A58921D25428829A414EBCCCCE2A",
           "9e77a589-21d2-5428-829a-414ebcccce2a-a",
           "9E77A589-21D2-5428-829A-414EBCCCCE2A-FEEDFACE",
           "9e77a58921d25428829a414ebcccce2afeedface",
       }) {
    absl::StatusOr<Bundle> bundle =
        Read(ZipWithManifest(StrCat(R"({"files":{},"debug_id":")", form, R"(","org":"x"})"), {}));
    ASSERT_TRUE(bundle.ok()) << form << ": " << bundle.status();
    EXPECT_EQ(bundle->manifest_debug_id, "9e77a589-21d2-5428-829a-414ebcccce2a") << form;
  }
  for (std::string_view bad : {R"("not-a-debug-id")", R"(42)", R"(["x"])", R"({})", R"(true)"}) {
    absl::StatusOr<Bundle> bundle =
        Read(ZipWithManifest(StrCat(R"({"files":{},"debug_id":)", bad, "}"), {}));
    ASSERT_FALSE(bundle.ok()) << bad;
    ExpectError(bundle.status(), absl::StatusCode::kInvalidArgument, "debug_id");
  }
}

TEST(ReadBundleTest, FreeTopLevelAttributesAreIgnored) {
  absl::StatusOr<Bundle> bundle = Read(ZipWithManifest(
      R"({"org":"o","project":"p","release":"1.0","dist":"web","note":{"a":[1,2,{"b":null}]},)"
      R"("files":{"files/a.js":{"type":"source","url":"~/a.js","extra":[1]}},"n":1.5})",
      {"files/a.js"}));
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  ASSERT_EQ(bundle->files.size(), 1u);
}

TEST(ReadBundleTest, FilesInManifestOrder) {
  const std::string manifest = R"({"files":{"files/z.js":{"type":"source","url":"~/z.js"},)"
                               R"("files/a.js":{"type":"source","url":"~/a.js"},)"
                               R"("files/m.js":{"type":"source","url":"~/m.js"}}})";
  absl::StatusOr<Bundle> bundle =
      Read(ZipWithManifest(manifest, {"files/a.js", "files/m.js", "files/z.js", "files/extra"}));
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  ASSERT_EQ(bundle->files.size(), 3u);
  EXPECT_EQ(bundle->files[0].path, "files/z.js");
  EXPECT_EQ(bundle->files[1].path, "files/a.js");
  EXPECT_EQ(bundle->files[2].path, "files/m.js");
}

// The manifest's files are found whatever the order of the archive (sorted or not) and of the
// manifest (the same, or another), and a name the archive or the manifest holds twice is found
// wherever it is.
TEST(ReadBundleTest, FilesInAnyOrder) {
  const std::vector<std::string> sorted = {"files/a.js", "files/b.js", "files/c.js", "files/d.js"};
  const std::vector<std::vector<std::string>> orders = {
      sorted,
      {"files/d.js", "files/c.js", "files/b.js", "files/a.js"},
      {"files/b.js", "files/a.js", "files/d.js", "files/c.js"},
      {"files/a.js", "files/b.js", "files/d.js", "files/c.js"},
  };
  auto manifest_of = [](const std::vector<std::string>& names) {
    std::string m = "{\"files\":{";
    for (size_t i = 0; i < names.size(); ++i) {
      StrAppend(&m, i ? "," : "", "\"", names[i], "\":{\"type\":\"source\",\"url\":\"~/", i, "\"}");
    }
    return m + "}}";
  };
  for (const std::vector<std::string>& archive_order : orders) {
    for (const std::vector<std::string>& manifest_order : orders) {
      SCOPED_TRACE(
          StrCat(archive_order[0], archive_order[1], " / ", manifest_order[0], manifest_order[1]));
      absl::StatusOr<Bundle> bundle =
          Read(ZipWithManifest(manifest_of(manifest_order), archive_order));
      ASSERT_TRUE(bundle.ok()) << bundle.status();
      ASSERT_EQ(bundle->files.size(), manifest_order.size());
      for (size_t i = 0; i < manifest_order.size(); ++i) {
        EXPECT_EQ(bundle->files[i].path, manifest_order[i]);
      }
      // Listed twice, next to each other or not.
      for (size_t twice : {size_t{0}, size_t{3}}) {
        std::vector<std::string> listed = manifest_order;
        listed.push_back(manifest_order[twice]);
        bundle = Read(ZipWithManifest(manifest_of(listed), archive_order));
        ASSERT_FALSE(bundle.ok());
        ExpectError(bundle.status(), absl::StatusCode::kInvalidArgument,
                    StrCat("lists \"", manifest_order[twice], "\" twice"));
      }
      // Files the archive does not hold, before, between and after the others.
      for (std::string missing : {"files/0.js", "files/bb.js", "files/z.js"}) {
        std::vector<std::string> listed = manifest_order;
        listed.insert(listed.begin() + 2, missing);
        bundle = Read(ZipWithManifest(manifest_of(listed), archive_order));
        ASSERT_FALSE(bundle.ok());
        ExpectError(bundle.status(), absl::StatusCode::kInvalidArgument,
                    StrCat("\"", missing, "\", which the archive does not hold"));
      }
      // The archive holding a name twice: at its start, or after all others.
      for (size_t twice : {size_t{0}, size_t{3}}) {
        std::vector<std::string> names = archive_order;
        names.push_back(archive_order[twice]);
        bundle = Read(ZipWithManifest(manifest_of(manifest_order), names));
        ASSERT_FALSE(bundle.ok());
        ExpectError(bundle.status(), absl::StatusCode::kInvalidArgument,
                    StrCat("zip entry \"", archive_order[twice], "\" appears twice"));
      }
    }
  }
}

TEST(ReadBundleTest, MissingManifest) {
  absl::StatusOr<Bundle> bundle = Read(Zip({{"files/a.js", "x"}}));
  ASSERT_FALSE(bundle.ok());
  ExpectError(bundle.status(), absl::StatusCode::kInvalidArgument, "manifest.json");
  // Only the root manifest counts.
  bundle = Read(Zip({{"files/manifest.json", R"({"files":{}})"}}));
  ASSERT_FALSE(bundle.ok());
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kInvalidArgument);
  bundle = Read(Zip({{"Manifest.json", R"({"files":{}})"}}));
  ASSERT_FALSE(bundle.ok());
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReadBundleTest, InvalidManifests) {
  struct Case {
    std::string manifest;
    std::string_view message_part;
  };
  const std::vector<Case> cases = {
      {"", "JSON"},
      {"not json", "JSON"},
      {"{", "JSON"},
      {R"({"files":{}} trailing)", "JSON"},
      {"[]", "object"},
      {R"("files")", "object"},
      {"{}", "files"},
      {R"({"files":null})", "files"},
      {R"({"files":[]})", "files"},
      {R"({"files":"x"})", "files"},
      {OneEntryManifest("[]"), "not an object"},
      {OneEntryManifest("\"x\""), "not an object"},
      {OneEntryManifest(R"({"url":"~/a.js"})"), "type"},
      {OneEntryManifest(R"({"type":"","url":"~/a.js"})"), "type"},
      {OneEntryManifest(R"({"type":1,"url":"~/a.js"})"), "type"},
      {OneEntryManifest(R"({"type":"sourcemap","url":"~/a.js"})"), "unknown type"},
      {OneEntryManifest(R"({"type":"Source","url":"~/a.js"})"), "unknown type"},
      {OneEntryManifest(R"({"type":"source"})"), "neither"},
      {OneEntryManifest(R"({"type":"source","url":"","path":""})"), "neither"},
      {OneEntryManifest(R"({"type":"source","url":null})"), "neither"},
      {OneEntryManifest(R"({"type":"source","url":5})"), "url"},
      {OneEntryManifest(R"({"type":"source","url":["~/a.js"]})"), "url"},
      {OneEntryManifest(R"({"type":"source","url":"~/a.js","path":{}})"), "path"},
      {OneEntryManifest(R"({"type":"source","url":"~/a.js","headers":[]})"), "headers"},
      {OneEntryManifest(R"({"type":"source","url":"~/a.js","headers":"x"})"), "headers"},
      {OneEntryManifest(R"({"type":"source","url":"~/a.js","headers":{"sourcemap":1}})"),
       "sourcemap"},
      {OneEntryManifest(R"({"type":"source","url":"~/a.js","headers":{"debug-id":null}})"),
       "debug-id"},
      {OneEntryManifest(R"({"type":"source","url":"~/a.js","headers":{"debug-id":"xyz"}})"),
       "debug-id"},
      {OneEntryManifest(StrCat(R"({"type":"source","url":"~/a.js","headers":{"debug-id":")", kId,
                               R"(-123456789"}})")),
       "debug-id"},
      {R"({"files":{"files/missing.js":{"type":"source","url":"~/m.js"}}})", "files/missing.js"},
      {R"({"files":{"manifest.json ":{"type":"source","url":"~/m.js"}}})", "does not hold"},
      {R"({"files":{"files/a.js":{"type":"source","url":"~/a.js"},)"
       R"("files/a.js":{"type":"source","url":"~/b.js"}}})",
       "twice"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Bundle> bundle = Read(ZipWithManifest(c.manifest, {"files/a.js"}));
    ASSERT_FALSE(bundle.ok()) << c.manifest;
    ExpectError(bundle.status(), absl::StatusCode::kInvalidArgument, c.message_part);
  }
}

TEST(ReadBundleTest, InvalidArchives) {
  const std::string manifest = OneEntryManifest(R"({"type":"source","url":"~/a.js"})");
  struct Case {
    Entries entries;
    std::string_view message_part;
  };
  const std::vector<Case> cases = {
      {{{"files/a.js", "1"}, {"files/a.js", "2"}, {"manifest.json", manifest}}, "twice"},
      {{{"files/a.js", "1"}, {"manifest.json", manifest}, {"manifest.json", manifest}}, "twice"},
      {{{"files/a.js", "1"}, {"files/../../etc/passwd", "x"}, {"manifest.json", manifest}},
       "unsafe"},
      {{{"files/a.js", "1"}, {"..", "x"}, {"manifest.json", manifest}}, "unsafe"},
      {{{"files/a.js", "1"}, {"../x", "x"}, {"manifest.json", manifest}}, "unsafe"},
      {{{"files/a.js", "1"}, {"files/..", "x"}, {"manifest.json", manifest}}, "unsafe"},
      {{{"files/a.js", "1"}, {"/etc/passwd", "x"}, {"manifest.json", manifest}}, "unsafe"},
      {{{"files/a.js", "1"}, {"files\\..\\x", "x"}, {"manifest.json", manifest}}, "unsafe"},
      // A backslash anywhere in a name with slashes, also as its last byte.
      {{{"files/a.js", "1"}, {"files/b\\c.js", "x"}, {"manifest.json", manifest}}, "unsafe"},
      {{{"files/a.js", "1"}, {"files/b.js\\", "x"}, {"manifest.json", manifest}}, "unsafe"},
      {{{"files/a.js", "1"}, {"files/b/../../c.js", "x"}, {"manifest.json", manifest}}, "unsafe"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> zip = WriteZip(c.entries, true);
    ASSERT_TRUE(zip.ok()) << zip.status();
    absl::StatusOr<Bundle> bundle = Read(*zip);
    ASSERT_FALSE(bundle.ok()) << c.entries[1].first;
    ExpectError(bundle.status(), absl::StatusCode::kInvalidArgument, c.message_part);
  }
  // A name with ".." inside a component is fine, as is a component of three dots.
  absl::StatusOr<Bundle> bundle =
      Read(ZipWithManifest(R"({"files":{"files/a..b.js":{"type":"source","url":"~/a..b.js"},)"
                           R"("files/.../c..":{"type":"source","url":"~/c.js"}}})",
                           {"files/a..b.js", "files/.../c.."}));
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ(bundle->files.size(), 2u);
}

// A Bundle's files view its own block of strings: they stay valid once the archive and the
// manifest are gone and after the Bundle moves, escaped JSON strings unescaped.
TEST(ReadBundleTest, FilesOutliveTheArchiveAndMoves) {
  const std::string manifest =
      R"({"files":{"files/a\u002ejs":{"type":"minified_source","url":"~/\u00e9\"a\".js",)"
      R"("headers":{"Debug-Id":"2f259f80-58b7-44cb-d7cd-de1505e7e718","SourceMap":"a\/b.map"}},)"
      R"("files/b.js":{"type":"source","path":"~/b.js"}}})";
  Bundle moved;
  {
    std::string archive = ZipWithManifest(manifest, {"files/a.js", "files/b.js"});
    absl::StatusOr<Bundle> bundle = Read(archive);
    ASSERT_TRUE(bundle.ok()) << bundle.status();
    std::fill(archive.begin(), archive.end(), '\0');
    // Another read on this thread reuses the parser, whose strings the files must not view.
    ASSERT_TRUE(Read(ZipWithManifest(OneEntryManifest(R"({"type":"source","url":"~/zzzz.js"})"),
                                     {"files/a.js"}))
                    .ok());
    moved = *std::move(bundle);
  }
  ASSERT_EQ(moved.files.size(), 2u);
  const format::FileLocator a = moved.files[0].ToLocator();
  EXPECT_EQ(a.path, "files/a.js");
  EXPECT_EQ(a.url, "~/\xc3\xa9\"a\".js");
  EXPECT_EQ(a.type, FileType::kMinifiedSource);
  EXPECT_EQ(a.debug_id, ParseId(kId));
  EXPECT_EQ(a.sourcemap, "a/b.map");
  EXPECT_EQ(moved.files[1].path, "files/b.js");
  EXPECT_EQ(moved.files[1].url, "~/b.js");
  EXPECT_FALSE(moved.files[1].debug_id.has_value());
  EXPECT_FALSE(moved.files[1].sourcemap.has_value());
}

TEST(ReadBundleTest, MaxEntries) {
  BundleLimits limits;
  limits.max_entries = 3;
  auto manifest_of = [](int n) {
    std::string m = "{\"files\":{";
    for (int i = 0; i < n; ++i) {
      StrAppend(&m, i ? "," : "", "\"files/", i, ".js\":{\"type\":\"source\",\"url\":\"~/", i,
                ".js\"}");
    }
    return m + "}}";
  };
  auto names_of = [](int n) {
    std::vector<std::string> names;
    for (int i = 0; i < n; ++i) names.push_back(StrCat("files/", i, ".js"));
    return names;
  };
  // At the limit.
  absl::StatusOr<Bundle> bundle = Read(ZipWithManifest(manifest_of(3), names_of(3)), limits);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ(bundle->files.size(), 3u);
  // A manifest listing more files than the limit.
  bundle = Read(ZipWithManifest(manifest_of(4), names_of(4)), limits);
  ASSERT_FALSE(bundle.ok());
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kResourceExhausted) << bundle.status();
  // The manifest itself is not one of the max_entries files; one more entry is not.
  bundle = Read(ZipWithManifest(manifest_of(1), names_of(3)), limits);
  EXPECT_TRUE(bundle.ok()) << bundle.status();
  bundle = Read(ZipWithManifest(manifest_of(1), names_of(4)), limits);
  ASSERT_FALSE(bundle.ok());
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kResourceExhausted) << bundle.status();
  // An archive with many more entries than the limit, its manifest small.
  bundle = Read(ZipWithManifest(manifest_of(1), names_of(50)), limits);
  ASSERT_FALSE(bundle.ok());
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kResourceExhausted) << bundle.status();
}

TEST(ReadBundleTest, MaxManifestBytesCountsInflatedBytes) {
  BundleLimits limits;
  limits.max_manifest_bytes = 64 << 10;
  // 4 MiB of JSON whitespace: deflates to a few KiB, inflates past the cap.
  std::string manifest = R"({"files":{)" + std::string(4 << 20, ' ') + "}}";
  const std::string archive = ZipWithManifest(manifest, {});
  ASSERT_LT(archive.size(), limits.max_manifest_bytes);
  absl::StatusOr<Bundle> bundle = Read(archive, limits);
  ASSERT_FALSE(bundle.ok());
  ExpectError(bundle.status(), absl::StatusCode::kResourceExhausted, "manifest.json");
  // Under the default cap the same manifest is fine.
  bundle = Read(archive);
  EXPECT_TRUE(bundle.ok()) << bundle.status();
  // Exactly at the cap is fine too.
  limits.max_manifest_bytes = manifest.size();
  bundle = Read(archive, limits);
  EXPECT_TRUE(bundle.ok()) << bundle.status();
  limits.max_manifest_bytes = manifest.size() - 1;
  bundle = Read(archive, limits);
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(ReadBundleTest, MaxArchiveBytes) {
  BundleLimits limits;
  const std::string archive =
      ZipWithManifest(OneEntryManifest(R"({"type":"source","url":"~/a.js"})"), {"files/a.js"});
  limits.max_archive_bytes = archive.size();
  EXPECT_TRUE(Read(archive, limits).ok());
  limits.max_archive_bytes = archive.size() - 1;
  EXPECT_EQ(Read(archive, limits).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(ReadBundleTest, MaxStringBytes) {
  BundleLimits limits;
  limits.max_string_bytes = 100;
  auto read = [&](std::string_view entry) {
    return Read(ZipWithManifest(OneEntryManifest(entry), {"files/a.js"}), limits);
  };
  const std::string at = "~/" + std::string(98, 'u');
  const std::string over = "~/" + std::string(99, 'u');
  absl::StatusOr<Bundle> bundle = read(StrCat(R"({"type":"source","url":")", at, R"("})"));
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ(bundle->files[0].url, at);
  for (std::string entry : {
           StrCat(R"({"type":"source","url":")", over, R"("})"),
           StrCat(R"({"type":"source","path":")", over, R"("})"),
           StrCat(R"({"type":"source","url":"~/a.js","path":")", over, R"("})"),
           StrCat(R"({"type":"source","url":"~/a.js","headers":{"sourcemap":")", over, R"("}})"),
           StrCat(R"({"type":"source","url":"~/a.js","headers":{"x-other":")", over, R"("}})"),
       }) {
    bundle = read(entry);
    ASSERT_FALSE(bundle.ok()) << entry;
    EXPECT_EQ(bundle.status().code(), absl::StatusCode::kResourceExhausted) << bundle.status();
  }
  bundle =
      read(StrCat(R"({"type":"source","url":"~/a.js","headers":{"sourcemap":")", at, R"("}})"));
  EXPECT_TRUE(bundle.ok()) << bundle.status();
}

// {"files":{},"note":[[...]]} with `depth` levels of arrays under the root object.
std::string DeepManifest(int depth) {
  return StrCat(R"({"files":{},"note":)", std::string(depth, '['), std::string(depth, ']'), "}");
}

TEST(ReadBundleTest, MaxJsonDepth) {
  BundleLimits limits;
  limits.max_json_depth = 16;
  absl::StatusOr<Bundle> bundle = Read(ZipWithManifest(DeepManifest(8), {}), limits);
  EXPECT_TRUE(bundle.ok()) << bundle.status();
  for (int depth : {64, 1000, 100000}) {
    bundle = Read(ZipWithManifest(DeepManifest(depth), {}), limits);
    ASSERT_FALSE(bundle.ok()) << depth;
    EXPECT_NE(StdView(bundle.status().message()).find("deep"), std::string_view::npos)
        << bundle.status();
  }
  // With the default limit (64), very deep nesting is rejected, never a stack overflow.
  bundle = Read(ZipWithManifest(DeepManifest(1 << 20), {}));
  EXPECT_FALSE(bundle.ok());
  bundle = Read(ZipWithManifest(DeepManifest(50), {}));
  EXPECT_TRUE(bundle.ok()) << bundle.status();
}

// Past max_json_depth the manifest hits a cap, like every other BundleLimits cap
// (max_entries, max_manifest_bytes, max_string_bytes, max_archive_bytes): ResourceExhausted.
TEST(ReadBundleTest, MaxJsonDepthIsResourceExhausted) {
  BundleLimits limits;
  limits.max_json_depth = 16;
  absl::StatusOr<Bundle> bundle = Read(ZipWithManifest(DeepManifest(1000), {}), limits);
  ASSERT_FALSE(bundle.ok());
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kResourceExhausted)
      << "a cap should give ResourceExhausted: " << bundle.status();
}

TEST(ReadArchiveEntryTest, ExactBytes) {
  std::string binary;
  for (int i = 0; i < 300000; ++i) binary.push_back(static_cast<char>((i * 2654435761u) >> 13));
  const Entries entries = {
      {"files/empty", ""},
      {"files/nul", std::string("a\0b\0", 4)},
      {"files/binary", binary},
      {"files/text", std::string(100000, 'z')},
      {"manifest.json", R"({"files":{}})"},
  };
  for (bool sysb : {false, true}) {
    const std::string archive = Zip(entries, sysb);
    for (const auto& [name, data] : entries) {
      absl::StatusOr<std::string> bytes = ReadArchiveEntry(archive, name, 1 << 20);
      ASSERT_TRUE(bytes.ok()) << name << ": " << bytes.status();
      EXPECT_EQ(*bytes, data) << name;
    }
    for (std::string_view missing : {"files/missin", "files/binary ", "files", "", "FILES/TEXT"}) {
      absl::StatusOr<std::string> bytes = ReadArchiveEntry(archive, missing, 1 << 20);
      ASSERT_FALSE(bytes.ok()) << missing;
      EXPECT_EQ(bytes.status().code(), absl::StatusCode::kNotFound) << bytes.status();
    }
    absl::StatusOr<std::string> capped = ReadArchiveEntry(archive, "files/text", 99999);
    EXPECT_EQ(capped.status().code(), absl::StatusCode::kResourceExhausted) << capped.status();
    capped = ReadArchiveEntry(archive, "files/text", 100000);
    EXPECT_TRUE(capped.ok()) << capped.status();
  }
  EXPECT_FALSE(ReadArchiveEntry("not a zip", "files/a", 100).ok());
}

TEST(ZipPathForUrlTest, ReferenceExamples) {
  EXPECT_EQ(ZipPathForUrl("~/foo/bar"), "files/_/_/foo/bar");
  EXPECT_EQ(ZipPathForUrl("~/static/main.min.js"), "files/_/_/static/main.min.js");
  EXPECT_EQ(ZipPathForUrl("https://host/x.js"), "files/https/host/x.js");
  EXPECT_EQ(ZipPathForUrl("https://example.com/assets/bundle.min.js"),
            "files/https/example.com/assets/bundle.min.js");
  EXPECT_EQ(ZipPathForUrl("scheme:///x"), "files/scheme/_/x");
  EXPECT_EQ(ZipPathForUrl("app:///_next/server/pages/_error.js"),
            "files/app/_/_next/server/pages/_error.js");
}

TEST(ScanDirectoryTest, PairsScriptsWithTheirMaps) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir / "static/nested");
  const std::string a_js = "console.log('a');\n//# sourceMappingURL=a.js.map\n";
  const std::string b_js = "console.log('b');\n//# debugId=EB6E60F1-65FF-4F6F-ABCD-0123456789EF\n";
  const std::string c_js = "console.log('c');\n";  // no comment: its map found by name
  testing::WriteFileOrDie(dir / "static/a.js", a_js);
  testing::WriteFileOrDie(dir / "static/a.js.map", R"({"version":3,"mappings":""})");
  testing::WriteFileOrDie(dir / "static/b.js", b_js);
  testing::WriteFileOrDie(dir / "static/nested/c.js", c_js);
  testing::WriteFileOrDie(dir / "static/nested/c.js.map", R"({"version":3})");
  testing::WriteFileOrDie(dir / "static/orphan.map",
                          R"({"version":3,"debugId":"11111111-2222-3333-4444-555555555555"})");
  testing::WriteFileOrDie(dir / "static/readme.txt", "not a script");

  absl::StatusOr<BundleSpec> spec = ScanDirectory(dir.path(), "~/assets/");
  ASSERT_TRUE(spec.ok()) << spec.status();
  std::map<std::string, const BundleFile*> by_url;
  for (const BundleFile& f : spec->files) by_url[f.url] = &f;
  ASSERT_EQ(by_url.size(), 6u) << "readme.txt must be skipped";
  for (const auto& [url, f] : by_url) EXPECT_TRUE(url.starts_with("~/assets/static/")) << url;

  const BundleFile* a = by_url["~/assets/static/a.js"];
  const BundleFile* a_map = by_url["~/assets/static/a.js.map"];
  ASSERT_TRUE(a && a_map);
  EXPECT_EQ(a->type, FileType::kMinifiedSource);
  EXPECT_EQ(a_map->type, FileType::kSourceMap);
  EXPECT_EQ(a->content, a_js);
  ASSERT_TRUE(a->debug_id.has_value());
  // Without a debugId comment or a debug_id in its map, the id comes from the map's bytes as
  // sentry-cli derives it: their SHA-1's first 16 bytes, as a version-5 RFC 4122 UUID.
  const Sha1Digest digest = Sha1Digest::Of(R"({"version":3,"mappings":""})");
  EXPECT_TRUE(std::equal(a->debug_id->uuid.begin(), a->debug_id->uuid.begin() + 6, digest.begin()));
  EXPECT_EQ(a->debug_id->uuid[6], (digest[6] & 0x0f) | 0x50);
  EXPECT_EQ(a->debug_id->uuid[8], (digest[8] & 0x3f) | 0x80);
  EXPECT_EQ(*a->debug_id, DebugIdFromSha1(R"({"version":3,"mappings":""})"));
  EXPECT_EQ(a_map->debug_id, a->debug_id);
  EXPECT_EQ(a->sourcemap, "a.js.map");

  const BundleFile* b = by_url["~/assets/static/b.js"];
  ASSERT_TRUE(b);
  EXPECT_EQ(b->debug_id, ParseId("eb6e60f1-65ff-4f6f-abcd-0123456789ef"));
  EXPECT_FALSE(b->sourcemap.has_value());

  const BundleFile* c = by_url["~/assets/static/nested/c.js"];
  const BundleFile* c_map = by_url["~/assets/static/nested/c.js.map"];
  ASSERT_TRUE(c && c_map);
  ASSERT_TRUE(c->debug_id.has_value());
  EXPECT_EQ(c_map->debug_id, c->debug_id);
  EXPECT_EQ(c->sourcemap, "c.js.map");
  EXPECT_NE(c->debug_id, a->debug_id);

  const BundleFile* orphan = by_url["~/assets/static/orphan.map"];
  ASSERT_TRUE(orphan);
  EXPECT_EQ(orphan->debug_id, ParseId("11111111-2222-3333-4444-555555555555"));

  // Through a bundle: the reader sees the same pairing as headers.
  absl::StatusOr<std::string> archive = WriteBundle(*spec);
  ASSERT_TRUE(archive.ok()) << archive.status();
  absl::StatusOr<Bundle> bundle = ReadBundle(*archive, BundleLimits());
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  std::map<std::string, const ManifestFile*, std::less<>> read;
  for (const ManifestFile& f : bundle->files) read[std::string(f.url)] = &f;
  ASSERT_EQ(read.size(), 6u);
  const ManifestFile* ra = read["~/assets/static/a.js"];
  const ManifestFile* ra_map = read["~/assets/static/a.js.map"];
  ASSERT_TRUE(ra && ra_map);
  EXPECT_EQ(ra->path, "files/_/_/assets/static/a.js");
  EXPECT_EQ(ra->debug_id, a->debug_id);
  EXPECT_EQ(ra_map->debug_id, a->debug_id);
  EXPECT_EQ(ra->sourcemap, "a.js.map");
  absl::StatusOr<std::string> bytes = ReadArchiveEntry(*archive, ra->path, 1 << 20);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, a_js);
}

// ScanDirectory strips the prefix's trailing slash once, not once per file: the files of one
// directory all get the same url prefix, however many slashes it ends in.
TEST(ScanDirectoryTest, EveryFileGetsTheSamePrefix) {
  testing::TempDir dir;
  for (std::string_view name : {"a.js", "b.js", "c.js"}) {
    testing::WriteFileOrDie(dir / std::string(name), "x();");
  }
  for (std::string_view prefix : {"~/static", "~/static/", "~/static//", "https://cdn.io///"}) {
    absl::StatusOr<BundleSpec> spec = ScanDirectory(dir.path(), prefix);
    ASSERT_TRUE(spec.ok()) << spec.status();
    ASSERT_EQ(spec->files.size(), 3u);
    std::set<std::string> prefixes;
    for (const BundleFile& f : spec->files) {
      ASSERT_TRUE(f.url.ends_with(".js")) << f.url;
      prefixes.insert(f.url.substr(0, f.url.size() - 4));  // without "a.js"
    }
    EXPECT_EQ(prefixes.size(), 1u) << "prefix \"" << prefix << "\": " << spec->files[0].url << ", "
                                   << spec->files[1].url << ", " << spec->files[2].url;
  }
}

TEST(ScanDirectoryTest, NotADirectory) {
  testing::TempDir dir;
  EXPECT_FALSE(ScanDirectory(dir / "missing", "~/").ok());
  testing::WriteFileOrDie(dir / "file.js", "x");
  EXPECT_FALSE(ScanDirectory(dir / "file.js", "~/").ok());
  absl::StatusOr<BundleSpec> empty = ScanDirectory(dir.path(), "~");
  ASSERT_TRUE(empty.ok()) << empty.status();
  ASSERT_EQ(empty->files.size(), 1u);
  EXPECT_EQ(empty->files[0].url, "~/file.js");
}

}  // namespace
}  // namespace artidx::bundle
