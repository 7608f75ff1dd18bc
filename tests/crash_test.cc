// Crash safety of the write path: an operation killed at any step leaves every index readable
// and equal to the merge of the operations that completed, and repeating it completes it.
// Fault injection ($ARTIDX_CRASH_AT, store/file_util.h) ends the real CLI process at each step
// in turn, on a local store and on a store on S3 (the loopback Swift that scripts/test starts;
// skipped without $ARTIDX_TEST_S3_URL, failed without it when $ARTIDX_REQUIRE_S3 is set); a
// second test kill -9s concurrent writers at arbitrary moments.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "artidx/lookup.h"
#include "bundle/bundle_writer.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "store/file_util.h"
#include "tests/testing.h"

extern char** environ;

namespace artidx {
namespace {

using testing::MakeBundle;
using testing::RunCli;
using testing::TempDir;

// The cache directory every process of these tests shares for stores on S3 (content-named
// copies, which processes may share: SPEC.md 18.4).
std::string& Cache() {
  static std::string* cache = new std::string;
  return *cache;
}

StoreOptions WithCache() {
  StoreOptions options;
  options.cache.dir = Cache();
  return options;
}

// `artidx --store <store> --cache <cache> args...`.
testing::CommandResult Cli(const std::string& store, std::vector<std::string> args) {
  args.insert(args.begin(), {"--store", store, "--cache", Cache()});
  return RunCli(args);
}

// What lookups answer, as text: every file of the URL index of (web, 1.0) or of web's debug-id
// index, in answer order (Index::ListFiles), read in this process (spawning the CLI for each
// lookup made these tests the slowest of the suite, under the sanitizers above all). Equal
// indexes answer equally; an index with no segment yet answers "".
std::string Answers(const std::string& store, IndexKind kind = IndexKind::kUrl) {
  Store view(store, WithCache());
  absl::StatusOr<std::shared_ptr<const Index>> index =
      kind == IndexKind::kUrl ? view.UrlIndex("web", "1.0", "") : view.DebugIdIndex("web");
  if (absl::IsNotFound(index.status())) return "";
  EXPECT_TRUE(index.ok()) << index.status();
  if (!index.ok()) return "";
  std::vector<Candidate> files;
  EXPECT_TRUE((*index)->ListFiles(&files).ok());
  std::string out;
  for (const Candidate& c : files) {
    StrAppend(&out, c.bundle_id, " ", c.timestamp_ms, " ", c.path, " ", c.url, " ",
              FileTypeName(c.type), " ", c.debug_id ? c.debug_id->ToString() : "-", "\n");
  }
  return out;
}

// Every segment of the store's indexes passes its checksum and full structural check.
void ExpectVerifies(const std::string& store) {
  Store view(store, WithCache());
  // The debug-id index may have no segment yet; a URL index directory that is listed must.
  std::vector<absl::StatusOr<std::shared_ptr<const Index>>> indexes;
  if (auto ids = view.DebugIdIndex("web"); !absl::IsNotFound(ids.status())) indexes.push_back(ids);
  absl::StatusOr<std::vector<std::string>> dirs = view.UrlIndexDirs("web");
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  for (const std::string& dir : *dirs) indexes.push_back(view.IndexAt(dir));
  for (const auto& index : indexes) {
    ASSERT_TRUE(index.ok()) << index.status();
    EXPECT_TRUE((*index)->Verify().ok()) << (*index)->Verify();
  }
}

// The same tests on a local store and on a store on S3 (the loopback Swift; on S3 a crash point
// is each PUT and DELETE, so a crash there is also a server that stopped answering for good, and
// each step of writing a copy into the local cache).
class CrashTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    Cache() = dir_ / "cache";
    seed_ = NewStore("seed");
    ARTIDX_SKIP_WITHOUT_S3(seed_);
    for (int n = 1; n <= 3; ++n) {
      bundles_.push_back(dir_ / StrCat("b", n, ".zip"));
      testing::WriteFileOrDie(bundles_.back(), MakeBundle(n));
    }
    for (int n = 1; n <= 2; ++n) Add(seed_, n, 1000 * n);
    before_ = Answers(seed_);  // of the URL index
  }

  // A store of its own on this case's backend: a directory under dir_, or a prefix of the
  // bucket ("" when there is no S3 server).
  std::string NewStore(const std::string& name) {
    if (GetParam() == "s3") return testing::FreshS3Store(StrCat("crash-", name));
    return dir_ / StrCat(name, "-", ++stores_);
  }

  // A copy of the store `from`.
  std::string CopyOf(const std::string& from, const std::string& name) {
    const std::string to = NewStore(name);
    testing::CopyStore(from, to, Cache());
    return to;
  }

