// Unit tests of server::Tokens (server/tokens.h).

#include "server/tokens.h"

#include "gtest/gtest.h"

namespace artidx::server {
namespace {

using Access = Tokens::Access;

TEST(TokensTest, ParsesLinesAndChecksProjects) {
  absl::StatusOr<Tokens> t =
      Tokens::Parse("# comment\n\n  tok-a web,mobile  \ntok-b\t*\r\ntok-c sym\n", "tokens");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->size(), 3u);
  EXPECT_EQ(t->Check("Bearer tok-a", "web"), Access::kAllowed);
  EXPECT_EQ(t->Check("Bearer tok-a", "mobile"), Access::kAllowed);
  EXPECT_EQ(t->Check("bearer  tok-a ", "web"), Access::kAllowed);
  EXPECT_EQ(t->Check("Bearer tok-a", "sym"), Access::kForbidden);
  EXPECT_EQ(t->Check("Bearer tok-b", "anything"), Access::kAllowed);
  EXPECT_EQ(t->Check("Bearer tok-c", "web"), Access::kForbidden);
  for (const char* bad : {"", "Bearer", "Bearer ", "Bearer tok", "Bearer tok-a2", "Bearer tok-",
                          "Basic tok-a", "tok-a", "Bearer TOK-A", "Bearertok-a"}) {
    EXPECT_EQ(t->Check(bad, "web"), Access::kUnauthenticated) << bad;
  }
}

TEST(TokensTest, OnlyTokensMarkedWriteMayUploadAndOnlyToTheirProjects) {
  absl::StatusOr<Tokens> t =
      Tokens::Parse("ci web,mobile write\nall *\twrite \nread web\n", "tokens");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->Check("Bearer ci", "web"), Access::kAllowed);
  EXPECT_EQ(t->Check("Bearer ci", "web", true), Access::kAllowed);
  EXPECT_EQ(t->Check("Bearer ci", "sym", true), Access::kForbidden);
  EXPECT_EQ(t->Check("Bearer read", "web"), Access::kAllowed);
  EXPECT_EQ(t->Check("Bearer read", "web", true), Access::kForbidden);
  EXPECT_EQ(t->CheckWrite("Bearer ci", {"web", "mobile"}), Access::kAllowed);
  EXPECT_EQ(t->CheckWrite("Bearer ci", {"web", "sym"}), Access::kForbidden);
  EXPECT_EQ(t->CheckWrite("Bearer ci", {}), Access::kAllowed);
  EXPECT_EQ(t->CheckWrite("Bearer all", {"anything", "web"}), Access::kAllowed);
  EXPECT_EQ(t->CheckWrite("Bearer read", {}), Access::kForbidden);
  EXPECT_EQ(t->CheckWrite("Bearer nobody", {}), Access::kUnauthenticated);
}

TEST(TokensTest, RejectsInvalidFilesNamingTheLine) {
  for (const char* bad : {"tok-a web read\n", "tok-a web write write\n", "tok-a web mobile\n",
                          "tok-a\n", "tok-a web\ntok-a mobile\n", "tok-a bad/project\n",
                          "tok-a web,,mobile\n", "tok\x01 web\n", "tok-a ..\n"}) {
    absl::StatusOr<Tokens> t = Tokens::Parse(bad, "tokens");
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_TRUE(absl::IsInvalidArgument(t.status()));
    EXPECT_EQ(std::string(t.status().message()).rfind("tokens:", 0), 0u) << t.status();
    EXPECT_EQ(std::string(t.status().message()).find("tok-a"), std::string::npos) << t.status();
  }
  EXPECT_TRUE(Tokens::Parse("", "tokens").ok());
  EXPECT_FALSE(Tokens::Load("/nonexistent/tokens").ok());
}

}  // namespace
}  // namespace artidx::server
