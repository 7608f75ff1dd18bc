// The CLI as a new user meets it (issue 17): every verb on a store that is not there, the
// fallback of `cat` past a candidate whose archive is gone, bundle ids in every spelling,
// messages that say what an operation did, `import` picking the archive the exported index
// held, `ls` listings, gc's batched removals, one-line messages, and make-bundle's debug ids.
// Each test runs the real `artidx` binary on real archives in a temporary store.
//
// One file of more than 600 lines: the cases are issue 17's one list of what a new user meets,
// and share one helper set (a temporary store, the real binary, its output); a split by verb
// would repeat the helpers in each file.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "artidx/indexer.h"
#include "artidx/types.h"
#include "bundle/bundle_reader.h"
#include "bundle/bundle_writer.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "store/file_util.h"
#include "store/layout.h"
#include "tests/testing.h"

namespace artidx {
namespace {

namespace fs = std::filesystem;
using testing::BundleIds;
using testing::CommandResult;
using testing::Matches;
using testing::RunCli;
using testing::TempDir;

// --- helpers -------------------------------------------------------------------------------

// The manifest debug_id (hence bundle id) of bundle n, and the debug id of its files.
std::string IdOf(int n) {
  return StrCat("00000000-0000-4000-8000-", absl::Dec(n, absl::kZeroPad12));
}
std::string FileIdOf(int n) {
  return StrCat("10000000-0000-4000-8000-", absl::Dec(n, absl::kZeroPad12));
}

// Bundle n: `~/static/app.js` (shared by every bundle, its bytes naming the bundle and `own`)
// and `~/static/<own>.js` (own-<n> by default), both with debug id FileIdOf(n). Another `own`
// gives another archive of the same bundle id.
std::string MakeBundle(int n, const std::string& own = "") {
  bundle::BundleSpec spec;
  spec.debug_id = IdOf(n);
  const std::string own_url = StrCat("~/static/", own.empty() ? StrCat("own-", n) : own, ".js");
  for (const std::string& url : {std::string("~/static/app.js"), own_url}) {
    bundle::BundleFile file;
    file.url = url;
    file.content = StrCat("// bundle ", n, " ", own, " ", url, "\n");
    file.debug_id = *DebugId::Parse(FileIdOf(n));
    spec.files.push_back(file);
  }
  spec.files[1].type = FileType::kSourceMap;
  absl::StatusOr<std::string> bytes = bundle::WriteBundle(spec);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : "";
}

std::string WriteBundle(const TempDir& dir, int n, const std::string& own = "") {
  const std::string path = dir / StrCat("b", n, own.empty() ? "" : "-", own, ".zip");
  testing::WriteFileOrDie(path, MakeBundle(n, own));
  return path;
}

CommandResult Artidx(const std::string& store, std::vector<std::string> args) {
  args.insert(args.begin(), {"--store", store});
  return RunCli(args);
}

CommandResult AddAt(const std::string& store, const std::string& bundle, int64_t timestamp,
                    const std::string& release = "1.0", std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"add",       bundle,  "--project",   "web",
                                   "--release", release, "--timestamp", std::to_string(timestamp)};
  args.insert(args.end(), more.begin(), more.end());
  CommandResult r = Artidx(store, args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r;
}


size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// One line on stderr, naming the store, exit 2.
void ExpectNoStore(const CommandResult& r, const std::string& store) {
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(r.err, StrCat("artidx: no artidx store at ", store, "\n")) << r.out;
}

using Ids = std::vector<std::string>;

// --- 1. a store that is not there -----------------------------------------------------------

TEST(NewUserTest, EveryVerbButAddAndImportNeedsAStore) {
  TempDir dir;
  const std::string file = dir / "plain-file";
  testing::WriteFileOrDie(file, "not a store\n");
  fs::create_directories(dir / "empty");
  for (const std::string& store : {dir / "no-such-dir", file, dir / "empty"}) {
    SCOPED_TRACE(store);
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"verify"},
             {"rebuild"},
             {"gc", "--max-age", "1"},
             {"compact"},
             {"ls", "--project", "web"},
             {"ls", "--project", "web", "--releases"},
             {"lookup", "--project", "web", "--debug-id", FileIdOf(1)},
             {"cat", "--project", "web", "--debug-id", FileIdOf(1)},
             {"inspect", "--project", "web"},
             {"export", "--project", "web", "--format", "sentry-json"},
             {"rm", IdOf(1)},
             {"hold", IdOf(1)},
             {"unhold", IdOf(1)}}) {
      SCOPED_TRACE(args[0]);
      ExpectNoStore(Artidx(store, args), store);
    }
  }
  EXPECT_FALSE(fs::exists(dir / "no-such-dir"));
  // add creates the store.
  AddAt(dir / "new-store", WriteBundle(dir, 1), 1000);
  EXPECT_EQ(Artidx(dir / "new-store", {"verify"}).exit_code, 0);
}

