// End-to-end tests of the `artidx` binary: usage, exit codes, the exact output of lookup (text
// and --json) and inspect, the store's location (--store, $ARTIDX_STORE, ./artidx-store), and a
// make-bundle -> add -> lookup -> cat round trip. Every test runs the real process.
//
// One file of more than 600 lines: the exact expected outputs (text and --json) are most of
// it, each beside the one test that checks it; the tests share the process helpers.

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "artidx/types.h"
#include "bundle/bundle_writer.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "format/index_format.h"
#include "format/index_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing.h"

namespace artidx {
namespace {

namespace fs = std::filesystem;
using ::artidx::testing::CommandResult;
using ::artidx::testing::ReadFileOrDie;
using ::artidx::testing::RunCli;
using ::artidx::testing::TempDir;
using ::artidx::testing::WriteFileOrDie;
using ::testing::HasSubstr;

constexpr char kBundleId[] = "11111111-2222-4333-8444-555555555555";
constexpr char kScriptId[] = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
constexpr int64_t kTimestamp = 1'700'000'000'123;  // 2023-11-14T22:13:20.123Z

std::string Sha1Hex(std::string_view data) { return Sha1Digest::Of(data).Hex(); }

// The key count of a one-segment index directory, from its segment's header.
uint32_t KeyCount(const std::string& dir) {
  const std::string bytes = ReadFileOrDie(testing::OnlySegmentPath(dir));
  absl::StatusOr<format::IndexReader> reader = format::IndexReader::Open(bytes);
  EXPECT_TRUE(reader.ok()) << reader.status();
  return reader.ok() ? reader->key_count() : 0;
}

// The number of archives (*.zip) stored under root/bundles.
size_t ArchiveCount(const std::string& root) {
  size_t archives = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root + "/bundles", ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    archives += it->is_regular_file() && it->path().extension() == ".zip";
  }
  EXPECT_FALSE(ec) << root << ": " << ec.message();
  return archives;
}

::testing::AssertionResult Contains(const std::string& haystack, const std::string& needle) {
  if (haystack.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\"" << haystack << "\" does not contain \"" << needle << "\"";
}

// Saves and restores $ARTIDX_STORE and the working directory, and starts each test without
// $ARTIDX_STORE.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* env = getenv("ARTIDX_STORE")) saved_env_ = env;
    unsetenv("ARTIDX_STORE");
    saved_cwd_ = fs::current_path();
    root_ = dir_ / "store";
  }
  void TearDown() override {
    if (saved_env_) {
      setenv("ARTIDX_STORE", saved_env_->c_str(), 1);
    } else {
      unsetenv("ARTIDX_STORE");
    }
    fs::current_path(saved_cwd_);
  }

