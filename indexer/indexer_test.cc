// Unit tests of artidx::Indexer (include/artidx/indexer.h) through its library API, beside the
// code: adds and removals and their order, all-or-nothing adds, byte-identical compaction
// whatever the order of operations, hold and gc, and rebuild. The CLI's view of the same
// operations is tested in tests/store_ops_test.cc; answers are read here through `artidx lookup`,
// since indexer/ does not include the lookup library.

#include "artidx/indexer.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "store/layout.h"
#include "tests/testing.h"

namespace artidx {
namespace {

using testing::IdOf;
using testing::MakeBundle;
using testing::TempDir;

constexpr int64_t kT0 = 1'700'000'000'000;

class IndexerTest : public ::testing::Test {
 protected:
  // Writes test bundle n (testing::MakeBundle) and returns its path.
  std::string Bundle(int n, const std::string& own = "") {
    const std::string path = dir_ / ("b" + std::to_string(n) + own + ".zip");
    testing::WriteFileOrDie(path, MakeBundle(n, own));
    return path;
  }

  absl::StatusOr<std::vector<AddResult>> Add(const std::vector<std::string>& paths,
                                             int64_t timestamp_ms) {
    AddOptions options;
    options.projects = {"web"};
    options.release = "1.0";
    options.timestamp_ms = timestamp_ms;
    return Indexer(store_).Add(paths, options);
  }

  // The bundle ids that `artidx lookup` answers for ~/static/app.js (in every test bundle), in
  // order. Through the CLI: indexer/ does not include the lookup library.
  std::vector<std::string> Answers() {
    testing::CommandResult r =
        testing::Artidx(store_, {"lookup", "--project", "web", "--release", "1.0", "--url",
                                 "https://example.com/static/app.js", "--json"});
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
    std::vector<std::string> ids;
    const std::string key = "\"bundle_id\":\"";
    for (size_t at = r.out.find(key); at != std::string::npos; at = r.out.find(key, at)) {
      at += key.size();
      ids.push_back(r.out.substr(at, r.out.find('"', at) - at));
    }
    return ids;
  }

