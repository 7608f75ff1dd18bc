// The guard of issue 10 ("one home for each thing"): a restructuring must leave the bytes of
// index files, the CLI's output and its exit statuses unchanged. This test runs a fixed script
// of CLI calls over the fixtures in ../shared/fixtures and the bundles of examples/ (every verb,
// its main successful paths and a few failing ones; never --help), then compacts, and compares
// each call's exit status, stdout and stderr with tests/golden/cli/ and every live segment of
// every index with tests/golden/index/.
//
// The same script runs against a local store and against a store on S3 (the loopback Swift that
// scripts/test starts; skipped without $ARTIDX_TEST_S3_URL, failed without it when
// $ARTIDX_REQUIRE_S3 is set): both must give the recorded transcript and index bytes, the S3
// store's location written as the local one's.
//
// To re-record after an intended change of output (review the diff before committing it):
//
//   ARTIDX_GOLDEN_RECORD=1 build/tests/golden_test
//
// Outputs are normalised so that they do not depend on where things are: the scratch directory
// is written <TMP>, the fixtures <FIXTURES>, the source tree <SRC>. Every call passes
// --timestamp (or runs in dry-run), so nothing depends on the clock; removals are dated far in
// the future (2096) so that `compact` keeps their tombstones whatever the day it runs.

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "store/backend.h"
#include "store/layout.h"
#include "store/segments.h"
#include "tests/testing.h"

namespace artidx {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::RunCli;
using testing::TempDir;

const std::string kGoldenDir = ARTIDX_GOLDEN_DIR;
const std::string kSourceDir = ARTIDX_SOURCE_DIR;

bool Recording() {
  const char* v = std::getenv("ARTIDX_GOLDEN_RECORD");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

// Every regular file under `dir`, by path relative to it, with its bytes.
std::map<std::string, std::string> ReadTree(const std::string& dir) {
  std::map<std::string, std::string> files;
  if (!fs::exists(dir)) return files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    files[fs::relative(e.path(), dir).string()] = testing::ReadFileOrDie(e.path().string());
  }
  return files;
}

void WriteTree(const std::string& dir, const std::map<std::string, std::string>& files) {
  fs::remove_all(dir);
  for (const auto& [name, bytes] : files) {
    fs::create_directories(fs::path(dir + "/" + name).parent_path());
    testing::WriteFileOrDie(dir + "/" + name, bytes);
  }
}

// Compares `actual` with the recorded tree under tests/golden/<sub>, or records it.
void CheckTree(const std::string& sub, const std::map<std::string, std::string>& actual) {
  const std::string dir = kGoldenDir + "/" + sub;
  if (Recording()) {
    WriteTree(dir, actual);
    return;
  }
  const std::map<std::string, std::string> expected = ReadTree(dir);
  ASSERT_FALSE(expected.empty()) << dir << " is empty: record it (see golden_test.cc)";
  for (const auto& [name, bytes] : expected) {
    auto it = actual.find(name);
    if (it == actual.end()) {
      ADD_FAILURE() << sub << "/" << name << ": recorded but not produced";
      continue;
    }
    if (it->second == bytes) continue;
    if (sub == "cli") {
      EXPECT_EQ(it->second, bytes) << sub << "/" << name << " differs from the recording";
      continue;
    }
    size_t at = 0;
    while (at < bytes.size() && at < it->second.size() && bytes[at] == it->second[at]) ++at;
    ADD_FAILURE() << sub << "/" << name << " differs from the recording: " << it->second.size()
                  << " bytes against " << bytes.size() << ", first difference at byte " << at;
  }
  for (const auto& [name, bytes] : actual) {
    EXPECT_TRUE(expected.count(name)) << sub << "/" << name << ": produced but not recorded";
  }
}

class Script {
 public:
  // The store is `store` (a directory under tmp, or an s3:// URL written <TMP>/store in the
  // transcript, with its cache under tmp).
  Script(const TempDir& tmp, std::string store)
      : tmp_(tmp), store_(std::move(store)), fixtures_(testing::FixturePath("")) {
    fixtures_.pop_back();  // the trailing '/'
    store_flags_ = {"--store", store_};
    if (store::IsObjectStoreLocation(store_)) {
      store_flags_.insert(store_flags_.end(), {"--cache", tmp / "cache"});
    }
  }

  const std::string& store() const { return store_; }
  const std::vector<std::string>& store_flags() const { return store_flags_; }
  std::string Fixture(const std::string& name) const { return fixtures_ + "/" + name; }

