// Unit tests of store/segments.h: segment names, live segments and covers files (SPEC.md 18.2),
// opening an index's segments, and checking every segment file.

#include "store/segments.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/strings.h"
#include "format/index_content.h"
#include "format/index_encoder.h"
#include "gtest/gtest.h"
#include "store/file_util.h"
#include "tests/testing.h"

namespace artidx::store {
namespace {

using V = std::vector<std::string>;

std::string Segment(const std::string& bundle_id) {
  format::IndexContent content = format::EmptyIndex({IndexKind::kDebugId, "web", "", ""});
  content.bundles.push_back(
      format::BundleEntry{bundle_id, 1, Sha1Digest::Of(bundle_id), false, {}});
  absl::StatusOr<std::string> bytes = format::EncodeIndex(content);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : "";
}

TEST(SegmentsTest, NameIsTheDigestOfTheBytes) {
  const std::string name = SegmentName("abc");
  EXPECT_EQ(name.size(), 32 + kSegmentSuffix.size());
  EXPECT_TRUE(name.ends_with(kSegmentSuffix));
  EXPECT_EQ(name, SegmentName("abc"));
  EXPECT_NE(name, SegmentName("abd"));
}

TEST(SegmentsTest, PublishIsIdempotentAndListsSorted) {
  testing::TempDir dir;
  const Layout layout(dir.path());
  const std::string index = dir / "index";
  EXPECT_TRUE(ListSegments(layout, index)->empty());
  absl::StatusOr<std::string> a = PublishSegment(layout, index, Segment("a"));
  absl::StatusOr<std::string> b = PublishSegment(layout, index, Segment("b"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*PublishSegment(layout, index, Segment("a")), *a);
  V expected = {*a, *b};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*ListSegments(layout, index), expected);
  // Other files are not segments.
  testing::WriteFileOrDie(StrCat(index, "/notes.txt"), "x");
  testing::WriteFileOrDie(StrCat(index, "/", *a, ".tmp.1.2"), "partial");
  EXPECT_EQ(*ListSegments(layout, index), expected);
}

TEST(SegmentsTest, ACoverCountsWhileItsOutputExists) {
  testing::TempDir dir;
  const Layout layout(dir.path());
  const std::string index = dir / "index";
  const std::string a = *PublishSegment(layout, index, Segment("a"));
  const std::string b = *PublishSegment(layout, index, Segment("b"));
  ASSERT_TRUE(WriteCovers(layout, index, b, StrCat(a, "\nnot a segment\n")).ok());
  EXPECT_EQ(*ListSegments(layout, index), V{b});
  const std::vector<Covers> covers = *ReadCovers(layout, index);
  ASSERT_EQ(covers.size(), 1u);
  EXPECT_EQ(covers[0].output, b);
  EXPECT_EQ(covers[0].segments, V{a});
  // Without its output, the cover covers nothing.
  ASSERT_TRUE(RemoveFile(StrCat(index, "/", b)).ok());
  EXPECT_EQ(*ListSegments(layout, index), V{a});
}

TEST(SegmentsTest, OpenSegmentsOpensTheLiveOnes) {
  testing::TempDir dir;
  const Layout layout(dir.path());
  const std::string index = dir / "index";
  absl::StatusOr<std::vector<OpenSegment>> none = OpenSegments(layout, index);
  EXPECT_TRUE(absl::IsNotFound(none.status())) << none.status();
  const std::string a = *PublishSegment(layout, index, Segment("a"));
  const std::string b = *PublishSegment(layout, index, Segment("b"));
  ASSERT_TRUE(WriteCovers(layout, index, b, a + "\n").ok());
  absl::StatusOr<std::vector<OpenSegment>> open = OpenSegments(layout, index);
  ASSERT_TRUE(open.ok()) << open.status();
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].name, b);
}

TEST(SegmentsTest, CheckSegmentFilesNamesEachDamagedOneLiveOrCovered) {
  testing::TempDir dir;
  const Layout layout(dir.path());
  const std::string index = dir / "index";
  const std::string a = *PublishSegment(layout, index, Segment("a"));
  const std::string b = *PublishSegment(layout, index, Segment("b"));
  ASSERT_TRUE(WriteCovers(layout, index, b, a + "\n").ok());
  EXPECT_TRUE(CheckSegmentFiles(layout, index)->empty());
  // The covered segment is still read until it is deleted: it is checked too.
  std::string bytes = testing::ReadFileOrDie(StrCat(index, "/", a));
  bytes[bytes.size() - 1] ^= 1;
  testing::WriteFileOrDie(StrCat(index, "/", a), bytes);
  const V problems = *CheckSegmentFiles(layout, index);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(problems[0].starts_with(StrCat(index, "/", a, ": "))) << problems[0];
}

}  // namespace
}  // namespace artidx::store
