// End-to-end tests of `artidx add` on bad input: one test per kind of bad bundle or bad option.
// Each asserts exit status 2, nothing on stdout, a stderr of exactly one line that names the
// bundle and the problem, and a store left byte for byte as it was (every path and content).
//
// The bad bundles are made here: raw bytes, bundle::WriteZip (a zip with any entries, any
// manifest) and bundle::WriteBundle, or a fixture with bytes flipped.
//
// One file of more than 600 lines: one test per bad input, 41 of them, all asserting through
// the same helper (exit 2, one stderr line, store unchanged); it is one catalogue.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "artidx/indexer.h"
#include "bundle/bundle_reader.h"
#include "bundle/bundle_writer.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "tests/testing.h"

namespace artidx {
namespace {

namespace fs = std::filesystem;
using ::artidx::testing::CommandResult;
using ::artidx::testing::FixturePath;
using ::artidx::testing::ReadFileOrDie;
using ::artidx::testing::RunCli;
using ::artidx::testing::TempDir;
using ::artidx::testing::WriteFileOrDie;

constexpr char kDebugId[] = "2f259f80-58b7-44cb-d7cd-de1505e7e718";
constexpr char kBundleId[] = "9e77a589-21d2-5428-829a-414ebcccce2a";

// Every path under root (directories marked) with the content of every file.
std::map<std::string, std::string> Snapshot(const std::string& root) {
  std::map<std::string, std::string> files;
  std::error_code ec;
  if (!fs::exists(root, ec)) return files;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const std::string rel = fs::relative(it->path(), root).generic_string();
    files[rel] = it->is_directory() ? "<directory>" : ReadFileOrDie(it->path().string());
  }
  EXPECT_FALSE(ec) << ec.message();
  return files;
}

::testing::AssertionResult Contains(const std::string& haystack, const std::string& needle) {
  if (haystack.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\"" << haystack << "\" does not contain \"" << needle << "\"";
}

// A manifest entry for `files/<name>`.
std::string Entry(const std::string& name, const std::string& body) {
  return StrCat("\"files/", name, "\":", body);
}

// A minimal valid entry body, with a debug id.
std::string GoodBody(const std::string& url) {
  return StrCat("{\"type\":\"minified_source\",\"url\":\"", url, "\",\"headers\":{\"debug-id\":\"",
                kDebugId, "\"}}");
}

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_ / "store";
    // A store with something in it: one good bundle in project web, release 1.0.
    const std::string good = WriteBundle("base.zip", "~/base.js");
    CommandResult r = RunCli({"--store", root_, "add", good, "--project", "web", "--release", "1.0",
                              "--timestamp", "1000"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_FALSE(Snapshot(root_).empty());
  }

  // A good bundle of one script at `url`, with a debug id, written to dir_/name.
  std::string WriteBundle(const std::string& name, const std::string& url) {
    bundle::BundleSpec spec;
    absl::StatusOr<DebugId> id = DebugId::Parse(kDebugId);
    EXPECT_TRUE(id.ok());
    spec.files.push_back({url, FileType::kMinifiedSource, "content of " + url, *id, std::nullopt});
    absl::StatusOr<std::string> bytes = bundle::WriteBundle(spec);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    const std::string path = dir_ / name;
    WriteFileOrDie(path, bytes.ok() ? *bytes : "");
    return path;
  }

  // A zip with these entries (after the SYSB prefix), written to dir_/name.
  std::string WriteZip(const std::string& name,
                       const std::vector<std::pair<std::string, std::string>>& entries) {
    absl::StatusOr<std::string> bytes = bundle::WriteZip(entries, /*sysb_prefix=*/true);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    const std::string path = dir_ / name;
    WriteFileOrDie(path, bytes.ok() ? *bytes : "");
    return path;
  }

  // A zip holding files/a.js and this manifest.
  std::string WithManifest(const std::string& name, const std::string& manifest) {
    return WriteZip(name, {{"files/a.js", "a"}, {"manifest.json", manifest}});
  }

  std::string WriteRaw(const std::string& name, const std::string& bytes) {
    const std::string path = dir_ / name;
    WriteFileOrDie(path, bytes);
    return path;
  }

  // Runs `artidx --store <root> add <args>` and checks the refusal: exit 2, nothing on stdout,
  // one line on stderr naming `names` (unless empty) and `problem`, the store unchanged.
  void ExpectRejected(const std::vector<std::string>& args, const std::string& names,
                      const std::string& problem) {
    const auto before = Snapshot(root_);
    std::vector<std::string> argv = {"--store", root_, "add"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = RunCli(argv);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("artidx: ", 0), 0u) << r.err;
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.back(), '\n') << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "not one line: " << r.err;
    if (!names.empty()) {
      EXPECT_TRUE(Contains(r.err, names));
    }
    EXPECT_TRUE(Contains(r.err, problem));
    EXPECT_TRUE(before == Snapshot(root_)) << "the store changed";
  }

  // `add <bundle> --project web --release 1.0 --timestamp 2000 <extra>` refused for `problem`.
  void ExpectBundleRejected(const std::string& bundle, const std::string& problem,
                            const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {bundle, "--project",   "web", "--release",
                                     "1.0",  "--timestamp", "2000"};
    args.insert(args.end(), extra.begin(), extra.end());
    ExpectRejected(args, bundle, problem);
  }

  // `add <bundle> <args>` succeeds.
  void ExpectAccepted(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"--store", root_, "add"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = RunCli(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }

  TempDir dir_;
  std::string root_;
};

// --- not a bundle --------------------------------------------------------------------------------

TEST_F(BadInputTest, NotAnArchive) {
  ExpectBundleRejected(WriteRaw("text.zip", "console.log('hello');\n"), "not a zip archive");
}

TEST_F(BadInputTest, EmptyFile) {
  ExpectBundleRejected(WriteRaw("empty.zip", ""), "not a zip archive");
}

TEST_F(BadInputTest, MissingFile) {
  ExpectBundleRejected(dir_ / "no-such-bundle.zip", "No such file or directory");
}

TEST_F(BadInputTest, Directory) { ExpectBundleRejected(dir_.path(), "not a regular file"); }

TEST_F(BadInputTest, TruncatedZip) {
  const std::string whole = ReadFileOrDie(WriteBundle("whole.zip", "~/whole.js"));
  ASSERT_GT(whole.size(), 200u);
  for (size_t cut : {size_t{4}, size_t{6}, size_t{8}, size_t{9}, size_t{40}, whole.size() / 2,
                     whole.size() - 22, whole.size() - 21, whole.size() - 1}) {
    SCOPED_TRACE(StrCat("cut at ", cut, " of ", whole.size()));
    ExpectBundleRejected(WriteRaw(StrCat("cut-", cut, ".zip"), whole.substr(0, cut)),
                         cut < 8 ? "truncated SYSB prefix" : "zip archive");
  }
}

TEST_F(BadInputTest, CorruptZipBytes) {
  // sorted_bundles_02_correct.zip (1037 bytes): SYSB prefix; local header of files/test.min.js
  // at 8; manifest.json's local header at 698 and its deflated data at 725..809; the central
  // directory from 854; the end of central directory record from 1015.
  const std::string original =
      ReadFileOrDie(FixturePath("symbolicator/sorted_bundles_02_correct.zip"));
  ASSERT_EQ(original.size(), 1037u);
  const std::vector<std::pair<size_t, std::string>> cases = {
      {5, "unsupported SYSB format version"},
      {8, "corrupt zip archive"},      // a local header's signature
      {741, "reading manifest.json"},  // inside the manifest's deflate stream
      {776, "reading manifest.json: ZIP bad CRC"},
      {889, "corrupt zip archive"},  // a central directory signature
      {1015, "not a zip archive"},   // the end of central directory signature
  };
  for (const auto& [offset, problem] : cases) {
    SCOPED_TRACE(StrCat("byte ", offset, " flipped"));
    std::string bytes = original;
    bytes[offset] = static_cast<char>(bytes[offset] ^ 0xff);
    ExpectBundleRejected(WriteRaw(StrCat("flip-", offset, ".zip"), bytes), problem);
  }
}

// libarchive's message for this corruption ends in a newline ("ZIP uncompressed data is wrong
// size (read 153, expected 152)\n"); the error is still one line.
TEST_F(BadInputTest, CorruptManifestDataGivesOneLine) {
  std::string bytes = ReadFileOrDie(FixturePath("symbolicator/sorted_bundles_02_correct.zip"));
  ASSERT_EQ(bytes.size(), 1037u);
  bytes[787] = static_cast<char>(bytes[787] ^ 0xff);
  ExpectBundleRejected(WriteRaw("flip-787.zip", bytes), "reading manifest.json");
}

// An add reads only the central directory and manifest.json, so a bundle whose file data is
// corrupt (here a flipped byte inside files/test.min.js's deflate stream) is accepted; the
// corruption surfaces when the file is read: `artidx cat` fails with exit 2 and one line naming
// the stored archive and the entry. Other files of the bundle stay readable.
TEST_F(BadInputTest, CorruptFileDataSurfacesAtCat) {
  std::string bytes = ReadFileOrDie(FixturePath("symbolicator/sorted_bundles_02_correct.zip"));
  ASSERT_EQ(bytes.size(), 1037u);
  bytes[100] = static_cast<char>(bytes[100] ^ 0xff);
  const std::string bundle = WriteRaw("flip-100.zip", bytes);
  ExpectAccepted({bundle, "--project", "web", "--release", "1.0", "--timestamp", "2000"});
  // No manifest debug_id: the bundle id is the archive's SHA-1.
  const std::string sha1 = Sha1Digest::Of(bytes).Hex();
  const std::string archive = StrCat(root_, "/bundles/", sha1, "/", sha1, ".zip");
  ASSERT_TRUE(fs::exists(archive));
  const auto before = Snapshot(root_);
  CommandResult r = RunCli({"--store", root_, "cat", "--project", "web", "--release", "1.0",
                            "--url", "https://example.com/test.min.js"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("artidx: ", 0), 0u) << r.err;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.back(), '\n') << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "not one line: " << r.err;
  EXPECT_TRUE(Contains(r.err, archive));
  EXPECT_TRUE(Contains(r.err, "files/test.min.js"));
  EXPECT_TRUE(before == Snapshot(root_)) << "the store changed";
  // The source map's data is intact.
  r = RunCli({"--store", root_, "cat", "--project", "web", "--release", "1.0", "--url",
              "https://example.com/test.min.js.map"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Sha1Digest::Of(r.out).Hex(), "573d869fbaf7b19e26f6d6103b9ead7e740c5158");
}

// --- the manifest
// ----------------------------------------------------------------------------------

TEST_F(BadInputTest, NoManifest) {
  ExpectBundleRejected(WriteZip("no-manifest.zip", {{"files/_/_/a.js", "a"}}),
                       "archive has no manifest.json");
}

TEST_F(BadInputTest, ManifestInADirectory) {
  ExpectBundleRejected(
      WriteZip("nested.zip", {{"files/a.js", "a"},
                              {"bundle/manifest.json",
                               StrCat("{\"files\":{", Entry("a.js", GoodBody("~/a.js")), "}}")}}),
      "archive has no manifest.json");
}

TEST_F(BadInputTest, ManifestNotJson) {
  ExpectBundleRejected(WithManifest("not-json.zip", "{\"files\": {\"files/a.js\": "),
                       "manifest.json is not valid JSON");
}

TEST_F(BadInputTest, ManifestNotAnObject) {
  ExpectBundleRejected(WithManifest("array.zip", "[{\"files\":{}}]"),
                       "manifest.json is not a JSON object");
}

TEST_F(BadInputTest, ManifestWithoutFiles) {
  ExpectBundleRejected(WithManifest("no-files.zip", StrCat("{\"debug_id\":\"", kBundleId, "\"}")),
                       "manifest.json has no \"files\"");
}

TEST_F(BadInputTest, FilesIsAnArray) {
  ExpectBundleRejected(
      WithManifest("files-array.zip", StrCat("{\"files\":[", GoodBody("~/a.js"), "]}")),
      "manifest.json \"files\" is not an object");
}

TEST_F(BadInputTest, EntryIsNotAnObject) {
  ExpectBundleRejected(
      WithManifest("entry-string.zip", StrCat("{\"files\":{", Entry("a.js", "\"~/a.js\""), "}}")),
      "manifest entry \"files/a.js\" is not an object");
}

TEST_F(BadInputTest, TypeIsANumber) {
  ExpectBundleRejected(
      WithManifest("type-number.zip",
                   StrCat("{\"files\":{", Entry("a.js", "{\"type\":2,\"url\":\"~/a.js\"}"), "}}")),
      "manifest entry \"files/a.js\": \"type\" is not a string");
}

TEST_F(BadInputTest, MissingType) {
  ExpectBundleRejected(
      WithManifest("no-type.zip",
                   StrCat("{\"files\":{", Entry("a.js", "{\"url\":\"~/a.js\"}"), "}}")),
      "manifest entry \"files/a.js\" has no \"type\"");
}

TEST_F(BadInputTest, UnknownType) {
  ExpectBundleRejected(
      WithManifest("unknown-type.zip",
                   StrCat("{\"files\":{",
                          Entry("a.js", "{\"type\":\"javascript\",\"url\":\"~/a.js\"}"), "}}")),
      "manifest entry \"files/a.js\" has unknown type \"javascript\"");
}

// Bundle-controlled strings in error messages (here an unknown type holding a line break) are
// escaped: the error stays one line.
TEST_F(BadInputTest, UnknownTypeWithLineBreakGivesOneLine) {
  ExpectBundleRejected(
      WithManifest("unknown-type-newline.zip",
                   StrCat("{\"files\":{",
                          Entry("a.js", "{\"type\":\"java\\nscript\",\"url\":\"~/a.js\"}"), "}}")),
      "has unknown type");
}

// Whether `s` is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF) without
// control characters (C0, DEL, C1): one printable line. Returns what is wrong, or "".
std::string NotPrintableUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
    size_t len;
    uint32_t cp, min;
    if (b(0) < 0x80) {
      len = 1, cp = b(0), min = 0;
    } else if ((b(0) & 0xE0) == 0xC0) {
      len = 2, cp = b(0) & 0x1F, min = 0x80;
    } else if ((b(0) & 0xF0) == 0xE0) {
      len = 3, cp = b(0) & 0x0F, min = 0x800;
    } else if ((b(0) & 0xF8) == 0xF0) {
      len = 4, cp = b(0) & 0x07, min = 0x10000;
    } else {
      return StrCat("bad lead byte at ", i);
    }
    if (i + len > s.size()) return StrCat("truncated sequence at ", i);
    for (size_t k = 1; k < len; ++k) {
      if ((b(k) & 0xC0) != 0x80) return StrCat("bad continuation at ", i);
      cp = cp << 6 | (b(k) & 0x3F);
    }
    if (cp < min) return StrCat("overlong form at ", i);
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return StrCat("not a scalar at ", i);
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return StrCat("control character at ", i);
    i += len;
  }
  return "";
}

// Bundle-controlled bytes in error messages, whatever they are: a C1 control (U+0085, NEXT
// LINE, a line break to Unicode) in a manifest type, and zip entry names that are not UTF-8
// (an overlong '/', a surrogate, a code point past U+10FFFF, a stray byte). The error stays
// one printable line of valid UTF-8.
TEST_F(BadInputTest, ErrorsEscapeC1ControlsAndInvalidUtf8) {
  std::vector<std::pair<std::string, std::string>> bundles;  // (bundle, expected problem)
  bundles.emplace_back(
      WithManifest(
          "type-nel.zip",
          StrCat("{\"files\":{",
                 Entry("a.js", "{\"type\":\"java\\u0085script\",\"url\":\"~/a.js\"}"), "}}")),
      "has unknown type");
  int n = 0;
  for (const std::string& bad : {std::string("\xc0\xaf"), std::string("\xed\xa0\x80"),
                                 std::string("\xf4\x90\x80\x80"), std::string("\xff")}) {
    bundles.emplace_back(
        WriteZip(
            StrCat("name-", n++, ".zip"),
            {{"files/a.js", "a"},
             {"files/../" + bad + ".js", "x"},
             {"manifest.json", StrCat("{\"files\":{", Entry("a.js", GoodBody("~/a.js")), "}}")}}),
        "has an unsafe name");
  }
  for (const auto& [bundle, problem] : bundles) {
    SCOPED_TRACE(bundle);
    const auto before = Snapshot(root_);
    CommandResult r = RunCli({"--store", root_, "add", bundle, "--project", "web", "--release",
                              "1.0", "--timestamp", "2000"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.out, "");
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.back(), '\n');
    EXPECT_TRUE(Contains(r.err, problem));
    EXPECT_TRUE(Contains(r.err, bundle));
    const std::string line = r.err.substr(0, r.err.size() - 1);
    EXPECT_EQ(NotPrintableUtf8(line), "") << line;
    EXPECT_TRUE(before == Snapshot(root_)) << "the store changed";
  }
}

TEST_F(BadInputTest, HeadersNotAnObject) {
  ExpectBundleRejected(
      WithManifest("headers-string.zip",
                   StrCat("{\"files\":{",
                          Entry("a.js", StrCat("{\"type\":\"minified_source\",\"url\":\"~/a.js\","
                                               "\"headers\":\"debug-id: ",
                                               kDebugId, "\"}")),
                          "}}")),
      "manifest entry \"files/a.js\": \"headers\" is not an object");
}

TEST_F(BadInputTest, HeaderValueNotAString) {
  ExpectBundleRejected(WithManifest("header-number.zip",
                                    StrCat("{\"files\":{",
                                           Entry("a.js",
                                                 "{\"type\":\"minified_source\",\"url\":\"~/a.js\","
                                                 "\"headers\":{\"Debug-Id\":42}}"),
                                           "}}")),
                       "header \"Debug-Id\" is not a string");
}

TEST_F(BadInputTest, UrlNotAString) {
  ExpectBundleRejected(
      WithManifest("url-array.zip",
                   StrCat("{\"files\":{",
                          Entry("a.js", "{\"type\":\"source\",\"url\":[\"~/a.js\"]}"), "}}")),
      "\"url\" is not a string");
}

TEST_F(BadInputTest, EntryWithNeitherUrlNorPath) {
  ExpectBundleRejected(
      WithManifest("no-url.zip",
                   StrCat("{\"files\":{",
                          Entry("a.js", StrCat("{\"type\":\"minified_source\",\"url\":\"\","
                                               "\"headers\":{\"debug-id\":\"",
                                               kDebugId, "\"}}")),
                          "}}")),
      "manifest entry \"files/a.js\" has neither \"url\" nor \"path\"");
}

TEST_F(BadInputTest, InvalidDebugIdHeader) {
  ExpectBundleRejected(
      WithManifest("bad-debug-id.zip",
                   StrCat("{\"files\":{",
                          Entry("a.js",
                                "{\"type\":\"minified_source\",\"url\":\"~/a.js\","
                                "\"headers\":{\"debug-id\":\"2f259f80-58b7-44cb-d7cd\"}}"),
                          "}}")),
      "manifest entry \"files/a.js\": debug-id header: invalid debug id "
      "\"2f259f80-58b7-44cb-d7cd\"");
}

TEST_F(BadInputTest, InvalidManifestDebugId) {
  ExpectBundleRejected(
      WithManifest("bad-bundle-id.zip",
                   StrCat("{\"files\":{", Entry("a.js", GoodBody("~/a.js")),
                          "},\"debug_id\":\"zzzzzzzz-0000-0000-0000-000000000000\"}")),
      "manifest.json debug_id: invalid debug id");
}

TEST_F(BadInputTest, ManifestNamesAFileTheArchiveLacks) {
  ExpectBundleRejected(
      WithManifest("missing-entry.zip", StrCat("{\"files\":{", Entry("a.js", GoodBody("~/a.js")),
                                               ",", Entry("b.js", GoodBody("~/b.js")), "}}")),
      "manifest.json names \"files/b.js\", which the archive does not hold");
}

TEST_F(BadInputTest, ManifestListsAFileTwice) {
  ExpectBundleRejected(
      WithManifest("twice.zip", StrCat("{\"files\":{", Entry("a.js", GoodBody("~/a.js")), ",",
                                       Entry("a.js", GoodBody("~/b.js")), "}}")),
      "manifest.json lists \"files/a.js\" twice");
}

TEST_F(BadInputTest, UnsafeEntryName) {
  ExpectBundleRejected(
      WriteZip("unsafe.zip",
               {{"files/../../etc/a.js", "a"},
                {"manifest.json",
                 StrCat("{\"files\":{", Entry("../../etc/a.js", GoodBody("~/a.js")), "}}")}}),
      "zip entry \"files/../../etc/a.js\" has an unsafe name");
}

TEST_F(BadInputTest, NeitherReleaseNorAnyDebugId) {
  const std::string bundle = WithManifest(
      "no-ids.zip",
      StrCat("{\"files\":{", Entry("a.js", "{\"type\":\"source\",\"url\":\"~/a.js\"}"), "}}"));
  ExpectRejected({bundle, "--project", "web", "--timestamp", "2000"}, bundle,
                 "bundle has no debug ids and no release was given");
  // The same fixture from Symbolicator.
  const std::string fixture = FixturePath("symbolicator/e2e_source_no_header_bundle.zip");
  ExpectRejected({fixture, "--project", "web"}, fixture, "no debug ids and no release");
  // With a release it is fine.
  ExpectAccepted({bundle, "--project", "web", "--release", "1.0", "--timestamp", "2000"});
}

// --- limits --------------------------------------------------------------------------------------

TEST_F(BadInputTest, EntriesAboveMaxEntries) {
  const std::string bundle = WriteZip(
      "three.zip", {{"files/a.js", "a"},
                    {"files/b.js", "b"},
                    {"files/c.js", "c"},
                    {"manifest.json", StrCat("{\"files\":{", Entry("a.js", GoodBody("~/a.js")), ",",
                                             Entry("b.js", GoodBody("~/b.js")), ",",
                                             Entry("c.js", GoodBody("~/c.js")), "}}")}});
  ExpectBundleRejected(bundle, "archive holds more than 1 entries", {"--max-entries", "1"});
  ExpectBundleRejected(bundle, "archive holds more than 2 entries", {"--max-entries", "2"});
  // A manifest of 3 files with only the manifest beside them: the manifest's count is checked.
  const std::string listed =
      WithManifest("listed.zip", StrCat("{\"files\":{", Entry("a.js", GoodBody("~/a.js")), ",",
                                        Entry("b.js", GoodBody("~/b.js")), ",",
                                        Entry("c.js", GoodBody("~/c.js")), "}}"));
  ExpectBundleRejected(listed, "manifest.json lists 3 files, over the limit of 2",
                       {"--max-entries", "2"});
  ExpectRejected({bundle, "--project", "web", "--release", "1.0", "--max-entries", "0"}, "",
                 "--max-entries: expected an integer from 1");
  // Exactly at the limit is fine.
  ExpectAccepted({bundle, "--project", "web", "--release", "1.0", "--max-entries", "3"});
}

TEST_F(BadInputTest, ManifestAboveMaxManifestBytes) {
  const std::string manifest = StrCat("{\"files\":{", Entry("a.js", GoodBody("~/a.js")),
                                      "},\"note\":\"", std::string(500, 'x'), "\"}");
  const std::string bundle = WithManifest("big-manifest.zip", manifest);
  ExpectBundleRejected(
      bundle, StrCat("manifest.json inflates past the limit of ", manifest.size() - 1, " bytes"),
      {"--max-manifest-bytes", std::to_string(manifest.size() - 1)});
  ExpectBundleRejected(bundle, "manifest.json inflates past the limit of 1 bytes",
                       {"--max-manifest-bytes", "1"});
  ExpectAccepted({bundle, "--project", "web", "--release", "1.0", "--max-manifest-bytes",
                  std::to_string(manifest.size())});
}

// --- the options ---------------------------------------------------------------------------------
// These are refused before any bundle is read: the message names the option's problem, not the
// bundle.

TEST_F(BadInputTest, InvalidProject) {
  const std::string bundle = WriteBundle("ok.zip", "~/ok.js");
  for (const std::string& project :
       {std::string(""), std::string(65, 'p'), std::string("a/b"), std::string(".."),
        std::string("."), std::string("web app"), std::string("caf\xc3\xa9")}) {
    SCOPED_TRACE(project);
    ExpectRejected({bundle, "--project", project, "--release", "1.0"}, "", "invalid project");
    // One bad project among good ones.
    ExpectRejected({bundle, "--project", "web", "--project", project, "--release", "1.0"}, "",
                   "invalid project");
  }
  ExpectAccepted({bundle, "--project", std::string(64, 'p'), "--project", "A-z_0.9"});
}

TEST_F(BadInputTest, InvalidRelease) {
  const std::string bundle = WriteBundle("ok.zip", "~/ok.js");
  for (const std::string& release :
       {std::string("1.0\x01"), std::string("1.0\n"), std::string("1.0\x7f"),
        std::string("1.0\xc2\x85"),  // U+0085, a C1 control
        std::string(251, 'r'), std::string("\xff"), std::string("\xc3\x28"),
        std::string("\xc0\xaf"),          // overlong '/'
        std::string("\xed\xa0\x80"),      // a surrogate
        std::string("\xf4\x90\x80\x80"),  // past U+10FFFF
        std::string("1.0\xe2\x82")}) {    // truncated sequence
    SCOPED_TRACE(release);
    ExpectRejected({bundle, "--project", "web", "--release", release}, "", "invalid release");
  }
  ExpectAccepted({bundle, "--project", "web", "--release", std::string(250, 'r')});
  ExpectAccepted({bundle, "--project", "web", "--release", "caf\xc3\xa9 \xf0\x9f\x9a\x80 2.0"});
}

// `--release ""` (a CI script whose $VERSION is unset) is refused, not taken as "no release":
// an add that silently indexed debug ids only would lose every URL lookup without an error.
TEST_F(BadInputTest, EmptyReleaseIsRefused) {
  const std::string bundle = WriteBundle("ok.zip", "~/ok.js");
  ExpectRejected({bundle, "--project", "web", "--release", ""}, "", "--release is empty");
  ExpectRejected({bundle, "--project", "web", "--release=", "--timestamp", "2000"}, "",
                 "--release is empty");
  ExpectRejected({bundle, "--project", "web", "--release", "", "--dist", "web"}, "",
                 "--release is empty");
}

TEST_F(BadInputTest, InvalidDist) {
  const std::string bundle = WriteBundle("ok.zip", "~/ok.js");
  for (const std::string& dist :
       {std::string(65, 'd'), std::string("a\x7f"), std::string("a\tb"), std::string("\xff")}) {
    SCOPED_TRACE(dist);
    ExpectRejected({bundle, "--project", "web", "--release", "1.0", "--dist", dist}, "",
                   "invalid dist");
  }
  ExpectRejected({bundle, "--project", "web", "--dist", "web"}, "", "a dist needs a release");
  ExpectAccepted({bundle, "--project", "web", "--release", "1.0", "--dist", std::string(64, 'd')});
}

TEST_F(BadInputTest, InvalidBundleIdOption) {
  const std::string bundle = WriteBundle("ok.zip", "~/ok.js");
  for (const std::string& id :
       {std::string("has space"), std::string(65, 'i'), std::string("a/b"), std::string("..")}) {
    SCOPED_TRACE(id);
    ExpectBundleRejected(bundle, "invalid bundle id", {"--bundle-id", id});
  }
  // One id for several bundles.
  const std::string other = WriteBundle("other.zip", "~/other.js");
  ExpectRejected({bundle, other, "--project", "web", "--release", "1.0", "--bundle-id", "x"}, "",
                 "a bundle id can be given for one bundle only");
}

// --- several bundles in one add ------------------------------------------------------------------

TEST_F(BadInputTest, SecondOfThreeBundlesBadAddsNothing) {
  const std::string first = WriteBundle("first-good.zip", "~/first.js");
  const std::string bad = WithManifest(
      "second-bad.zip",
      StrCat("{\"files\":{", Entry("a.js", "{\"type\":\"script\",\"url\":\"~/a.js\"}"), "}}"));
  const std::string third = WriteBundle("third-good.zip", "~/third.js");
  ExpectRejected({first, bad, third, "--project", "web", "--project", "mobile", "--release", "1.0",
                  "--timestamp", "2000"},
                 bad, "has unknown type \"script\"");
  CommandResult r =
      RunCli({"--store", root_, "add", first, bad, third, "--project", "web", "--release", "1.0"});
  EXPECT_FALSE(Contains(r.err, first));
  EXPECT_FALSE(Contains(r.err, third));
  EXPECT_TRUE(Contains(r.err, "no bundle was added"));
  // Neither good bundle is findable.
  for (const char* url : {"~/first.js", "~/third.js"}) {
    r = RunCli({"--store", root_, "lookup", "--project", "web", "--release", "1.0", "--url", url});
    EXPECT_EQ(r.exit_code, 1) << url;
  }
  // Without the bad one, both go in.
  ExpectAccepted({first, third, "--project", "web", "--release", "1.0"});
  r = RunCli(
      {"--store", root_, "lookup", "--project", "web", "--release", "1.0", "--url", "~/third.js"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// A corrupt segment in the store: the add fails (exit 2, one line naming the segment and what
// is left to do) and the segment is neither overwritten nor merged away: a compaction must not
// silently rebuild the index without its old content.
TEST_F(BadInputTest, CorruptIndexInTheStoreIsNotOverwritten) {
  const std::string dir = root_ + "/projects/web/debug-ids";
  const std::string segment = testing::OnlySegmentPath(dir);
  ASSERT_TRUE(fs::exists(segment));
  WriteFileOrDie(segment, "garbage");
  const std::string bundle = WriteBundle("later.zip", "~/later.js");
  CommandResult r = RunCli({"--store", root_, "add", bundle, "--project", "web", "--release", "1.0",
                            "--timestamp", "3000"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(Contains(r.err, segment + ": corrupt index"));
  EXPECT_TRUE(Contains(r.err, "repeat the add to complete it"));
  EXPECT_EQ(ReadFileOrDie(segment), "garbage");
  // Still live (no compaction covered it), so readers see the corruption, not a smaller index.
  const std::vector<std::string> live = testing::LiveSegmentPaths(dir);
  EXPECT_NE(std::find(live.begin(), live.end(), segment), live.end());
  r = RunCli({"--store", root_, "lookup", "--project", "web", "--debug-id", kDebugId});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, segment));
  // Repeating the add fails the same way, and leaves the segment as it is.
  r = RunCli({"--store", root_, "add", bundle, "--project", "web", "--release", "1.0",
              "--timestamp", "3000"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, segment + ": corrupt index"));
  EXPECT_EQ(ReadFileOrDie(segment), "garbage");
}

// A refused add into a store that does not exist yet creates nothing.
TEST_F(BadInputTest, RefusedAddCreatesNoStore) {
  const std::string fresh = dir_ / "fresh";
  CommandResult r = RunCli({"--store", fresh, "add", WriteRaw("junk.zip", "junk"), "--project",
                            "web", "--release", "1.0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(fs::exists(fresh));
}

// The library tells a bad bundle (ErrorKind::kInvalidBundle, what the Python package raises as
// InvalidBundle) from a bad option (kInvalidArgument) and a missing file (NotFound), keeping the
// message the CLI prints.
TEST_F(BadInputTest, LibraryTellsBadBundlesFromBadOptions) {
  Indexer indexer(root_);
  AddOptions options;
  options.projects = {"web"};
  options.release = "1.0";
  const std::string not_zip = WriteRaw("text.zip", "console.log('hello');\n");
  absl::StatusOr<std::vector<AddResult>> added = indexer.Add({not_zip}, options);
  EXPECT_EQ(GetErrorKind(added.status()), ErrorKind::kInvalidBundle) << added.status();
  EXPECT_TRUE(Contains(std::string(StdView(added.status().message())), not_zip));
  EXPECT_TRUE(Contains(std::string(StdView(added.status().message())), "not a zip archive"));
  EXPECT_EQ(ErrorKindName(ErrorKind::kInvalidBundle), "invalid_bundle");

  added = indexer.Add({WithManifest("bad-manifest.zip", "[1]")}, options);
  EXPECT_EQ(GetErrorKind(added.status()), ErrorKind::kInvalidBundle) << added.status();
  added = indexer.Add({dir_.path()}, options);  // a directory
  EXPECT_EQ(GetErrorKind(added.status()), ErrorKind::kInvalidBundle) << added.status();

  added = indexer.Add({dir_ / "no-such-bundle.zip"}, options);
  EXPECT_TRUE(absl::IsNotFound(added.status())) << added.status();
  EXPECT_EQ(GetErrorKind(added.status()), ErrorKind::kOther) << added.status();

  const std::string good = WriteBundle("good.zip", "~/good.js");
  options.projects = {"no/slash"};
  added = indexer.Add({good}, options);
  EXPECT_EQ(GetErrorKind(added.status()), ErrorKind::kInvalidArgument) << added.status();
  options.projects = {"web"};
  options.bundle_id = "not a valid id";
  added = indexer.Add({good}, options);
  EXPECT_EQ(GetErrorKind(added.status()), ErrorKind::kInvalidArgument) << added.status();
}

}  // namespace
}  // namespace artidx
