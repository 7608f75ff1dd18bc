// Many hosts, simulated (issue 12): writer processes that share nothing but a bucket on the
// loopback S3 server ($ARTIDX_TEST_S3_URL, as store/backend_test.cc; the test skips without
// it, and fails without it when $ARTIDX_REQUIRE_S3 is set), each with its own cache and
// temporary directory, add bundles at once to one release of one project, so that all of them
// write the same URL index and the same debug-id index and race each other's compactions
// (which on S3 have no election). A reader with its own cache and no staleness looks both
// indexes up throughout. Every answer must be one that some merge of the adds gives: each add
// acknowledged before the lookup began is in it, no add that had not begun is, no bundle is
// there twice, and the order is newest first by (timestamp, bundle id). Afterwards the CLI's
// `verify` passes, `ls` lists every bundle once, and every bundle is found by its own URL and
// its own debug id.
//
// A writer is this test's binary run again (`--many-hosts-writer`): a long-lived process, as an
// upload server is, adding through one artidx::Indexer the bundles the test sends it one by one
// over a socket, and answering each once its add has returned. The test sends the next only
// then, so that "begun" and "acknowledged" are exact for the reader's checks.

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "artidx/indexer.h"
#include "artidx/lookup.h"
#include "artidx/types.h"
#include "bundle/bundle_writer.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "store/s3_backend.h"
#include "store/s3_client.h"
#include "tests/testing.h"

extern char** environ;

