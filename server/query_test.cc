// Unit tests of server::ParseTarget (server/query.h).

#include "server/query.h"

#include <string>

#include "gtest/gtest.h"

namespace artidx::server {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

TEST(ParseTargetTest, DecodesPathAndRepeatedParametersInOrder) {
  absl::StatusOr<Target> t = ParseTarget(
      "/api/0/projects/o/p/artifact-lookup/?release=shop%402.4.0&url=%2Fa&url=/b+c&&debug_id=X&"
      "dist&=v");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->raw_path, "/api/0/projects/o/p/artifact-lookup/");
  EXPECT_EQ(t->path, "/api/0/projects/o/p/artifact-lookup/");
  EXPECT_EQ(t->params, (Params{{"release", "shop@2.4.0"},
                               {"url", "/a"},
                               {"url", "/b c"},
                               {"debug_id", "X"},
                               {"dist", ""},
                               {"", "v"}}));
  EXPECT_EQ(t->All("url"), (std::vector<std::string_view>{"/a", "/b c"}));
  EXPECT_TRUE(t->All("missing").empty());
  EXPECT_EQ(t->Single("release").value(), "shop@2.4.0");
  EXPECT_EQ(t->Single("missing").value(), std::nullopt);
  EXPECT_TRUE(absl::IsInvalidArgument(t->Single("url").status()));
}

TEST(ParseTargetTest, PathIsDecodedButPlusStaysInIt) {
  absl::StatusOr<Target> t = ParseTarget("/a%20b+c/%E2%9C%93");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->raw_path, "/a%20b+c/%E2%9C%93");
  EXPECT_EQ(t->path, "/a b+c/\xE2\x9C\x93");
  EXPECT_TRUE(t->params.empty());
}

TEST(ParseTargetTest, RejectsMalformedTargets) {
  for (std::string bad :
       {"", "api/x", "/a#b", "/a?x=%", "/a?x=%4", "/a?x=%zz", "/%G0", "/a?x=%00", "/a?x=%0A",
        "/a?x=%7F", "/a?x=%C0%80", "/a?x=%ED%A0%80", "/a?x=%FF", "/a?%01=1"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseTarget(bad).status())) << bad;
  }
  std::string many = "/a?";
  for (size_t i = 0; i <= kMaxParams; ++i) many += "p=1&";
  EXPECT_TRUE(absl::IsInvalidArgument(ParseTarget(many).status()));
  EXPECT_TRUE(ParseTarget(many.substr(0, many.size() - 4)).ok());
  EXPECT_TRUE(
      absl::IsInvalidArgument(ParseTarget("/" + std::string(kMaxTargetBytes, 'a')).status()));
}

}  // namespace
}  // namespace artidx::server