  // `artidx --store <root> args...`
  CommandResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--store", root_});
    return RunCli(args);
  }

  // Writes a bundle of three files: a script with a debug id and a sourcemap header, its map,
  // and a source with neither (whose url holds a double quote).
  std::string MakeBundle() {
    bundle::BundleSpec spec;
    spec.debug_id = kBundleId;
    spec.attributes["release"] = "1.0";
    absl::StatusOr<DebugId> id = DebugId::Parse("AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE");
    EXPECT_TRUE(id.ok());
    spec.files = {
        {"~/static/app.min.js", FileType::kMinifiedSource, "function app(){}", *id,
         "app.min.js.map"},
        {"~/static/app.min.js.map", FileType::kSourceMap, "{\"version\":3}", *id, std::nullopt},
        {"~/static/q\"uote.js", FileType::kSource, "quote", std::nullopt, std::nullopt},
    };
    absl::StatusOr<std::string> bytes = bundle::WriteBundle(spec);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    const std::string path = dir_ / "bundle.zip";
    WriteFileOrDie(path, bytes.ok() ? *bytes : "");
    return path;
  }

  // Adds MakeBundle() to project web, release 1.0.
  void AddBundle() {
    bundle_ = MakeBundle();
    CommandResult r = Run({"add", bundle_, "--project", "web", "--release", "1.0", "--timestamp",
                           std::to_string(kTimestamp)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(r.out, StrCat("added ", kBundleId, " (", bundle_,
                            ", 3 files, 2 with debug ids) to project web, release \"1.0\"\n"));
    ASSERT_EQ(r.err, "");
    archive_sha1_ = Sha1Hex(ReadFileOrDie(bundle_));
  }

  TempDir dir_;
  std::string root_;
  std::string bundle_;
  std::string archive_sha1_;
  std::optional<std::string> saved_env_;
  fs::path saved_cwd_;
};

// The JSON of the script's candidate.
std::string ScriptJson() {
  return StrCat("{\"bundle_id\":\"", kBundleId,
                "\",\"timestamp\":1700000000123,\"url\":\"~/static/app.min.js\","
                "\"path\":\"files/_/_/static/app.min.js\",\"type\":\"minified_source\","
                "\"debug_id\":\"",
                kScriptId, "\",\"sourcemap\":\"app.min.js.map\"}");
}
std::string MapJson() {
  return StrCat("{\"bundle_id\":\"", kBundleId,
                "\",\"timestamp\":1700000000123,\"url\":\"~/static/app.min.js.map\","
                "\"path\":\"files/_/_/static/app.min.js.map\",\"type\":\"source_map\","
                "\"debug_id\":\"",
                kScriptId, "\",\"sourcemap\":null}");
}

// --- usage ---------------------------------------------------------------------------------------

TEST_F(CliTest, HelpOnEveryVerb) {
  for (const std::string verb : {"add", "rm", "compact", "gc", "hold", "unhold", "ls", "lookup",
                                 "cat", "inspect", "make-bundle"}) {
    SCOPED_TRACE(verb);
    for (const std::string flag : {"--help", "-h"}) {
      CommandResult r = RunCli({verb, flag});
      EXPECT_EQ(r.exit_code, 0);
      EXPECT_EQ(r.out.rfind("usage: artidx ", 0), 0u) << r.out;
      EXPECT_TRUE(Contains(r.out, " " + verb + " "));
      EXPECT_EQ(r.err, "");
    }
    // --help ends the parse: what follows it is not looked at, nothing is done.
    CommandResult r = RunCli({"--store", root_, verb, "--help", "--no-such-flag"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out.rfind("usage: artidx ", 0), 0u);
    // An unknown option before it does not matter either: the help says which options there are.
    r = RunCli({"--store", root_, verb, "--no-such-flag", "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out.rfind("usage: artidx ", 0), 0u);
  }
  // Each verb's help names its own options.
  EXPECT_TRUE(Contains(RunCli({"add", "--help"}).out, "--max-manifest-bytes"));
  EXPECT_TRUE(Contains(RunCli({"lookup", "--help"}).out, "--debug-id"));
  EXPECT_TRUE(Contains(RunCli({"cat", "--help"}).out, "Exit status: 0 written, 1 no candidate"));
  EXPECT_TRUE(Contains(RunCli({"inspect", "--help"}).out, "--verify"));
  EXPECT_TRUE(Contains(RunCli({"make-bundle", "--help"}).out, "--url-prefix"));
  EXPECT_TRUE(Contains(RunCli({"rm", "--help"}).out, "--timestamp MS"));
  EXPECT_TRUE(Contains(RunCli({"compact", "--help"}).out, "[--project P]"));
  EXPECT_TRUE(Contains(RunCli({"gc", "--help"}).out, "--keep-newest"));
  EXPECT_TRUE(Contains(RunCli({"hold", "--help"}).out, "unhold BUNDLE_ID"));
  EXPECT_TRUE(Contains(RunCli({"ls", "--help"}).out, "--cursor"));
  // Nothing was created by asking for help.
  EXPECT_FALSE(fs::exists(root_));
}

TEST_F(CliTest, TopLevelUsage) {
  for (const std::string flag : {"--help", "-h", "help"}) {
    CommandResult r = RunCli({flag});
    EXPECT_EQ(r.exit_code, 0) << flag;
    EXPECT_EQ(
        r.out.rfind("usage: artidx [--store DIR|s3://BUCKET[/PREFIX]] [--cache DIR] VERB [ARGS]\n",
                    0),
        0u)
        << r.out;
    for (const char* verb :
         {"add", "rm", "compact", "gc", "ls", "lookup", "cat", "inspect", "make-bundle"}) {
      EXPECT_TRUE(Contains(r.out, StrCat("  ", verb, " ")));
    }
    EXPECT_TRUE(Contains(r.out, "  hold, unhold "));
    EXPECT_EQ(r.err, "");
  }
  CommandResult none = RunCli({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(none.out, "");
  EXPECT_EQ(none.err.rfind("usage: artidx", 0), 0u);
  CommandResult unknown = RunCli({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err.rfind("artidx: unknown verb \"frobnicate\"\nusage: artidx", 0), 0u)
      << unknown.err;
  // The cache flags, checked before any verb runs.
  CommandResult empty_cache = RunCli({"--cache", "", "ls"});
  EXPECT_EQ(empty_cache.exit_code, 2);
  EXPECT_EQ(empty_cache.err, "artidx: --cache is empty\n");
  CommandResult bad_limit = RunCli({"--cache-max-bytes", "10G", "ls"});
  EXPECT_EQ(bad_limit.exit_code, 2);
  EXPECT_EQ(bad_limit.err,
            "artidx: --cache-max-bytes: expected an integer from 0 to 9223372036854775807, got "
            "\"10G\"\n");
}

// --- lookup output -------------------------------------------------------------------------------

TEST_F(CliTest, LookupJsonShape) {
  AddBundle();
  CommandResult r = Run({"lookup", "--project", "web", "--release", "1.0", "--url",
                         "https://shop.example/static/app.min.js?v=1#L2", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, StrCat("{\"candidates\":[", ScriptJson(), "]}\n"));
  EXPECT_EQ(r.err, "");

  // Missing debug_id and sourcemap are null; strings are escaped.
  r = Run(
      {"lookup", "--project", "web", "--release", "1.0", "--url", "~/static/q\"uote.js", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, StrCat("{\"candidates\":[{\"bundle_id\":\"", kBundleId,
                          "\",\"timestamp\":1700000000123,\"url\":\"~/static/q\\\"uote.js\","
                          "\"path\":\"files/_/_/static/q\\\"uote.js\",\"type\":\"source\","
                          "\"debug_id\":null,\"sourcemap\":null}]}\n"));

  // By debug id, in any spelling: both files, by zip path; with a type, one.
  for (const char* id :
       {"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "AAAAAAAABBBB4CCC8DDDEEEEEEEEEEEE"}) {
    r = Run({"lookup", "--project", "web", "--debug-id", id, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, StrCat("{\"candidates\":[", ScriptJson(), ",", MapJson(), "]}\n"));
  }
  r = Run(
      {"lookup", "--project", "web", "--debug-id", kScriptId, "--type", "source_map", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, StrCat("{\"candidates\":[", MapJson(), "]}\n"));

  // Nothing found: an empty list, exit 1, nothing on stderr.
  r = Run({"lookup", "--project", "web", "--release", "1.0", "--url", "~/nope.js", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "{\"candidates\":[]}\n");
  EXPECT_EQ(r.err, "");
  r = Run({"lookup", "--project", "web", "--debug-id", kScriptId, "--type", "source", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "{\"candidates\":[]}\n");
}

TEST_F(CliTest, LookupText) {
  AddBundle();
  CommandResult r = Run({"lookup", "--project", "web", "--debug-id", kScriptId});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            StrCat(kBundleId,
                   "  2023-11-14T22:13:20.123Z  minified_source  files/_/_/static/app.min.js  "
                   "url=~/static/app.min.js  debug_id=",
                   kScriptId, "  sourcemap=app.min.js.map\n", kBundleId,
                   "  2023-11-14T22:13:20.123Z  source_map  files/_/_/static/app.min.js.map  "
                   "url=~/static/app.min.js.map  debug_id=",
                   kScriptId, "  sourcemap=-\n"));
  EXPECT_EQ(r.err, "");
  r = Run({"lookup", "--project", "web", "--release", "1.0", "--url", "~/nope.js"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "artidx: no candidates for url \"~/nope.js\" in project web, release \"1.0\"\n");
}

// An s3:// location is an object store, never a directory "s3:": without S3 credentials every
// verb says so in one line naming the location, by flag or by $ARTIDX_STORE. (The verbs on a
// real object store: cli_backends_test.)
TEST_F(CliTest, ObjectStoreLocationsWithoutCredentialsFailInOneLine) {
  const std::string bundle = MakeBundle();
  fs::current_path(dir_.path());  // where a directory "s3:" would appear
  std::optional<std::string> key_id;
  if (const char* env = getenv("AWS_ACCESS_KEY_ID")) key_id = env;
  unsetenv("AWS_ACCESS_KEY_ID");
  constexpr char kWhy[] =
      "s3://bucket/prefix: S3 credentials missing: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
  for (const std::vector<std::string>& verb :
       {std::vector<std::string>{"add", bundle, "--project", "web", "--release", "1.0"},
        std::vector<std::string>{"ls"}, std::vector<std::string>{"verify"},
        std::vector<std::string>{"lookup", "--project", "web", "--debug-id", kScriptId}}) {
    std::vector<std::string> args = {"--store", "s3://bucket/prefix"};
    args.insert(args.end(), verb.begin(), verb.end());
    const CommandResult r = RunCli(args);
    EXPECT_EQ(r.exit_code, 2) << verb[0] << ": " << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr(kWhy)) << verb[0];
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  setenv("ARTIDX_STORE", "s3://bucket/prefix", 1);
  const CommandResult r = RunCli({"add", bundle, "--project", "web"});
  if (key_id) setenv("AWS_ACCESS_KEY_ID", key_id->c_str(), 1);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(kWhy));
  EXPECT_FALSE(fs::exists(dir_ / "s3:"));
}

TEST_F(CliTest, ExitCodes) {
  AddBundle();
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string err;  // a part of stderr; "" to skip
  };
  const std::vector<Case> cases = {
      {{"lookup", "--project", "web", "--release", "1.0", "--url", "~/static/app.min.js"}, 0, ""},
      {{"cat", "--project", "web", "--release", "1.0", "--url", "~/static/app.min.js"}, 0, ""},
      // Nothing found: an unknown URL, release, dist, project or debug id.
      {{"lookup", "--project", "web", "--release", "1.0", "--url", "~/static/other.js"}, 1, ""},
      {{"lookup", "--project", "web", "--release", "2.0", "--url", "~/static/app.min.js"}, 1, ""},
      {{"lookup", "--project", "web", "--release", "1.0", "--dist", "x", "--url",
        "~/static/app.min.js"},
       1,
       ""},
      {{"lookup", "--project", "ios", "--release", "1.0", "--url", "~/static/app.min.js"}, 1, ""},
      {{"lookup", "--project", "ios", "--debug-id", kScriptId}, 1, ""},
      {{"lookup", "--project", "web", "--debug-id", "00000000000000000000000000000000"}, 1, ""},
      {{"cat", "--project", "web", "--release", "1.0", "--url", "~/static/other.js"}, 1, ""},
      // Errors.
      {{"lookup", "--project", "web", "--debug-id", "not-a-debug-id"}, 2, "invalid debug id"},
      {{"lookup", "--project", "web", "--debug-id", kScriptId, "--type", "script"},
       2,
       "unknown --type \"script\""},
      {{"lookup", "--release", "1.0", "--url", "~/a.js"}, 2, "--project is required"},
      {{"lookup", "--project", "web", "--url", "~/a.js"}, 2, "--url needs --release"},
      {{"lookup", "--project", "web"}, 2, "give exactly one of --url and --debug-id"},
      {{"lookup", "--project", "web", "--release", "1.0", "--url", "~/a.js", "--debug-id",
        kScriptId},
       2,
       "give exactly one of --url and --debug-id"},
      {{"lookup", "--project", "web", "--release", "1.0", "--debug-id", kScriptId},
       2,
       "--release and --dist go with --url"},
      {{"lookup", "--project", "web", "--release", "1.0", "--url", "~/a.js", "--type", "source"},
       2,
       "--type goes with --debug-id"},
      {{"lookup", "--project", "web", "--release", "1.0", "--url", "~/a.js", "--bogus"},
       2,
       "unknown option --bogus"},
      {{"lookup", "--project", "web", "--release", "1.0", "--url"}, 2, "--url needs a value"},
      {{"lookup", "--project", "a/b", "--release", "1.0", "--url", "~/a.js"}, 2, "invalid project"},
      {{"lookup", "--project", "web", "--project", "web", "--debug-id", kScriptId},
       2,
       "--project given twice"},
      {{"lookup", "--project", "web", "--debug-id", kScriptId, "extra"},
       2,
       "unexpected argument extra"},
      {{"lookup", "--project", "web", "--debug-id", kScriptId, "--json=yes"},
       2,
       "--json takes no value"},
      {{"cat", "--project", "web", "--debug-id", kScriptId, "--json"}, 2, "unknown option --json"},
      // "--flag=" gives the flag an empty value (CLI11 alone would take the next argument).
      {{"add", "x.zip", "--project", "web", "--release="}, 2, "add: --release is empty"},
      {{"add", "x.zip", "--release=", "--project", "web"}, 2, "add: --release is empty"},
      {{"lookup", "--project", "web", "--debug-id", kScriptId, "--json="},
       2,
       "lookup: --json takes no value"},
      {{"inspect"}, 2, "give --project or an index file"},
      {{"inspect", "--project", "nope"}, 2, "project nope has no index"},
      {{"add", "--project", "web"}, 2, "no bundle given"},
      {{"add", "x.zip"}, 2, "--project is required"},
      {{"add", "x.zip", "--project", "web", "--timestamp", "soon"}, 2, "--timestamp"},
      {{"add", "x.zip", "--project", "web", "--timestamp", "-1"}, 2, "--timestamp"},
      {{"make-bundle", "-o", "x.zip"}, 2, "give exactly one directory"},
      {{"rm"}, 2, "give exactly one bundle id"},
      // A word starting with a dash is an option (CLI11's reading: -h, -o, -oFILE).
      {{"rm", "-x"}, 2, "rm: unknown option -x"},
      {{"rm", "no-such-bundle"}, 2, "no record of bundle no-such-bundle"},
      {{"rm", "a/b"}, 2, "invalid bundle id"},
      {{"compact", "extra"}, 2, "unexpected argument extra"},
      {{"gc"}, 2, "--max-age is required"},
      {{"gc", "--max-age", "soon"}, 2, "--max-age"},
      {{"hold", "no-such-bundle"}, 2, "no bundle no-such-bundle"},
      {{"ls"}, 2, "--project is required"},
      {{"ls", "--project", "web", "--cursor", "zz"}, 2, "invalid cursor"},
  };
  for (const Case& c : cases) {
    std::string joined;
    for (const std::string& a : c.args) StrAppend(&joined, a, " ");
    SCOPED_TRACE(joined);
    CommandResult r = Run(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    if (!c.err.empty()) {
      EXPECT_EQ(r.err.rfind("artidx: ", 0), 0u) << r.err;
      EXPECT_TRUE(Contains(r.err, c.err));
    }
    if (c.exit_code == 2) {
      EXPECT_EQ(r.out, "");
    }
  }

  // A corrupt index is an error (2) naming the segment file, never a crash or "not found".
  const std::string index = testing::OnlySegmentPath(root_ + "/projects/web/debug-ids");
  ASSERT_TRUE(fs::exists(index));
  std::string bytes = ReadFileOrDie(index);
  bytes[0] ^= 0x55;
  WriteFileOrDie(index, bytes);
  for (const char* verb : {"lookup", "cat"}) {
    CommandResult r = Run({verb, "--project", "web", "--debug-id", kScriptId});
    EXPECT_EQ(r.exit_code, 2) << verb;
    EXPECT_TRUE(Contains(r.err, index));
  }
  WriteFileOrDie(index, bytes.substr(0, 100));
  CommandResult r = Run({"lookup", "--project", "web", "--debug-id", kScriptId});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, index));
}

// --- where the store is --------------------------------------------------------------------------

TEST_F(CliTest, StoreFromFlagEnvironmentOrDefault) {
  const std::string bundle = MakeBundle();
  const std::string from_env = dir_ / "from-env", from_flag = dir_ / "from-flag";
  const std::vector<std::string> add = {"add",       bundle, "--project",   "web",
                                        "--release", "1.0",  "--timestamp", "5"};
  const std::vector<std::string> lookup = {
      "lookup", "--project", "web", "--release", "1.0", "--url", "~/static/app.min.js"};
  auto with_store = [](const std::string& root, std::vector<std::string> args) {
    args.insert(args.begin(), {"--store", root});
    return args;
  };

  // $ARTIDX_STORE when there is no --store.
  ASSERT_EQ(setenv("ARTIDX_STORE", from_env.c_str(), 1), 0);
  ASSERT_EQ(RunCli(add).exit_code, 0);
  EXPECT_TRUE(fs::exists(testing::OnlySegmentPath(from_env + "/projects/web/debug-ids")));
  EXPECT_EQ(RunCli(lookup).exit_code, 0);
  // --store wins over $ARTIDX_STORE, in both spellings (no store there yet: an error).
  EXPECT_EQ(RunCli(with_store(from_flag, lookup)).exit_code, 2);
  ASSERT_EQ(RunCli(with_store(from_flag, add)).exit_code, 0);
  EXPECT_TRUE(fs::exists(testing::OnlySegmentPath(from_flag + "/projects/web/debug-ids")));
  std::vector<std::string> inline_flag = lookup;
  inline_flag.insert(inline_flag.begin(), "--store=" + from_flag);
  EXPECT_EQ(RunCli(inline_flag).exit_code, 0);
  // --store after the verb is not a global flag.
  std::vector<std::string> late = lookup;
  late.insert(late.end(), {"--store", from_flag});
  EXPECT_EQ(RunCli(late).exit_code, 2);

  // Neither (or an empty $ARTIDX_STORE): ./artidx-store in the working directory.
  const std::string cwd = dir_ / "cwd";
  fs::create_directory(cwd);
  fs::current_path(cwd);
  ASSERT_EQ(setenv("ARTIDX_STORE", "", 1), 0);
  EXPECT_EQ(RunCli(lookup).exit_code, 2);
  ASSERT_EQ(RunCli(add).exit_code, 0);
  EXPECT_TRUE(fs::exists(testing::OnlySegmentPath(cwd + "/artidx-store/projects/web/debug-ids")));
  ASSERT_EQ(unsetenv("ARTIDX_STORE"), 0);
  EXPECT_EQ(RunCli(lookup).exit_code, 0);
  // Adds went only where they were sent: one bundle archive per store.
  for (const std::string& root : {from_env, from_flag, cwd + "/artidx-store"}) {
    EXPECT_EQ(ArchiveCount(root), 1u) << root;
  }
}

// --- inspect -------------------------------------------------------------------------------------

TEST_F(CliTest, InspectTextAndJson) {
  AddBundle();
  const std::string ids = root_ + "/projects/web/debug-ids";
  // The URL index is named by the SHA-1 of (u32 3, "1.0", u32 0).
  const std::string urls = root_ + "/projects/web/urls/b6e708bdb2c48cade8d1b57a6c85443357c80be0";
  ASSERT_TRUE(fs::is_directory(urls));
  // Each is one segment; the keys are the one debug id (of both files) and the 3 urls.
  EXPECT_EQ(KeyCount(ids), 1u);
  EXPECT_EQ(KeyCount(urls), 3u);

  const std::string ids_text = StrCat(
      ids, "\n  debug-id index of project web\n  1 bundles, 2 files, 1 segments\n", "  ", kBundleId,
      "  2023-11-14T22:13:20.123Z (1700000000123)  2 files  archive ", archive_sha1_, "\n");
  const std::string urls_text =
      StrCat(urls, "\n  url index of project web, release \"1.0\", dist \"\"\n",
             "  1 bundles, 3 files, 1 segments\n", "  ", kBundleId,
             "  2023-11-14T22:13:20.123Z (1700000000123)  3 files  archive ", archive_sha1_, "\n");
  CommandResult r = Run({"inspect", "--project", "web"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ids_text + urls_text);
  EXPECT_EQ(r.err, "");

  r = Run({"inspect", "--project", "web", "--release", "1.0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, urls_text);
  // An index directory given by path, with --verify and --files: as is, without a store, and
  // relative to the working directory.
  const std::string ids_out = Run({"inspect", ids, "--verify", "--files"}).out;
  r = RunCli({"inspect", ids, "--verify", "--files"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ids_out);
  fs::current_path(root_);
  r = RunCli({"inspect", "./projects/web/debug-ids", "--verify", "--files"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(r.out.find('\n')), ids_out.substr(ids_out.find('\n')));
  r = Run({"inspect", ids, "--verify", "--files"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            StrCat(ids,
                   "\n  debug-id index of project web\n  1 bundles, 2 files, 1 segments\n"
                   "  verify: ok\n  ",
                   kBundleId, "  2023-11-14T22:13:20.123Z (1700000000123)  2 files  archive ",
                   archive_sha1_, "\n    ", kBundleId,
                   "  minified_source  files/_/_/static/app.min.js  url=~/static/app.min.js  "
                   "debug_id=",
                   kScriptId, "  sourcemap=app.min.js.map\n    ", kBundleId,
                   "  source_map  files/_/_/static/app.min.js.map  url=~/static/app.min.js.map  "
                   "debug_id=",
                   kScriptId, "  sourcemap=-\n"));

  const std::string ids_json =
      StrCat("{\"dir\":\"", ids,
             "\",\"kind\":\"debug-id\",\"project\":\"web\",\"release\":\"\",\"dist\":\"\","
             "\"segments\":1,\"bundles\":[{\"bundle_id\":\"",
             kBundleId, "\",\"timestamp\":1700000000123,\"archive\":\"", archive_sha1_,
             "\",\"files\":2}]}");
  const std::string urls_json =
      StrCat("{\"dir\":\"", urls,
             "\",\"kind\":\"url\",\"project\":\"web\",\"release\":\"1.0\",\"dist\":\"\","
             "\"segments\":1,\"bundles\":[{\"bundle_id\":\"",
             kBundleId, "\",\"timestamp\":1700000000123,\"archive\":\"", archive_sha1_,
             "\",\"files\":3}]}");
  r = Run({"inspect", "--project", "web", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, StrCat("{\"indexes\":[", ids_json, ",", urls_json, "]}\n"));

  r = Run({"inspect", ids, "--json", "--verify", "--files"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, StrCat("{\"indexes\":[{\"dir\":\"", ids,
                          "\",\"kind\":\"debug-id\",\"project\":\"web\",\"release\":\"\","
                          "\"dist\":\"\",\"segments\":1,\"verify\":\"ok\",\"bundles\":[{"
                          "\"bundle_id\":\"",
                          kBundleId, "\",\"timestamp\":1700000000123,\"archive\":\"", archive_sha1_,
                          "\",\"files\":2}],\"files\":[", ScriptJson(), ",", MapJson(), "]}]}\n"));

  // A damaged segment fails --verify with exit 2 (a flipped byte in the strings section keeps
  // the header valid).
  const std::string segment = testing::OnlySegmentPath(urls);
  std::string bytes = ReadFileOrDie(segment);
  const uint64_t strings_at =
      common::Load<uint64_t>(bytes.data() + format::kSectionTableOffset +
                             format::kStringsSection * format::kSectionEntrySize);
  ASSERT_LT(strings_at, bytes.size());
  bytes[strings_at] ^= 0x01;
  WriteFileOrDie(segment, bytes);
  r = Run({"inspect", urls, "--verify"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.out, "verify: "));
  EXPECT_FALSE(Contains(r.out, "verify: ok"));
  EXPECT_TRUE(Contains(r.out, segment));
}

// --- make-bundle ---------------------------------------------------------------------------------

TEST_F(CliTest, MakeBundleAddLookupCatRoundTrip) {
  const std::string src = dir_ / "build";
  fs::create_directories(src + "/static/lib");
  const std::string app = "function a(){}\n//# sourceMappingURL=app.min.js.map\n";
  const std::string app_map = "{\"version\":3,\"sources\":[\"a.js\"],\"mappings\":\"AAAA\"}";
  const std::string lib =
      "var l=1;\n//# debugId=5B2D57B9-4C0A-4B5E-9E6F-0A1B2C3D4E5F\n//# "
      "sourceMappingURL=lib.js.map\n";
  const std::string lib_map =
      "{\"version\":3,\"sources\":[\"lib.ts\"],\"mappings\":\"AAAA\","
      "\"debugId\":\"5b2d57b9-4c0a-4b5e-9e6f-0a1b2c3d4e5f\"}";
  WriteFileOrDie(src + "/static/app.min.js", app);
  WriteFileOrDie(src + "/static/app.min.js.map", app_map);
  WriteFileOrDie(src + "/static/lib/lib.js", lib);
  WriteFileOrDie(src + "/static/lib/lib.js.map", lib_map);
  WriteFileOrDie(src + "/static/notes.txt", "not a script");

  const std::string out = dir_ / "out.zip";
  CommandResult r = RunCli({"make-bundle", src, "-o", out, "--url-prefix", "~", "--bundle-id",
                            "ABCDEF01-2345-4678-9ABC-DEF012345678", "--attribute", "release=1.0",
                            "--attribute", "org=acme"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, out + ": bundle abcdef01-2345-4678-9abc-def012345678, 4 files\n");
  // Deterministic: the same input gives the same bytes.
  const std::string out2 = dir_ / "out2.zip";
  ASSERT_EQ(RunCli({"make-bundle", src, "--output", out2, "--bundle-id",
                    "abcdef01-2345-4678-9abc-def012345678", "--attribute", "org=acme",
                    "--attribute=release=1.0"})
                .exit_code,
            0);
  EXPECT_TRUE(ReadFileOrDie(out) == ReadFileOrDie(out2));
  EXPECT_EQ(ReadFileOrDie(out).substr(0, 8), std::string("SYSB\x02\0\0\0", 8));

  r = Run({"add", out, "--project", "web", "--release", "1.0", "--timestamp", "1700000000000",
           "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            StrCat("{\"added\":[{\"bundle\":\"", out,
                   "\",\"bundle_id\":\"abcdef01-2345-4678-9abc-def012345678\","
                   "\"archive_sha1\":\"",
                   Sha1Hex(ReadFileOrDie(out)),
                   "\",\"timestamp\":1700000000000,\"files\":4,\"debug_id_files\":4,"
                   "\"outcome\":\"added\",\"superseded_at\":null,\"replaced_by\":null}]}\n"));

  // The script's debug id is derived from its map's bytes as sentry-cli derives it (SHA-1,
  // first 16 bytes, version 5 and the RFC 4122 variant); its map shares it.
  const std::string app_id = "35340578-6dd1-5b11-a687-84b5509fdcc5";
  r = Run({"lookup", "--project", "web", "--release", "1.0", "--url",
           "https://shop.example/static/app.min.js", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, StrCat("{\"candidates\":[{\"bundle_id\":\"abcdef01-2345-4678-9abc-"
                          "def012345678\",\"timestamp\":1700000000000,\"url\":\"~/static/"
                          "app.min.js\",\"path\":\"files/_/_/static/app.min.js\",\"type\":"
                          "\"minified_source\",\"debug_id\":\"",
                          app_id, "\",\"sourcemap\":\"app.min.js.map\"}]}\n"));
  r = Run({"lookup", "--project", "web", "--debug-id", app_id, "--type", "source_map", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, StrCat("{\"candidates\":[{\"bundle_id\":\"abcdef01-2345-4678-9abc-"
                          "def012345678\",\"timestamp\":1700000000000,\"url\":\"~/static/"
                          "app.min.js.map\",\"path\":\"files/_/_/static/app.min.js.map\","
                          "\"type\":\"source_map\",\"debug_id\":\"",
                          app_id, "\",\"sourcemap\":null}]}\n"));
  // lib.js declares its debug id.
  r = Run(
      {"lookup", "--project", "web", "--debug-id", "5b2d57b94c0a4b5e9e6f0a1b2c3d4e5f", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"candidates\":[{\"bundle_id\":\"abcdef01-2345-4678-9abc-def012345678\","
            "\"timestamp\":1700000000000,\"url\":\"~/static/lib/lib.js\",\"path\":\"files/_/_/"
            "static/lib/lib.js\",\"type\":\"minified_source\",\"debug_id\":\"5b2d57b9-4c0a-4b5e-"
            "9e6f-0a1b2c3d4e5f\",\"sourcemap\":\"lib.js.map\"},{\"bundle_id\":\"abcdef01-2345-"
            "4678-9abc-def012345678\",\"timestamp\":1700000000000,\"url\":\"~/static/lib/"
            "lib.js.map\",\"path\":\"files/_/_/static/lib/lib.js.map\",\"type\":\"source_map\","
            "\"debug_id\":\"5b2d57b9-4c0a-4b5e-9e6f-0a1b2c3d4e5f\",\"sourcemap\":null}]}\n");
  // notes.txt was left out.
  r = Run({"lookup", "--project", "web", "--release", "1.0", "--url", "~/static/notes.txt"});
  EXPECT_EQ(r.exit_code, 1);

  // cat gives back each file's exact bytes.
  struct Case {
    std::vector<std::string> args;
    std::string bytes;
  };
  for (const Case& c : std::vector<Case>{
           {{"--release", "1.0", "--url", "https://shop.example/static/app.min.js?x#y"}, app},
           {{"--release", "1.0", "--url", "~/static/app.min.js.map"}, app_map},
           {{"--debug-id", "5b2d57b9-4c0a-4b5e-9e6f-0a1b2c3d4e5f", "--type", "minified_source"},
            lib},
           {{"--debug-id", "5b2d57b9-4c0a-4b5e-9e6f-0a1b2c3d4e5f", "--type", "source_map"},
            lib_map},
       }) {
    std::vector<std::string> args = {"cat", "--project", "web"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, c.bytes);
    EXPECT_EQ(r.err, "");
  }

  // An absolute URL prefix; the bundle id derived from the contents when not given.
  const std::string abs_out = dir_ / "abs.zip";
  r = RunCli({"make-bundle", src, "-o", abs_out, "--url-prefix", "https://cdn.example/assets/"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.out.size(), abs_out.size() + std::string(": bundle , 4 files\n").size() + 36)
      << r.out;
  const std::string derived_id = r.out.substr(abs_out.size() + 9, 36);
  ASSERT_TRUE(DebugId::Parse(derived_id).ok()) << derived_id;
  r = Run({"add", abs_out, "--project", "cdn", "--release", "1.0", "--timestamp", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, StrCat("added ", derived_id, " (")));
  r = Run({"lookup", "--project", "cdn", "--release", "1.0", "--url",
           "https://cdn.example/assets/static/lib/lib.js"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out,
                       "  files/https/cdn.example/assets/static/lib/lib.js  "
                       "url=https://cdn.example/assets/static/lib/lib.js  "));
  r = Run({"cat", "--project", "cdn", "--release", "1.0", "--url",
           "https://cdn.example/assets/static/app.min.js.map"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, app_map);

  // Errors: no scripts, not a directory, a reserved attribute.
  const std::string empty = dir_ / "empty";
  fs::create_directory(empty);
  r = RunCli({"make-bundle", empty, "-o", dir_ / "e.zip"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "no .js, .mjs, .cjs or .map files"));
  r = RunCli({"make-bundle", dir_ / "missing", "-o", dir_ / "e.zip"});
  EXPECT_EQ(r.exit_code, 2);
  r = RunCli({"make-bundle", src, "-o", dir_ / "e.zip", "--attribute", "debug_id=x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(fs::exists(dir_ / "e.zip"));
}

// make-bundle strips the prefix's trailing slash once, for all files: with a prefix ending in
// "//", every file of the run still shares one URL prefix.
TEST_F(CliTest, MakeBundleGivesEveryFileTheSamePrefix) {
  const std::string src = dir_ / "src";
  fs::create_directories(src);
  for (const char* name : {"a.js", "b.js", "c.js"}) WriteFileOrDie(src + "/" + name, name);
  const std::string out = dir_ / "prefix.zip";
  CommandResult r =
      RunCli({"make-bundle", src, "-o", out, "--url-prefix", "https://cdn.example/assets//",
              "--bundle-id", "cccccccc-0000-4000-8000-000000000000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Run({"add", out, "--project", "web", "--release", "1.0", "--timestamp", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Run({"inspect", "--project", "web", "--release", "1.0", "--files"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The url of each file, as inspect lists them (by zip path).
  std::vector<std::string> urls;
  for (size_t at = r.out.find("url="); at != std::string::npos; at = r.out.find("url=", at + 1)) {
    urls.push_back(r.out.substr(at + 4, r.out.find("  ", at) - at - 4));
  }
  ASSERT_EQ(urls.size(), 3u) << r.out;
  std::vector<std::string> prefixes;
  for (const std::string& url : urls) prefixes.push_back(url.substr(0, url.size() - 4));
  EXPECT_EQ(prefixes[0], prefixes[1]) << r.out;
  EXPECT_EQ(prefixes[1], prefixes[2]) << r.out;
}

}  // namespace
}  // namespace artidx
