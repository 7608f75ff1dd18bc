// DeleteGroups, gc's parallel deletion, over a local store.

#include "store/commit.h"

#include <filesystem>
#include <string>
#include <vector>

#include "common/strings.h"
#include "gtest/gtest.h"
#include "tests/testing.h"

namespace artidx::store {
namespace {

namespace fs = std::filesystem;

// A bundle's files, by name: an archive and two references.
std::vector<std::string> MakeGroup(const Layout& layout, int n) {
  const std::string dir = layout.BundleDir(StrCat("b", n)), refs = dir + "/refs";
  fs::create_directories(refs);
  testing::WriteFileOrDie(dir + "/a.zip", "zip");
  testing::WriteFileOrDie(refs + "/1.ref", "ref 1");
  testing::WriteFileOrDie(refs + "/2.ref", "ref 2");
  return {refs + "/1.ref", refs + "/2.ref", dir + "/a.zip"};
}

TEST(DeleteGroupsTest, DeletesEveryFileOfEveryGroupAndTheDirectoriesLeftEmpty) {
  testing::TempDir tmp;
  const Layout layout(tmp / "root");
  std::vector<std::vector<std::string>> groups;
  for (int n = 0; n < 3 * kDeleteConcurrency + 1; ++n) groups.push_back(MakeGroup(layout, n));
  groups.emplace_back();  // nothing to delete
  groups.push_back({layout.NameOf("bundles/missing"), layout.NameOf("bundles/x/gone")});
  ASSERT_TRUE(DeleteGroups(layout, groups).ok());
  EXPECT_TRUE(fs::is_empty(tmp / "root/bundles"));
  EXPECT_TRUE(DeleteGroups(layout, {}).ok());
}

// A group stops at its first failure: what follows it in the group stays.
TEST(DeleteGroupsTest, StopsAGroupAtItsFirstError) {
  testing::TempDir tmp;
  const Layout layout(tmp / "root");
  std::vector<std::string> group = MakeGroup(layout, 1);
  const std::string too_long = layout.NameOf(StrCat("bundles/", std::string(300, 'x')));
  group.insert(group.begin() + 1, too_long);
  const absl::Status s = DeleteGroups(layout, {group});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("xxxx"), std::string::npos) << s;
  EXPECT_FALSE(fs::exists(group[0]));
  EXPECT_TRUE(fs::exists(group[2]));
  EXPECT_TRUE(fs::exists(group[3]));
}

// A directory that gained a file the group does not name (a concurrent writer's) stays, with
// the file; the rest of the group is deleted.
TEST(DeleteGroupsTest, KeepsADirectoryThatGainedAFile) {
  testing::TempDir tmp;
  const Layout layout(tmp / "root");
  const std::vector<std::string> group = MakeGroup(layout, 1);
  const std::string added = layout.RefDir("b1") + "/3.ref";
  testing::WriteFileOrDie(added, "ref 3");
  ASSERT_TRUE(DeleteGroups(layout, {group}).ok());
  EXPECT_TRUE(fs::exists(added));
  EXPECT_FALSE(fs::exists(group[0]));
  EXPECT_FALSE(fs::exists(group[2]));
}

}  // namespace
}  // namespace artidx::store