  // Runs `artidx --store <TMP>/store args...` and records the transcript as case `name` (as
  // if the store were <TMP>/store).
  void Run(const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), store_flags_.begin(), store_flags_.end());
    RunRaw(name, args);
  }
  // Runs `artidx args...` (no --store).
  void RunRaw(const std::string& name, const std::vector<std::string>& args) {
    const CommandResult r = RunCli(args);
    std::string text = "$ artidx";
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--cache") {  // the one flag that differs between the backends
        ++i;
        continue;
      }
      absl::StrAppend(&text, " ", args[i]);
    }
    const std::string out = Normalise(r.out), err = Normalise(r.err);
    absl::StrAppend(&text, "\n[exit ", r.exit_code, "]\n--- stdout (", out.size(), " bytes)\n", out,
                    "\n--- stderr (", err.size(), " bytes)\n", err, "\n");
    char number[8];
    std::snprintf(number, sizeof(number), "%03zu", cases_.size() + 1);
    cases_[absl::StrCat(number, "-", name, ".txt")] = Normalise(text);
  }

  const std::map<std::string, std::string>& cases() const { return cases_; }

 private:
  std::string Normalise(const std::string& text) const {
    // One after the other: the fixtures' path starts with the source tree's.
    std::string out = absl::StrReplaceAll(text, {{store_, tmp_ / "store"}});
    out = absl::StrReplaceAll(out, {{tmp_.path(), "<TMP>"}});
    out = absl::StrReplaceAll(out, {{fixtures_, "<FIXTURES>"}});
    return absl::StrReplaceAll(out, {{kSourceDir, "<SRC>"}});
  }

  const TempDir& tmp_;
  std::string store_;
  std::vector<std::string> store_flags_;
  std::string fixtures_;
  std::map<std::string, std::string> cases_;
};

class GoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  // The store of this case: a directory under tmp_, or a prefix of its own in the S3 bucket.
  std::string StoreLocation() {
    if (GetParam() == "local") return tmp_ / "store";
    return testing::FreshS3Store("golden");
  }

  TempDir tmp_;
};