  TempDir dir_;
  std::string store_ = dir_ / "store";
};

TEST_F(IndexerTest, AddAnswersNewestFirst) {
  ASSERT_TRUE(Add({Bundle(1)}, kT0).ok());
  ASSERT_TRUE(Add({Bundle(2)}, kT0 + 1).ok());
  ASSERT_TRUE(Add({Bundle(3)}, kT0 - 1).ok());
  EXPECT_EQ(Answers(), (std::vector<std::string>{IdOf(2), IdOf(1), IdOf(3)}));
}

TEST_F(IndexerTest, AddReportsWhatItAdded) {
  absl::StatusOr<std::vector<AddResult>> added = Add({Bundle(1), Bundle(2)}, kT0);
  ASSERT_TRUE(added.ok()) << added.status();
  ASSERT_EQ(added->size(), 2u);
  EXPECT_EQ((*added)[0].bundle_id, IdOf(1));
  EXPECT_EQ((*added)[1].bundle_id, IdOf(2));
  EXPECT_EQ((*added)[0].timestamp_ms, kT0);
  EXPECT_EQ((*added)[0].files, 2u);
  EXPECT_EQ((*added)[0].debug_id_files, 2u);
  EXPECT_EQ((*added)[0].archive_sha1.size(), 40u);
}

TEST_F(IndexerTest, AddOfABadBundleAddsNothing) {
  ASSERT_TRUE(Add({Bundle(1)}, kT0).ok());
  const auto before = testing::Tree(store_);
  const std::string bad = dir_ / "bad.zip";
  testing::WriteFileOrDie(bad, "not a zip archive");
  absl::StatusOr<std::vector<AddResult>> added = Add({Bundle(2), bad}, kT0 + 1);
  ASSERT_FALSE(added.ok());
  EXPECT_NE(std::string(added.status().message()).find(bad), std::string::npos) << added.status();
  EXPECT_EQ(testing::Tree(store_), before);
  EXPECT_EQ(Answers(), (std::vector<std::string>{IdOf(1)}));
}

TEST_F(IndexerTest, LaterOperationWinsWhateverTheOrder) {
  ASSERT_TRUE(Add({Bundle(1)}, kT0).ok());
  RemoveOptions remove;
  remove.timestamp_ms = kT0 + 10;
  ASSERT_TRUE(Indexer(store_).Remove(IdOf(1), remove).ok());
  EXPECT_TRUE(Answers().empty());
  // An add older than the removal stays removed; a newer one brings the bundle back.
  ASSERT_TRUE(Add({Bundle(1)}, kT0 + 5).ok());
  EXPECT_TRUE(Answers().empty());
  ASSERT_TRUE(Add({Bundle(1)}, kT0 + 20).ok());
  EXPECT_EQ(Answers(), (std::vector<std::string>{IdOf(1)}));
}

TEST_F(IndexerTest, CompactedIndexBytesDoNotDependOnTheOrderOfOperations) {
  TempDir other;
  const std::string first = store_, second = other / "store";
  const std::vector<std::string> bundles = {Bundle(1), Bundle(2), Bundle(3), Bundle(1, "again")};
  const std::vector<int64_t> times = {kT0, kT0 + 1, kT0 + 1, kT0 + 2};
  for (size_t i = 0; i < bundles.size(); ++i) ASSERT_TRUE(Add({bundles[i]}, times[i]).ok());
  store_ = second;
  for (size_t i = bundles.size(); i-- > 0;) ASSERT_TRUE(Add({bundles[i]}, times[i]).ok());
  ASSERT_TRUE(Indexer(first).Compact("").ok());
  ASSERT_TRUE(Indexer(second).Compact("").ok());
  const std::vector<std::string> a =
      testing::LiveSegmentPaths(store::Layout(first).UrlIndexDir("web", "1.0", ""));
  const std::vector<std::string> b =
      testing::LiveSegmentPaths(store::Layout(second).UrlIndexDir("web", "1.0", ""));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(testing::ReadFileOrDie(a[0]), testing::ReadFileOrDie(b[0]));
  EXPECT_EQ(Answers(), (std::vector<std::string>{IdOf(1), IdOf(3), IdOf(2)}));
}

TEST_F(IndexerTest, GcKeepsHeldBundles) {
  ASSERT_TRUE(Add({Bundle(1), Bundle(2)}, kT0).ok());
  ASSERT_TRUE(Indexer(store_).Hold(IdOf(1), true).ok());
  // A bundle's age counts from its latest add or use, its archive's modification time included:
  // date the archives an hour back so that both are past max_age 0.
  for (const auto& e : std::filesystem::recursive_directory_iterator(store_ + "/bundles")) {
    if (e.path().extension() == ".zip") {
      std::filesystem::last_write_time(
          e.path(), std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
    }
  }
  GcOptions gc;
  gc.max_age_ms = 0;
  absl::StatusOr<GcResult> result = Indexer(store_).Gc(gc);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->removed, (std::vector<std::string>{IdOf(2)}));
  EXPECT_EQ(Answers(), (std::vector<std::string>{IdOf(1)}));
}

TEST_F(IndexerTest, RebuildRestoresADeletedIndex) {
  ASSERT_TRUE(Add({Bundle(1)}, kT0).ok());
  ASSERT_TRUE(Add({Bundle(2)}, kT0 + 1).ok());
  ASSERT_TRUE(Indexer(store_).Compact("").ok());
  const std::string dir = store::Layout(store_).UrlIndexDir("web", "1.0", "");
  std::vector<std::string> live = testing::LiveSegmentPaths(dir);
  ASSERT_EQ(live.size(), 1u);
  const std::string compacted = testing::ReadFileOrDie(live[0]);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  ASSERT_FALSE(ec);
  EXPECT_TRUE(Answers().empty());
  absl::StatusOr<RebuildResult> rebuilt = Indexer(store_).Rebuild();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_TRUE(rebuilt->lost.empty());
  EXPECT_TRUE(rebuilt->recovered.empty() && rebuilt->set_aside.empty());
  live = testing::LiveSegmentPaths(dir);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(testing::ReadFileOrDie(live[0]), compacted);
  EXPECT_EQ(Answers(), (std::vector<std::string>{IdOf(2), IdOf(1)}));
}

}  // namespace
}  // namespace artidx
