// Unit tests of store/refs.h: the references' canonical text, writing and reading them, and
// the walk over every bundle's references that gc, rebuild and verify share.

#include "store/refs.h"

#include <string>
#include <vector>

#include "common/strings.h"
#include "gtest/gtest.h"
#include "store/file_util.h"
#include "store/layout.h"
#include "tests/testing.h"

namespace artidx::store {
namespace {

Ref Add(const std::string& project, int64_t timestamp_ms) {
  return Ref{false, {IndexKind::kUrl, project, "1.0", "d"}, Sha1Digest::Of(project), timestamp_ms};
}

Ref Removal(const std::string& project, int64_t timestamp_ms) {
  return Ref{true, {IndexKind::kDebugId, project, "", ""}, {}, timestamp_ms};
}

TEST(RefTest, EncodesCanonicallyAndDecodesBack) {
  const Ref ref = Add("web", 42);
  const std::string text = EncodeRef(ref);
  EXPECT_EQ(text, StrCat("op=add\nkind=url\nproject=web\nrelease=1.0\ndist=d\narchive=",
                         Sha1Digest::Of("web").Hex(), "\ntimestamp=42\n"));
  absl::StatusOr<Ref> back = DecodeRef("r", text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(EncodeRef(*back), text);
  absl::StatusOr<Ref> removal = DecodeRef("r", EncodeRef(Removal("web", 7)));
  ASSERT_TRUE(removal.ok()) << removal.status();
  EXPECT_TRUE(removal->removal);
}

TEST(RefTest, RejectsAnythingButTheCanonicalText) {
  const std::string text = EncodeRef(Add("web", 42));
  for (const std::string& bad :
       {text + "extra=1\n", text.substr(0, text.size() - 1), "op=add\n" + text,
        StrCat("kind=url\nop=add\n", text.substr(text.find("project="))), std::string("")}) {
    absl::StatusOr<Ref> ref = DecodeRef("the/ref", bad);
    EXPECT_EQ(ref.status().code(), absl::StatusCode::kDataLoss) << bad;
    EXPECT_NE(ref.status().message().find("the/ref"), std::string_view::npos);
  }
}

TEST(RefTest, WriteIsIdempotentAndReadSortsByPath) {
  testing::TempDir dir;
  const Layout layout(dir.path());
  const std::string refs = dir / "refs";
  ASSERT_TRUE(WriteRef(layout, refs, Add("a", 1)).ok());
  ASSERT_TRUE(WriteRef(layout, refs, Add("a", 1)).ok());
  ASSERT_TRUE(WriteRef(layout, refs, Add("b", 2)).ok());
  absl::StatusOr<std::vector<std::pair<std::string, Ref>>> read = ReadRefs(layout, refs);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_LT((*read)[0].first, (*read)[1].first);
  EXPECT_TRUE(ReadRefs(layout, dir / "none")->empty());
}

TEST(RefWalkTest, VisitsEveryBundleIdInOrderWithItsReferences) {
  testing::TempDir dir;
  const Layout layout(dir.path());
  ASSERT_TRUE(WriteRef(layout, layout.RefDir("b"), Add("web", 1)).ok());
  ASSERT_TRUE(WriteRef(layout, layout.RefDir("a"), Add("web", 2)).ok());
  ASSERT_TRUE(WriteRef(layout, layout.RefDir("a"), Add("app", 3)).ok());
  ASSERT_TRUE(WriteRef(layout, layout.RemovalDir("c"), Removal("web", 4)).ok());

  std::vector<std::string> ids;
  size_t refs = 0;
  for (RefWalk walk(layout, RefWalk::Of::kAdds); walk.Next();) {
    ids.push_back(walk.bundle_id());
    EXPECT_EQ(walk.dir(), layout.RefDir(walk.bundle_id()));
    absl::StatusOr<std::vector<std::pair<std::string, Ref>>> read = walk.Refs();
    ASSERT_TRUE(read.ok()) << read.status();
    for (const auto& [path, ref] : *read) EXPECT_FALSE(ref.removal) << path;
    refs += read->size();
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(refs, 3u);

  ids.clear();
  for (RefWalk walk(layout, RefWalk::Of::kRemovals); walk.Next();) {
    ids.push_back(walk.bundle_id());
    absl::StatusOr<std::vector<std::pair<std::string, Ref>>> read = walk.Refs();
    ASSERT_TRUE(read.ok()) << read.status();
    ASSERT_EQ(read->size(), 1u);
    EXPECT_TRUE(read->front().second.removal);
  }
  EXPECT_EQ(ids, std::vector<std::string>{"c"});
}

TEST(RefWalkTest, AnEmptyStoreHasNothingToWalk) {
  testing::TempDir dir;
  const Layout layout(dir / "missing");
  EXPECT_FALSE(RefWalk(layout, RefWalk::Of::kAdds).Next());
  EXPECT_FALSE(RefWalk(layout, RefWalk::Of::kRemovals).Next());
}

TEST(RefWalkTest, ADamagedReferenceIsAnErrorOfItsBundleOnly) {
  testing::TempDir dir;
  const Layout layout(dir.path());
  ASSERT_TRUE(WriteRef(layout, layout.RefDir("a"), Add("web", 1)).ok());
  ASSERT_TRUE(MakeDirs(layout.RefDir("b")).ok());
  testing::WriteFileOrDie(StrCat(layout.RefDir("b"), "/x.ref"), "op=nonsense\n");
  RefWalk walk(layout, RefWalk::Of::kAdds);
  ASSERT_TRUE(walk.Next());
  EXPECT_TRUE(walk.Refs().ok());
  ASSERT_TRUE(walk.Next());
  EXPECT_EQ(walk.Refs().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(walk.Next());
}

}  // namespace
}  // namespace artidx::store
