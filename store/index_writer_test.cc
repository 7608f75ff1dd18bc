// Unit tests of store/index_writer.h, the one write path of an index: publishing, the
// compaction policy, covers files and their grace period, sweeping temporary files, and
// rebuild's Replace.

#include "store/index_writer.h"

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "format/index_content.h"
#include "format/index_encoder.h"
#include "gtest/gtest.h"
#include "store/file_util.h"
#include "store/segments.h"
#include "tests/testing.h"

namespace artidx::store {
namespace {

using format::BundleEntry;
using format::IndexContent;

const format::IndexId kId{IndexKind::kDebugId, "web", "", ""};

// An index content holding bundle `id` at `timestamp_ms` (a tombstone when `removed`).
IndexContent One(const std::string& id, int64_t timestamp_ms, bool removed = false) {
  IndexContent content = format::EmptyIndex(kId);
  Sha1Digest sha1{};
  if (!removed) sha1 = Sha1Digest::Of(id);
  content.bundles.push_back(BundleEntry{id, timestamp_ms, sha1, removed, {}});
  return content;
}

TEST(IndexWriterTest, PublishWritesOneSegmentNamedByItsBytesAndRepeatsHarmlessly) {
  testing::TempDir dir;
  const Layout layout(dir.path());
  const IndexWriter writer(layout, dir / "index");
  absl::StatusOr<std::string> name = writer.Publish(One("a", 1));
  ASSERT_TRUE(name.ok()) << name.status();
  const std::string bytes = testing::ReadFileOrDie(StrCat(writer.dir(), "/", *name));
  EXPECT_EQ(*name, SegmentName(bytes));
  absl::StatusOr<std::string> again = writer.Publish(One("a", 1));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *name);
  EXPECT_EQ(*writer.ListFiles(), std::vector<std::string>{*name});
}

TEST(IndexWriterTest, PublishDoesNotCompactButPublishAndCompactKeepsASmallIndexOneSegment) {
  testing::TempDir dir;
  const Layout layout(dir.path());
  const IndexWriter writer(layout, dir / "index");
  ASSERT_TRUE(writer.Publish(One("a", 1)).ok());
  ASSERT_TRUE(writer.Publish(One("b", 2)).ok());
  EXPECT_EQ(ListSegments(layout, writer.dir())->size(), 2u);
  ASSERT_TRUE(writer.PublishAndCompact(One("c", 3)).ok());
  absl::StatusOr<std::vector<std::string>> live = ListSegments(layout, writer.dir());
  ASSERT_TRUE(live.ok()) << live.status();
  ASSERT_EQ(live->size(), 1u);
  // Without a grace period the covered segments are gone at once, with their covers file.
  EXPECT_EQ(*writer.ListFiles(), *live);
  absl::StatusOr<IndexContent> merged = writer.Merge();
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_EQ(merged->bundles.size(), 3u);
}

TEST(IndexWriterTest, CoveredSegmentsStayForTheGracePeriod) {
  testing::TempDir dir;
  const Layout layout(dir.path());
  const IndexWriter writer(layout, dir / "index", CompactionOptions{/*grace_ms=*/3600 * 1000});
  ASSERT_TRUE(writer.Publish(One("a", 1)).ok());
  ASSERT_TRUE(writer.PublishAndCompact(One("b", 2)).ok());
  // Two inputs, their output and its covers file: only the output is live.
  EXPECT_EQ(writer.ListFiles()->size(), 4u);
  EXPECT_EQ(ListSegments(layout, writer.dir())->size(), 1u);
  const std::vector<Covers> covers = *ReadCovers(layout, writer.dir());
  ASSERT_EQ(covers.size(), 1u);
  EXPECT_EQ(covers[0].segments.size(), 2u);
}

TEST(IndexWriterTest, FullCompactionDropsExpiredTombstones) {
  testing::TempDir dir;
  const Layout layout(dir.path());
  CompactionOptions options;
  options.tombstone_retention_ms = 1000;
  const IndexWriter writer(layout, dir / "index", options);
  ASSERT_TRUE(writer.Publish(One("old", 1, /*removed=*/true)).ok());
  ASSERT_TRUE(writer.Publish(One("kept", 2)).ok());
  ASSERT_TRUE(writer.Compact(/*full=*/true).ok());
  absl::StatusOr<IndexContent> merged = writer.Merge();
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_EQ(merged->bundles.size(), 1u);
  EXPECT_EQ(merged->bundles[0].bundle_id, "kept");
  EXPECT_GT(merged->horizon_ms, 1);
}

TEST(IndexWriterTest, CompactionSweepsOnlyOldTemporaryFilesThroughTheBackendsListing) {
  testing::TempDir dir;
  const Layout layout(dir.path());
  const IndexWriter writer(layout, dir / "index");
  ASSERT_TRUE(writer.Publish(One("a", 1)).ok());
  const std::string fresh = StrCat(writer.dir(), "/x.aix.tmp.1.0");
  const std::string stale = StrCat(writer.dir(), "/y.aix.tmp.1.1");
  testing::WriteFileOrDie(fresh, "partial");
  testing::WriteFileOrDie(stale, "partial");
  // Two hours old: past the hour a writer's temporary file may live.
  testing::SetMtimeMs(stale, NowMs() - 2 * 3600 * 1000);
  ASSERT_TRUE(writer.Compact(/*full=*/true).ok());
  EXPECT_TRUE(FileExists(fresh));
  EXPECT_FALSE(FileExists(stale));
}

TEST(IndexWriterTest, MergeNamesADamagedSegment) {
  testing::TempDir dir;
  const Layout layout(dir.path());
  const IndexWriter writer(layout, dir / "index");
  absl::StatusOr<std::string> name = writer.Publish(One("a", 1));
  ASSERT_TRUE(name.ok());
  const std::string path = StrCat(writer.dir(), "/", *name);
  std::string bytes = testing::ReadFileOrDie(path);
  bytes[bytes.size() / 2] ^= 1;
  testing::WriteFileOrDie(path, bytes);
  absl::StatusOr<IndexContent> merged = writer.Merge();
  EXPECT_EQ(merged.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(merged.status().message().find(path), std::string_view::npos) << merged.status();
}

TEST(IndexWriterTest, ReplaceRewritesADamagedCopyAndDeletesWhatItReplaces) {
  testing::TempDir dir;
  const Layout layout(dir.path());
  const IndexWriter writer(layout, dir / "index", CompactionOptions{/*grace_ms=*/3600 * 1000});
  ASSERT_TRUE(writer.Publish(One("a", 1)).ok());
  ASSERT_TRUE(writer.PublishAndCompact(One("b", 2)).ok());
  const std::vector<std::string> before = *writer.ListFiles();
  IndexContent content = One("a", 1);
  content.bundles.push_back(One("b", 2).bundles[0]);
  absl::StatusOr<std::string> bytes = format::EncodeIndex(content);
  ASSERT_TRUE(bytes.ok());
  // The replacement's file exists, damaged: Replace writes it again.
  const std::string name = SegmentName(*bytes);
  testing::WriteFileOrDie(StrCat(writer.dir(), "/", name), "damaged");
  std::vector<std::string> deleted;
  ASSERT_TRUE(writer.Replace(content, *writer.ListFiles(), &deleted).ok());
  EXPECT_EQ(*writer.ListFiles(), std::vector<std::string>{name});
  EXPECT_EQ(testing::ReadFileOrDie(StrCat(writer.dir(), "/", name)), *bytes);
  EXPECT_EQ(deleted.size(), before.size() - 1);
}

TEST(IndexWriterTest, DeleteRemovesTheFilesAndTheDirectoriesLeftEmpty) {
  testing::TempDir dir;
  const Layout layout(dir.path());
  const IndexWriter writer(layout, layout.DebugIdIndexDir("p"));
  ASSERT_TRUE(writer.Publish(One("a", 1)).ok());
  ASSERT_TRUE(writer.Delete(*writer.ListFiles()).ok());
  EXPECT_FALSE(FileExists(writer.dir()));
  EXPECT_FALSE(FileExists(layout.ProjectDir("p")));
  EXPECT_TRUE(FileExists(dir / "projects"));
}

}  // namespace
}  // namespace artidx::store