namespace artidx {
namespace {

using ::artidx::testing::BundleIds;
using ::artidx::testing::RunCli;
using ::artidx::testing::TempDir;
using ::artidx::testing::WriteFileOrDie;

constexpr char kWriterFlag[] = "--many-hosts-writer";
constexpr char kProject[] = "p";
constexpr char kRelease[] = "shop@1.0.0";
constexpr char kSharedUrl[] = "~/static/app.js";
// The debug id of every bundle's ~/static/app.js: its lookups, like the shared URL's, answer
// with every bundle added so far.
constexpr char kSharedDebugId[] = "5a5a5a5a-0000-4000-8000-000000000000";

// The issue's 8 hosts adding 50 bundles each take about half an hour against the loopback
// Swift on this machine's 2 cores (an add is about 70 requests, and the one Swift proxy serves
// all 8 writers), so the suite adds 8 x 5, 8 x 2 in the sanitizers' builds (Debug, several
// times slower; scripts/test runs it under ThreadSanitizer only): enough that every add races
// others' adds and compactions (fan-in 4).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kBundlesPerWriter = 2;
#else
constexpr int kBundlesPerWriter = 5;
#endif
constexpr int kWriters = 8;
constexpr int kBundles = kWriters * kBundlesPerWriter;

std::string BundleIdOf(int n) {
  return StrCat("00000000-0000-4000-8000-", absl::Dec(n, absl::kZeroPad12));
}
std::string OwnDebugIdOf(int n) {
  return StrCat("10000000-0000-4000-8000-", absl::Dec(n, absl::kZeroPad12));
}
std::string OwnUrlOf(int n) { return StrCat("~/static/own-", n, ".js"); }

// Bundle n: ~/static/app.js with the shared debug id, and ~/static/own-<n>.js, a source map,
// with a debug id of its own.
std::string MakeBundle(int n) {
  bundle::BundleSpec spec;
  spec.debug_id = BundleIdOf(n);
  bundle::BundleFile app;
  app.url = kSharedUrl;
  app.content = StrCat("// app.js of bundle ", n, "\n");
  app.debug_id = *DebugId::Parse(kSharedDebugId);
  bundle::BundleFile own;
  own.url = OwnUrlOf(n);
  own.type = FileType::kSourceMap;
  own.content = StrCat("{\"version\":3,\"bundle\":", n, "}");
  own.debug_id = *DebugId::Parse(OwnDebugIdOf(n));
  spec.files = {app, own};
  absl::StatusOr<std::string> bytes = bundle::WriteBundle(spec);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : "";
}

// --- the writer process ------------------------------------------------------------------------

// `<this test> --many-hosts-writer STORE CACHE_DIR`: reads lines "<bundle path> <timestamp>"
// on stdin, adds each to kProject and kRelease of STORE, and answers each with one line on
// stdout: "ok <outcome>" or "error <message>". Exits at the end of its input.
int RunWriter(const std::string& store, const std::string& cache_dir) {
  IndexerOptions options;
  options.cache.dir = cache_dir;
  const Indexer indexer(store, options);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    int64_t timestamp = 0;
    std::string answer;
    if (fields.size() != 2 || !absl::SimpleAtoi(fields[1], &timestamp)) {
      answer = StrCat("error bad command: ", line);
    } else {
      AddOptions add;
      add.projects = {kProject};
      add.release = kRelease;
      add.timestamp_ms = timestamp;
      absl::StatusOr<std::vector<AddResult>> added = indexer.Add({fields[0]}, add);
      answer = added.ok() ? StrCat("ok ", AddOutcomeName(added->front().outcome))
                          : StrCat("error ", added.status().ToString());
    }
    std::replace(answer.begin(), answer.end(), '\n', ' ');
    answer += '\n';
    for (size_t done = 0; done < answer.size();) {
      const ssize_t n = ::write(1, answer.data() + done, answer.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return 1;
      done += static_cast<size_t>(n);
    }
  }
  return 0;
}

// A running writer: its end of the socket that is the writer's stdin and stdout.
struct Writer {
  pid_t pid = -1;
  int fd = -1;
  std::string buffered;  // read past the last answer
};

// Starts a writer with TMPDIR `tmp` and its stderr to `log`.
Writer StartWriter(const std::string& store, const std::string& cache, const std::string& tmp,
                   const std::string& log) {
  Writer w;
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    ADD_FAILURE() << "socketpair: " << std::strerror(errno);
    return w;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> argv_storage = {self, kWriterFlag, store, cache};
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage = {StrCat("TMPDIR=", tmp)};
  for (char** e = environ; *e != nullptr; ++e) {
    if (!std::string_view(*e).starts_with("TMPDIR=")) env_storage.emplace_back(*e);
  }
  std::vector<char*> env;
  for (std::string& e : env_storage) env.push_back(e.data());
  env.push_back(nullptr);
  const int rc = posix_spawn(&w.pid, self.c_str(), &actions, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << self << ": " << std::strerror(rc);
    ::close(fds[0]);
    w.pid = -1;
    return w;
  }
  w.fd = fds[0];
  return w;
}

// Sends one command and waits for its answer line; "" when the writer is gone.
std::string Ask(Writer& w, const std::string& command) {
  const std::string line = command + "\n";
  for (size_t done = 0; done < line.size();) {
    const ssize_t n = ::send(w.fd, line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "";
    done += static_cast<size_t>(n);
  }
  for (;;) {
    if (const size_t end = w.buffered.find('\n'); end != std::string::npos) {
      std::string answer = w.buffered.substr(0, end);
      w.buffered.erase(0, end + 1);
      return answer;
    }
    char chunk[4096];
    const ssize_t n = ::read(w.fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "";
    w.buffered.append(chunk, static_cast<size_t>(n));
  }
}

// Closes the writer's input and waits for it; its exit status (-1 when killed by a signal).
int Finish(Writer& w) {
  ::close(w.fd);
  int status = 0;
  while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// --- the test ----------------------------------------------------------------------------------

// What the writers have begun and had acknowledged, bundle by bundle; guarded by mu, and
// `changed` is notified with each event.
struct Progress {
  std::mutex mu;
  std::condition_variable changed;
  int events = 0;         // begun, acknowledged, and finished
  bool finished = false;  // every writer has exited
  std::vector<bool> begun = std::vector<bool>(kBundles);
  std::vector<bool> acked = std::vector<bool>(kBundles);
  int acked_count = 0;
  std::vector<std::string> failures;
};

// What the reader saw and found wrong.
struct Observations {
  int lookups = 0;
  int during_writes = 0;  // lookups that began before every add was acknowledged
  int partial = 0;        // answers holding some bundles but not all
  size_t max_segments = 0;
  std::vector<std::string> problems;
};

class ManyHostsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("ARTIDX_TEST_S3_URL");
    if (url == nullptr) {
      if (std::getenv("ARTIDX_REQUIRE_S3") != nullptr) {
        FAIL() << "ARTIDX_REQUIRE_S3 is set but ARTIDX_TEST_S3_URL is not";
      }
      GTEST_SKIP() << "no S3 server: set ARTIDX_TEST_S3_URL (scripts/test does)";
    }
    absl::StatusOr<store::S3Location> location = store::ParseS3Location(url);
    ASSERT_TRUE(location.ok()) << location.status();
    seed_ = std::random_device{}();
    location->prefix += StrCat(location->prefix.empty() ? "" : "/", "many-hosts-",
                               absl::Hex(seed_, absl::kZeroPad8), "-", ::getpid());
    location_ = *location;
    store_ = StrCat("s3://", location_.bucket, "/", location_.prefix);
  }

  void TearDown() override {
    if (store_.empty()) return;
    if (HasFailure()) {
      std::cerr << "kept " << store_ << " for inspection; writers' logs were in " << dir_.path()
                << "\n";
      return;
    }
    absl::StatusOr<store::S3Config> config = store::S3ConfigFromEnvironment();
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<store::Backend>> backend =
        store::S3Backend::Open(location_, *config, {dir_ / "cleanup-cache"});
    ASSERT_TRUE(backend.ok()) << backend.status();
    std::string cursor;
    do {
      absl::StatusOr<store::Backend::Listing> page = (*backend)->List("", cursor, 1000);
      ASSERT_TRUE(page.ok()) << page.status();
      for (const std::string& key : page->keys) {
        EXPECT_TRUE((*backend)->Delete(key).ok()) << key;
      }
      cursor = page->next_cursor;
    } while (!cursor.empty());
  }

  // `artidx --store <store> --cache <cache> args...`.
  testing::CommandResult Cli(const std::string& cache, std::vector<std::string> args) {
    args.insert(args.begin(), {"--store", store_, "--cache", cache});
    return RunCli(args);
  }

  // Checks one answer against the adds acknowledged before the lookup began and those begun
  // before it ended; appends what is wrong to obs->problems.
  void CheckAnswer(const std::string& what, const std::vector<Candidate>& found,
                   const std::vector<bool>& acked_before, const std::vector<bool>& begun_after,
                   Observations* obs) const {
    std::string wrong;
    std::set<int> seen;
    for (size_t i = 0; i < found.size(); ++i) {
      const Candidate& c = found[i];
      const auto it = number_of_.find(std::string(c.bundle_id));
      if (it == number_of_.end()) {
        StrAppend(&wrong, " unknown bundle ", c.bundle_id, ";");
        continue;
      }
      const int n = it->second;
      if (!seen.insert(n).second) StrAppend(&wrong, " bundle ", n, " twice;");
      if (!begun_after[n]) StrAppend(&wrong, " bundle ", n, " before its add began;");
      if (c.timestamp_ms != timestamps_[n]) {
        StrAppend(&wrong, " bundle ", n, " at ", c.timestamp_ms, " not ", timestamps_[n], ";");
      }
      if (i > 0) {
        const Candidate& p = found[i - 1];
        if (std::tie(p.timestamp_ms, p.bundle_id) <= std::tie(c.timestamp_ms, c.bundle_id)) {
          StrAppend(&wrong, " ", p.bundle_id, "@", p.timestamp_ms, " before ", c.bundle_id, "@",
                    c.timestamp_ms, ";");
        }
      }
    }
    for (int n = 0; n < kBundles; ++n) {
      if (acked_before[n] && !seen.contains(n)) {
        StrAppend(&wrong, " acknowledged bundle ", n, " missing;");
      }
    }
    if (!seen.empty() && seen.size() < static_cast<size_t>(kBundles)) ++obs->partial;
    if (!wrong.empty() && obs->problems.size() < 20) {
      obs->problems.push_back(
          StrCat("lookup ", obs->lookups, " (", what, ", ", found.size(), " candidates):", wrong));
    }
  }

  // Looks up both indexes, in turn, whenever an add has begun or been acknowledged since the
  // last lookup began (so that they overlap the adds, without starving them of the server),
  // until the writers have finished, then once more.
  void Read(Progress* progress, Observations* obs) const {
    StoreOptions options;
    options.staleness_ms = 0;
    options.cache.dir = dir_ / "reader-cache";
    const Store store(store_, options);
    const DebugId shared = *DebugId::Parse(kSharedDebugId);
    int seen_events = -1;
    for (bool last = false; !last;) {
      std::vector<bool> acked_before;
      {
        std::unique_lock<std::mutex> lock(progress->mu);
        progress->changed.wait(lock, [&] { return progress->events != seen_events; });
        seen_events = progress->events;
        acked_before = progress->acked;
        last = progress->finished;
      }
      if (!last) ++obs->during_writes;
      const bool by_url = obs->lookups % 2 == 0;
      absl::StatusOr<std::shared_ptr<const Index>> index =
          by_url ? store.UrlIndex(kProject, kRelease, "") : store.DebugIdIndex(kProject);
      std::vector<Candidate> found;
      absl::Status status = index.status();
      if (index.ok()) {
        obs->max_segments = std::max(obs->max_segments, (*index)->segment_count());
        status = by_url ? (*index)->LookupUrl(kSharedUrl, &found)
                        : (*index)->LookupDebugId(shared, std::nullopt, &found);
      }
      std::vector<bool> begun_after;
      {
        std::lock_guard<std::mutex> lock(progress->mu);
        begun_after = progress->begun;
      }
      // No index yet is an answer without candidates.
      if (!status.ok() && !absl::IsNotFound(status) && obs->problems.size() < 20) {
        obs->problems.push_back(StrCat("lookup ", obs->lookups, ": ", status.ToString()));
      }
      CheckAnswer(by_url ? "url" : "debug id", found, acked_before, begun_after, obs);
      ++obs->lookups;
    }
  }

  TempDir dir_;
  uint32_t seed_ = 0;
  store::S3Location location_;
  std::string store_;  // s3://bucket/prefix
  std::vector<int64_t> timestamps_;
  std::map<std::string, int> number_of_;  // bundle id -> bundle number
};

TEST_F(ManyHostsTest, ConcurrentWritersAndReaderOnOneBucket) {
  SCOPED_TRACE(StrCat("store ", store_, ", seed ", seed_));
  const auto start = std::chrono::steady_clock::now();
  // Timestamps from few values, so that many bundles tie and their ids order them.
  std::mt19937 random(seed_);
  for (int n = 0; n < kBundles; ++n) {
    timestamps_.push_back(1'700'000'000'000 + 1000 * static_cast<int64_t>(random() % 40));
    number_of_[BundleIdOf(n)] = n;
  }
  // Writer w adds bundles w, w + kWriters, ...: each host's bundles spread over the order.
  std::vector<std::vector<int>> shares(kWriters);
  for (int n = 0; n < kBundles; ++n) shares[n % kWriters].push_back(n);
  std::vector<std::string> paths(kBundles);
  for (int w = 0; w < kWriters; ++w) {
    const std::string host = dir_ / StrCat("host-", w);
    std::filesystem::create_directories(host + "/tmp");
    for (int n : shares[w]) {
      paths[n] = StrCat(host, "/bundle-", n, ".zip");
      WriteFileOrDie(paths[n], MakeBundle(n));
    }
  }

  // The writers start before the reader opens connections they would inherit.
  std::vector<Writer> writers;
  for (int w = 0; w < kWriters; ++w) {
    const std::string host = dir_ / StrCat("host-", w);
    writers.push_back(StartWriter(store_, host + "/cache", host + "/tmp", host + "/log"));
    ASSERT_GE(writers.back().pid, 0);
  }
  Progress progress;
  Observations obs;
  std::thread reader([&] { Read(&progress, &obs); });
  std::vector<std::thread> drivers;
  for (int w = 0; w < kWriters; ++w) {
    drivers.emplace_back([&, w] {
      Writer& writer = writers[w];
      for (int n : shares[w]) {
        {
          std::lock_guard<std::mutex> lock(progress.mu);
          if (!progress.failures.empty()) break;
          progress.begun[n] = true;
          ++progress.events;
        }
        progress.changed.notify_all();
        const std::string answer = Ask(writer, StrCat(paths[n], " ", timestamps_[n]));
        std::lock_guard<std::mutex> lock(progress.mu);
        if (answer != "ok added") {
          progress.failures.push_back(
              StrCat("writer ", w, ", bundle ", n, ": ", answer.empty() ? "no answer" : answer));
          break;
        }
        progress.acked[n] = true;
        ++progress.acked_count;
        ++progress.events;
        progress.changed.notify_all();
      }
      const int exit_code = Finish(writer);
      if (exit_code != 0) {
        std::lock_guard<std::mutex> lock(progress.mu);
        progress.failures.push_back(
            StrCat("writer ", w, " exited with ", exit_code, ": ",
                   testing::ReadFileOrDie(dir_ / StrCat("host-", w, "/log"))));
      }
    });
  }
  for (std::thread& d : drivers) d.join();
  const double write_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  {
    std::lock_guard<std::mutex> lock(progress.mu);
    progress.finished = true;
    ++progress.events;
  }
  progress.changed.notify_all();
  reader.join();
  for (const std::string& f : progress.failures) ADD_FAILURE() << f;
  ASSERT_EQ(progress.acked_count, kBundles);
  for (const std::string& p : obs.problems) ADD_FAILURE() << p;
  // The reader looked up while the adds went on, and saw some of them but not all.
  EXPECT_GT(obs.during_writes, 0);
  EXPECT_GT(obs.partial, 0);

  // Every bundle once, in order, by the CLI with a fresh cache.
  std::vector<std::string> expected;
  for (int n = 0; n < kBundles; ++n) expected.push_back(BundleIdOf(n));
  std::sort(expected.begin(), expected.end(), [&](const std::string& a, const std::string& b) {
    return std::tie(timestamps_[number_of_[a]], a) > std::tie(timestamps_[number_of_[b]], b);
  });
  const std::string cache = dir_ / "check-cache";
  testing::CommandResult verify = Cli(cache, {"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(verify.out, "ok\n");
  for (const bool url_index : {true, false}) {
    SCOPED_TRACE(url_index ? "URL index" : "debug-id index");
    std::vector<std::string> ls = {"ls", "--project", kProject, "--json"};
    if (url_index) ls.insert(ls.end(), {"--release", kRelease});
    testing::CommandResult listed = Cli(cache, ls);
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    EXPECT_EQ(BundleIds(listed.out), expected);
    std::vector<std::string> lookup = {"lookup", "--project", kProject, "--json"};
    if (url_index) {
      lookup.insert(lookup.end(), {"--release", kRelease, "--url", kSharedUrl});
    } else {
      lookup.insert(lookup.end(), {"--debug-id", kSharedDebugId});
    }
    testing::CommandResult looked_up = Cli(cache, lookup);
    EXPECT_EQ(looked_up.exit_code, 0) << looked_up.err;
    EXPECT_EQ(BundleIds(looked_up.out), expected);
  }

  // Each bundle by its own URL and its own debug id.
  StoreOptions options;
  options.cache.dir = dir_ / "final-cache";
  const Store store(store_, options);
  absl::StatusOr<std::shared_ptr<const Index>> urls = store.UrlIndex(kProject, kRelease, "");
  ASSERT_TRUE(urls.ok()) << urls.status();
  absl::StatusOr<std::shared_ptr<const Index>> ids = store.DebugIdIndex(kProject);
  ASSERT_TRUE(ids.ok()) << ids.status();
  for (int n = 0; n < kBundles; ++n) {
    std::vector<Candidate> by_url, by_id;
    ASSERT_TRUE((*urls)->LookupUrl(OwnUrlOf(n), &by_url).ok());
    ASSERT_TRUE((*ids)->LookupDebugId(*DebugId::Parse(OwnDebugIdOf(n)), std::nullopt, &by_id).ok());
    ASSERT_EQ(by_url.size(), 1u) << n;
    EXPECT_EQ(by_url[0].bundle_id, BundleIdOf(n));
    EXPECT_EQ(by_url[0].timestamp_ms, timestamps_[n]);
    ASSERT_EQ(by_id.size(), 1u) << n;
    EXPECT_EQ(by_id[0].bundle_id, BundleIdOf(n));
    EXPECT_EQ(by_id[0].url, OwnUrlOf(n));
  }
  std::cout << kWriters << " writers x " << kBundlesPerWriter << " bundles: adds took "
            << write_seconds << " s; the reader looked up " << obs.lookups << " times ("
            << obs.partial << " partial answers, up to " << obs.max_segments
            << " segments); in the end " << (*urls)->segment_count() << " and "
            << (*ids)->segment_count() << " segments\n";
}

}  // namespace
}  // namespace artidx

// The writers are this binary run again; otherwise gtest_main's main.
int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], artidx::kWriterFlag) == 0) {
    return artidx::RunWriter(argv[2], argv[3]);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
