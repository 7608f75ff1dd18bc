// End-to-end tests of the store operations beyond a single add, through the real `artidx`
// binary on real archives in temporary stores: removal (rm), many concurrent writers, the
// compaction policy and its order independence, lookups over several live segments compared
// with their compaction, retention (gc, hold, unhold) and listing (ls). SPEC.md sections 18-21.
//
// One file of more than 600 lines: the operations beyond one add act on one another (a removal
// then compaction, gc then listing), and the tests share the store-building helpers.

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "artidx/types.h"
#include "bundle/bundle_writer.h"
#include "common/clock.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "store/layout.h"
#include "store/segments.h"
#include "tests/testing.h"

namespace artidx {
namespace {

namespace fs = std::filesystem;
using testing::Artidx;
using testing::BundleIds;
using testing::CommandResult;
using testing::FileIdOf;
using testing::IdOf;
using testing::MakeBundle;
using testing::Matches;
using testing::TempDir;
using testing::Tree;

// --- helpers -------------------------------------------------------------------------------------

// Writes MakeBundle(n, own) into `dir` and returns its path.
std::string WriteBundle(const TempDir& dir, int n, const std::string& own = "") {
  const std::string path = dir / StrCat("b", n, own.empty() ? "" : "-", own, ".zip");
  testing::WriteFileOrDie(path, MakeBundle(n, own));
  return path;
}

// `artidx add` of one bundle, which must succeed.
void Add(const std::string& store, const std::string& bundle, std::vector<std::string> args) {
  args.insert(args.begin(), {"add", bundle});
  CommandResult r = Artidx(store, args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

void AddAt(const std::string& store, const std::string& bundle, int64_t timestamp,
           const std::string& release = "1.0", const std::string& project = "web") {
  Add(store, bundle,
      {"--project", project, "--release", release, "--timestamp", std::to_string(timestamp)});
}

std::vector<std::string> Timestamps(const std::string& json) {
  return Matches(json, "\"timestamp\":(-?[0-9]+)");
}

// The bundle ids of a lookup's candidates (exit 0 with candidates, 1 without).
std::vector<std::string> Lookup(const std::string& store, const std::string& project,
                                std::vector<std::string> args) {
  std::vector<std::string> full = {"lookup", "--project", project, "--json"};
  full.insert(full.end(), args.begin(), args.end());
  CommandResult r = Artidx(store, full);
  std::vector<std::string> ids = BundleIds(r.out);
  EXPECT_EQ(r.exit_code, ids.empty() ? 1 : 0) << r.out << r.err;
  return ids;
}

std::vector<std::string> LookupUrl(const std::string& store, const std::string& url,
                                   const std::string& release = "1.0",
                                   const std::string& project = "web") {
  return Lookup(store, project, {"--release", release, "--url", url});
}

std::vector<std::string> LookupDebugId(const std::string& store, int n,
                                       const std::string& project = "web") {
  return Lookup(store, project, {"--debug-id", FileIdOf(n)});
}

using Ids = std::vector<std::string>;

// Every index directory of the store: projects/*/debug-ids and projects/*/urls/*.
std::vector<std::string> IndexDirs(const std::string& store) {
  std::vector<std::string> dirs;
  std::error_code ec;
  if (!fs::exists(store + "/projects", ec)) return dirs;
  for (const auto& project : fs::directory_iterator(store + "/projects")) {
    if (fs::exists(project.path() / "debug-ids")) dirs.push_back(project.path() / "debug-ids");
    if (!fs::exists(project.path() / "urls")) continue;
    for (const auto& url : fs::directory_iterator(project.path() / "urls")) {
      dirs.push_back(url.path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

size_t LiveSegments(const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> names = store::ListSegments(store::Layout(dir), dir);
  EXPECT_TRUE(names.ok()) << names.status();
  return names.ok() ? names->size() : 0;
}

void ExpectVerifies(const std::string& store, const std::string& project = "web") {
  CommandResult r = Artidx(store, {"inspect", "--project", project, "--verify"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// The archive files of a bundle directory.
std::vector<std::string> Archives(const std::string& store, const std::string& id) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(store + "/bundles/" + id, ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() == ".zip") out.push_back(it->path());
  }
  return out;
}

// --- rm
// --------------------------------------------------------------------------------------------

TEST(Rm, RemovesTheBundleFromEveryIndexAndDeletesItsArchives) {
  TempDir dir;
  const std::string store = dir / "store";
  const std::string b1 = WriteBundle(dir, 1), b2 = WriteBundle(dir, 2);
  for (const char* release : {"1.0", "2.0"}) {
    Add(store, b1,
        {"--project", "web", "--project", "app", "--release", release, "--timestamp", "1000"});
  }
  AddAt(store, b2, 2000);
  ASSERT_EQ(LookupUrl(store, "~/static/app.js"), (Ids{IdOf(2), IdOf(1)}));
  ASSERT_EQ(LookupUrl(store, "~/static/app.js", "2.0", "app"), (Ids{IdOf(1)}));
  ASSERT_EQ(LookupDebugId(store, 1, "app"), (Ids{IdOf(1), IdOf(1)}));
  ASSERT_EQ(Archives(store, IdOf(1)).size(), 1u);

  CommandResult r = Artidx(store, {"rm", IdOf(1), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  store::Layout layout(store);
  std::set<std::string> expected;
  for (const char* project : {"web", "app"}) {
    expected.insert(layout.DebugIdIndexDir(project));
    for (const char* release : {"1.0", "2.0"})
      expected.insert(layout.UrlIndexDir(project, release, ""));
  }
  const std::vector<std::string> indexes = Matches(r.out, "\"(/[^\"]*)\"");
  EXPECT_EQ(std::set<std::string>(indexes.begin(), indexes.end()), expected) << r.out;
  EXPECT_EQ(indexes.size(), 6u) << r.out;
  EXPECT_NE(r.out.find("\"archives_deleted\":true"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(StrCat("\"bundle_id\":\"", IdOf(1), "\"")), std::string::npos) << r.out;

  // Gone from every index; bundle 2 untouched.
  EXPECT_EQ(LookupUrl(store, "~/static/app.js"), (Ids{IdOf(2)}));
  EXPECT_EQ(LookupUrl(store, "~/static/own-1.js"), Ids{});
  EXPECT_EQ(LookupUrl(store, "~/static/app.js", "2.0"), Ids{});
  for (const char* release : {"1.0", "2.0"}) {
    EXPECT_EQ(LookupUrl(store, "~/static/app.js", release, "app"), Ids{});
  }
  EXPECT_EQ(LookupDebugId(store, 1), Ids{});
  EXPECT_EQ(LookupDebugId(store, 1, "app"), Ids{});
  EXPECT_EQ(LookupDebugId(store, 2), (Ids{IdOf(2), IdOf(2)}));
  EXPECT_FALSE(fs::exists(store + "/bundles/" + IdOf(1)));
  EXPECT_EQ(Archives(store, IdOf(2)).size(), 1u);
  CommandResult cat =
      Artidx(store, {"cat", "--project", "web", "--release", "1.0", "--url", "~/static/own-2.js"});
  EXPECT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "// bundle 2 ~/static/own-2.js\n");
  CommandResult ls = Artidx(store, {"ls", "--project", "app", "--json"});
  EXPECT_EQ(ls.out, "{\"bundles\":[],\"next_cursor\":null}\n");
  ExpectVerifies(store);
  ExpectVerifies(store, "app");

  // A second removal finds no record.
  CommandResult again = Artidx(store, {"rm", IdOf(1)});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find(IdOf(1)), std::string::npos) << again.err;
}

TEST(Rm, ProjectOnlyRemovesFromThatProjectAndKeepsTheArchive) {
  TempDir dir;
  const std::string store = dir / "store";
  const std::string b1 = WriteBundle(dir, 1);
  Add(store, b1,
      {"--project", "web", "--project", "app", "--release", "1.0", "--timestamp", "1000"});

  CommandResult r = Artidx(store, {"rm", IdOf(1), "--project", "web", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  store::Layout layout(store);
  const std::vector<std::string> indexes = Matches(r.out, "\"(/[^\"]*)\"");
  EXPECT_EQ(
      std::set<std::string>(indexes.begin(), indexes.end()),
      (std::set<std::string>{layout.DebugIdIndexDir("web"), layout.UrlIndexDir("web", "1.0", "")}))
      << r.out;
  EXPECT_NE(r.out.find("\"archives_deleted\":false"), std::string::npos) << r.out;

  EXPECT_EQ(LookupUrl(store, "~/static/app.js"), Ids{});
  EXPECT_EQ(LookupDebugId(store, 1), Ids{});
  EXPECT_EQ(LookupUrl(store, "~/static/app.js", "1.0", "app"), (Ids{IdOf(1)}));
  EXPECT_EQ(LookupDebugId(store, 1, "app"), (Ids{IdOf(1), IdOf(1)}));
  EXPECT_EQ(Archives(store, IdOf(1)).size(), 1u);
  CommandResult cat = Artidx(store, {"cat", "--project", "app", "--release", "1.0", "--url",
                                     "https://x.example/static/own-1.js"});
  EXPECT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "// bundle 1 ~/static/own-1.js\n");

  // web has no record left; removing everywhere then takes it from app and deletes it.
  CommandResult web_again = Artidx(store, {"rm", IdOf(1), "--project", "web"});
  EXPECT_EQ(web_again.exit_code, 2) << web_again.out;
  EXPECT_NE(web_again.err.find(IdOf(1)), std::string::npos) << web_again.err;
  CommandResult all = Artidx(store, {"rm", IdOf(1)});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(LookupUrl(store, "~/static/app.js", "1.0", "app"), Ids{});
  EXPECT_FALSE(fs::exists(store + "/bundles/" + IdOf(1)));
}

TEST(Rm, UnknownBundleExitsTwoWithAClearMessage) {
  TempDir dir;
  const std::string store = dir / "store";
  // No store yet, then one holding another bundle.
  for (int round = 0; round < 2; ++round) {
    if (round == 1) AddAt(store, WriteBundle(dir, 2), 1000);
    CommandResult r = Artidx(store, {"rm", IdOf(1)});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("artidx: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(round == 0 ? StrCat("no artidx store at ", store)
                                    : StrCat("no record of bundle ", IdOf(1))),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
  }
  EXPECT_EQ(LookupUrl(store, "~/static/app.js"), (Ids{IdOf(2)}));
  CommandResult invalid = Artidx(store, {"rm", "../etc"});
  EXPECT_EQ(invalid.exit_code, 2);
  EXPECT_NE(invalid.err.find("artidx: "), std::string::npos) << invalid.err;
}

// Every lookup of bundle 1's and 2's files, as JSON text.
std::string Answers(const std::string& store) {
  std::string out;
  auto lookup = [&](std::vector<std::string> args) {
    std::vector<std::string> full = {"lookup", "--project", "web", "--json"};
    full.insert(full.end(), args.begin(), args.end());
    CommandResult r = Artidx(store, full);
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
    StrAppend(&out, r.exit_code, " ", r.out);
  };
  lookup({"--release", "1.0", "--url", "https://x.example/static/app.js"});
  for (int n : {1, 2}) {
    lookup({"--release", "1.0", "--url", StrCat("~/static/own-", n, ".js")});
    lookup({"--debug-id", FileIdOf(n)});
  }
  return out;
}

TEST(Rm, AddAndRemoveCommute) {
  TempDir dir;
  const std::string a = dir / "a", b = dir / "b";
  const std::string b1 = WriteBundle(dir, 1), b2 = WriteBundle(dir, 2);
  // Both stores know bundle 1 from an earlier add (a removal needs a record of the bundle).
  for (const std::string& store : {a, b}) {
    AddAt(store, b1, 500);
    AddAt(store, b2, 700);
  }
  // a: add(t=1000) then rm(t=2000); b: rm(t=2000) then add(t=1000).
  AddAt(a, b1, 1000);
  ASSERT_EQ(Artidx(a, {"rm", IdOf(1), "--timestamp", "2000"}).exit_code, 0);
  ASSERT_EQ(Artidx(b, {"rm", IdOf(1), "--timestamp", "2000"}).exit_code, 0);
  AddAt(b, b1, 1000);

  const std::string gone = Answers(a);
  EXPECT_EQ(Answers(b), gone);
  EXPECT_EQ(LookupUrl(a, "~/static/app.js"), (Ids{IdOf(2)}));
  EXPECT_EQ(LookupUrl(b, "~/static/app.js"), (Ids{IdOf(2)}));
  EXPECT_EQ(LookupDebugId(b, 1), Ids{});
  EXPECT_EQ(LookupUrl(b, "~/static/own-1.js"), Ids{});

  // An add newer than the removal brings it back in both.
  AddAt(a, b1, 3000);
  AddAt(b, b1, 3000);
  const std::string back = Answers(a);
  EXPECT_NE(back, gone);
  EXPECT_EQ(Answers(b), back);
  EXPECT_EQ(LookupUrl(b, "~/static/app.js"), (Ids{IdOf(1), IdOf(2)}));
  EXPECT_EQ(LookupDebugId(b, 1), (Ids{IdOf(1), IdOf(1)}));
  CommandResult r = Artidx(b, {"lookup", "--project", "web", "--release", "1.0", "--url",
                               "~/static/own-1.js", "--json"});
  EXPECT_EQ(Timestamps(r.out), (Ids{"3000"})) << r.out;
  ExpectVerifies(a);
  ExpectVerifies(b);
}

TEST(Rm, OlderThanTheAddKeepsTheBundle) {
  TempDir dir;
  const std::string store = dir / "store";
  const std::string b1 = WriteBundle(dir, 1);
  AddAt(store, b1, 5000);
  CommandResult r = Artidx(store, {"rm", IdOf(1), "--timestamp", "1000"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("not removed: its add at 1970-01-01T00:00:05.000Z (5000) is newer"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(LookupUrl(store, "~/static/app.js"), (Ids{IdOf(1)}));
  EXPECT_EQ(LookupDebugId(store, 1), (Ids{IdOf(1), IdOf(1)}));
  EXPECT_EQ(Archives(store, IdOf(1)).size(), 1u);

  // Added at 500 to release 1.0 and at 5000 to 2.0: a removal at 1000 takes it from 1.0 only;
  // in the debug-id index the add at 5000 wins over it.
  const std::string store2 = dir / "store2";
  AddAt(store2, b1, 500, "1.0");
  AddAt(store2, b1, 5000, "2.0");
  CommandResult partial = Artidx(store2, {"rm", IdOf(1), "--timestamp", "1000", "--json"});
  ASSERT_EQ(partial.exit_code, 0) << partial.err;
  EXPECT_NE(partial.out.find("\"archives_deleted\":false"), std::string::npos) << partial.out;
  EXPECT_EQ(LookupUrl(store2, "~/static/app.js", "1.0"), Ids{});
  EXPECT_EQ(LookupUrl(store2, "~/static/app.js", "2.0"), (Ids{IdOf(1)}));
  CommandResult ids =
      Artidx(store2, {"lookup", "--project", "web", "--debug-id", FileIdOf(1), "--json"});
  EXPECT_EQ(BundleIds(ids.out), (Ids{IdOf(1), IdOf(1)}));
  EXPECT_EQ(Timestamps(ids.out), (Ids{"5000", "5000"}));
  EXPECT_EQ(Archives(store2, IdOf(1)).size(), 1u);
  ExpectVerifies(store2);
}

// --- many writers ------------------------------------------------------------------------------

TEST(ManyWriters, ConcurrentAddsOfDifferentBundlesWithConcurrentLookups) {
  TempDir dir;
  const std::string store = dir / "store";
  constexpr int kWriters = 8;
  std::vector<std::string> bundles;
  for (int n = 1; n <= kWriters; ++n) bundles.push_back(WriteBundle(dir, n));

  std::atomic<int> writing{kWriters};
  std::vector<CommandResult> added(kWriters);
  std::vector<std::thread> threads;
  for (int n = 1; n <= kWriters; ++n) {
    threads.emplace_back([&, n] {
      added[n - 1] = Artidx(store, {"add", bundles[n - 1], "--project", "web", "--release", "1.0",
                                    "--timestamp", std::to_string(1000 * n)});
      --writing;
    });
  }
  // Readers while the writers run: every answer is a valid one, no error.
  std::vector<std::vector<CommandResult>> looked(2);
  for (int reader = 0; reader < 2; ++reader) {
    threads.emplace_back([&, reader] {
      do {
        looked[reader].push_back(
            reader == 0 ? Artidx(store, {"lookup", "--project", "web", "--release", "1.0", "--url",
                                         "https://x.example/static/app.js", "--json"})
                        : Artidx(store, {"lookup", "--project", "web", "--debug-id", FileIdOf(1),
                                         "--type", "minified_source", "--json"}));
      } while (writing.load() > 0);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int n = 1; n <= kWriters; ++n) EXPECT_EQ(added[n - 1].exit_code, 0) << added[n - 1].err;
  size_t lookups = 0;
  for (const auto& results : looked) {
    for (const CommandResult& r : results) {
      ++lookups;
      // Before the first add made the store, there is none to look in.
      if (r.exit_code == 2 && r.err == StrCat("artidx: no artidx store at ", store, "\n")) continue;
      ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
      const std::vector<std::string> ids = BundleIds(r.out);
      const std::vector<std::string> stamps = Timestamps(r.out);
      EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size()) << r.out;
      EXPECT_TRUE(std::is_sorted(stamps.begin(), stamps.end(), [](const auto& x, const auto& y) {
        return std::stoll(x) > std::stoll(y);
      })) << r.out;
    }
  }
  EXPECT_GE(lookups, 2u);
  // Whichever writer compacted last, each small index ends as one segment.
  for (const std::string& index : IndexDirs(store)) EXPECT_EQ(LiveSegments(index), 1u) << index;

  // Every bundle exactly once, newest first.
  Ids expected;
  for (int n = kWriters; n >= 1; --n) expected.push_back(IdOf(n));
  EXPECT_EQ(LookupUrl(store, "~/static/app.js"), expected);
  for (bool url : {true, false}) {
    std::vector<std::string> ls = {"ls", "--project", "web", "--json"};
    if (url) ls.insert(ls.end(), {"--release", "1.0"});
    EXPECT_EQ(BundleIds(Artidx(store, ls).out), expected);
  }
  for (int n = 1; n <= kWriters; ++n) {
    EXPECT_EQ(LookupUrl(store, StrCat("~/static/own-", n, ".js")), (Ids{IdOf(n)}));
    EXPECT_EQ(LookupDebugId(store, n), (Ids{IdOf(n), IdOf(n)}));
  }
  ExpectVerifies(store);

  ASSERT_EQ(Artidx(store, {"compact"}).exit_code, 0);
  for (const std::string& index : IndexDirs(store)) EXPECT_EQ(LiveSegments(index), 1u) << index;
  CommandResult inspect = Artidx(store, {"inspect", "--project", "web", "--json"});
  EXPECT_EQ(Matches(inspect.out, "\"segments\":([0-9]+)"), (Ids{"1", "1"})) << inspect.out;
  EXPECT_EQ(LookupUrl(store, "~/static/app.js"), expected);
  ExpectVerifies(store);
}

TEST(ManyWriters, ConcurrentAddsOfTheSameBundleGiveItOnce) {
  TempDir dir;
  const std::string store = dir / "store";
  const std::string b1 = WriteBundle(dir, 1);
  // First with one timestamp, then each writer with its own (now).
  for (bool explicit_time : {true, false}) {
    std::vector<CommandResult> results(6);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < results.size(); ++i) {
      threads.emplace_back([&, i] {
        std::vector<std::string> args = {"add", b1, "--project", "web", "--release", "1.0"};
        if (explicit_time) args.insert(args.end(), {"--timestamp", "5000"});
        results[i] = Artidx(store, args);
      });
    }
    for (std::thread& t : threads) t.join();
    for (const CommandResult& r : results) EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(LookupUrl(store, "~/static/app.js"), (Ids{IdOf(1)}));
    EXPECT_EQ(LookupDebugId(store, 1), (Ids{IdOf(1), IdOf(1)}));
    CommandResult ls = Artidx(store, {"ls", "--project", "web", "--release", "1.0", "--json"});
    EXPECT_EQ(BundleIds(ls.out), (Ids{IdOf(1)})) << ls.out;
    EXPECT_EQ(Archives(store, IdOf(1)).size(), 1u);
    ExpectVerifies(store);
  }
}

TEST(ManyWriters, ConcurrentRemovesAddsAndCompactions) {
  TempDir dir;
  const std::string store = dir / "store";
  std::vector<std::string> paths;
  for (int n = 1; n <= 9; ++n) paths.push_back(WriteBundle(dir, n));
  for (int n = 1; n <= 6; ++n) AddAt(store, paths[n - 1], 1000 * n);

  std::vector<std::vector<std::string>> ops;
  for (int n = 1; n <= 3; ++n) ops.push_back({"rm", IdOf(n), "--timestamp", "20000"});
  for (int n = 7; n <= 9; ++n) {
    ops.push_back({"add", paths[n - 1], "--project", "web", "--release", "1.0", "--timestamp",
                   std::to_string(1000 * n)});
  }
  ops.push_back({"compact"});
  ops.push_back({"compact", "--project", "web"});
  std::vector<CommandResult> results(ops.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < ops.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = Artidx(store, ops[i]); });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < ops.size(); ++i) {
    EXPECT_EQ(results[i].exit_code, 0) << ops[i][0] << ": " << results[i].err;
  }
  const Ids expected = {IdOf(9), IdOf(8), IdOf(7), IdOf(6), IdOf(5), IdOf(4)};
  EXPECT_EQ(LookupUrl(store, "~/static/app.js"), expected);
  for (int n = 1; n <= 9; ++n) {
    EXPECT_EQ(LookupDebugId(store, n).size(), n <= 3 ? 0u : 2u) << n;
    EXPECT_EQ(fs::exists(store + "/bundles/" + IdOf(n)), n > 3) << n;
  }
  ExpectVerifies(store);
  ASSERT_EQ(Artidx(store, {"compact"}).exit_code, 0);
  for (const std::string& index : IndexDirs(store)) EXPECT_EQ(LiveSegments(index), 1u) << index;
  EXPECT_EQ(LookupUrl(store, "~/static/app.js"), expected);
}

// The holder of an index directory's flock is its one compactor (SPEC.md 19.6): a writer that
// finds it held publishes its segment and returns without compacting; a holder killed with -9
// holds nothing, so the next add compacts.
TEST(ManyWriters, AnAddLeavesCompactionToTheHolderOfTheIndexLock) {
  TempDir dir;
  const std::string store = dir / "store";
  std::vector<std::string> paths;
  for (int n = 1; n <= 4; ++n) paths.push_back(WriteBundle(dir, n));
  AddAt(store, paths[0], 1000);
  const std::vector<std::string> indexes = IndexDirs(store);
  ASSERT_EQ(indexes.size(), 2u);  // debug ids, 1.0

  // Another process takes every index's lock as a compactor would, with flock(2) itself.
  int locked[2];
  ASSERT_EQ(::pipe2(locked, O_CLOEXEC), 0);
  const pid_t holder = ::fork();
  ASSERT_GE(holder, 0);
  if (holder == 0) {
    for (const std::string& index : indexes) {
      const int fd = ::open(index.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0 || ::flock(fd, LOCK_EX) != 0) ::_exit(1);
    }
    char c = 0;
    if (::write(locked[1], &c, 1) != 1) ::_exit(1);
    for (;;) ::pause();  // until killed
  }
  char c;
  ASSERT_EQ(::read(locked[0], &c, 1), 1) << "the holder could not lock";

  // Each add publishes its segment and leaves it uncompacted, though the indexes are small.
  AddAt(store, paths[1], 2000);
  AddAt(store, paths[2], 3000);
  for (const std::string& index : indexes) EXPECT_EQ(LiveSegments(index), 3u) << index;
  EXPECT_EQ(LookupUrl(store, "~/static/app.js"), (Ids{IdOf(3), IdOf(2), IdOf(1)}));
  EXPECT_EQ(LookupDebugId(store, 2), (Ids{IdOf(2), IdOf(2)}));

  ASSERT_EQ(::kill(holder, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(holder, &status, 0), holder);
  ASSERT_TRUE(WIFSIGNALED(status));
  ::close(locked[0]);
  ::close(locked[1]);

  AddAt(store, paths[3], 4000);
  for (const std::string& index : indexes) EXPECT_EQ(LiveSegments(index), 1u) << index;
  EXPECT_EQ(LookupUrl(store, "~/static/app.js"), (Ids{IdOf(4), IdOf(3), IdOf(2), IdOf(1)}));
  ExpectVerifies(store);
}

// --- compaction policy ---------------------------------------------------------------------------

TEST(CompactionPolicy, SmallIndexesStayOneSegment) {
  TempDir dir;
  const std::string store = dir / "store";
  for (int n = 1; n <= 5; ++n) {
    AddAt(store, WriteBundle(dir, n), 1000 * n, n % 2 ? "1.0" : "2.0");
    AddAt(store, WriteBundle(dir, n), 1000 * n, "3.0");
  }
  ASSERT_EQ(Artidx(store, {"rm", IdOf(3)}).exit_code, 0);
  const std::vector<std::string> indexes = IndexDirs(store);
  ASSERT_EQ(indexes.size(), 4u);  // debug ids, 1.0, 2.0, 3.0
  for (const std::string& index : indexes) {
    EXPECT_EQ(LiveSegments(index), 1u) << index;
    // Covered segments and covers files are deleted at once (no grace period by default).
    for (const auto& entry : fs::directory_iterator(index)) {
      EXPECT_EQ(entry.path().extension(), ".aix") << entry.path();
    }
  }
}

// A large index is not rewritten for small adds: the big segment stays while small ones
// accumulate, and small ones merge among themselves once enough of them are there.
TEST(CompactionPolicy, SmallAddsToALargeIndexLeaveItsBigSegmentAlone) {
  TempDir dir;
  const std::string store = dir / "store";
  // 8,000 files of long urls: a URL index of a few MiB, past the whole-merge size.
  bundle::BundleSpec big;
  big.debug_id = IdOf(100);
  for (int i = 0; i < 8000; ++i) {
    bundle::BundleFile file;
    file.url = StrCat("~/static/js/", std::string(60, 'x'), "/chunk-", i, ".js");
    file.content = "x";
    big.files.push_back(file);
  }
  absl::StatusOr<std::string> bytes = bundle::WriteBundle(big);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  testing::WriteFileOrDie(dir / "big.zip", *bytes);
  AddAt(store, dir / "big.zip", 100);
  std::vector<std::string> dirs = IndexDirs(store);
  std::erase_if(dirs, [](const std::string& d) { return d.ends_with("debug-ids"); });
  ASSERT_EQ(dirs.size(), 1u);
  const std::string index = dirs[0];
  const std::vector<std::string> base = testing::LiveSegmentPaths(index);
  ASSERT_EQ(base.size(), 1u);
  ASSERT_GT(fs::file_size(base[0]), 2u << 20);

  // Each add leaves one more small segment, the big one untouched, until four small ones
  // (the fan-in) merge into one.
  for (int n = 1; n <= 3; ++n) {
    AddAt(store, WriteBundle(dir, n), 1000 * n);
    std::vector<std::string> live = testing::LiveSegmentPaths(index);
    EXPECT_EQ(live.size(), 1u + n) << n;
    EXPECT_TRUE(std::find(live.begin(), live.end(), base[0]) != live.end()) << n;
  }
  AddAt(store, WriteBundle(dir, 4), 4000);
  std::vector<std::string> live = testing::LiveSegmentPaths(index);
  EXPECT_EQ(live.size(), 2u);
  EXPECT_TRUE(std::find(live.begin(), live.end(), base[0]) != live.end());
  EXPECT_EQ(LookupUrl(store, "~/static/js/" + std::string(60, 'x') + "/chunk-7.js"),
            (Ids{IdOf(100)}));
  EXPECT_EQ(LookupUrl(store, "~/static/app.js"), (Ids{IdOf(4), IdOf(3), IdOf(2), IdOf(1)}));
  ExpectVerifies(store);
  // A requested compaction still merges everything.
  ASSERT_EQ(Artidx(store, {"compact"}).exit_code, 0);
  EXPECT_EQ(LiveSegments(index), 1u);
  EXPECT_EQ(LookupUrl(store, "~/static/app.js"), (Ids{IdOf(4), IdOf(3), IdOf(2), IdOf(1)}));
}

TEST(CompactionPolicy, AddsInAnyOrderGiveByteIdenticalStores) {
  TempDir dir;
  struct Op {
    int bundle;
    std::vector<std::string> args;
  };
  std::vector<Op> ops;
  for (int n = 1; n <= 6; ++n) {
    std::vector<std::string> args = {"--project",   "web",
                                     "--release",   n % 2 ? "1.0" : "2.0",
                                     "--timestamp", std::to_string(1000 * (n % 3 + 1))};
    if (n % 3 == 0) args.insert(args.end(), {"--project", "app"});
    ops.push_back({n, args});
  }
  // Bundle 1 again, newer, into 2.0.
  ops.push_back({1, {"--project", "web", "--release", "2.0", "--timestamp", "9000"}});
  std::vector<std::string> paths;
  for (int n = 1; n <= 6; ++n) paths.push_back(WriteBundle(dir, n));

  const std::vector<std::vector<int>> orders = {
      {0, 1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1, 0}, {3, 0, 6, 5, 1, 4, 2}};
  std::vector<std::map<std::string, std::string>> trees;
  for (size_t o = 0; o < orders.size(); ++o) {
    const std::string store = dir / StrCat("store", o);
    for (int i : orders[o]) Add(store, paths[ops[i].bundle - 1], ops[i].args);
    trees.push_back(Tree(store));
    for (const std::string& index : IndexDirs(store)) EXPECT_EQ(LiveSegments(index), 1u) << index;
  }
  // bundles/ and projects/ only; 6 bundle dirs, 2 projects, 3 + 3 indexes.
  std::set<std::string> top;
  size_t segments = 0;
  for (const auto& [path, bytes] : trees[0]) {
    top.insert(path.substr(0, path.find('/')));
    segments += path.ends_with(".aix");
  }
  EXPECT_EQ(top, (std::set<std::string>{"bundles", "projects"}));
  EXPECT_EQ(segments, 6u);
  for (size_t o = 1; o < trees.size(); ++o) {
    EXPECT_EQ(trees[o].size(), trees[0].size());
    for (const auto& [path, bytes] : trees[0]) {
      auto it = trees[o].find(path);
      ASSERT_NE(it, trees[o].end()) << "order " << o << " lacks " << path;
      EXPECT_TRUE(it->second == bytes) << "order " << o << " differs in " << path;
    }
  }
}

// --- reads over several segments -----------------------------------------------------------------

// Copies every segment file of `from` into the same index directory of `to`.
// The segments of another store, and the archives they name: what writers publish first.
void CopySegments(const std::string& from, const std::string& to) {
  for (const auto& entry : fs::recursive_directory_iterator(from)) {
    if (entry.path().extension() != ".aix" && entry.path().extension() != ".zip") continue;
    const std::string relative = fs::relative(entry.path(), from).string();
    fs::create_directories(fs::path(to + "/" + relative).parent_path());
    fs::copy_file(entry.path(), to + "/" + relative, fs::copy_options::skip_existing);
  }
}

// Every lookup over bundles 1..8 (and bundle 2's newer archive), and the listings, as text.
std::string AllAnswers(const std::string& store) {
  std::string out;
  auto run = [&](std::vector<std::string> args) {
    CommandResult r = Artidx(store, args);
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
    StrAppend(&out, r.exit_code, " ", r.out);
  };
  auto url = [&](const std::string& u) {
    run({"lookup", "--project", "web", "--release", "1.0", "--url", u, "--json"});
  };
  url("https://x.example/static/app.js?v=1");
  url("~/static/own-2-new.js");
  for (int n = 1; n <= 8; ++n) {
    url(StrCat("https://x.example/static/own-", n, ".js"));
    run({"lookup", "--project", "web", "--debug-id", FileIdOf(n), "--json"});
    for (const char* type : {"minified_source", "source_map", "source"}) {
      run({"lookup", "--project", "web", "--debug-id", FileIdOf(n), "--type", type, "--json"});
    }
  }
  run({"ls", "--project", "web", "--json"});
  run({"ls", "--project", "web", "--release", "1.0", "--json"});
  run({"ls", "--project", "web", "--releases", "--json"});
  return out;
}

TEST(MultiSegment, LookupsEqualThoseOfTheCompactedIndex) {
  TempDir dir;
  const std::string store = dir / "store";
  std::vector<std::string> paths;
  for (int n = 1; n <= 8; ++n) paths.push_back(WriteBundle(dir, n));
  const std::string b2_new = WriteBundle(dir, 2, "own-2-new");
  // The base: bundles 1..6 at n*1000, one segment per index.
  for (int n = 1; n <= 6; ++n) AddAt(store, paths[n - 1], 1000 * n);

  // Small segments made elsewhere, as concurrent writers would have left them.
  const std::string o1 = dir / "o1", o2 = dir / "o2", o3 = dir / "o3", o4 = dir / "o4";
  // A tombstone of bundle 3 (at 8000) that shadows its entry in the base.
  AddAt(o1, paths[2], 3000);
  ASSERT_EQ(Artidx(o1, {"rm", IdOf(3), "--timestamp", "8000"}).exit_code, 0);
  // A newer re-add of bundle 2, another archive, that supersedes the base's entry.
  AddAt(o2, b2_new, 9000);
  // New bundles 7 and 8 (8 ties with the base's 4: the greater id first), and an older re-add
  // of bundle 4 that loses to the base.
  AddAt(o3, paths[6], 7000);
  AddAt(o3, paths[7], 4000);
  AddAt(o3, paths[3], 100);
  // A tombstone of bundle 5 older than its entry in the base: loses.
  AddAt(o4, paths[4], 500);
  ASSERT_EQ(Artidx(o4, {"rm", IdOf(5), "--timestamp", "600"}).exit_code, 0);
  for (const std::string& other : {o1, o2, o3, o4}) CopySegments(other, store);

  for (const std::string& index : IndexDirs(store)) EXPECT_EQ(LiveSegments(index), 5u) << index;
  CommandResult inspect = Artidx(store, {"inspect", "--project", "web", "--json"});
  ASSERT_EQ(Matches(inspect.out, "\"segments\":([0-9]+)"), (Ids{"5", "5"})) << inspect.out;

  // What the merge says, checked explicitly.
  EXPECT_EQ(LookupUrl(store, "https://x.example/static/app.js"),
            (Ids{IdOf(2), IdOf(7), IdOf(6), IdOf(5), IdOf(8), IdOf(4), IdOf(1)}));
  EXPECT_EQ(LookupUrl(store, "~/static/own-3.js"), Ids{});
  EXPECT_EQ(LookupUrl(store, "~/static/own-2.js"), Ids{});
  EXPECT_EQ(LookupUrl(store, "~/static/own-2-new.js"), (Ids{IdOf(2)}));
  EXPECT_EQ(LookupUrl(store, "~/static/own-5.js"), (Ids{IdOf(5)}));
  EXPECT_EQ(LookupDebugId(store, 3), Ids{});
  EXPECT_EQ(LookupDebugId(store, 7), (Ids{IdOf(7), IdOf(7)}));
  CommandResult b4 =
      Artidx(store, {"lookup", "--project", "web", "--debug-id", FileIdOf(4), "--json"});
  EXPECT_EQ(Timestamps(b4.out), (Ids{"4000", "4000"})) << b4.out;
  CommandResult b2 = Artidx(store, {"lookup", "--project", "web", "--debug-id", FileIdOf(2),
                                    "--type", "source_map", "--json"});
  EXPECT_NE(b2.out.find("\"url\":\"~/static/own-2-new.js\""), std::string::npos) << b2.out;
  EXPECT_EQ(Timestamps(b2.out), (Ids{"9000"})) << b2.out;
  CommandResult ls = Artidx(store, {"ls", "--project", "web", "--release", "1.0", "--json"});
  EXPECT_EQ(BundleIds(ls.out), (Ids{IdOf(2), IdOf(7), IdOf(6), IdOf(5), IdOf(8), IdOf(4), IdOf(1)}))
      << ls.out;
  ExpectVerifies(store);

  const std::string before = AllAnswers(store);
  ASSERT_EQ(Artidx(store, {"compact"}).exit_code, 0);
  for (const std::string& index : IndexDirs(store)) EXPECT_EQ(LiveSegments(index), 1u) << index;
  EXPECT_EQ(AllAnswers(store), before);
  ExpectVerifies(store);
}

// --- gc ------------------------------------------------------------------------------------------

TEST(Gc, RemovesOldBundlesKeepsHeldAndNewestAndCleansOrphans) {
  TempDir dir;
  const std::string store = dir / "store";
  const int64_t now = NowMs();
  const int64_t day = int64_t{24} * 3600 * 1000;
  const int64_t old = now - 10 * day;
  // Bundles 1-4: added and last used 10 days ago. 5: added now. 6: added 10 days ago but used
  // since (fresh archive mtime). 7: old, alone in project app.
  for (int n = 1; n <= 6; ++n) {
    AddAt(store, WriteBundle(dir, n), n == 5 ? now : n == 6 ? old + 500 : old + 1000 * n);
  }
  AddAt(store, WriteBundle(dir, 7), old + 7000, "1.0", "app");
  for (int n : {1, 2, 3, 4, 7}) {
    for (const std::string& archive : Archives(store, IdOf(n))) {
      testing::SetMtimeMs(archive, old);
    }
  }
  // Orphans: archives without references (a writer crashed before writing them).
  const std::string orphan_old = store + "/bundles/orphan-old";
  const std::string orphan_new = store + "/bundles/orphan-new";
  for (const std::string& orphan : {orphan_old, orphan_new}) {
    fs::create_directories(orphan);
    const std::string bytes = MakeBundle(99);
    const std::string archive = orphan + "/" + Sha1Digest::Of(bytes).Hex() + ".zip";
    testing::WriteFileOrDie(archive, bytes);
    testing::SetMtimeMs(archive, orphan == orphan_old ? now - 2 * 3600 * 1000 : now - 1800 * 1000);
  }
  ASSERT_EQ(Artidx(store, {"hold", IdOf(2)}).exit_code, 0);
  EXPECT_TRUE(fs::exists(store + "/bundles/" + IdOf(2) + "/hold"));
  EXPECT_EQ(testing::ReadFileOrDie(store + "/bundles/" + IdOf(2) + "/hold"), "");
  CommandResult unknown = Artidx(store, {"hold", IdOf(42)});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find(IdOf(42)), std::string::npos) << unknown.err;

  const std::vector<std::string> gc = {"gc", "--max-age", "5", "--keep-newest", "2"};
  auto with = [](std::vector<std::string> args, std::vector<std::string> more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  const std::string expected_json =
      StrCat("{\"dry_run\":true,\"removed\":[\"", IdOf(1), "\",\"", IdOf(3), "\"],\"orphans\":[\"",
             orphan_old, "\"],\"chunks\":0}\n");

  // A dry run changes nothing and tells what a real run does.
  const auto before = Tree(store);
  CommandResult dry = Artidx(store, with(gc, {"--dry-run", "--json"}));
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(dry.out, expected_json);
  CommandResult dry_text = Artidx(store, with(gc, {"--dry-run"}));
  ASSERT_EQ(dry_text.exit_code, 0) << dry_text.err;
  EXPECT_EQ(dry_text.out, StrCat("would remove ", IdOf(1), "\nwould remove ", IdOf(3),
                                 "\nwould remove orphan ", orphan_old, "\n"));
  EXPECT_TRUE(Tree(store) == before) << "a dry run changed the store";

  CommandResult real = Artidx(store, with(gc, {"--json"}));
  ASSERT_EQ(real.exit_code, 0) << real.err;
  std::string expected_real = expected_json;
  expected_real.replace(expected_real.find("true"), 4, "false");
  EXPECT_EQ(real.out, expected_real);
  for (int n : {1, 3}) EXPECT_FALSE(fs::exists(store + "/bundles/" + IdOf(n))) << n;
  for (int n : {2, 4, 5, 6, 7}) EXPECT_EQ(Archives(store, IdOf(n)).size(), 1u) << n;
  EXPECT_FALSE(fs::exists(orphan_old));
  EXPECT_TRUE(fs::exists(orphan_new));
  EXPECT_EQ(LookupUrl(store, "~/static/app.js"), (Ids{IdOf(5), IdOf(4), IdOf(2), IdOf(6)}));
  EXPECT_EQ(LookupDebugId(store, 1), Ids{});
  EXPECT_EQ(LookupDebugId(store, 3), Ids{});
  EXPECT_EQ(LookupUrl(store, "~/static/app.js", "1.0", "app"), (Ids{IdOf(7)}));
  for (const std::string& index : IndexDirs(store)) EXPECT_EQ(LiveSegments(index), 1u) << index;
  ExpectVerifies(store);

  // Unheld, bundle 2 goes (4 and 5 are the two newest, 6 was used, 7 is app's newest).
  ASSERT_EQ(Artidx(store, {"unhold", IdOf(2)}).exit_code, 0);
  EXPECT_FALSE(fs::exists(store + "/bundles/" + IdOf(2) + "/hold"));
  CommandResult unheld = Artidx(store, with(gc, {"--json"}));
  ASSERT_EQ(unheld.exit_code, 0) << unheld.err;
  EXPECT_EQ(unheld.out, StrCat("{\"dry_run\":false,\"removed\":[\"", IdOf(2),
                               "\"],\"orphans\":[],\"chunks\":0}\n"));
  EXPECT_EQ(LookupUrl(store, "~/static/app.js"), (Ids{IdOf(5), IdOf(4), IdOf(6)}));

  // Without --keep-newest the old ones kept only as newest go too.
  CommandResult all = Artidx(store, {"gc", "--max-age", "5", "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.out, StrCat("{\"dry_run\":false,\"removed\":[\"", IdOf(4), "\",\"", IdOf(7),
                            "\"],\"orphans\":[],\"chunks\":0}\n"));
  EXPECT_EQ(LookupUrl(store, "~/static/app.js"), (Ids{IdOf(5), IdOf(6)}));
  EXPECT_EQ(LookupUrl(store, "~/static/app.js", "1.0", "app"), Ids{});
  EXPECT_TRUE(fs::exists(orphan_new));
}

// --- ls ------------------------------------------------------------------------------------------

class Ls : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = dir_ / "store";
    // Bundles 1..6 at n*1000, and 7 at 3000 (ties with 3: the greater id first).
    for (int n = 1; n <= 7; ++n) AddAt(store_, WriteBundle(dir_, n), n == 7 ? 3000 : 1000 * n);
  }
  CommandResult Run(std::vector<std::string> args) { return Artidx(store_, args); }

  TempDir dir_;
  std::string store_;
};

TEST_F(Ls, NewestFirstWithJsonShape) {
  const Ids order = {IdOf(6), IdOf(5), IdOf(4), IdOf(7), IdOf(3), IdOf(2), IdOf(1)};
  for (bool url : {true, false}) {
    std::vector<std::string> args = {"ls", "--project", "web", "--json"};
    if (url) args.insert(args.end(), {"--release", "1.0"});
    CommandResult r = Run(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(BundleIds(r.out), order) << r.out;
    EXPECT_EQ(Timestamps(r.out), (Ids{"6000", "5000", "4000", "3000", "3000", "2000", "1000"}));
    EXPECT_TRUE(r.out.starts_with(
        StrCat("{\"bundles\":[{\"bundle_id\":\"", IdOf(6), "\",\"timestamp\":6000,\"files\":2},")))
        << r.out;
    EXPECT_TRUE(r.out.ends_with("],\"next_cursor\":null}\n")) << r.out;
  }
  CommandResult text = Run({"ls", "--project", "web", "--release", "1.0"});
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_TRUE(text.out.starts_with(
      StrCat(IdOf(6), "  1970-01-01T00:00:06.000Z (6000)  2 files\n", IdOf(5))))
      << text.out;
  // Nothing there: an empty list, and exit 1 (as lookup).
  CommandResult none = Run({"ls", "--project", "other", "--json"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.out, "{\"bundles\":[],\"next_cursor\":null}\n");
}

TEST_F(Ls, PagingVisitsEveryBundleOnceWhileNewerOnesArrive) {
  for (bool url : {true, false}) {
    // The URL pass adds bundles to the debug-id index too: what is there when paging starts.
    std::vector<std::string> all = {"ls", "--project", "web", "--json"};
    if (url) all.insert(all.end(), {"--release", "1.0"});
    const Ids order = BundleIds(Run(all).out);
    ASSERT_EQ(order.size(), url ? 7u : 11u);
    EXPECT_TRUE(
        std::equal(order.end() - 7, order.end(),
                   Ids{IdOf(6), IdOf(5), IdOf(4), IdOf(7), IdOf(3), IdOf(2), IdOf(1)}.begin()));
    Ids seen;
    std::string cursor;
    int pages = 0, added = url ? 10 : 20;  // bundles 111.. then 121..: newer than all
    do {
      std::vector<std::string> args = {"ls", "--project", "web", "--limit", "2", "--json"};
      if (url) args.insert(args.end(), {"--release", "1.0"});
      if (!cursor.empty()) args.insert(args.end(), {"--cursor", cursor});
      CommandResult r = Run(args);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      const Ids page = BundleIds(r.out);
      EXPECT_LE(page.size(), 2u);
      seen.insert(seen.end(), page.begin(), page.end());
      const std::vector<std::string> next = Matches(r.out, "\"next_cursor\":\"([0-9a-f]+)\"");
      cursor = next.empty() ? "" : next[0];
      if (next.empty()) {
        EXPECT_TRUE(r.out.ends_with("\"next_cursor\":null}\n")) << r.out;
      }
      // A newer bundle arrives between pages.
      ++added;
      AddAt(store_, WriteBundle(dir_, 100 + added), 10000 + added);
      ASSERT_LT(++pages, 10);
    } while (!cursor.empty());
    EXPECT_EQ(seen, order);
    EXPECT_EQ(pages, url ? 4 : 6);
  }
  // The text form prints the same cursor as the JSON form.
  CommandResult json = Run({"ls", "--project", "web", "--limit", "3", "--json"});
  CommandResult text = Run({"ls", "--project", "web", "--limit", "3"});
  const std::vector<std::string> cursor = Matches(json.out, "\"next_cursor\":\"([0-9a-f]+)\"");
  ASSERT_EQ(cursor.size(), 1u) << json.out;
  EXPECT_TRUE(text.out.ends_with(StrCat("next cursor: ", cursor[0], "\n"))) << text.out;
  EXPECT_EQ(std::count(text.out.begin(), text.out.end(), '\n'), 4);
}

TEST_F(Ls, SinceUntilAndInvalidCursor) {
  CommandResult r = Run({"ls", "--project", "web", "--release", "1.0", "--since", "2000", "--until",
                         "4000", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(BundleIds(r.out), (Ids{IdOf(4), IdOf(7), IdOf(3), IdOf(2)}));
  CommandResult since = Run({"ls", "--project", "web", "--since", "5000", "--json"});
  EXPECT_EQ(BundleIds(since.out), (Ids{IdOf(6), IdOf(5)}));
  CommandResult until = Run({"ls", "--project", "web", "--until", "1999", "--json"});
  EXPECT_EQ(BundleIds(until.out), (Ids{IdOf(1)}));
  // Paging within a window.
  CommandResult page = Run(
      {"ls", "--project", "web", "--since", "2000", "--until", "4000", "--limit", "3", "--json"});
  EXPECT_EQ(BundleIds(page.out), (Ids{IdOf(4), IdOf(7), IdOf(3)}));
  const std::vector<std::string> cursor = Matches(page.out, "\"next_cursor\":\"([0-9a-f]+)\"");
  ASSERT_EQ(cursor.size(), 1u) << page.out;
  CommandResult rest = Run({"ls", "--project", "web", "--since", "2000", "--until", "4000",
                            "--limit", "3", "--cursor", cursor[0], "--json"});
  EXPECT_EQ(BundleIds(rest.out), (Ids{IdOf(2)}));
  EXPECT_TRUE(rest.out.ends_with("\"next_cursor\":null}\n")) << rest.out;

  for (const char* bad : {"zz", "abc", "00", "3a3a", "not a cursor"}) {
    CommandResult invalid = Run({"ls", "--project", "web", "--cursor", bad});
    EXPECT_EQ(invalid.exit_code, 2) << bad << ": " << invalid.out;
    EXPECT_NE(invalid.err.find("invalid cursor"), std::string::npos) << invalid.err;
  }
}

TEST_F(Ls, ReleasesWithCounts) {
  AddAt(store_, WriteBundle(dir_, 4), 4000, "2.0");
  Add(store_, WriteBundle(dir_, 4),
      {"--project", "web", "--release", "2.0", "--dist", "a", "--timestamp", "4000"});
  Add(store_, WriteBundle(dir_, 5),
      {"--project", "web", "--release", "2.0", "--dist", "a", "--timestamp", "5000"});
  AddAt(store_, WriteBundle(dir_, 1), 1000, "x\"y", "app");
  auto rows = [&](const std::string& project) {
    CommandResult r = Run({"ls", "--project", project, "--releases", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.out.starts_with("{\"releases\":[")) << r.out;
    std::set<std::string> out;
    for (const std::string& row : Matches(r.out, "(\\{\"release\":[^}]*\\})")) out.insert(row);
    return out;
  };
  EXPECT_EQ(rows("web"),
            (std::set<std::string>{"{\"release\":\"1.0\",\"dist\":\"\",\"bundles\":7}",
                                   "{\"release\":\"2.0\",\"dist\":\"\",\"bundles\":1}",
                                   "{\"release\":\"2.0\",\"dist\":\"a\",\"bundles\":2}"}));
  EXPECT_EQ(rows("app"),
            (std::set<std::string>{"{\"release\":\"x\\\"y\",\"dist\":\"\",\"bundles\":1}"}));
  CommandResult none = Run({"ls", "--project", "nothing", "--releases", "--json"});
  EXPECT_EQ(none.out, "{\"releases\":[],\"next_cursor\":null}\n");
  EXPECT_EQ(none.exit_code, 1);
  CommandResult text = Run({"ls", "--project", "web", "--releases"});
  EXPECT_NE(text.out.find("\"2.0\"  dist \"a\"  2 bundles\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("\"1.0\"  dist \"\"  7 bundles\n"), std::string::npos) << text.out;

  // A removal lowers the counts.
  ASSERT_EQ(Run({"rm", IdOf(5)}).exit_code, 0);
  EXPECT_EQ(rows("web"),
            (std::set<std::string>{"{\"release\":\"1.0\",\"dist\":\"\",\"bundles\":6}",
                                   "{\"release\":\"2.0\",\"dist\":\"\",\"bundles\":1}",
                                   "{\"release\":\"2.0\",\"dist\":\"a\",\"bundles\":1}"}));
}

}  // namespace
}  // namespace artidx
