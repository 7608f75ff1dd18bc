// End-to-end tests of `artidx verify` and `artidx rebuild` (SPEC.md section 21) through the
// real binary, on a store built by many adds, a partial and a full removal and re-adds: verify
// says "ok" on it; every kind of damage (flipped bytes, truncation, a deleted index directory or
// segment, a garbage reference, a deleted archive, a stray segment of another index) makes it
// exit 1 naming the damaged file; rebuild restores the index directories byte for byte from the
// references and archives, and changes nothing on an undamaged store; a rebuild without an
// archive voids that bundle's adds, as repair on read would, and says so.
//
// One file of more than 600 lines: every test starts from the same built store (the
// VerifyRebuildTest fixture, built once) and damages it one way, then checks verify or rebuild.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "artidx/types.h"
#include "bundle/bundle_writer.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "store/layout.h"
#include "tests/testing.h"

namespace artidx {
namespace {

namespace fs = std::filesystem;
using testing::Artidx;
using testing::CommandResult;
using testing::FileIdOf;
using testing::IdOf;
using testing::TempDir;
using testing::Tree;
using testing::TreeDiff;

constexpr int64_t kT0 = 1'700'000'000'000;

struct UrlIndex {
  std::string project, release, dist;
};
// Every URL index the store below has.
const UrlIndex kUrlIndexes[] = {
    {"web", "1.0", ""}, {"web", "2.0", "web"}, {"web", "2.0", ""},
    {"web", "3.0", ""}, {"mobile", "1.0", ""}, {"mobile", "2.0", "web"},
};
constexpr int kIndexCount = 8;  // those and two debug-id indexes
// The references the operations below leave: every add's (one per index), less those the
// removals superseded, and one per index a removal removed the bundle from.
constexpr int kReferenceCount = 25;

// What the store answers: every index's bundles and files (inspect --files --json, per
// project), lookups of the shared url in every URL index, and of some own urls and debug ids.
// Stores compared with it live at the same path (inspect prints directories).
std::string Answers(const std::string& store) {
  std::string out;
  auto run = [&](std::vector<std::string> args) {
    CommandResult r = Artidx(store, args);
    StrAppend(&out, r.exit_code, " ", r.out, r.err);
  };
  for (const std::string project : {"web", "mobile"}) {
    run({"inspect", "--project", project, "--files", "--json"});
  }
  for (const UrlIndex& x : kUrlIndexes) {
    std::vector<std::string> args = {
        "lookup",    "--json",  "--project", x.project,
        "--release", x.release, "--url",     "https://x.example/static/app.js?v=1"};
    if (!x.dist.empty()) args.insert(args.end(), {"--dist", x.dist});
    run(args);
  }
  for (int n : {3, 8}) {
    run({"lookup", "--json", "--project", "web", "--release", "1.0", "--url",
         StrCat("~/static/own-", n, ".js")});
    run({"lookup", "--json", "--project", "web", "--debug-id", FileIdOf(n)});
  }
  return out;
}

// One built store, copied into a fresh working store by every test.
class VerifyRebuildTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    pristine_ = new std::string(*tmp_ / "pristine");
    const std::string& store = *pristine_;
    auto add = [&](int n, const std::vector<std::string>& projects, const std::string& release,
                   const std::string& dist, int64_t at, const std::string& salt = "") {
      const std::string path = *tmp_ / StrCat("b", n, salt, ".zip");
      testing::WriteFileOrDie(path, testing::MakeBundle(n, "", salt));
      std::vector<std::string> args = {"add", path, "--timestamp", StrCat(at)};
      for (const std::string& p : projects) args.insert(args.end(), {"--project", p});
      if (!release.empty()) args.insert(args.end(), {"--release", release});
      if (!dist.empty()) args.insert(args.end(), {"--dist", dist});
      CommandResult r = Artidx(store, args);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    };
    auto rm = [&](int n, std::vector<std::string> args) {
      args.insert(args.begin(), {"rm", IdOf(n)});
      CommandResult r = Artidx(store, args);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    };
    add(1, {"web"}, "1.0", "", kT0 + 1000);
    add(2, {"web"}, "1.0", "", kT0 + 2000);
    add(3, {"web", "mobile"}, "1.0", "", kT0 + 3000);
    add(4, {"web", "mobile"}, "2.0", "web", kT0 + 4000);
    add(5, {"web"}, "2.0", "", kT0 + 5000);
    add(6, {"mobile"}, "1.0", "", kT0 + 6000);
    add(7, {"web"}, "", "", kT0 + 7000);  // debug ids only
    add(8, {"web"}, "1.0", "", kT0 + 8000);
    add(8, {"web"}, "1.0", "", kT0 + 9000, "-v2");  // re-added with new contents
    add(9, {"web"}, "3.0", "", kT0 + 9500);
    rm(3, {"--project", "mobile", "--timestamp", StrCat(kT0 + 10'000)});  // partial
    rm(9, {"--timestamp", StrCat(kT0 + 11'000)});                         // full
    rm(4, {"--timestamp", StrCat(kT0 + 12'000)});                         // full ...
    add(4, {"web"}, "2.0", "web", kT0 + 13'000);                          // ... and back
  }
  static void TearDownTestSuite() {
    delete pristine_;
    delete tmp_;
  }

  void SetUp() override {
    ASSERT_TRUE(fs::exists(*pristine_));
    fs::copy(*pristine_, store_, fs::copy_options::recursive);
  }

  // A fresh copy of the pristine store at store_.
  void Reset() {
    fs::remove_all(store_);
    fs::copy(*pristine_, store_, fs::copy_options::recursive);
  }

  std::string UrlDir(const std::string& project, const std::string& release,
                     const std::string& dist = "") const {
    return store::Layout(store_).UrlIndexDir(project, release, dist);
  }
  std::string IdDir(const std::string& project) const {
    return store::Layout(store_).DebugIdIndexDir(project);
  }
  std::string Projects() const { return store_ + "/projects"; }

  // verify exits 1 and names every one of `names` (paths or file names), as text and as JSON.
  void ExpectVerifyNames(const std::vector<std::string>& names) {
    CommandResult text = Artidx(store_, {"verify"});
    EXPECT_EQ(text.exit_code, 1) << text.out << text.err;
    EXPECT_EQ(text.out.find("ok\n"), std::string::npos) << text.out;
    CommandResult json = Artidx(store_, {"verify", "--json"});
    EXPECT_EQ(json.exit_code, 1) << json.out << json.err;
    EXPECT_TRUE(json.out.starts_with("{\"problems\":[\"")) << json.out;
    for (const std::string& name : names) {
      EXPECT_NE(text.out.find(name), std::string::npos) << "verify does not name " << name << ":\n"
                                                        << text.out;
      EXPECT_NE(json.out.find(name), std::string::npos)
          << "verify --json does not name " << name << ":\n"
          << json.out;
    }
  }

  void ExpectVerifyOk() {
    CommandResult r = Artidx(store_, {"verify"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "ok\n");
    EXPECT_EQ(r.err, "");
    r = Artidx(store_, {"verify", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "{\"problems\":[]}\n");
  }

  // rebuild succeeds, and projects/ is again byte for byte what it was (so every answer is what
  // it was: IndexDamageIsReportedAndRebuilt compares them once, through the CLI).
  void ExpectRebuildRestores() {
    CommandResult r = Artidx(store_, {"rebuild"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    // A line per damaged segment set aside, then the summary, which says how many files it
    // deleted (the damaged ones) when it deleted any.
    const size_t last = r.out.rfind('\n', r.out.size() - 2) + 1;  // 0 when one line
    EXPECT_TRUE(r.out.substr(last).starts_with(
        StrCat("rebuilt ", kIndexCount, " indexes from ", kReferenceCount, " references")))
        << r.out;
    for (size_t start = 0, end; (end = r.out.find('\n', start)) < last; start = end + 1) {
      const std::string line = r.out.substr(start, end - start);
      EXPECT_TRUE(line.starts_with("set aside " + Projects())) << line;
      const std::string copy =
          line.substr(line.find(" as ") + 4, line.find(": ") - line.find(" as ") - 4);
      EXPECT_TRUE(copy.starts_with(store_ + "/quarantine/")) << line;
      EXPECT_TRUE(fs::exists(copy)) << line;
    }
    EXPECT_EQ(r.err, "");
    const auto after = Tree(Projects());
    EXPECT_TRUE(after == pristine_projects_) << TreeDiff(pristine_projects_, after);
    ExpectVerifyOk();
  }

  static TempDir* tmp_;
  static std::string* pristine_;
  TempDir work_;
  const std::string store_ = work_ / "store";
  // projects/ of the pristine store copied to store_, for ExpectRebuildRestores; set by the tests
  // that use it.
  std::map<std::string, std::string> pristine_projects_;
};

TempDir* VerifyRebuildTest::tmp_ = nullptr;
std::string* VerifyRebuildTest::pristine_ = nullptr;

void FlipByte(const std::string& path, int64_t offset) {
  std::string bytes = testing::ReadFileOrDie(path);
  const size_t at =
      static_cast<size_t>(offset < 0 ? static_cast<int64_t>(bytes.size()) + offset : offset);
  ASSERT_LT(at, bytes.size()) << path;
  bytes[at] = static_cast<char>(bytes[at] ^ 0x5a);
  testing::WriteFileOrDie(path, bytes);
}

void Truncate(const std::string& path, size_t size) {
  std::error_code ec;
  fs::resize_file(path, size, ec);
  ASSERT_FALSE(ec) << path << ": " << ec.message();
}

// The pristine store's state: verify says ok, and the layout is what the operations made.
TEST_F(VerifyRebuildTest, BuiltStoreVerifies) {
  ExpectVerifyOk();
  // Eight indexes of one segment each (the 3.0 index holds only bundle 9's tombstone).
  int indexes = 0;
  for (const std::string& dir : {IdDir("web"), IdDir("mobile")}) {
    testing::OnlySegmentPath(dir);
    ++indexes;
  }
  for (const UrlIndex& x : kUrlIndexes) {
    testing::OnlySegmentPath(UrlDir(x.project, x.release, x.dist));
    ++indexes;
  }
  EXPECT_EQ(indexes, kIndexCount);
  // Bundle 9 is gone with its archives; bundle 3 stays for web; bundle 4 is back.
  EXPECT_FALSE(fs::exists(store_ + "/bundles/" + IdOf(9)));
  EXPECT_TRUE(fs::exists(store_ + "/removals/" + IdOf(9)));
  EXPECT_TRUE(fs::exists(store_ + "/bundles/" + IdOf(3)));
  EXPECT_TRUE(fs::exists(store_ + "/removals/" + IdOf(3)));
  const std::string answers = Answers(store_);
  EXPECT_NE(answers.find(StrCat("\"bundle_id\":\"", IdOf(4), "\"")), std::string::npos);
  CommandResult r = Artidx(
      store_, {"lookup", "--project", "mobile", "--release", "1.0", "--url", "~/static/own-3.js"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  r = Artidx(store_,
             {"lookup", "--project", "web", "--release", "1.0", "--url", "~/static/own-3.js"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(VerifyRebuildTest, RebuildOfAnUndamagedStoreChangesNoByte) {
  const auto before = Tree(store_);
  CommandResult r = Artidx(store_, {"rebuild", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("{\"dry_run\":false,\"indexes\":[\"")) << r.out;
  EXPECT_TRUE(r.out.ends_with(StrCat("],\"deleted\":[],\"replayed\":", kReferenceCount,
                                     ",\"recovered\":[],\"set_aside\":[],\"lost\":[]}\n")))
      << r.out;
  const auto after = Tree(store_);
  EXPECT_TRUE(after == before) << TreeDiff(before, after);
  r = Artidx(store_, {"rebuild"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            StrCat("rebuilt ", kIndexCount, " indexes from ", kReferenceCount, " references\n"));
  EXPECT_EQ(r.err, "");
  const auto again = Tree(store_);
  EXPECT_TRUE(again == before) << TreeDiff(before, again);
}

// Damage to the index files: each is reported by verify, naming the file, and undone by rebuild.
TEST_F(VerifyRebuildTest, IndexDamageIsReportedAndRebuilt) {
  pristine_projects_ = Tree(Projects());
  const std::string pristine_answers = Answers(store_);
  struct Damage {
    std::string name;
    // Damages store_; returns what verify must name.
    std::function<std::vector<std::string>()> apply;
  };
  const auto flip = [this](std::string dir, int64_t offset) {
    return [this, dir, offset] {
      const std::string segment = testing::OnlySegmentPath(dir);
      FlipByte(segment, offset);
      return std::vector<std::string>{segment};
    };
  };
  const auto truncate = [this](std::string dir, int64_t size_or_minus) {
    return [this, dir, size_or_minus] {
      const std::string segment = testing::OnlySegmentPath(dir);
      const auto size = static_cast<int64_t>(fs::file_size(segment));
      Truncate(segment,
               static_cast<size_t>(size_or_minus < 0 ? size + size_or_minus : size_or_minus));
      return std::vector<std::string>{segment};
    };
  };
  // A valid segment of another index, dropped into `dir`: named by its file name.
  const auto stray = [this](std::string from, std::string dir) {
    return [this, from, dir] {
      const std::string foreign = testing::OnlySegmentPath(from);
      const std::string name = fs::path(foreign).filename().string();
      fs::copy_file(foreign, dir + "/" + name);
      return std::vector<std::string>{name};
    };
  };
  const std::string web1 = UrlDir("web", "1.0"), web2 = UrlDir("web", "2.0", "web");
  const std::string web3 = UrlDir("web", "3.0"), mobile1 = UrlDir("mobile", "1.0");
  const std::string web_ids = IdDir("web"), mobile_ids = IdDir("mobile");
  const Damage damages[] = {
      {"flip magic", flip(web1, 0)},
      {"flip version", flip(web_ids, 9)},
      {"flip kind", flip(mobile1, 10)},
      {"flip bundle_count", flip(web2, 48)},
      {"flip section table", flip(web1, 64 + 16 * 5)},
      {"flip first bundle record", flip(web_ids, 184 + 3)},
      {"flip the middle", flip(web1, 400)},
      {"flip last body byte", flip(mobile_ids, -9)},
      {"flip checksum", flip(web1, -1)},
      {"flip tombstone-only index", flip(web3, 200)},
      {"truncate to nothing", truncate(web1, 0)},
      {"truncate inside the header", truncate(web_ids, 100)},
      {"truncate the footer", truncate(web2, -8)},
      {"truncate one byte", truncate(mobile_ids, -1)},
      {"append garbage",
       [&] {
         const std::string segment = testing::OnlySegmentPath(web1);
         std::string bytes = testing::ReadFileOrDie(segment);
         testing::WriteFileOrDie(segment, bytes + std::string(8, '\0'));
         return std::vector<std::string>{segment};
       }},
      {"delete the only segment",
       [&] {
         const std::string segment = testing::OnlySegmentPath(mobile_ids);
         fs::remove(segment);
         return std::vector<std::string>{mobile_ids};
       }},
      {"stray URL segment of another release", stray(web2, web1)},
      {"stray URL segment of another project", stray(mobile1, web1)},
      {"stray debug-id segment of another project", stray(mobile_ids, web_ids)},
      {"stray URL segment in a debug-id index", stray(web3, web_ids)},
      {"stray debug-id segment in a URL index", stray(web_ids, mobile1)},
  };
  for (const Damage& damage : damages) {
    SCOPED_TRACE(damage.name);
    Reset();
    const std::vector<std::string> names = damage.apply();
    ExpectVerifyNames(names);
    ExpectRebuildRestores();
  }
  // The last damage's rebuild answers as the pristine store (as every rebuild must, having
  // restored projects/ byte for byte; stores compared so live at the same path).
  EXPECT_EQ(Answers(store_), pristine_answers);
}

// An index directory that references name but that is gone is a problem verify reports.
TEST_F(VerifyRebuildTest, DeletedIndexDirectoryIsReported) {
  const std::string dir = UrlDir("web", "1.0");
  fs::remove_all(dir);
  ExpectVerifyNames({dir});
}

TEST_F(VerifyRebuildTest, DeletedIndexDirectoryIsRebuilt) {
  pristine_projects_ = Tree(Projects());
  fs::remove_all(UrlDir("web", "1.0"));
  CommandResult r = Artidx(
      store_, {"lookup", "--project", "web", "--release", "1.0", "--url", "~/static/app.js"});
  EXPECT_EQ(r.exit_code, 1);
  fs::remove_all(IdDir("mobile"));
  fs::remove_all(Projects() + "/web/urls");
  ExpectRebuildRestores();
}

// A stray directory no reference names (an index of a project never added to) goes.
TEST_F(VerifyRebuildTest, RebuildDeletesAnIndexNoReferenceNames) {
  pristine_projects_ = Tree(Projects());
  const std::string stray = store::Layout(store_).UrlIndexDir("ghost", "1.0", "");
  fs::create_directories(stray);
  fs::copy_file(
      testing::OnlySegmentPath(UrlDir("web", "1.0")),
      stray + "/" + fs::path(testing::OnlySegmentPath(UrlDir("web", "1.0"))).filename().string());
  CommandResult r = Artidx(store_, {"rebuild", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(StrCat("\"deleted\":[\"", stray, "\"]")), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(stray));
  // The empty project directory may stay; the index directories are what they were.
  auto after = Tree(Projects());
  std::erase_if(after, [](const auto& entry) { return entry.first.starts_with("ghost"); });
  EXPECT_TRUE(after == pristine_projects_) << TreeDiff(pristine_projects_, after);
}

// A reference that is not one: verify names it and the segment rebuild recovers it from;
// rebuild sets it aside in the quarantine, restores its exact bytes from the segment record of
// its operation (its name is their SHA-1), and the store is again what it was.
TEST_F(VerifyRebuildTest, GarbageReferences) {
  pristine_projects_ = Tree(Projects());
  std::vector<std::string> refs;
  for (const auto& entry : fs::directory_iterator(store_ + "/bundles/" + IdOf(2) + "/refs")) {
    refs.push_back(entry.path().string());
  }
  ASSERT_FALSE(refs.empty());
  const std::string valid = testing::ReadFileOrDie(refs[0]);
  std::string other_timestamp = valid;  // valid text, but not the bytes the name hashes
  other_timestamp[other_timestamp.size() - 2] ^= 1;
  const struct {
    std::string name;
    std::string text;
  } garbage[] = {
      {"binary", std::string("\x00\xff\x13garbage", 10)},
      {"empty", ""},
      {"unknown op",
       "op=frobnicate\nkind=url\nproject=web\nrelease=1.0\ndist=\narchive=\ntimestamp=1\n"},
      {"no final newline", valid.substr(0, valid.size() - 1)},
      {"a line added", valid + "extra=1\n"},
      {"another valid reference", other_timestamp},
  };
  for (const auto& g : garbage) {
    SCOPED_TRACE(g.name);
    Reset();
    const auto pristine = Tree(store_);
    testing::WriteFileOrDie(refs[0], g.text);
    ExpectVerifyNames({refs[0]});
    CommandResult v = Artidx(store_, {"verify"});
    EXPECT_NE(v.out.find(StrCat(refs[0], ": invalid reference")), std::string::npos) << v.out;
    EXPECT_NE(v.out.find("; rebuild recovers its operation from " + Projects()), std::string::npos)
        << v.out;
    // --dry-run says the same and changes nothing.
    const auto damaged = Tree(store_);
    CommandResult dry = Artidx(store_, {"rebuild", "--dry-run"});
    EXPECT_EQ(dry.exit_code, 0) << dry.out << dry.err;
    EXPECT_NE(dry.out.find(StrCat("recovered ", refs[0], " from ")), std::string::npos) << dry.out;
    EXPECT_NE(dry.out.find(StrCat("would set aside ", refs[0], ": ")), std::string::npos)
        << dry.out;
    EXPECT_TRUE(Tree(store_) == damaged);

    CommandResult r = Artidx(store_, {"rebuild"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(r.out.starts_with(StrCat("recovered ", refs[0], " from " + Projects()))) << r.out;
    EXPECT_NE(r.out.find(StrCat("set aside ", refs[0], " as ", store_, "/quarantine/")),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find(StrCat(kReferenceCount - 1, " references and 1 operations recovered")),
              std::string::npos)
        << r.out;
    EXPECT_EQ(testing::ReadFileOrDie(refs[0]), valid);
    // Everything is as before but the quarantine, which holds the damaged bytes.
    auto after = Tree(store_);
    std::vector<std::string> quarantined;
    for (auto it = after.begin(); it != after.end();) {
      if (it->first != "quarantine" && !it->first.starts_with("quarantine/")) {
        ++it;
        continue;
      }
      if (it->second == "<dir>") {
        it = after.erase(it);
        continue;
      }
      EXPECT_TRUE(it->first.ends_with(refs[0].substr(store_.size()))) << it->first;
      EXPECT_EQ(it->second, g.text);
      quarantined.push_back(it->first);
      it = after.erase(it);
    }
    EXPECT_EQ(quarantined.size(), 1u);
    EXPECT_TRUE(after == pristine) << TreeDiff(pristine, after);
    ExpectVerifyOk();
  }
  // A removal reference, too.
  Reset();
  std::vector<std::string> removals;
  for (const auto& entry : fs::directory_iterator(store_ + "/removals/" + IdOf(9))) {
    removals.push_back(entry.path().string());
  }
  ASSERT_FALSE(removals.empty());
  const std::string removal = testing::ReadFileOrDie(removals[0]);
  testing::WriteFileOrDie(removals[0], "op=remove\n");
  ExpectVerifyNames({removals[0]});
  CommandResult r = Artidx(store_, {"rebuild"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(testing::ReadFileOrDie(removals[0]), removal);
  ExpectVerifyOk();
  // A stray file without the .ref suffix is no reference and no problem.
  Reset();
  testing::WriteFileOrDie(store_ + "/bundles/" + IdOf(2) + "/refs/notes.txt", "hello");
  testing::WriteFileOrDie(refs[0] + ".tmp.1.0", "half a ref");
  ExpectVerifyOk();
}

// An archive deleted while references and indexes still name it: verify names it; rebuild
// turns that bundle's adds into tombstones at their own timestamps (its lookups disappear, as a
// removal at the add's timestamp would make them) and says so on stderr.
TEST_F(VerifyRebuildTest, DeletedArchive) {
  std::vector<std::string> archives;
  for (const auto& entry : fs::directory_iterator(store_ + "/bundles/" + IdOf(5))) {
    if (entry.path().extension() == ".zip") archives.push_back(entry.path().string());
  }
  ASSERT_EQ(archives.size(), 1u);
  fs::remove(archives[0]);
  ExpectVerifyNames({archives[0], UrlDir("web", "2.0"), IdDir("web")});

  // What a removal of bundle 5 at its add's timestamp makes of the indexes.
  const std::string expected_store = work_ / "expected";
  fs::copy(*pristine_, expected_store, fs::copy_options::recursive);
  CommandResult r = Artidx(expected_store, {"rm", IdOf(5), "--timestamp", StrCat(kT0 + 5000)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto expected_projects = Tree(expected_store + "/projects");
  ASSERT_TRUE(expected_projects != Tree(Projects()));

  // The two adds of bundle 5 (web's debug-id index and (web, 2.0)) are lost: exit 1, a line
  // each naming the archive, then the summary.
  r = Artidx(store_, {"rebuild"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r.out;
  for (size_t start = 0, i = 0; i < 2; ++i) {
    const size_t end = r.out.find('\n', start);
    const std::string line = r.out.substr(start, end - start);
    start = end + 1;
    EXPECT_TRUE(line.starts_with(StrCat("lost add of bundle ", IdOf(5), " at "))) << line;
    EXPECT_NE(line.find(archives[0] + ": missing"), std::string::npos) << line;
  }
  EXPECT_NE(r.out.find(StrCat("rebuilt ", kIndexCount, " indexes from ")), std::string::npos)
      << r.out;
  EXPECT_TRUE(r.out.ends_with("; lost 2 operations\n")) << r.out;
  const auto after = Tree(Projects());
  EXPECT_TRUE(after == expected_projects) << TreeDiff(expected_projects, after);

  // Bundle 5's lookups are gone; nothing else changed.
  r = Artidx(store_,
             {"lookup", "--project", "web", "--release", "2.0", "--url", "~/static/own-5.js"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  r = Artidx(store_, {"lookup", "--project", "web", "--debug-id", FileIdOf(5)});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  r = Artidx(store_, {"lookup", "--json", "--project", "web", "--release", "2.0", "--url",
                      "~/static/app.js"});
  EXPECT_EQ(r.exit_code, 1) << r.out;  // bundle 5 was the only one in (web, 2.0, "")
  // inspect answers equal those of the removal, but for the directory the store lives in.
  for (const std::string project : {"web", "mobile"}) {
    CommandResult got = Artidx(store_, {"inspect", "--project", project, "--files", "--json"});
    CommandResult want =
        Artidx(expected_store, {"inspect", "--project", project, "--files", "--json"});
    std::string normalised = want.out;
    for (size_t at; (at = normalised.find(expected_store)) != std::string::npos;) {
      normalised.replace(at, expected_store.size(), store_);
    }
    EXPECT_EQ(got.out, normalised);
  }

  // The references still name the missing archive: verify says so, and only that.
  CommandResult v = Artidx(store_, {"verify"});
  EXPECT_EQ(v.exit_code, 1) << v.out;
  size_t lines = 0;
  for (size_t start = 0, end; (end = v.out.find('\n', start)) != std::string::npos;
       start = end + 1) {
    const std::string line = v.out.substr(start, end - start);
    ++lines;
    EXPECT_TRUE(line.starts_with(store_ + "/bundles/" + IdOf(5) + "/refs/")) << line;
    EXPECT_NE(line.find(archives[0]), std::string::npos) << line;
  }
  EXPECT_GE(lines, 1u);
  // Rebuilding again changes nothing more.
  const auto once = Tree(store_);
  r = Artidx(store_, {"rebuild"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto twice = Tree(store_);
  EXPECT_TRUE(twice == once) << TreeDiff(once, twice);
}

// An archive that cannot be read (here a directory where the file should be: EISDIR) is an
// I/O error, not a loss: rebuild stops with it and leaves the indexes as they were, instead of
// voiding the add of an archive that may be intact.
TEST_F(VerifyRebuildTest, UnreadableArchiveStopsRebuildWithoutVoidingTheAdd) {
  std::vector<std::string> archives;
  for (const auto& entry : fs::directory_iterator(store_ + "/bundles/" + IdOf(5))) {
    if (entry.path().extension() == ".zip") archives.push_back(entry.path().string());
  }
  ASSERT_EQ(archives.size(), 1u);
  fs::remove(archives[0]);
  fs::create_directory(archives[0]);
  const auto before = Tree(Projects());
  CommandResult r = Artidx(store_, {"rebuild"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(archives[0]), std::string::npos) << r.err;
  const auto after = Tree(Projects());
  EXPECT_TRUE(after == before) << TreeDiff(before, after);
}

// Several kinds of damage at once: verify names every damaged file.
TEST_F(VerifyRebuildTest, VerifyNamesEveryProblemAtOnce) {
  const std::string flipped = testing::OnlySegmentPath(UrlDir("web", "1.0"));
  FlipByte(flipped, 300);
  const std::string truncated = testing::OnlySegmentPath(IdDir("web"));
  Truncate(truncated, 200);
  const std::string foreign = testing::OnlySegmentPath(UrlDir("web", "3.0"));
  const std::string foreign_name = fs::path(foreign).filename().string();
  fs::copy_file(foreign, UrlDir("mobile", "1.0") + "/" + foreign_name);
  std::string ref;
  for (const auto& entry : fs::directory_iterator(store_ + "/bundles/" + IdOf(1) + "/refs")) {
    ref = entry.path().string();
  }
  testing::WriteFileOrDie(ref, "garbage\n");
  std::string archive;
  for (const auto& entry : fs::directory_iterator(store_ + "/bundles/" + IdOf(6))) {
    if (entry.path().extension() == ".zip") archive = entry.path().string();
  }
  fs::remove(archive);
  ExpectVerifyNames({flipped, truncated, foreign_name, ref, archive});
  CommandResult r = Artidx(store_, {"verify"});
  EXPECT_GE(std::count(r.out.begin(), r.out.end(), '\n'), 5) << r.out;
  // Each line says what rebuild does about it. (The reference's operation is in the flipped
  // URL segment, whose damage spares its record, or in the truncated debug-id segment.)
  for (size_t start = 0, end; (end = r.out.find('\n', start)) != std::string::npos;
       start = end + 1) {
    const std::string line = r.out.substr(start, end - start);
    std::vector<std::string> says = {"; rebuild "};
    if (line.starts_with(flipped) || line.starts_with(truncated)) {
      says = {"; rebuild recovers the index from the references"};
    } else if (line.starts_with(ref)) {
      says = {"; rebuild recovers its operation from " + flipped,
              "; rebuild cannot recover it: no segment records its operation"};
    } else if (line.find(archive) != std::string::npos) {
      says = {"; rebuild cannot recover the add (the archive is the only copy of its files)"};
    }
    EXPECT_TRUE(std::any_of(says.begin(), says.end(), [&](const std::string& s) {
      return line.find(s) != std::string::npos;
    })) << line;
  }
}

}  // namespace
}  // namespace artidx
