// Tests of artidx::Store (include/artidx/lookup.h), the worker's view of a store, over real
// stores written by the indexer library and by the `artidx` binary (another process): how long
// it keeps an index open, its LRU cap, concurrent use, repair on read (DropMissing), MarkUsed,
// and the ErrorKind of each failure. SPEC.md sections 20 and 21. One file, over 600 lines: the
// cases share one fixture of stores written by both writers.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "artidx/indexer.h"
#include "artidx/lookup.h"
#include "artidx/types.h"
#include "bundle/bundle_writer.h"
#include "common/clock.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "store/segments.h"
#include "tests/testing.h"

namespace artidx {
namespace {

namespace fs = std::filesystem;
using Ids = std::vector<std::string>;
using Clock = std::chrono::steady_clock;
using testing::FileIdOf;
using testing::IdOf;
using testing::MakeBundle;

Ids BundleIds(const std::vector<Candidate>& found) {
  Ids ids;
  for (const Candidate& c : found) ids.push_back(std::string(c.bundle_id));
  return ids;
}

class StoreTest : public ::testing::Test {
 protected:
  // Writes bundle n (once per `own`) and returns its path.
  std::string BundlePath(int n, const std::string& own = "") {
    const std::string path = dir_ / StrCat("b", n, own.empty() ? "" : "-", own, ".zip");
    if (!fs::exists(path)) testing::WriteFileOrDie(path, MakeBundle(n, own));
    return path;
  }

  // Adds bundle n through the library, in this process.
  void Add(int n, int64_t timestamp, const std::string& release = "1.0",
           const std::string& project = "web") {
    AddOptions options;
    options.projects = {project};
    options.release = release;
    options.timestamp_ms = timestamp;
    absl::StatusOr<std::vector<AddResult>> added = Indexer(root_).Add({BundlePath(n)}, options);
    ASSERT_TRUE(added.ok()) << added.status();
  }

