// Crash safety of the write path: an operation killed at any step leaves every index readable
// and equal to the merge of the operations that completed, and repeating it completes it.
// Fault injection ($ARTIDX_CRASH_AT, store/file_util.h) ends the real CLI process at each step
// in turn; a second test kill -9s concurrent writers at arbitrary moments.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
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

// What lookups answer, as text: every file of the URL index of (web, 1.0) or of web's debug-id
// index, in answer order (Index::ListFiles), read in this process (spawning the CLI for each
// lookup made these tests the slowest of the suite, under the sanitizers above all). Equal
// indexes answer equally; an index with no segment yet answers "".
std::string Answers(const std::string& store, IndexKind kind = IndexKind::kUrl) {
  Store view(store);
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
  Store view(store);
  std::vector<absl::StatusOr<std::shared_ptr<const Index>>> indexes = {view.DebugIdIndex("web")};
  absl::StatusOr<std::vector<std::string>> dirs = view.UrlIndexDirs("web");
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  for (const std::string& dir : *dirs) indexes.push_back(view.IndexAt(dir));
  for (const auto& index : indexes) {
    if (absl::IsNotFound(index.status())) continue;
    ASSERT_TRUE(index.ok()) << index.status();
    EXPECT_TRUE((*index)->Verify().ok()) << (*index)->Verify();
  }
}

void CopyTree(const std::string& from, const std::string& to) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

// Runs `args` with $ARTIDX_CRASH_AT set to every step in turn until it completes.
template <typename Check>
void CrashAtEveryStep(const std::string& seed_store, std::vector<std::string> args, Check check) {
  for (int step = 1;; ++step) {
    ASSERT_LT(step, 1000) << "the operation never completed";
    TempDir dir;
    const std::string store = dir / "store";
    CopyTree(seed_store, store);
    std::vector<std::string> full = {"--store", store};
    full.insert(full.end(), args.begin(), args.end());
    setenv("ARTIDX_CRASH_AT", std::to_string(step).c_str(), 1);
    testing::CommandResult crashed = RunCli(full);
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
    testing::CommandResult again = RunCli(full);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    ExpectVerifies(store);
    check(store, /*completed=*/true);
  }
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int n = 1; n <= 3; ++n) {
      bundles_.push_back(dir_ / StrCat("b", n, ".zip"));
      testing::WriteFileOrDie(bundles_.back(), MakeBundle(n));
    }
    seed_ = dir_ / "seed";
    for (int n = 1; n <= 2; ++n) Add(seed_, n, 1000 * n);
    before_ = Answers(seed_);  // of the URL index
  }

  void Add(const std::string& store, int n, int64_t timestamp) {
    testing::CommandResult r =
        RunCli({"--store", store, "add", bundles_[n - 1], "--project", "web", "--release", "1.0",
                "--timestamp", std::to_string(timestamp)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  TempDir dir_;
  std::vector<std::string> bundles_;
  std::string seed_;
  std::string before_;
};

TEST_F(CrashTest, AddKilledAtEveryStepLeavesBeforeOrAfter) {
  const std::string expected_store = dir_ / "expected";
  CopyTree(seed_, expected_store);
  Add(expected_store, 3, 3000);
  const std::string urls_after = Answers(expected_store);
  const std::string ids_before = Answers(seed_, IndexKind::kDebugId),
                    ids_after = Answers(expected_store, IndexKind::kDebugId);
  ASSERT_NE(before_, urls_after);
  ASSERT_NE(ids_before, ids_after);
  CrashAtEveryStep(
      seed_, {"add", bundles_[2], "--project", "web", "--release", "1.0", "--timestamp", "3000"},
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

TEST_F(CrashTest, RemoveKilledAtEveryStepCompletesWhenRepeated) {
  const std::string expected_store = dir_ / "expected";
  CopyTree(seed_, expected_store);
  ASSERT_EQ(RunCli({"--store", expected_store, "rm", "00000000-0000-4000-8000-000000000001",
                    "--timestamp", "5000"})
                .exit_code,
            0);
  const std::string after = Answers(expected_store);
  ASSERT_NE(before_, after);
  CrashAtEveryStep(seed_, {"rm", "00000000-0000-4000-8000-000000000001", "--timestamp", "5000"},
                   [&](const std::string& store, bool completed) {
                     if (completed) {
                       EXPECT_EQ(Answers(store), after);
                     }
                   });
}

// gc removes bundles in batches, one durable step per batch: killed at any step, each index
// shows every bundle or none, and repeating gc completes the removal, as rebuild replays it.
TEST_F(CrashTest, GcKilledAtEveryStepCompletesWhenRepeated) {
  const std::string expected_store = dir_ / "expected";
  CopyTree(seed_, expected_store);
  ASSERT_EQ(RunCli({"--store", expected_store, "gc", "--max-age", "0"}).exit_code, 0);
  const std::string urls_after = Answers(expected_store);
  const std::string ids_before = Answers(seed_, IndexKind::kDebugId),
                    ids_after = Answers(expected_store, IndexKind::kDebugId);
  ASSERT_NE(before_, urls_after);
  ASSERT_NE(ids_before, ids_after);
  CrashAtEveryStep(seed_, {"gc", "--max-age", "0"}, [&](const std::string& store, bool completed) {
    const std::string urls = Answers(store), ids = Answers(store, IndexKind::kDebugId);
    if (!completed) {
      EXPECT_TRUE(urls == before_ || urls == urls_after) << urls;
      EXPECT_TRUE(ids == ids_before || ids == ids_after) << ids;
      return;
    }
    EXPECT_EQ(urls, urls_after);
    EXPECT_EQ(ids, ids_after);
    // The record of the removals is complete: rebuilding from it gives the same answers.
    ASSERT_EQ(RunCli({"--store", store, "rebuild"}).exit_code, 0);
    EXPECT_EQ(Answers(store), urls_after);
    EXPECT_EQ(Answers(store, IndexKind::kDebugId), ids_after);
  });
}

TEST_F(CrashTest, CompactKilledAtEveryStepKeepsTheValue) {
  // Segments that concurrent writers published and nobody merged yet: bundle 3's, added in a
  // store of its own, copied beside the seed's with its archive (which writers publish first).
  const std::string other = dir_ / "other";
  Add(other, 3, 3000);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(other)) {
    if (entry.path().extension() != ".aix" && entry.path().extension() != ".zip") continue;
    const std::string relative = std::filesystem::relative(entry.path(), other).string();
    std::filesystem::create_directories(
        std::filesystem::path(seed_ + "/" + relative).parent_path());
    std::filesystem::copy_file(entry.path(), seed_ + "/" + relative);
  }
  const std::string value = Answers(seed_);
  ASSERT_NE(value, before_);
  CrashAtEveryStep(seed_, {"compact"},
                   [&](const std::string& store, bool) { EXPECT_EQ(Answers(store), value); });
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