TEST(NewUserTest, EmptyOrMissingStoreFlagIsAnError) {
  CommandResult r = RunCli({"--store", "", "verify"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "artidx: --store is empty\n");
  r = RunCli({"--store=", "ls", "--project", "web"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "artidx: --store is empty\n");
  r = RunCli({"--store"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "artidx: --store needs a value\n");
}

// --- 2. cat falls back past a candidate whose archive is gone ---------------------------------

TEST(NewUserTest, CatAndLookupSkipACandidateWhoseArchiveIsGone) {
  TempDir dir;
  const std::string store = dir / "store";
  AddAt(store, WriteBundle(dir, 1), 1000);
  AddAt(store, WriteBundle(dir, 2), 2000);
  EXPECT_EQ(BundleIds(Artidx(store, {"lookup", "--project", "web", "--release", "1.0", "--url",
                                     "~/static/app.js", "--json"})
                          .out),
            (Ids{IdOf(2), IdOf(1)}));
  for (const auto& entry : fs::directory_iterator(store + "/bundles/" + IdOf(2))) {
    if (entry.path().extension() == ".zip") fs::remove(entry.path());
  }
  CommandResult r = Artidx(store, {"lookup", "--project", "web", "--release", "1.0", "--url",
                                   "~/static/app.js", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(BundleIds(r.out), Ids{IdOf(1)});
  r = Artidx(store, {"cat", "--project", "web", "--release", "1.0", "--url", "~/static/app.js"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "// bundle 1  ~/static/app.js\n");
  r = Artidx(store, {"cat", "--project", "web", "--debug-id", FileIdOf(2)});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  // The repair is published: the listing no longer shows the dead bundle.
  r = Artidx(store, {"ls", "--project", "web", "--release", "1.0", "--json"});
  EXPECT_EQ(BundleIds(r.out), Ids{IdOf(1)});
}

// --- 3. bundle ids in every spelling ----------------------------------------------------------

TEST(NewUserTest, EveryVerbTakesEverySpellingOfABundleId) {
  TempDir dir;
  const std::string store = dir / "store";
  const std::string sha1_id = "ABCDEF0123456789ABCDEF0123456789ABCDEF01";
  AddAt(store, WriteBundle(dir, 1), 1000, "1.0", {"--bundle-id", sha1_id});
  std::string lower = sha1_id;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  EXPECT_TRUE(fs::exists(store + "/bundles/" + lower));
  CommandResult r = Artidx(store, {"hold", sha1_id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(store + "/bundles/" + lower + "/hold"));
  r = Artidx(store, {"unhold", sha1_id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(store + "/bundles/" + lower + "/hold"));
  r = Artidx(store, {"rm", sha1_id, "--timestamp", "2000"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(store + "/bundles/" + lower));

  // A debug-id bundle id, upper case and without dashes.
  AddAt(store, WriteBundle(dir, 2), 1000);
  std::string compact = IdOf(2);
  compact.erase(std::remove(compact.begin(), compact.end(), '-'), compact.end());
  std::transform(compact.begin(), compact.end(), compact.begin(), ::toupper);
  r = Artidx(store, {"rm", compact, "--timestamp", "2000", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(BundleIds(r.out), Ids{IdOf(2)});
  EXPECT_FALSE(fs::exists(store + "/bundles/" + IdOf(2)));
}

TEST(NewUserTest, ImportFindsTheArchiveUnderTheNormalisedId) {
  TempDir dir;
  const std::string store = dir / "store";
  fs::create_directories(dir / "archives");
  testing::WriteFileOrDie(dir / ("archives/" + IdOf(3) + ".zip"), MakeBundle(3));
  std::string compact = IdOf(3);
  compact.erase(std::remove(compact.begin(), compact.end(), '-'), compact.end());
  std::transform(compact.begin(), compact.end(), compact.begin(), ::toupper);
  testing::WriteFileOrDie(
      dir / "index.json",
      StrCat(
          R"({"bundles":[{"bundle_id":"artifact_bundle/)", compact,
          R"(","timestamp":"2024-01-02T03:04:05.000Z"}],"files_by_url":{},"is_complete":true})"));
  CommandResult r = Artidx(store, {"import", dir / "index.json", "--project", "web", "--release",
                                   "1.0", "--bundles", dir / "archives"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(IdOf(3)), std::string::npos) << r.out;
  // Missing: the message names the id and where it looked.
  testing::WriteFileOrDie(
      dir / "missing.json",
      R"({"bundles":[{"bundle_id":"artifact_bundle/F7349732864C5E68BF3D07A078DF34A7","timestamp":"2024-01-02T03:04:05.000Z"}],"files_by_url":{},"is_complete":true})");
  r = Artidx(store, {"import", dir / "missing.json", "--project", "web", "--release", "1.0",
                     "--bundles", dir / "archives"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("f7349732-864c-5e68-bf3d-07a078df34a7"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(dir / "archives/f7349732-864c-5e68-bf3d-07a078df34a7.zip"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(Count(r.err, "\n"), 1u) << r.err;
}

// --- 4. messages say what happened ------------------------------------------------------------

TEST(NewUserTest, AddSaysWhenARemovalSupersedesIt) {
  TempDir dir;
  const std::string store = dir / "store";
  const std::string bundle = WriteBundle(dir, 1);
  AddAt(store, bundle, 1000);
  ASSERT_EQ(Artidx(store, {"rm", IdOf(1), "--timestamp", "2000"}).exit_code, 0);
  CommandResult r = AddAt(store, bundle, 1500);
  EXPECT_EQ(r.out.find("added"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("superseded by its removal at"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(2000)"), std::string::npos) << r.out;
  r = AddAt(store, bundle, 1500, "1.0", {"--json"});
  EXPECT_NE(r.out.find(R"("outcome":"superseded_by_removal","superseded_at":2000)"),
            std::string::npos)
      << r.out;
  // A newer add of the same id supersedes an older one, too.
  AddAt(store, bundle, 3000);
  r = AddAt(store, WriteBundle(dir, 1, "other"), 2500, "1.0", {"--json"});
  EXPECT_NE(r.out.find(R"("outcome":"superseded_by_add","superseded_at":3000)"), std::string::npos)
      << r.out;
  r = AddAt(store, bundle, 4000, "1.0", {"--json"});
  EXPECT_NE(r.out.find(R"("outcome":"added","superseded_at":null)"), std::string::npos) << r.out;
}

TEST(NewUserTest, AddOfTwoArchivesOfOneBundleIdSaysWhichWon) {
  TempDir dir;
  const std::string store = dir / "store";
  const std::string a = WriteBundle(dir, 1, "a"), b = WriteBundle(dir, 1, "b");
  CommandResult r = Artidx(store, {"add", a, b, "--project", "web", "--release", "1.0",
                                   "--timestamp", "1000", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> outcomes = Matches(r.out, "\"outcome\":\"([a-z_]*)\"");
  ASSERT_EQ(outcomes.size(), 2u) << r.out;
  // The one with the greater archive SHA-1 wins the merge.
  const bool a_wins = Sha1Digest::Of(testing::ReadFileOrDie(a)).Hex() >
                      Sha1Digest::Of(testing::ReadFileOrDie(b)).Hex();
  EXPECT_EQ(outcomes[0], a_wins ? "added" : "replaced_in_this_add");
  EXPECT_EQ(outcomes[1], a_wins ? "replaced_in_this_add" : "added");
  EXPECT_NE(r.out.find(StrCat("\"replaced_by\":\"", a_wins ? a : b, "\"")), std::string::npos)
      << r.out;
  fs::remove_all(store);
  r = Artidx(store, {"add", a, b, "--project", "web", "--release", "1.0", "--timestamp", "1000"});
  EXPECT_EQ(Count(r.out, "added "), 1u) << r.out;
  EXPECT_NE(r.out.find(StrCat("replaced by ", a_wins ? a : b)), std::string::npos) << r.out;
}

TEST(NewUserTest, RmSaysWhenANewerAddKeepsTheBundle) {
  TempDir dir;
  const std::string store = dir / "store";
  AddAt(store, WriteBundle(dir, 1), 5000);
  CommandResult r = Artidx(store, {"rm", IdOf(1), "--timestamp", "1000"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not removed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(5000)"), std::string::npos) << r.err;
  EXPECT_EQ(BundleIds(Artidx(store, {"ls", "--project", "web", "--json"}).out), Ids{IdOf(1)});

  // Added to release 1.0 at 1000 and to 2.0 at 3000: a removal at 2000 takes it out of 1.0
  // only; the debug-id index keeps the add at 3000.
  AddAt(store, WriteBundle(dir, 2), 1000, "1.0");
  AddAt(store, WriteBundle(dir, 2), 3000, "2.0");
  r = Artidx(store, {"rm", IdOf(2), "--timestamp", "2000", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string url_1 = store::Layout(store).UrlIndexDir("web", "1.0", "");
  const std::string url_2 = store::Layout(store).UrlIndexDir("web", "2.0", "");
  const std::string ids = store::Layout(store).DebugIdIndexDir("web");
  EXPECT_NE(r.out.find(StrCat(R"("indexes":[")", url_1, R"("],"kept":[)")), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(StrCat(R"({"index":")", ids, R"(","timestamp":3000})")), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(StrCat(R"({"index":")", url_2, R"(","timestamp":3000})")), std::string::npos)
      << r.out;
  r = Artidx(store, {"rm", IdOf(2), "--timestamp", "2001"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  AddAt(store, WriteBundle(dir, 3), 1000, "1.0");
  AddAt(store, WriteBundle(dir, 3), 3000, "2.0");
  r = Artidx(store, {"rm", IdOf(3), "--timestamp", "2000"});
  EXPECT_NE(r.out.find("removed " + IdOf(3) + " from 1 index"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kept in 2 indexes where its add at 1970-01-01T00:00:03.000Z (3000)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(BundleIds(Artidx(store, {"ls", "--project", "web", "--release", "2.0", "--json"}).out),
            (Ids{IdOf(3), IdOf(2)}));
}

// --- 5. import takes the archive the exported index held --------------------------------------

TEST(NewUserTest, ImportTakesTheArchiveTheExportedIndexHeld) {
  TempDir dir;
  const std::string store = dir / "store";
  AddAt(store, WriteBundle(dir, 1, "first"), 1000, "1.0.0");
  AddAt(store, WriteBundle(dir, 1, "second"), 2000, "1.1.0");
  CommandResult r = Artidx(
      store, {"export", "--project", "web", "--release", "1.0.0", "--format", "sentry-json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  testing::WriteFileOrDie(dir / "1.0.0.json", r.out);
  r = Artidx(store, {"import", dir / "1.0.0.json", "--project", "web", "--release", "2.0.0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string first_sha1 =
      Sha1Digest::Of(testing::ReadFileOrDie(dir / "b1-first.zip")).Hex();
  EXPECT_NE(r.out.find(first_sha1), std::string::npos) << r.out;
  r = Artidx(store, {"lookup", "--project", "web", "--release", "2.0.0", "--url",
                     "~/static/first.js", "--json"});
  EXPECT_EQ(BundleIds(r.out), Ids{IdOf(1)}) << r.err;
  r = Artidx(store, {"lookup", "--project", "web", "--release", "2.0.0", "--url",
                     "~/static/second.js", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.out;

  // Two archives at the exported timestamp: ambiguous, refused.
  AddAt(store, WriteBundle(dir, 2, "x"), 5000, "3.0.0");
  AddAt(store, WriteBundle(dir, 2, "y"), 5000, "3.1.0");
  r = Artidx(store,
             {"export", "--project", "web", "--release", "3.0.0", "--format", "sentry-json"});
  testing::WriteFileOrDie(dir / "3.0.0.json", r.out);
  r = Artidx(store, {"import", dir / "3.0.0.json", "--project", "web", "--release", "4.0.0"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("ambiguous"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--bundles"), std::string::npos) << r.err;
  EXPECT_EQ(Count(r.err, "\n"), 1u) << r.err;
}

// --- 6. ls ------------------------------------------------------------------------------------

TEST(NewUserTest, LsReleasesSortedNonEmptyAndPaged) {
  TempDir dir;
  const std::string store = dir / "store";
  AddAt(store, WriteBundle(dir, 1), 1000, "b");
  AddAt(store, WriteBundle(dir, 2), 1000, "c");
  AddAt(store, WriteBundle(dir, 3), 1000, "a");
  AddAt(store, WriteBundle(dir, 4), 1000, "d");
  ASSERT_EQ(Artidx(store, {"rm", IdOf(4), "--timestamp", "2000"}).exit_code, 0);
  CommandResult r = Artidx(store, {"ls", "--project", "web", "--releases", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Matches(r.out, "\"release\":\"([^\"]*)\""), (Ids{"a", "b", "c"})) << r.out;
  r = Artidx(store, {"ls", "--project", "web", "--releases", "--json", "--limit", "2"});
  EXPECT_EQ(Matches(r.out, "\"release\":\"([^\"]*)\""), (Ids{"a", "b"})) << r.out;
  const std::vector<std::string> cursor = Matches(r.out, "\"next_cursor\":\"([^\"]*)\"");
  ASSERT_EQ(cursor.size(), 1u) << r.out;
  r = Artidx(store, {"ls", "--project", "web", "--releases", "--json", "--limit", "2", "--cursor",
                     cursor[0]});
  EXPECT_EQ(Matches(r.out, "\"release\":\"([^\"]*)\""), (Ids{"c"})) << r.out;
  EXPECT_NE(r.out.find("\"next_cursor\":null"), std::string::npos) << r.out;
}

TEST(NewUserTest, LsRefusesWhatCannotBeAnsweredAndSaysWhatItCounts) {
  TempDir dir;
  const std::string store = dir / "store";
  AddAt(store, WriteBundle(dir, 1), 1000);
  CommandResult r = Artidx(store, {"ls", "--project", "web", "--since", "2000", "--until", "1000"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(Count(r.err, "\n"), 1u) << r.err;
  EXPECT_NE(r.err.find("--since 2000 is after --until 1000"), std::string::npos) << r.err;
  r = Artidx(store, {"ls", "--project", "nosuch"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("nosuch"), std::string::npos) << r.err;
  r = Artidx(store, {"ls", "--project", "web", "--release", "nosuch"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // The project listing is its debug-id index: it counts the files with debug ids, and says so.
  r = Artidx(store, {"ls", "--project", "web"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 files with debug ids"), std::string::npos) << r.out;
  r = Artidx(store, {"ls", "--project", "web", "--release", "1.0"});
  EXPECT_NE(r.out.find("2 files\n"), std::string::npos) << r.out;
}

// A cursor is a position in the order (timestamp, bundle id), newest first: the next page
// holds what sorts after it then. A bundle re-added meanwhile with a timestamp newer than the
// cursor sorts before it and is not on the later pages (README, SPEC.md 20.1); no bundle is
// listed twice.
TEST(NewUserTest, LsCursorIsAPosition) {
  TempDir dir;
  const std::string store = dir / "store";
  for (int n = 1; n <= 4; ++n) AddAt(store, WriteBundle(dir, n), 1000 * n);
  CommandResult r =
      Artidx(store, {"ls", "--project", "web", "--release", "1.0", "--limit", "2", "--json"});
  EXPECT_EQ(BundleIds(r.out), (Ids{IdOf(4), IdOf(3)}));
  const std::vector<std::string> cursor = Matches(r.out, "\"next_cursor\":\"([^\"]*)\"");
  ASSERT_EQ(cursor.size(), 1u) << r.out;
  AddAt(store, WriteBundle(dir, 1), 9000);  // not yet listed, now the newest
  AddAt(store, WriteBundle(dir, 4), 9500);  // listed, newer again
  AddAt(store, WriteBundle(dir, 5), 500);   // new, older than the cursor
  r = Artidx(store, {"ls", "--project", "web", "--release", "1.0", "--limit", "2", "--json",
                     "--cursor", cursor[0]});
  EXPECT_EQ(BundleIds(r.out), (Ids{IdOf(2), IdOf(5)}));
  r = Artidx(store, {"ls", "--project", "web", "--release", "1.0", "--json"});
  EXPECT_EQ(BundleIds(r.out), (Ids{IdOf(4), IdOf(1), IdOf(3), IdOf(2), IdOf(5)}));
}

// --- 7. gc in batches -------------------------------------------------------------------------

// The steps of the write path (store::CrashPoint: each write, rename, sync and deletion) that
// `args` passes on a copy of `seed`: the least N at which $ARTIDX_CRASH_AT=N lets it complete,
// less one, found by bisection.
int StepsOf(const std::string& seed, const std::vector<std::string>& args) {
  int lo = 1, hi = 1 << 14;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    TempDir dir;
    fs::copy(seed, dir / "store", fs::copy_options::recursive);
    std::vector<std::string> full = {"--store", dir / "store"};
    full.insert(full.end(), args.begin(), args.end());
    setenv("ARTIDX_CRASH_AT", std::to_string(mid).c_str(), 1);
    const CommandResult r = RunCli(full);
    unsetenv("ARTIDX_CRASH_AT");
    if (r.exit_code == 0) {
      hi = mid;
    } else {
      EXPECT_EQ(r.exit_code, store::kCrashExitCode) << r.err;
      lo = mid + 1;
    }
  }
  return lo - 1;
}

// Removing a bundle in gc costs a few steps that sync nothing (writing its two removal
// references, deleting its references, archive and directories); the durable steps (a sync, a tombstone
// segment per index, the compactions) are per batch. One removal per bundle cost dozens of
// steps, a third of them fsyncs.
TEST(NewUserTest, GcStepsPerBundleAreFewAndSyncFree) {
  TempDir dir;
  for (int bundles : {4, 12}) {
    const std::string store = dir / StrCat("store-", bundles);
    for (int n = 1; n <= bundles; ++n) AddAt(store, WriteBundle(dir, n), 1000 * n);
  }
  const int few = StepsOf(dir / "store-4", {"gc", "--max-age", "0"});
  const int many = StepsOf(dir / "store-12", {"gc", "--max-age", "0"});
  EXPECT_GT(few, 0);
  // Per bundle, in two indexes: 2 removal references (create, rename) and 5 deletions, one
  // system call each (2 references, the archive, the refs directory, the bundle directory).
  EXPECT_LE(many - few, 8 * 9) << few << " steps for 4 bundles, " << many << " for 12";
}

// --- 8. messages --------------------------------------------------------------------------------

TEST(NewUserTest, MessagesNameThePathOnce) {
  TempDir dir;
  const std::string store = dir / "store";
  fs::create_directories(dir / "bad/dir.zip");
  CommandResult r = Artidx(store, {"add", dir / "bad/dir.zip", "--project", "web"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(Count(r.err, "dir.zip"), 1u) << r.err;
  EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;

  // cat of a stored archive that became a directory.
  AddAt(store, WriteBundle(dir, 1), 1000);
  for (const auto& entry : fs::directory_iterator(store + "/bundles/" + IdOf(1))) {
    if (entry.path().extension() != ".zip") continue;
    fs::remove(entry.path());
    fs::create_directories(entry.path());
  }
  r = Artidx(store, {"cat", "--project", "web", "--debug-id", FileIdOf(1)});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(Count(r.err, ".zip"), 1u) << r.err;
  EXPECT_EQ(Count(r.err, "\n"), 1u) << r.err;
}

TEST(NewUserTest, CorruptSegmentIsReportedOnceAndPlainly) {
  TempDir dir;
  const std::string store = dir / "store";
  AddAt(store, WriteBundle(dir, 1), 1000);
  std::string segment;
  for (const auto& entry : fs::directory_iterator(store + "/projects/web/debug-ids")) {
    segment = entry.path();
  }
  std::string bytes = testing::ReadFileOrDie(segment);
  bytes[bytes.size() - 1] ^= 1;  // checksum mismatch
  testing::WriteFileOrDie(segment, bytes);
  CommandResult r = Artidx(store, {"inspect", "--project", "web", "--verify", "--json"});
  EXPECT_EQ(Count(r.out, "corrupt index"), 1u) << r.out;
  testing::WriteFileOrDie(segment, bytes.substr(0, bytes.size() / 2));  // truncated
  r = Artidx(store, {"verify"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Count(r.out, segment), 1u) << r.out;
}

TEST(NewUserTest, InspectOfAnUnknownReleaseNamesIt) {
  TempDir dir;
  const std::string store = dir / "store";
  AddAt(store, WriteBundle(dir, 1), 1000);
  CommandResult r = Artidx(store, {"inspect", "--project", "web", "--release", "nosuch"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "artidx: inspect: project web has no release \"nosuch\"\n");
}

TEST(NewUserTest, HelpVerbAndCompactHelp) {
  CommandResult general = RunCli({"help"});
  CommandResult help = RunCli({"help", "lookup"});
  CommandResult direct = RunCli({"lookup", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_EQ(help.out, direct.out);
  EXPECT_NE(help.out, general.out);
  CommandResult unknown = RunCli({"help", "nosuch"});
  EXPECT_EQ(unknown.exit_code, 2);
  CommandResult compact = RunCli({"compact", "--help"});
  // Covered segments go as soon as their replacement is published (grace 0).
  EXPECT_EQ(compact.out.find("minute"), std::string::npos) << compact.out;
}

TEST(NewUserTest, RebuildReportsWhatItDeletedAndVerifySaysWhatToDo) {
  TempDir dir;
  const std::string store = dir / "store";
  AddAt(store, WriteBundle(dir, 1), 1000);
  AddAt(store, WriteBundle(dir, 2), 2000);
  const std::string stray = store + "/projects/web/debug-ids/stray-file";
  testing::WriteFileOrDie(stray, "x");
  const std::string corrupt =
      store + "/projects/web/debug-ids/0123456789abcdef0123456789abcdef.aix";
  testing::WriteFileOrDie(corrupt, "not a segment");
  for (const auto& entry : fs::directory_iterator(store + "/bundles/" + IdOf(2))) {
    if (entry.path().extension() == ".zip") fs::remove(entry.path());
  }
  // Bundle 2's adds are lost with its archive: exit 1, after rebuilding everything else.
  CommandResult r = Artidx(store, {"rebuild", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find(StrCat("\"lost\":[{\"file\":\"", store, "/bundles/", IdOf(2), "/")),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(StrCat("\"", stray, "\"")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(StrCat("\"", corrupt, "\"")), std::string::npos) << r.out;
  r = Artidx(store, {"verify"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find(StrCat("artidx rm ", IdOf(2))), std::string::npos) << r.out;
  ASSERT_EQ(Artidx(store, {"rm", IdOf(2)}).exit_code, 0);
  r = Artidx(store, {"verify"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

// --- 9. make-bundle debug ids -------------------------------------------------------------------

// sentry-cli's `sourcemaps inject` (debug_id_from_bytes_hashed): the first 16 bytes of the
// SHA-1 of the source map's bytes (of the script's when it has none), as a version-5 RFC 4122
// UUID.
std::string V5FromSha1(const std::string& bytes) {
  const Sha1Digest digest = Sha1Digest::Of(bytes);
  DebugId id;
  std::copy_n(digest.begin(), 16, id.uuid.begin());
  id.uuid[6] = static_cast<uint8_t>((id.uuid[6] & 0x0f) | 0x50);
  id.uuid[8] = static_cast<uint8_t>((id.uuid[8] & 0x3f) | 0x80);
  return id.ToString();
}

TEST(NewUserTest, MakeBundleDebugIdsAreVersion5UuidsAsSentryCliDerivesThem) {
  TempDir dir;
  fs::create_directories(dir / "src/js");
  const std::string with_map = "function a(){}\n//# sourceMappingURL=a.min.js.map\n";
  const std::string map = R"({"version":3,"sources":["a.js"],"mappings":"AAAA"})";
  const std::string alone = "function b(){}\n";
  const std::string declared_map =
      R"({"version":3,"sources":["c.js"],"mappings":"AAAA","debug_id":"C0FFEE00-1111-4222-8333-444455556666"})";
  testing::WriteFileOrDie(dir / "src/js/a.min.js", with_map);
  testing::WriteFileOrDie(dir / "src/js/a.min.js.map", map);
  testing::WriteFileOrDie(dir / "src/js/b.min.js", alone);
  testing::WriteFileOrDie(dir / "src/js/c.min.js",
                          "function c(){}\n//# sourceMappingURL=c.min.js.map\n");
  testing::WriteFileOrDie(dir / "src/js/c.min.js.map", declared_map);
  CommandResult r = RunCli({"make-bundle", dir / "src", "-o", dir / "out.zip"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  absl::StatusOr<bundle::Bundle> made =
      bundle::ReadBundle(testing::ReadFileOrDie(dir / "out.zip"), BundleLimits());
  ASSERT_TRUE(made.ok()) << made.status();
  std::map<std::string, std::string> ids;
  for (const bundle::ManifestFile& f : made->files) {
    ASSERT_TRUE(f.debug_id.has_value()) << f.url;
    ids[std::string(f.url)] = f.debug_id->ToString();
  }
  EXPECT_EQ(ids["~/js/a.min.js"], V5FromSha1(map));
  EXPECT_EQ(ids["~/js/a.min.js.map"], V5FromSha1(map));
  EXPECT_EQ(ids["~/js/b.min.js"], V5FromSha1(alone));
  EXPECT_EQ(ids["~/js/c.min.js"], "c0ffee00-1111-4222-8333-444455556666");
  EXPECT_EQ(ids["~/js/c.min.js.map"], "c0ffee00-1111-4222-8333-444455556666");
  // The bundle id too is a version-5 RFC 4122 UUID.
  ASSERT_TRUE(made->manifest_debug_id.has_value());
  const std::string& id = *made->manifest_debug_id;
  EXPECT_EQ(id[14], '5') << id;
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
}

}  // namespace
}  // namespace artidx