  // Adds bundle n with the `artidx` binary: another process.
  void AddInAnotherProcess(int n, int64_t timestamp) {
    testing::CommandResult r =
        testing::RunCli({"--store", root_, "add", BundlePath(n), "--project", "web", "--release",
                         "1.0", "--timestamp", std::to_string(timestamp)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  static Ids Urls(const Index& index, std::string_view url) {
    std::vector<Candidate> found;
    absl::Status s = index.LookupUrl(url, &found);
    EXPECT_TRUE(s.ok()) << s;
    return BundleIds(found);
  }

  // A URL lookup in web/1.0 through `store`.
  static Ids Urls(const Store& store, std::string_view url) {
    absl::StatusOr<std::shared_ptr<const Index>> index = store.UrlIndex("web", "1.0", "");
    EXPECT_TRUE(index.ok()) << index.status();
    return index.ok() ? Urls(**index, url) : Ids{};
  }

  static Ids DebugIds(const Store& store, int n, std::string_view project = "web") {
    absl::StatusOr<std::shared_ptr<const Index>> index = store.DebugIdIndex(project);
    EXPECT_TRUE(index.ok()) << index.status();
    std::vector<Candidate> found;
    if (index.ok()) {
      absl::Status s = (*index)->LookupDebugId(*DebugId::Parse(FileIdOf(n)), std::nullopt, &found);
      EXPECT_TRUE(s.ok()) << s;
    }
    return BundleIds(found);
  }

  size_t LiveSegments(const std::string& dir) const {
    absl::StatusOr<std::vector<std::string>> names = store::ListSegments(store::Layout(dir), dir);
    EXPECT_TRUE(names.ok()) << names.status();
    return names.ok() ? names->size() : 0;
  }

  testing::TempDir dir_;
  const std::string root_ = dir_ / "store";
};

// --- keeping indexes open ------------------------------------------------------------------------

TEST_F(StoreTest, SeesAnotherProcessesAddOnlyOnceStalenessPasses) {
  AddInAnotherProcess(1, 1000);
  StoreOptions slow_options;
  slow_options.staleness_ms = 3600 * 1000;
  StoreOptions instant_options;
  instant_options.staleness_ms = 0;
  StoreOptions polled_options;
  polled_options.staleness_ms = 50;
  Store slow(root_, slow_options), instant(root_, instant_options), polled(root_, polled_options);
  absl::StatusOr<std::shared_ptr<const Index>> slow_first = slow.UrlIndex("web", "1.0", "");
  absl::StatusOr<std::shared_ptr<const Index>> instant_first = instant.UrlIndex("web", "1.0", "");
  ASSERT_TRUE(slow_first.ok() && instant_first.ok());
  EXPECT_EQ(Urls(**slow_first, "~/static/app.js"), (Ids{IdOf(1)}));
  EXPECT_EQ(Urls(polled, "~/static/app.js"), (Ids{IdOf(1)}));
  // Nothing changed: a re-listing store keeps the index it has.
  absl::StatusOr<std::shared_ptr<const Index>> instant_same = instant.UrlIndex("web", "1.0", "");
  ASSERT_TRUE(instant_same.ok());
  EXPECT_EQ(instant_same->get(), instant_first->get());

  AddInAnotherProcess(2, 2000);

  // Within staleness_ms: the same open index, without the new bundle.
  absl::StatusOr<std::shared_ptr<const Index>> slow_again = slow.UrlIndex("web", "1.0", "");
  ASSERT_TRUE(slow_again.ok());
  EXPECT_EQ(slow_again->get(), slow_first->get());
  EXPECT_EQ(Urls(**slow_again, "~/static/app.js"), (Ids{IdOf(1)}));
  EXPECT_EQ(Urls(slow, "~/static/own-2.js"), Ids{});

  // staleness_ms = 0: seen on the next call, in a newly opened index.
  absl::StatusOr<std::shared_ptr<const Index>> instant_next = instant.UrlIndex("web", "1.0", "");
  ASSERT_TRUE(instant_next.ok());
  EXPECT_NE(instant_next->get(), instant_first->get());
  EXPECT_EQ(Urls(**instant_next, "~/static/app.js"), (Ids{IdOf(2), IdOf(1)}));
  // The snapshot taken before still answers as it did.
  EXPECT_EQ(Urls(**instant_first, "~/static/app.js"), (Ids{IdOf(1)}));

  // staleness_ms = 50: seen within a bounded time.
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(5);
  bool seen = false;
  while (!seen && Clock::now() < deadline) {
    seen = Urls(polled, "~/static/app.js") == Ids{IdOf(2), IdOf(1)};
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(seen) << "a store with staleness_ms = 50 did not see the add within 5 s";

  // The slow store is still behind.
  EXPECT_EQ(Urls(slow, "~/static/app.js"), (Ids{IdOf(1)}));
}

TEST_F(StoreTest, ClosesTheLeastRecentlyUsedIndexBeyondTheCap) {
  Add(1, 1000, "1.0");
  Add(2, 2000, "2.0");
  StoreOptions options;
  options.staleness_ms = 3600 * 1000;  // an index still open is never reopened
  options.max_open_indexes = 2;
  Store store(root_, options);
  auto a = store.UrlIndex("web", "1.0", "");
  auto b = store.UrlIndex("web", "2.0", "");
  ASSERT_TRUE(a.ok() && b.ok());
  // Using a makes b the least recently used; opening a third index closes b, not a.
  auto a_again = store.UrlIndex("web", "1.0", "");
  auto c = store.DebugIdIndex("web");
  ASSERT_TRUE(a_again.ok() && c.ok());
  EXPECT_EQ(a_again->get(), a->get());
  auto a_third = store.UrlIndex("web", "1.0", "");
  ASSERT_TRUE(a_third.ok());
  EXPECT_EQ(a_third->get(), a->get()) << "the most recently used index was closed";
  auto b_again = store.UrlIndex("web", "2.0", "");
  ASSERT_TRUE(b_again.ok());
  EXPECT_NE(b_again->get(), b->get()) << "the least recently used index stayed open";
  // Reopening b closed c (now the least recently used), and kept a.
  auto c_again = store.DebugIdIndex("web");
  ASSERT_TRUE(c_again.ok());
  EXPECT_NE(c_again->get(), c->get());

  // The closed indexes we still hold stay usable, candidates and all.
  std::vector<Candidate> found;
  ASSERT_TRUE((*b)->LookupUrl("https://x.example/static/own-2.js", &found).ok());
  ASSERT_EQ(BundleIds(found), (Ids{IdOf(2)}));
  absl::StatusOr<std::string> bytes = store.ReadFile(found[0]);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, "// bundle 2 ~/static/own-2.js\n");
  found.clear();
  ASSERT_TRUE((*c)->LookupDebugId(*DebugId::Parse(FileIdOf(1)), FileType::kSourceMap, &found).ok());
  EXPECT_EQ(BundleIds(found), (Ids{IdOf(1)}));
  EXPECT_TRUE((*b)->Verify().ok());
}

TEST_F(StoreTest, ConcurrentLookupsWhileAnotherThreadAddsAndRefreshes) {
  for (int n = 1; n <= 4; ++n) Add(n, 1000 * n);
  StoreOptions options;
  options.staleness_ms = 0;  // every call re-lists: the cache changes under the readers
  Store store(root_, options);
  absl::StatusOr<std::shared_ptr<const Index>> snapshot = store.UrlIndex("web", "1.0", "");
  ASSERT_TRUE(snapshot.ok());
  const Ids base = {IdOf(4), IdOf(3), IdOf(2), IdOf(1)};
  ASSERT_EQ(Urls(**snapshot, "~/static/app.js"), base);

  std::atomic<bool> writing{true};
  std::mutex mu;
  std::vector<std::string> errors;
  auto error = [&](std::string what) {
    std::lock_guard<std::mutex> lock(mu);
    if (errors.size() < 20) errors.push_back(std::move(what));
  };
  std::atomic<int64_t> lookups{0};
  auto reader = [&](int t) {
    for (int i = 0; writing.load() || i < 50; ++i) {
      // The snapshot never changes.
      std::vector<Candidate> found;
      if (!(*snapshot)->LookupUrl("https://x.example/static/app.js", &found).ok() ||
          BundleIds(found) != base) {
        error("snapshot answer changed");
      }
      // The store's current view: the base bundles last (the new ones are newer), no repeats,
      // newest first.
      absl::StatusOr<std::shared_ptr<const Index>> index = store.UrlIndex("web", "1.0", "");
      found.clear();
      if (!index.ok() || !(*index)->LookupUrl("~/static/app.js", &found).ok()) {
        error(StrCat("url lookup failed: ", index.status().ToString()));
        continue;
      }
      const Ids ids = BundleIds(found);
      if (ids.size() < 4 || !std::equal(base.begin(), base.end(), ids.end() - 4) ||
          std::set<std::string>(ids.begin(), ids.end()).size() != ids.size() ||
          !std::is_sorted(found.begin(), found.end(), [](const Candidate& x, const Candidate& y) {
            return x.timestamp_ms > y.timestamp_ms;
          })) {
        error(StrCat("bad url answer of ", ids.size(), " candidates"));
      }
      const int n = 1 + (i + t) % 4;
      found.clear();
      if (!(*index)->LookupUrl(StrCat("~/static/own-", n, ".js"), &found).ok() ||
          BundleIds(found) != Ids{IdOf(n)} || found[0].url != StrCat("~/static/own-", n, ".js")) {
        error("own url answer wrong");
      }
      absl::StatusOr<std::shared_ptr<const Index>> ids_index = store.DebugIdIndex("web");
      found.clear();
      if (!ids_index.ok() ||
          !(*ids_index)->LookupDebugId(*DebugId::Parse(FileIdOf(n)), std::nullopt, &found).ok() ||
          BundleIds(found) != (Ids{IdOf(n), IdOf(n)}) ||
          found[0].type != FileType::kMinifiedSource || found[1].type != FileType::kSourceMap) {
        error("debug-id answer wrong");
      }
      ++lookups;
    }
  };
  std::vector<std::string> paths;
  for (int n = 5; n <= 12; ++n) paths.push_back(BundlePath(n));
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) threads.emplace_back(reader, t);
  std::thread writer([&] {
    Indexer indexer(root_);
    for (int n = 5; n <= 12; ++n) {
      AddOptions add;
      add.projects = {"web"};
      add.release = "1.0";
      add.timestamp_ms = 1000 * n;
      if (absl::Status s = indexer.Add({paths[n - 5]}, add).status(); !s.ok()) error(s.ToString());
      if (!store.UrlIndex("web", "1.0", "").ok()) error("refresh failed");
      if (n == 8 && !indexer.Compact("web").ok()) error("compact failed");
    }
    writing = false;
  });
  writer.join();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors, std::vector<std::string>{});
  EXPECT_GE(lookups.load(), 8 * 50);
  Ids all;
  for (int n = 12; n >= 1; --n) all.push_back(IdOf(n));
  EXPECT_EQ(Urls(store, "~/static/app.js"), all);
}

// --- repair on read ------------------------------------------------------------------------------

TEST_F(StoreTest, DropMissingDropsAndTombstonesBundlesWhoseArchiveIsGone) {
  for (int n = 1; n <= 3; ++n) Add(n, 1000 * n);
  StoreOptions options;
  options.staleness_ms = 0;
  options.archive_check_ttl_ms = 0;  // every call checks again (the cache: see the TTL test)
  Store store(root_, options);
  absl::StatusOr<std::shared_ptr<const Index>> index = store.UrlIndex("web", "1.0", "");
  ASSERT_TRUE(index.ok());
  std::vector<Candidate> found;
  ASSERT_TRUE((*index)->LookupUrl("~/static/app.js", &found).ok());
  ASSERT_EQ(BundleIds(found), (Ids{IdOf(3), IdOf(2), IdOf(1)}));
  const std::string dir = (*index)->dir();
  ASSERT_EQ(LiveSegments(dir), 1u);

  // Present archives: nothing dropped, nothing published.
  std::vector<Candidate> kept = found;
  ASSERT_TRUE(store.DropMissing(**index, &kept).ok());
  EXPECT_EQ(BundleIds(kept), BundleIds(found));
  EXPECT_EQ(LiveSegments(dir), 1u);

  fs::remove_all(root_ + "/bundles/" + IdOf(2));
  std::vector<Candidate> repaired = found;
  ASSERT_TRUE(store.DropMissing(**index, &repaired).ok());
  EXPECT_EQ(BundleIds(repaired), (Ids{IdOf(3), IdOf(1)}));
  EXPECT_EQ(LiveSegments(dir), 2u) << "no tombstone segment was published";

  // Later lookups, in this store and a fresh one, skip it.
  EXPECT_EQ(Urls(store, "~/static/app.js"), (Ids{IdOf(3), IdOf(1)}));
  Store fresh(root_);
  EXPECT_EQ(Urls(fresh, "~/static/app.js"), (Ids{IdOf(3), IdOf(1)}));
  EXPECT_EQ(Urls(fresh, "~/static/own-2.js"), Ids{});
  absl::StatusOr<std::shared_ptr<const Index>> reopened = fresh.UrlIndex("web", "1.0", "");
  ASSERT_TRUE(reopened.ok());
  std::vector<Index::BundleInfo> listed;
  ASSERT_TRUE((*reopened)->ListBundles(&listed).ok());
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].bundle_id, IdOf(3));
  EXPECT_EQ(listed[1].bundle_id, IdOf(1));
  EXPECT_TRUE((*reopened)->Verify().ok());

