#include "store/file_util.h"

#include <filesystem>
#include <string>
#include <vector>

#include "common/strings.h"
#include "gtest/gtest.h"
#include "tests/testing.h"

namespace artidx::store {
namespace {

namespace fs = std::filesystem;

// A bundle-like directory: an archive and references in a subdirectory.
std::vector<std::string> MakeGroup(const std::string& root, int n) {
  const std::string dir = StrCat(root, "/", n), refs = dir + "/refs";
  fs::create_directories(refs);
  testing::WriteFileOrDie(dir + "/a.zip", "zip");
  testing::WriteFileOrDie(refs + "/1.ref", "ref 1");
  testing::WriteFileOrDie(refs + "/2.ref", "ref 2");
  return {refs + "/1.ref", refs + "/2.ref", dir + "/a.zip", refs, dir};
}

TEST(RemoveGroupsTest, DeletesEveryPathOfEveryGroup) {
  testing::TempDir tmp;
  const std::string root = tmp / "root";
  std::vector<std::vector<std::string>> groups;
  for (int n = 0; n < 3 * kRemoveConcurrency + 1; ++n) groups.push_back(MakeGroup(root, n));
  groups.emplace_back();                                  // nothing to delete
  groups.push_back({root + "/missing", root + "/gone"});  // already gone
  ASSERT_TRUE(RemoveGroups(groups).ok());
  EXPECT_TRUE(fs::is_empty(root));
  EXPECT_TRUE(RemoveGroups({}).ok());
}

// A group stops at its first failure: what follows it in the group stays.
TEST(RemoveGroupsTest, StopsAGroupAtItsFirstError) {
  testing::TempDir tmp;
  const std::string root = tmp / "root";
  std::vector<std::string> group = MakeGroup(root, 1);
  const std::string too_long = StrCat(root, "/", std::string(300, 'x'));  // ENAMETOOLONG
  group.insert(group.begin() + 1, too_long);
  const absl::Status s = RemoveGroups({group});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("xxxx"), std::string::npos) << s;
  EXPECT_FALSE(fs::exists(group[0]));
  EXPECT_TRUE(fs::exists(group[2]));
  EXPECT_TRUE(fs::exists(group[3]));
}

// A directory that gained a file the group does not name (a concurrent writer's) stays, with
// the file; the rest of the group is deleted.
TEST(RemoveGroupsTest, KeepsADirectoryThatGainedAFile) {
  testing::TempDir tmp;
  const std::string root = tmp / "root";
  const std::vector<std::string> group = MakeGroup(root, 1);
  const std::string added = root + "/1/refs/3.ref";
  testing::WriteFileOrDie(added, "ref 3");
  ASSERT_TRUE(RemoveGroups({group}).ok());
  EXPECT_TRUE(fs::exists(added));
  EXPECT_FALSE(fs::exists(group[0]));
  EXPECT_FALSE(fs::exists(group[2]));
}

}  // namespace
}  // namespace artidx::store