  void Add(const std::string& store, int n, int64_t timestamp) {
    testing::CommandResult r = Cli(store, {"add", bundles_[n - 1], "--project", "web", "--release",
                                           "1.0", "--timestamp", std::to_string(timestamp)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Runs `args` on a copy of seed_ with $ARTIDX_CRASH_AT set to every step in turn until it
  // completes.
  template <typename Check>
  void CrashAtEveryStep(const std::vector<std::string>& args, Check check) {
    for (int step = 1;; ++step) {
      ASSERT_LT(step, 1000) << "the operation never completed";
      const std::string store = CopyOf(seed_, "step");
      setenv("ARTIDX_CRASH_AT", std::to_string(step).c_str(), 1);
      testing::CommandResult crashed = Cli(store, args);
      unsetenv("ARTIDX_CRASH_AT");
      if (crashed.exit_code == 0) {
        EXPECT_GT(step, 3) << "no crash point was passed";
        return;
      }
      ASSERT_EQ(crashed.exit_code, store::kCrashExitCode) << crashed.err;
      SCOPED_TRACE(StrCat("crashed at step ", step));
      ExpectVerifies(store);
      check(store, /*completed=*/false);
      // Repeating the operation completes it.
      testing::CommandResult again = Cli(store, args);
      ASSERT_EQ(again.exit_code, 0) << again.err;
      ExpectVerifies(store);
      check(store, /*completed=*/true);
    }
  }

  TempDir dir_;
  int stores_ = 0;
  std::vector<std::string> bundles_;
  std::string seed_;
  std::string before_;
};

// gc and compact crash on the local store only: between them, the add and the removal pass the
// S3 writes of every operation but the renewal of an age (PUTs of archives, references,
// segments and covers files; DELETEs of keys, use markers and covered segments), and a crash
// test on S3 costs about 2 s a step.
class LocalCrashTest : public CrashTest {};

INSTANTIATE_TEST_SUITE_P(Backends, CrashTest, ::testing::Values("local", "s3"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });
INSTANTIATE_TEST_SUITE_P(Local, LocalCrashTest, ::testing::Values("local"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST_P(CrashTest, AddKilledAtEveryStepLeavesBeforeOrAfter) {
  const std::string expected_store = CopyOf(seed_, "expected");
  Add(expected_store, 3, 3000);
  const std::string urls_after = Answers(expected_store);
  const std::string ids_before = Answers(seed_, IndexKind::kDebugId),
                    ids_after = Answers(expected_store, IndexKind::kDebugId);
  ASSERT_NE(before_, urls_after);
  ASSERT_NE(ids_before, ids_after);
  CrashAtEveryStep(
      {"add", bundles_[2], "--project", "web", "--release", "1.0", "--timestamp", "3000"},
      [&](const std::string& store, bool completed) {
        const std::string urls = Answers(store), ids = Answers(store, IndexKind::kDebugId);
        if (completed) {
          EXPECT_EQ(urls, urls_after);
          EXPECT_EQ(ids, ids_after);
          return;
        }
        // Each index is before or after on its own; the debug-id index is
        // written first, so the URL index is after only if it is too.
        EXPECT_TRUE(urls == before_ || urls == urls_after) << urls;
        EXPECT_TRUE(ids == ids_before || ids == ids_after) << ids;
        if (urls == urls_after) {
          EXPECT_EQ(ids, ids_after);
        }
      });
}

TEST_P(CrashTest, RemoveKilledAtEveryStepCompletesWhenRepeated) {
  const std::string expected_store = CopyOf(seed_, "expected");
  ASSERT_EQ(
      Cli(expected_store, {"rm", "00000000-0000-4000-8000-000000000001", "--timestamp", "5000"})
          .exit_code,
      0);
  const std::string after = Answers(expected_store);
  const std::string ids_before = Answers(seed_, IndexKind::kDebugId),
                    ids_after = Answers(expected_store, IndexKind::kDebugId);
  ASSERT_NE(before_, after);
  ASSERT_NE(ids_before, ids_after);
  CrashAtEveryStep({"rm", "00000000-0000-4000-8000-000000000001", "--timestamp", "5000"},
                   [&](const std::string& store, bool completed) {
                     const std::string urls = Answers(store),
                                       ids = Answers(store, IndexKind::kDebugId);
                     if (completed) {
                       EXPECT_EQ(urls, after);
                       EXPECT_EQ(ids, ids_after);
                       return;
                     }
                     // Each index has its tombstone or not, whole.
                     EXPECT_TRUE(urls == before_ || urls == after) << urls;
                     EXPECT_TRUE(ids == ids_before || ids == ids_after) << ids;
                   });
}

// gc removes bundles in batches, one durable step per batch: killed at any step, each index
// shows every bundle or none, and repeating gc completes the removal, as rebuild replays it.
TEST_P(LocalCrashTest, GcKilledAtEveryStepCompletesWhenRepeated) {
  const std::string expected_store = CopyOf(seed_, "expected");
  ASSERT_EQ(Cli(expected_store, {"gc", "--max-age", "0"}).exit_code, 0);
  const std::string urls_after = Answers(expected_store);
  const std::string ids_before = Answers(seed_, IndexKind::kDebugId),
                    ids_after = Answers(expected_store, IndexKind::kDebugId);
  ASSERT_NE(before_, urls_after);
  ASSERT_NE(ids_before, ids_after);
  CrashAtEveryStep({"gc", "--max-age", "0"}, [&](const std::string& store, bool completed) {
    const std::string urls = Answers(store), ids = Answers(store, IndexKind::kDebugId);
    if (!completed) {
      EXPECT_TRUE(urls == before_ || urls == urls_after) << urls;
      EXPECT_TRUE(ids == ids_before || ids == ids_after) << ids;
      return;
    }
    EXPECT_EQ(urls, urls_after);
    EXPECT_EQ(ids, ids_after);
    // The record of the removals is complete: rebuilding from it gives the same answers.
    ASSERT_EQ(Cli(store, {"rebuild"}).exit_code, 0);
    EXPECT_EQ(Answers(store), urls_after);
    EXPECT_EQ(Answers(store, IndexKind::kDebugId), ids_after);
  });
}

TEST_P(LocalCrashTest, CompactKilledAtEveryStepKeepsTheValue) {
  // Segments that concurrent writers published and nobody merged yet: bundle 3's, added to a
  // store of its own, copied into the seed with its archive and references.
  const std::string other = NewStore("other");
  Add(other, 3, 3000);
  testing::CopyStore(other, seed_, Cache());
  const std::string value = Answers(seed_), ids = Answers(seed_, IndexKind::kDebugId);
  ASSERT_NE(value, before_);
  CrashAtEveryStep({"compact"}, [&](const std::string& store, bool) {
    EXPECT_EQ(Answers(store), value);
    EXPECT_EQ(Answers(store, IndexKind::kDebugId), ids);
  });
}

pid_t Spawn(const std::vector<std::string>& args) {
  std::vector<std::string> storage = {ARTIDX_CLI};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, ARTIDX_CLI, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

TEST(ConcurrentWriters, KilledWritersLoseNothingOnceRetried) {
  TempDir dir;
  const std::string store = dir / "store";
  constexpr int kBundles = 12;
  std::vector<std::string> paths;
  for (int n = 1; n <= kBundles; ++n) {
    paths.push_back(dir / StrCat("b", n, ".zip"));
    testing::WriteFileOrDie(paths.back(), MakeBundle(n));
  }
  auto add_args = [&](int n) {
    return std::vector<std::string>{
        "--store", store,       "add", paths[n - 1],  "--project",
        "web",     "--release", "1.0", "--timestamp", std::to_string(1000 + n)};
  };
  std::mt19937 rng(7);
  std::map<int, pid_t> running;
  for (int n = 1; n <= kBundles; ++n) running[n] = Spawn(add_args(n));
  // Kill every other writer at an arbitrary moment of its run.
  std::set<int> killed;
  for (int n = 2; n <= kBundles; n += 2) {
    usleep(std::uniform_int_distribution<int>(0, 3000)(rng));  // when to kill, not a wait
    kill(running[n], SIGKILL);
  }
  for (auto& [n, pid] : running) {
    int status = Wait(pid);
    if (WIFSIGNALED(status)) killed.insert(n);
    if (WIFEXITED(status)) {
      EXPECT_EQ(WEXITSTATUS(status), 0) << "writer " << n;
    }
  }
  ExpectVerifies(store);
  // A writer that exited 0 was durable; the killed ones are retried, concurrently again.
  std::vector<pid_t> retries;
  for (int n : killed) retries.push_back(Spawn(add_args(n)));
  for (pid_t pid : retries) EXPECT_EQ(Wait(pid), 0);
  ExpectVerifies(store);
  testing::CommandResult shared =
      RunCli({"--store", store, "lookup", "--project", "web", "--release", "1.0", "--url",
              "~/static/app.js", "--json"});
  ASSERT_EQ(shared.exit_code, 0) << shared.err;
  // Every bundle exactly once, newest first.
  size_t at = 0;
  for (int n = kBundles; n >= 1; --n) {
    const std::string id =
        StrCat("\"bundle_id\":\"00000000-0000-4000-8000-", absl::Dec(n, absl::kZeroPad12), "\"");
    size_t found = shared.out.find(id, at);
    ASSERT_NE(found, std::string::npos) << "bundle " << n << " missing or out of order";
    EXPECT_EQ(shared.out.find(id, found + 1), std::string::npos) << "bundle " << n << " twice";
    at = found;
  }
}

}  // namespace
}  // namespace artidx