  // The tombstone is at the bundle's own timestamp: a re-upload at that time stays removed
  // (a removal wins a tie), a newer one brings it back.
  Add(2, 2000);
  EXPECT_EQ(Urls(Store(root_), "~/static/app.js"), (Ids{IdOf(3), IdOf(1)}));
  Add(2, 5000);
  Store after(root_);
  EXPECT_EQ(Urls(after, "~/static/app.js"), (Ids{IdOf(2), IdOf(3), IdOf(1)}));
  absl::StatusOr<std::shared_ptr<const Index>> back = after.UrlIndex("web", "1.0", "");
  ASSERT_TRUE(back.ok());
  std::vector<Candidate> again;
  ASSERT_TRUE((*back)->LookupUrl("~/static/app.js", &again).ok());
  ASSERT_TRUE(after.DropMissing(**back, &again).ok());
  EXPECT_EQ(BundleIds(again), (Ids{IdOf(2), IdOf(3), IdOf(1)}));
}

// SPEC.md 21: a candidate whose archive is gone is dropped AND a tombstone is published in the
// index it was found in. The archive check is cached per archive, not per index: the second
// index's repair must not be skipped because the first one already learnt the archive is gone.
TEST_F(StoreTest, DropMissingPublishesTheTombstoneInEveryIndexItRepairs) {
  for (int n = 1; n <= 2; ++n) Add(n, 1000 * n);
  Store store(root_);
  absl::StatusOr<std::shared_ptr<const Index>> urls = store.UrlIndex("web", "1.0", "");
  absl::StatusOr<std::shared_ptr<const Index>> ids = store.DebugIdIndex("web");
  ASSERT_TRUE(urls.ok() && ids.ok());
  std::vector<Candidate> by_url, by_id;
  ASSERT_TRUE((*urls)->LookupUrl("~/static/app.js", &by_url).ok());
  ASSERT_TRUE((*ids)->LookupDebugId(*DebugId::Parse(FileIdOf(1)), std::nullopt, &by_id).ok());
  ASSERT_EQ(BundleIds(by_id), (Ids{IdOf(1), IdOf(1)}));

  fs::remove_all(root_ + "/bundles/" + IdOf(1));
  ASSERT_TRUE(store.DropMissing(**urls, &by_url).ok());
  EXPECT_EQ(BundleIds(by_url), (Ids{IdOf(2)}));
  ASSERT_TRUE(store.DropMissing(**ids, &by_id).ok());
  EXPECT_EQ(BundleIds(by_id), Ids{});

  Store fresh(root_);
  EXPECT_EQ(Urls(fresh, "~/static/app.js"), (Ids{IdOf(2)}));

  // answer comes from the cache (it was stat'ed by the first call, on the URL index), the
  // lambda returns before line 195 (`missing.push_back(c)`): the candidate is erased but no
  // tombstone is published in the debug-id index, so a fresh Store's debug-id lookup still
  // returns bundle 1 (expected: nothing).
  EXPECT_EQ(DebugIds(fresh, 1), Ids{}) << "no tombstone was published in the debug-id index";
  EXPECT_EQ(DebugIds(fresh, 2), (Ids{IdOf(2), IdOf(2)}));
}

TEST_F(StoreTest, DropMissingTrustsItsArchiveCheckForTheTtl) {
  for (int n = 1; n <= 3; ++n) Add(n, 1000 * n);
  StoreOptions long_options;
  long_options.archive_check_ttl_ms = 3600 * 1000;
  StoreOptions short_options;
  short_options.archive_check_ttl_ms = 1000;
  Store long_ttl(root_, long_options), short_ttl(root_, short_options);
  absl::StatusOr<std::shared_ptr<const Index>> index = long_ttl.UrlIndex("web", "1.0", "");
  ASSERT_TRUE(index.ok());
  std::vector<Candidate> found;
  ASSERT_TRUE((*index)->LookupUrl("~/static/app.js", &found).ok());
  ASSERT_EQ(BundleIds(found), (Ids{IdOf(3), IdOf(2), IdOf(1)}));
  const Ids all = BundleIds(found);

  // Both stores check the archives (all present) and remember the answers.
  const Clock::time_point checked = Clock::now();
  for (const Store* store : {&long_ttl, &short_ttl}) {
    std::vector<Candidate> c = found;
    ASSERT_TRUE(store->DropMissing(**index, &c).ok());
    EXPECT_EQ(BundleIds(c), all);
  }
  fs::remove_all(root_ + "/bundles/" + IdOf(1));

  // The cached "exists" keeps the candidate and publishes nothing.
  std::vector<Candidate> c = found;
  ASSERT_TRUE(long_ttl.DropMissing(**index, &c).ok());
  EXPECT_EQ(BundleIds(c), all);
  if (Clock::now() - checked < std::chrono::milliseconds(900)) {
    c = found;
    ASSERT_TRUE(short_ttl.DropMissing(**index, &c).ok());
    EXPECT_EQ(BundleIds(c), all) << "checked again before the TTL passed";
  }
  EXPECT_EQ(LiveSegments((*index)->dir()), 1u);

  // Once the TTL has passed the short store checks again and drops it.
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(5);
  bool dropped = false;
  while (!dropped && Clock::now() < deadline) {
    c = found;
    ASSERT_TRUE(short_ttl.DropMissing(**index, &c).ok());
    dropped = BundleIds(c) == Ids{IdOf(3), IdOf(2)};
    if (!dropped) {
      EXPECT_EQ(BundleIds(c), all);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  EXPECT_TRUE(dropped);
  EXPECT_GE(Clock::now() - checked, std::chrono::milliseconds(990));
  EXPECT_EQ(LiveSegments((*index)->dir()), 2u);
  // The long store still trusts its answer.
  c = found;
  ASSERT_TRUE(long_ttl.DropMissing(**index, &c).ok());
  EXPECT_EQ(BundleIds(c), all);
}

// --- use -----------------------------------------------------------------------------------------

TEST_F(StoreTest, MarkUsedRenewsTheArchiveMtime) {
  Add(1, 1000);
  Store store(root_);
  auto index = store.UrlIndex("web", "1.0", "");
  ASSERT_TRUE(index.ok());
  std::vector<Candidate> found;
  ASSERT_TRUE((*index)->LookupUrl("~/static/own-1.js", &found).ok());
  ASSERT_EQ(found.size(), 1u);
  const std::string archive = store.ArchivePath(found[0]);
  EXPECT_EQ(archive,
            StrCat(root_, "/bundles/", IdOf(1), "/", Sha1Digest::Of(MakeBundle(1)).Hex(), ".zip"));
  const int64_t two_days_ago = NowMs() - int64_t{2} * 24 * 3600 * 1000;
  testing::SetMtimeMs(archive, two_days_ago / 1000 * 1000);
  ASSERT_LT(testing::MtimeMs(archive), NowMs() - 24 * 3600 * 1000);

  const int64_t before = NowMs();
  ASSERT_TRUE(store.MarkUsed(found[0]).ok());
  const int64_t after = NowMs();
  EXPECT_GE(testing::MtimeMs(archive), before - 1000);
  EXPECT_LE(testing::MtimeMs(archive), after + 1000);

  fs::remove(archive);
  absl::Status missing = store.MarkUsed(found[0]);
  EXPECT_TRUE(absl::IsNotFound(missing)) << missing;
  EXPECT_NE(StdView(missing.message()).find(archive), std::string_view::npos) << missing;
}

TEST_F(StoreTest, MarkUsedKeepsABundleFromGc) {
  const int64_t old = NowMs() - int64_t{10} * 24 * 3600 * 1000;
  Add(1, old);
  Add(2, old + 1);
  Store store(root_);
  auto index = store.UrlIndex("web", "1.0", "");
  ASSERT_TRUE(index.ok());
  std::vector<Candidate> found;
  ASSERT_TRUE((*index)->LookupUrl("~/static/app.js", &found).ok());
  ASSERT_EQ(BundleIds(found), (Ids{IdOf(2), IdOf(1)}));
  for (const Candidate& c : found) {
    testing::SetMtimeMs(store.ArchivePath(c), old / 1000 * 1000);
  }
  GcOptions gc;
  gc.max_age_ms = int64_t{5} * 24 * 3600 * 1000;
  gc.dry_run = true;
  absl::StatusOr<GcResult> before = Indexer(root_).Gc(gc);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->removed, (Ids{IdOf(1), IdOf(2)}));

  ASSERT_TRUE(store.MarkUsed(found[1]).ok());  // bundle 1
  gc.dry_run = false;
  absl::StatusOr<GcResult> after = Indexer(root_).Gc(gc);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->removed, (Ids{IdOf(2)}));
  EXPECT_EQ(Urls(Store(root_), "~/static/app.js"), (Ids{IdOf(1)}));
}

// --- error kinds ---------------------------------------------------------------------------------

TEST_F(StoreTest, NoSuchIndex) {
  Store empty(root_);
  for (absl::Status s :
       {empty.UrlIndex("web", "1.0", "").status(), empty.DebugIdIndex("web").status()}) {
    EXPECT_TRUE(absl::IsNotFound(s)) << s;
    EXPECT_EQ(GetErrorKind(s), ErrorKind::kNoSuchIndex) << s;
  }
  EXPECT_EQ(ErrorKindName(ErrorKind::kNoSuchIndex), "no_such_index");
  absl::StatusOr<std::vector<std::string>> dirs = empty.UrlIndexDirs("web");
  ASSERT_TRUE(dirs.ok());
  EXPECT_TRUE(dirs->empty());
  Add(1, 1000);
  Store store(root_);
  absl::Status other_release = store.UrlIndex("web", "2.0", "").status();
  EXPECT_EQ(GetErrorKind(other_release), ErrorKind::kNoSuchIndex) << other_release;
  absl::Status other_dist = store.UrlIndex("web", "1.0", "d").status();
  EXPECT_EQ(GetErrorKind(other_dist), ErrorKind::kNoSuchIndex) << other_dist;
  EXPECT_EQ(GetErrorKind(store.UrlIndex("web", "1.0", "").status()), ErrorKind::kNone);
  EXPECT_EQ(GetErrorKind(absl::OkStatus()), ErrorKind::kNone);
}

TEST_F(StoreTest, CorruptIndexIsNamedAndBreaksNoOtherProject) {
  Add(1, 1000, "1.0", "web");
  Add(2, 2000, "1.0", "bad");
  Add(3, 3000, "1.0", "sum");
  Add(4, 4000, "1.0", "mix");
  Add(5, 5000, "2.0", "mix");
  StoreOptions options;
  options.staleness_ms = 0;
  Store store(root_, options);
  EXPECT_EQ(Urls(store, "~/static/app.js"), (Ids{IdOf(1)}));

  // A flipped header byte (the magic) in bad's URL index.
  const std::string bad_dir =
      StrCat(root_, "/projects/bad/urls/b6e708bdb2c48cade8d1b57a6c85443357c80be0");
  absl::StatusOr<std::vector<std::string>> names =
      store::ListSegments(store::Layout(bad_dir), bad_dir);
  ASSERT_TRUE(names.ok() && names->size() == 1u);
  const std::string segment = StrCat(bad_dir, "/", (*names)[0]);
  std::string bytes = testing::ReadFileOrDie(segment);
  bytes[0] ^= 0x20;
  fs::remove(segment);  // a new inode: nothing mapped the old one
  testing::WriteFileOrDie(segment, bytes);
  absl::Status corrupt = store.UrlIndex("bad", "1.0", "").status();
  EXPECT_EQ(GetErrorKind(corrupt), ErrorKind::kCorruptIndex) << corrupt;
  EXPECT_NE(StdView(corrupt.message()).find(segment), std::string_view::npos) << corrupt;
  EXPECT_EQ(ErrorKindName(GetErrorKind(corrupt)), "corrupt_index");

  // A flipped checksum byte in sum's URL index: the Store refuses to open it (it checks
  // checksums when it maps a segment); opened without that check, it fails Verify. Both errors
  // name the file.
  const std::string sum_dir =
      StrCat(root_, "/projects/sum/urls/b6e708bdb2c48cade8d1b57a6c85443357c80be0");
  names = store::ListSegments(store::Layout(sum_dir), sum_dir);
  ASSERT_TRUE(names.ok() && names->size() == 1u);
  const std::string sum_segment = StrCat(sum_dir, "/", (*names)[0]);
  bytes = testing::ReadFileOrDie(sum_segment);
  bytes.back() ^= 0x01;
  fs::remove(sum_segment);
  testing::WriteFileOrDie(sum_segment, bytes);
  absl::Status refused = store.UrlIndex("sum", "1.0", "").status();
  EXPECT_EQ(GetErrorKind(refused), ErrorKind::kCorruptIndex) << refused;
  EXPECT_NE(StdView(refused.message()).find(sum_segment), std::string_view::npos) << refused;
  absl::StatusOr<std::unique_ptr<Index>> sum = Index::Open(sum_dir);
  ASSERT_TRUE(sum.ok()) << sum.status();
  absl::Status verified = (*sum)->Verify();
  EXPECT_EQ(GetErrorKind(verified), ErrorKind::kCorruptIndex) << verified;
  EXPECT_NE(StdView(verified.message()).find(sum_segment), std::string_view::npos) << verified;

  // A segment of mix's release 2.0 copied into its release 1.0: segments that disagree on
  // their index.
  absl::StatusOr<std::vector<std::string>> mix_dirs = store.UrlIndexDirs("mix");
  ASSERT_TRUE(mix_dirs.ok() && mix_dirs->size() == 2u);
  absl::StatusOr<std::shared_ptr<const Index>> mix_one = store.UrlIndex("mix", "1.0", "");
  absl::StatusOr<std::shared_ptr<const Index>> mix_two = store.UrlIndex("mix", "2.0", "");
  ASSERT_TRUE(mix_one.ok() && mix_two.ok());
  const std::string stray =
      (*mix_two)->dir() + "/" +
      store::ListSegments(store::Layout((*mix_two)->dir()), (*mix_two)->dir())->at(0);
  fs::copy_file(stray, (*mix_one)->dir() + "/" + fs::path(stray).filename().string());
  absl::Status mixed = store.UrlIndex("mix", "1.0", "").status();
  EXPECT_EQ(GetErrorKind(mixed), ErrorKind::kCorruptIndex) << mixed;
  EXPECT_NE(StdView(mixed.message()).find((*mix_one)->dir() + "/"), std::string_view::npos)
      << mixed;
  EXPECT_EQ(Urls(**mix_one, "~/static/app.js"), (Ids{IdOf(4)})) << "an open snapshot changed";

  // Other indexes of the same store answer as before, repeatedly.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Urls(store, "~/static/app.js"), (Ids{IdOf(1)}));
    EXPECT_EQ(DebugIds(store, 1), (Ids{IdOf(1), IdOf(1)}));
    EXPECT_EQ(DebugIds(store, 2, "bad"), (Ids{IdOf(2), IdOf(2)}));
    EXPECT_EQ(GetErrorKind(store.UrlIndex("bad", "1.0", "").status()), ErrorKind::kCorruptIndex);
    absl::StatusOr<std::shared_ptr<const Index>> two = store.UrlIndex("mix", "2.0", "");
    ASSERT_TRUE(two.ok()) << two.status();
    EXPECT_EQ(Urls(**two, "~/static/app.js"), (Ids{IdOf(5)}));
  }
}

