// Faults between artidx and its object store, end to end (issue 12): the real CLI adds bundles
// and compacts through a proxy (tests/scripted_server.h) in front of the loopback Swift that
// scripts/test starts. The proxy drops connections before relaying a request and after (when
// the server has done it and the client cannot know), answers 500 and 503 SlowDown, cuts
// responses short, and twice drops every connection for longer than the client's retries last,
// as a server that was killed would. Every operation succeeds or fails with one line naming the
// store; afterwards, read from Swift directly, every index verifies and holds every add that
// succeeded, and repeating the ones that failed completes them: the store then answers as a
// local store given the same adds without faults. (Swift's own proxy server is not killed: the
// tests running beside this one share it.)

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "artidx/lookup.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "tests/scripted_server.h"
#include "tests/testing.h"

namespace artidx {
namespace {

using testing::Action;
using testing::CommandResult;
using testing::TempDir;

// Every file of the URL index of (web, 1.0) and of web's debug-id index, in answer order.
std::string Answers(const std::string& store, const std::string& cache) {
  StoreOptions options;
  options.cache.dir = cache;
  Store view(store, options);
  std::string out;
  for (auto index : {view.UrlIndex("web", "1.0", ""), view.DebugIdIndex("web")}) {
    EXPECT_TRUE(index.ok()) << store << ": " << index.status();
    if (!index.ok()) continue;
    std::vector<Candidate> files;
    EXPECT_TRUE((*index)->ListFiles(&files).ok());
    for (const Candidate& c : files) {
      StrAppend(&out, c.bundle_id, " ", c.timestamp_ms, " ", c.url, " ", c.path, "\n");
    }
  }
  return out;
}

// A proxy script of `n` requests: most relayed, about one in four a fault, and at `outages` ten
// connections in a row dropped (more than the client's six attempts at one request).
std::vector<Action> FaultyScript(size_t n, const std::vector<size_t>& outages, uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<Action> script;
  for (size_t i = 0; i < n; ++i) {
    switch (std::uniform_int_distribution<int>(0, 19)(random)) {
      case 0:
        script.push_back(testing::Drop());
        break;
      case 1:
        script.push_back(testing::ForwardDrop());
        break;
      case 2:
        script.push_back(testing::Respond(503, "<Error><Code>SlowDown</Code></Error>"));
        break;
      case 3:
        script.push_back(testing::Respond(500, "<Error><Code>InternalError</Code></Error>"));
        break;
      case 4:
        script.push_back(testing::ForwardCut());
        break;
      default:
        script.push_back(testing::Forward());
    }
  }
  for (size_t at : outages) {
    for (size_t i = at; i < at + 10 && i < n; ++i) script[i] = testing::Drop();
  }
  script.push_back(testing::Forward());  // repeated once the script is used up
  return script;
}

TEST(S3FaultTest, AddsAndCompactionThroughAFaultyConnectionLoseNothingAcknowledged) {
  const std::string store = testing::FreshS3Store("faults");
  ARTIDX_SKIP_WITHOUT_S3(store);
  const int swift_port = testing::LoopbackEndpointPort();
  ASSERT_NE(swift_port, 0) << "AWS_ENDPOINT_URL is not a loopback http:// endpoint";
  const std::string swift = std::getenv("AWS_ENDPOINT_URL");
  // $ARTIDX_FAULT_SEED repeats a run's script.
  uint32_t seed = std::random_device{}();
  if (const char* given = std::getenv("ARTIDX_FAULT_SEED")) seed = std::strtoul(given, nullptr, 10);
  SCOPED_TRACE(StrCat("proxy script seed ", seed, " (ARTIDX_FAULT_SEED)"));

  TempDir dir;
  const std::string cache = dir / "cache";
  constexpr int kBundles = 5;
  std::vector<std::string> add_args[kBundles + 1];
  for (int n = 1; n <= kBundles; ++n) {
    const std::string path = dir / StrCat("b", n, ".zip");
    testing::WriteFileOrDie(path, testing::MakeBundle(n));
    add_args[n] = {"add",       path,  "--project",   "web",
                   "--release", "1.0", "--timestamp", StrCat(1000 * n)};
  }
  auto cli = [&](const std::string& at, std::vector<std::string> args) {
    args.insert(args.begin(), {"--store", at, "--cache", cache});
    return testing::RunCli(args);
  };

  // What the store must end up answering: the same adds to a local store.
  const std::string local = dir / "local";
  for (int n = 1; n <= kBundles; ++n) ASSERT_EQ(cli(local, add_args[n]).exit_code, 0);
  ASSERT_EQ(cli(local, {"compact"}).exit_code, 0);
  const std::string expected = Answers(local, cache);

  // Through the proxy. An add is about 40 to 50 requests: the outages fall in the first add and
  // in the third or fourth.
  testing::ScriptedServer proxy(FaultyScript(2000, {30, 120}, seed), swift_port);
  setenv("AWS_ENDPOINT_URL", proxy.endpoint().c_str(), 1);
  setenv("AWS_MAX_ATTEMPTS", "6", 1);  // fewer than an outage's drops
  std::vector<int> failed;
  std::string last_error;
  for (int n = 1; n <= kBundles; ++n) {
    CommandResult r = cli(store, add_args[n]);
    SCOPED_TRACE(StrCat("add ", n, ": ", r.err));
    if (r.exit_code != 0) {
      failed.push_back(n);
      last_error = r.err;
      EXPECT_EQ(r.exit_code, 2);
      // One line, naming the bucket and the key or prefix in the store.
      EXPECT_EQ(r.err.find('\n'), r.err.size() - 1);
      EXPECT_NE(r.err.find(store.substr(0, store.find('/', 5) + 1)), std::string::npos);
      EXPECT_NE(r.err.find(store.substr(store.rfind('/') + 1)), std::string::npos);
    }
  }
  std::printf(
      "%d requests before the compaction; adds that met an outage: %zu of %d; last error: %s",
      proxy.requests(), failed.size(), kBundles, failed.empty() ? "none\n" : last_error.c_str());
  CommandResult compacted = cli(store, {"compact"});
  EXPECT_TRUE(compacted.exit_code == 0 || compacted.exit_code == 2) << compacted.err;
  setenv("AWS_ENDPOINT_URL", swift.c_str(), 1);
  unsetenv("AWS_MAX_ATTEMPTS");
  // The first outage ends the first add (whose every request is needed); the second may fall
  // on a compaction, whose failure leaves a published add acknowledged.
  EXPECT_FALSE(failed.empty()) << "no add met an outage: the test tested no failure";
  EXPECT_GT(proxy.requests(), 130) << "the second outage was not passed";

  // Read directly: every index verifies and holds every add that succeeded, newest first.
  CommandResult verified = cli(store, {"verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  const std::string after_faults = Answers(store, cache);
  for (int n = 1; n <= kBundles; ++n) {
    const bool acknowledged = std::find(failed.begin(), failed.end(), n) == failed.end();
    if (acknowledged) {
      EXPECT_NE(after_faults.find(testing::IdOf(n)), std::string::npos) << "add " << n << " lost";
    }
  }

  // Repeating the failed adds completes them.
  for (int n : failed) {
    CommandResult r = cli(store, add_args[n]);
    EXPECT_EQ(r.exit_code, 0) << "add " << n << " again: " << r.err;
  }
  ASSERT_EQ(cli(store, {"compact"}).exit_code, 0);
  EXPECT_EQ(cli(store, {"verify"}).exit_code, 0);
  EXPECT_EQ(Answers(store, cache), expected);
}

}  // namespace
}  // namespace artidx