INSTANTIATE_TEST_SUITE_P(Backends, GoldenTest, ::testing::Values("local", "s3"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST_P(GoldenTest, CliOutputAndIndexBytesAreAsRecorded) {
  const std::string location = StoreLocation();
  ARTIDX_SKIP_WITHOUT_S3(location);
  if (GetParam() != "local" && Recording()) GTEST_SKIP() << "recording from the local store";
  const TempDir& tmp = tmp_;
  Script s(tmp, location);
  const std::string web = s.Fixture("sentry-cli/preact-web.zip");
  const std::string nightly = s.Fixture("sentry-cli/preact-nightly.zip");
  const std::string rxjs = s.Fixture("sentry-cli/rxjs-cjs.zip");
  const std::string rxjs2 = s.Fixture("sentry-cli/rxjs-cjs-rebuilt.zip");
  const std::string node = s.Fixture("symbolicator/e2e_node_debugid_bundle.zip");
  const std::string scraped = s.Fixture("symbolicator/e2e_scraped_debugid_bundle.zip");
  const std::string no_header = s.Fixture("symbolicator/e2e_source_no_header_bundle.zip");
  const std::string wrong = s.Fixture("symbolicator/sorted_bundles_01_wrong.zip");
  const std::string correct = s.Fixture("symbolicator/sorted_bundles_02_correct.zip");
  const std::string example1 = tmp / "example-1.zip", example2 = tmp / "example-2.zip";

  // make-bundle
  s.RunRaw("make-bundle", {"make-bundle", kSourceDir + "/examples/build-1", "-o", example1});
  s.RunRaw("make-bundle-attributes",
           {"make-bundle", kSourceDir + "/examples/build-2", "-o", example2, "--url-prefix",
            "https://cdn.example", "--attribute", "release=shop@2", "--attribute", "org=acme"});
  s.RunRaw("make-bundle-bundle-id",
           {"make-bundle", kSourceDir + "/examples/build-1", "-o", tmp / "example-id.zip",
            "--bundle-id", "0ac5f7c8-3d2f-4a1b-9c0e-123456789abc"});
  s.RunRaw("make-bundle-missing-dir",
           {"make-bundle", tmp / "no-such-dir", "-o", tmp / "never.zip"});

  // add
  s.Run("add",
        {"add", web, "--project", "web", "--release", "shop@1", "--timestamp", "1700000000000"});
  s.Run("add-dist-json", {"add", nightly, "--project", "web", "--release", "shop@1", "--dist",
                          "nightly", "--timestamp", "1700000001000", "--json"});
  s.Run("add-two-projects", {"add", rxjs, rxjs2, "--project", "web", "--project", "api",
                             "--release", "shop@2", "--timestamp", "1700000002000"});
  s.Run("add-debug-ids-only",
        {"add", node, scraped, "--project", "sym", "--timestamp", "1700000003000", "--json"});
  s.Run("add-no-debug-ids",
        {"add", node, no_header, "--project", "sym", "--timestamp", "1700000003000"});
  s.Run("add-sorted-wrong",
        {"add", wrong, "--project", "sym", "--release", "sorted", "--timestamp", "1700000004000"});
  s.Run("add-sorted-correct", {"add", correct, "--project", "sym", "--release", "sorted",
                               "--timestamp", "1700000005000", "--bundle-id", "sorted-correct"});
  s.Run("add-example-1", {"add", example1, "--project", "shop", "--release", "shop@1",
                          "--timestamp", "1700000006000"});
  s.Run("add-example-2", {"add", example2, "--project", "shop", "--release", "shop@2",
                          "--timestamp", "1700000007000", "--json"});
  s.Run("add-missing-file",
        {"add", tmp / "no-such.zip", "--project", "web", "--timestamp", "1700000008000"});
  s.Run("add-not-a-zip", {"add", s.Fixture("sentry-cli/preact-web.request.json"), "--project",
                          "web", "--timestamp", "1700000008000"});
  s.Run("add-no-project", {"add", web, "--timestamp", "1700000008000"});

  // lookup
  s.Run("lookup-url", {"lookup", "--project", "web", "--release", "shop@1", "--url",
                       "https://cdn.shop.example/js/preact.min.js?v=1#frag"});
  s.Run("lookup-url-json", {"lookup", "--project", "web", "--release", "shop@1", "--url",
                            "https://cdn.shop.example/js/preact.min.js", "--json"});
  s.Run("lookup-url-dist", {"lookup", "--project", "web", "--release", "shop@1", "--dist",
                            "nightly", "--url", "https://cdn.shop.example/js/preact.min.js"});
  s.Run("lookup-url-tilde", {"lookup", "--project", "sym", "--release", "sorted", "--url",
                             "https://example.com/test.min.js", "--json"});
  s.Run("lookup-url-none", {"lookup", "--project", "web", "--release", "shop@1", "--url",
                            "https://cdn.shop.example/nothing.js"});
  s.Run("lookup-url-no-index", {"lookup", "--project", "web", "--release", "shop@9", "--url",
                                "https://cdn.shop.example/js/preact.min.js", "--json"});
  s.Run("lookup-debug-id",
        {"lookup", "--project", "sym", "--debug-id", "2f259f80-58b7-44cb-d7cd-de1505e7e718"});
  s.Run("lookup-debug-id-type-json",
        {"lookup", "--project", "sym", "--debug-id", "2F259F8058B744CBD7CDDE1505E7E718", "--type",
         "source_map", "--json"});
  s.Run("lookup-debug-id-web", {"lookup", "--project", "web", "--debug-id",
                                "73804d9e-999a-5604-9788-866b3479dcbb", "--json"});
  s.Run("lookup-debug-id-none",
        {"lookup", "--project", "sym", "--debug-id", "00000000-0000-0000-0000-000000000000"});
  s.Run("lookup-bad-debug-id", {"lookup", "--project", "sym", "--debug-id", "not-an-id"});
  s.Run("lookup-url-without-release",
        {"lookup", "--project", "web", "--url", "https://cdn.shop.example/js/preact.min.js"});

  // cat
  s.Run("cat",
        {"cat", "--project", "shop", "--release", "shop@1", "--url", "~/static/js/app.min.js"});
  s.Run("cat-sourcemap", {"cat", "--project", "shop", "--release", "shop@1", "--url",
                          "https://any.host/static/js/app.min.js", "--sourcemap"});
  s.Run("cat-url-prefix", {"cat", "--project", "shop", "--release", "shop@2", "--url",
                           "https://cdn.example/static/js/app.min.js"});
  s.Run("cat-debug-id", {"cat", "--project", "sym", "--debug-id",
                         "2f259f80-58b7-44cb-d7cd-de1505e7e718", "--type", "minified_source"});
  s.Run("cat-none",
        {"cat", "--project", "shop", "--release", "shop@1", "--url", "~/static/js/missing.js"});

  // ls
  s.Run("ls-release", {"ls", "--project", "web", "--release", "shop@2"});
  s.Run("ls-release-json", {"ls", "--project", "web", "--release", "shop@1", "--json"});
  s.Run("ls-debug-ids", {"ls", "--project", "sym"});
  s.Run("ls-limit", {"ls", "--project", "web", "--limit", "1", "--json"});
  s.Run("ls-since-until",
        {"ls", "--project", "web", "--since", "1700000001000", "--until", "1700000001000"});
  s.Run("ls-releases", {"ls", "--project", "web", "--releases"});
  s.Run("ls-releases-json", {"ls", "--project", "sym", "--releases", "--json"});
  s.Run("ls-no-index", {"ls", "--project", "nobody", "--release", "x", "--json"});
  s.Run("ls-no-project", {"ls", "--release", "shop@1"});

  // inspect
  s.Run("inspect-release", {"inspect", "--project", "web", "--release", "shop@1", "--verify"});
  s.Run("inspect-release-files",
        {"inspect", "--project", "shop", "--release", "shop@1", "--files"});
  s.Run("inspect-project-json", {"inspect", "--project", "sym", "--files", "--verify", "--json"});
  s.Run("inspect-no-index", {"inspect", "--project", "nobody"});

  // export and import
  s.Run("export-url",
        {"export", "--project", "web", "--release", "shop@1", "--format", "sentry-json"});
  s.Run("export-debug-ids", {"export", "--project", "sym", "--format", "sentry-json"});
  s.Run("export-no-format", {"export", "--project", "sym"});
  const std::string exported = tmp / "exported.json";
  {
    std::vector<std::string> args = s.store_flags();
    args.insert(args.end(),
                {"export", "--project", "shop", "--release", "shop@1", "--format", "sentry-json"});
    CommandResult r = RunCli(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    testing::WriteFileOrDie(exported, r.out);
  }
  s.Run("import", {"import", exported, "--project", "copy", "--release", "shop@1"});
  s.Run("import-json", {"import", exported, "--project", "copy2", "--json"});
  s.Run("import-missing-file", {"import", tmp / "no-such.json", "--project", "copy"});

  // hold, unhold, gc, rm
  s.Run("hold", {"hold", "sorted-correct"});
  s.Run("gc-dry-run-json", {"gc", "--max-age", "0", "--dry-run", "--json"});
  s.Run("unhold", {"unhold", "sorted-correct"});
  s.Run("gc-dry-run", {"gc", "--max-age", "0", "--keep-newest", "1", "--dry-run"});
  s.Run("gc-no-max-age", {"gc", "--dry-run"});
  s.Run("rm", {"rm", "sorted-correct", "--timestamp", "4000000000000"});
  s.Run("rm-project-json", {"rm", "9e77a589-21d2-5428-829a-414ebcccce2a", "--project", "sym",
                            "--timestamp", "4000000001000", "--json"});
  s.Run("rm-no-id", {"rm"});
  s.Run("lookup-after-rm", {"lookup", "--project", "sym", "--release", "sorted", "--url",
                            "https://example.com/test.min.js"});

  // verify, rebuild, compact
  s.Run("verify", {"verify"});
  s.Run("verify-json", {"verify", "--json"});
  s.Run("rebuild-json", {"rebuild", "--json"});
  s.Run("rebuild", {"rebuild"});
  s.Run("compact", {"compact"});
  s.Run("compact-project", {"compact", "--project", "web"});
  s.Run("verify-after-compact", {"verify"});
  s.Run("unknown-option", {"ls", "--project", "web", "--bogus"});

  CheckTree("cli", s.cases());

  // The bytes of every index: after `compact` each is one segment, named by its digest.
  std::map<std::string, std::string> segments;
  const store::Layout layout(store::OpenBackendOrFailing(s.store(), {tmp / "cache", 0}));
  const absl::StatusOr<std::vector<std::string>> dirs = layout.IndexDirs("");
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  for (const std::string& dir : *dirs) {
    const absl::StatusOr<std::vector<std::string>> names = store::ListSegments(layout, dir);
    ASSERT_TRUE(names.ok()) << names.status();
    for (const std::string& name : *names) {
      const std::string key = absl::StrCat(std::string(layout.KeyOf(dir)), "/", name);
      absl::StatusOr<std::string> bytes = layout.backend().Read(key, uint64_t{1} << 30);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      segments[key] = *std::move(bytes);
    }
  }
  EXPECT_GE(segments.size(), 8u);
  CheckTree("index", segments);
  if (GetParam() != "local") {  // leave the bucket as it was
    const absl::StatusOr<std::vector<std::string>> all =
        layout.List(layout.root(), store::Backend::ListMode::kRecursive);
    ASSERT_TRUE(all.ok()) << all.status();
    for (const std::string& name : *all) {
      EXPECT_TRUE(layout.backend().Delete(layout.KeyOf(name)).ok()) << name;
    }
  }
}

}  // namespace
}  // namespace artidx