TEST_F(StoreTest, ArchiveMissingAndEntryMissing) {
  Add(1, 1000);
  Store store(root_);
  auto index = store.UrlIndex("web", "1.0", "");
  ASSERT_TRUE(index.ok());
  std::vector<Candidate> found;
  ASSERT_TRUE((*index)->LookupUrl("~/static/own-1.js", &found).ok());
  ASSERT_EQ(found.size(), 1u);
  const Candidate c = found[0];
  absl::StatusOr<std::string> read = store.ReadFile(c);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "// bundle 1 ~/static/own-1.js\n");
  const std::string archive = store.ArchivePath(c);

  // Replaced by an archive without that entry, then by bytes that are no archive at all.
  testing::WriteFileOrDie(archive, MakeBundle(1, "something-else"));
  read = store.ReadFile(c);
  EXPECT_EQ(GetErrorKind(read.status()), ErrorKind::kEntryMissing) << read.status();
  EXPECT_NE(StdView(read.status().message()).find(archive), std::string_view::npos)
      << read.status();
  testing::WriteFileOrDie(archive, "this is not a zip archive");
  read = store.ReadFile(c);
  EXPECT_EQ(GetErrorKind(read.status()), ErrorKind::kEntryMissing) << read.status();

  fs::remove(archive);
  read = store.ReadFile(c);
  EXPECT_EQ(GetErrorKind(read.status()), ErrorKind::kArchiveMissing) << read.status();
  EXPECT_NE(StdView(read.status().message()).find(archive), std::string_view::npos)
      << read.status();
  EXPECT_EQ(ErrorKindName(ErrorKind::kArchiveMissing), "archive_missing");
  EXPECT_EQ(ErrorKindName(ErrorKind::kEntryMissing), "entry_missing");
}

TEST_F(StoreTest, InvalidArguments) {
  Add(1, 1000);
  Store store(root_);
  for (absl::Status s :
       {store.UrlIndex("no/slash", "1.0", "").status(), store.UrlIndex("..", "1.0", "").status(),
        store.UrlIndex("", "1.0", "").status(), store.UrlIndex("web", "", "").status(),
        store.UrlIndex("web", "1.0", std::string(65, 'd')).status(),
        store.UrlIndex("web", "1.\n0", "").status(),
        store.DebugIdIndex(std::string(65, 'p')).status(), store.DebugIdIndex("a b").status(),
        store.UrlIndexDirs("").status()}) {
    EXPECT_EQ(GetErrorKind(s), ErrorKind::kInvalidArgument) << s;
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  }
  EXPECT_EQ(Urls(store, "~/static/app.js"), (Ids{IdOf(1)}));
}

}  // namespace
}  // namespace artidx
