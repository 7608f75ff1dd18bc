// End-to-end tests of the indexer's promise: the same set of adds, in any order and any number
// of times, leaves byte-identical indexes (each small index is one segment, merged whole after
// every write) and a byte-identical store; within one index a bundle id names one
// contribution, the one with the greatest (timestamp, archive SHA-1).
//
// The adds are the fixtures of shared/fixtures plus bundles made here with bundle::WriteBundle:
// two contents under one bundle id at different timestamps, two at one timestamp, and one
// bundle added to several releases and projects.
//
// One file of more than 600 lines: its six tests share the orderings and the byte-for-byte
// store comparison that make up most of it; apart they would each carry a copy.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "artidx/indexer.h"
#include "artidx/lookup.h"
#include "artidx/types.h"
#include "bundle/bundle_writer.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "tests/testing.h"

namespace artidx {
namespace {

namespace fs = std::filesystem;
using ::artidx::testing::FixturePath;
using ::artidx::testing::ReadFileOrDie;
using ::artidx::testing::RunCli;
using ::artidx::testing::TempDir;
using ::artidx::testing::WriteFileOrDie;

constexpr char kX[] = "aaaaaaaa-0000-4000-8000-000000000001";   // two contents, two timestamps
constexpr char kY[] = "bbbbbbbb-0000-4000-8000-000000000002";   // two contents, one timestamp
constexpr char kA1[] = "a1a1a1a1-0000-4000-8000-000000000000";  // ~/gen/a.js in X v1
constexpr char kA2[] = "a2a2a2a2-0000-4000-8000-000000000000";  // ~/gen/a.js in X v2
constexpr char kB[] = "b0b0b0b0-0000-4000-8000-000000000000";   // ~/gen/b.js(.map), X v1 only
constexpr char kZ[] = "c0c0c0c0-0000-4000-8000-000000000000";   // the bundle in many places

DebugId Id(const char* text) {
  absl::StatusOr<DebugId> id = DebugId::Parse(text);
  EXPECT_TRUE(id.ok()) << id.status();
  return id.ok() ? *id : DebugId{};
}

std::string Sha1Hex(std::string_view data) { return Sha1Digest::Of(data).Hex(); }

std::string Hex(std::string_view raw) {
  Sha1Digest d{};
  if (raw.size() != d.size()) return "<bad sha1>";
  std::copy_n(raw.begin(), d.size(), d.begin());
  return d.Hex();
}

// One add: bundles, where, when.
struct Op {
  std::vector<std::string> paths;
  std::vector<std::string> projects;
  std::string release;
  std::string dist;
  int64_t timestamp_ms;
};

// The bundles made for these tests, written once per test into a scratch directory.
struct Generated {
  explicit Generated(const TempDir& dir) {
    x_v1 = Write(
        dir / "x_v1.zip",
        Spec(kX, {
                     {"~/gen/a.js", FileType::kMinifiedSource, "a, version 1", Id(kA1), "a.js.map"},
                     {"~/gen/b.js", FileType::kMinifiedSource, "b, version 1", Id(kB), "b.js.map"},
                     {"~/gen/b.js.map", FileType::kSourceMap, "{\"b\":1}", Id(kB), std::nullopt},
                 }));
    x_v2 = Write(
        dir / "x_v2.zip",
        Spec(kX,
             {
                 {"~/gen/a.js", FileType::kMinifiedSource, "a, version 2", Id(kA2), std::nullopt},
                 {"~/gen/c.js", FileType::kSource, "c, version 2", std::nullopt, std::nullopt},
             }));
    y_1 = Write(
        dir / "y_1.zip",
        Spec(kY, {{"~/gen/y.js", FileType::kMinifiedSource, "y one", std::nullopt, std::nullopt}}));
    y_2 = Write(
        dir / "y_2.zip",
        Spec(kY, {{"~/gen/y.js", FileType::kMinifiedSource, "y two", std::nullopt, std::nullopt}}));
    // No manifest debug_id: named by its SHA-1.
    z = Write(dir / "z.zip",
              Spec(std::nullopt, {{"https://cdn.example/z.js", FileType::kMinifiedSource, "z",
                                   Id(kZ), std::nullopt}}));
  }

  static bundle::BundleSpec Spec(std::optional<std::string> id,
                                 std::vector<bundle::BundleFile> files) {
    bundle::BundleSpec spec;
    spec.debug_id = std::move(id);
    spec.attributes["org"] = "acme";
    spec.files = std::move(files);
    return spec;
  }

  static std::string Write(const std::string& path, const bundle::BundleSpec& spec) {
    absl::StatusOr<std::string> bytes = bundle::WriteBundle(spec);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    WriteFileOrDie(path, bytes.ok() ? *bytes : "");
    return path;
  }

  std::string x_v1, x_v2, y_1, y_2, z;
};

std::vector<Op> AllOps(const Generated& g) {
  auto fixture = [](const char* f) { return FixturePath(f); };
  return {
      {{fixture("sentry-cli/rxjs-cjs.zip")}, {"web"}, "shop@2.4.0", "", 1'000},
      {{fixture("sentry-cli/rxjs-cjs-rebuilt.zip")}, {"web"}, "shop@2.4.0", "", 2'000},
      // The same archive again, later: its contribution is renewed.
      {{fixture("sentry-cli/rxjs-cjs.zip")}, {"web"}, "shop@2.4.0", "", 1'100},
      {{fixture("sentry-cli/preact-web.zip")}, {"web", "mobile"}, "shop@2.4.0", "web", 1'500},
      {{fixture("sentry-cli/preact-nightly.zip")}, {"web"}, "", "", 3'000},
      {{fixture("symbolicator/sorted_bundles_01_wrong.zip"),
        fixture("symbolicator/sorted_bundles_02_correct.zip")},
       {"sym"},
       "1.0.0",
       "",
       400},
      {{fixture("symbolicator/sorted_bundles_01_wrong.zip")}, {"sym"}, "1.0.0", "", 400},
      {{fixture("symbolicator/e2e_scraped_debugid_bundle.zip")}, {"sym"}, "1.0.0", "", 100},
      {{fixture("symbolicator/e2e_node_debugid_bundle.zip")}, {"sym", "web"}, "1.0.0", "", 200},
      {{fixture("symbolicator/e2e_source_no_header_bundle.zip")}, {"sym"}, "1.0.0", "", 300},
      {{g.x_v1}, {"web"}, "r1", "", 5'000},
      {{g.x_v2}, {"web"}, "r1", "", 6'000},
      {{g.x_v1}, {"web"}, "", "", 5'000},
      {{g.y_1}, {"web"}, "r1", "", 7'000},
      {{g.y_2}, {"web"}, "r1", "", 7'000},
      {{g.z}, {"web"}, "r1", "", 8'000},
      {{g.z}, {"web", "mobile"}, "r2", "d", 8'000},
      {{g.z}, {"tv"}, "", "", 8'000},
  };
}

void RunOps(const std::string& root, const std::vector<Op>& ops) {
  for (const Op& op : ops) {
    AddOptions options;
    options.projects = op.projects;
    options.release = op.release;
    options.dist = op.dist;
    options.timestamp_ms = op.timestamp_ms;
    absl::StatusOr<std::vector<AddResult>> added = Indexer(root).Add(op.paths, options);
    ASSERT_TRUE(added.ok()) << op.paths.front() << ": " << added.status();
  }
}

void RunOpsWithCli(const std::string& root, const std::vector<Op>& ops) {
  for (const Op& op : ops) {
    std::vector<std::string> args = {"--store", root, "add"};
    args.insert(args.end(), op.paths.begin(), op.paths.end());
    for (const std::string& p : op.projects) {
      args.push_back("--project");
      args.push_back(p);
    }
    if (!op.release.empty()) {
      args.push_back("--release");
      args.push_back(op.release);
    }
    if (!op.dist.empty()) {
      args.push_back("--dist");
      args.push_back(op.dist);
    }
    args.push_back("--timestamp");
    args.push_back(std::to_string(op.timestamp_ms));
    testing::CommandResult r = RunCli(args);
    ASSERT_EQ(r.exit_code, 0) << op.paths.front() << ": " << r.err;
  }
}

// Relative path -> bytes of every file under root whose name ends in `suffix`.
std::map<std::string, std::string> FilesEndingIn(const std::string& root,
                                                 const std::string& suffix) {
  std::map<std::string, std::string> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!it->is_regular_file() || name.size() < suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    files[fs::relative(it->path(), root).generic_string()] = ReadFileOrDie(it->path().string());
  }
  EXPECT_FALSE(ec) << root << ": " << ec.message();
  return files;
}

std::vector<std::string> Keys(const std::map<std::string, std::string>& m) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : m) keys.push_back(k);
  return keys;
}

// Every path under root (directories marked) with the content of every file.
std::map<std::string, std::string> Tree(const std::string& root) {
  std::map<std::string, std::string> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    files[fs::relative(it->path(), root).generic_string()] =
        it->is_directory() ? "<directory>" : ReadFileOrDie(it->path().string());
  }
  EXPECT_FALSE(ec) << root << ": " << ec.message();
  return files;
}

// Every segment of `b` is byte-identical to `a`'s, and there are the same ones (so the same
// names, which are digests of the bytes); every index directory holds exactly one segment; and
// the whole store (archives, references) is the same too.
void ExpectSameIndexes(const std::string& a, const std::string& b, const std::string& what) {
  SCOPED_TRACE(what);
  const auto ia = FilesEndingIn(a + "/projects", ".aix"),
             ib = FilesEndingIn(b + "/projects", ".aix");
  EXPECT_FALSE(ia.empty());
  ASSERT_EQ(Keys(ia), Keys(ib));
  for (const auto& [path, bytes] : ia) {
    EXPECT_TRUE(bytes == ib.at(path))
        << path << " differs (" << bytes.size() << " vs " << ib.at(path).size() << " bytes)";
    const std::string dir = fs::path(b + "/projects/" + path).parent_path().string();
    EXPECT_EQ(testing::OnlySegmentPath(dir), b + "/projects/" + path);
  }
  const auto za = FilesEndingIn(a, ".zip"), zb = FilesEndingIn(b, ".zip");
  EXPECT_FALSE(za.empty());
  EXPECT_EQ(Keys(za), Keys(zb));
  const auto ta = Tree(a), tb = Tree(b);
  EXPECT_EQ(Keys(ta), Keys(tb));
  EXPECT_TRUE(ta == tb) << "the stores differ";
}

// The value of an index: every bundle (id, timestamp, archive, file count) and every file with
// all its fields, in answer order.
std::vector<std::string> IndexValue(const std::string& dir) {
  std::vector<std::string> out;
  absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(dir);
  EXPECT_TRUE(index.ok()) << index.status();
  if (!index.ok()) return out;
  EXPECT_TRUE((*index)->Verify().ok()) << (*index)->Verify();
  std::vector<Index::BundleInfo> bundles;
  EXPECT_TRUE((*index)->ListBundles(&bundles).ok());
  for (const Index::BundleInfo& b : bundles) {
    out.push_back(StrCat("bundle ", b.bundle_id, " @", b.timestamp_ms, " ", Hex(b.archive_sha1),
                         " ", b.files, " files"));
  }
  std::vector<Candidate> files;
  EXPECT_TRUE((*index)->ListFiles(&files).ok());
  for (const Candidate& c : files) {
    out.push_back(StrCat("file ", c.bundle_id, " @", c.timestamp_ms, " ", Hex(c.archive_sha1), " ",
                         c.path, " url=", c.url, " ", FileTypeName(c.type), " ",
                         c.debug_id ? c.debug_id->ToString() : "-", " ",
                         c.sourcemap ? StrCat("\"", *c.sourcemap, "\"") : "-"));
  }
  return out;
}

// Every index of `b` has the value of `a`'s, and there are the same indexes.
void ExpectSameValues(const std::string& a, const std::string& b, const std::string& what) {
  SCOPED_TRACE(what);
  std::vector<std::string> dirs;
  for (const auto& project : fs::directory_iterator(a + "/projects")) {
    dirs.push_back(fs::relative(project.path(), a).generic_string() + "/debug-ids");
    std::error_code ec;
    for (auto it = fs::directory_iterator(project.path() / "urls", ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
      dirs.push_back(fs::relative(it->path(), a).generic_string());
    }
  }
  EXPECT_GT(dirs.size(), 5u);
  for (const std::string& dir : dirs) {
    if (!fs::exists(a + "/" + dir)) continue;  // a project without debug ids
    EXPECT_EQ(IndexValue(a + "/" + dir), IndexValue(b + "/" + dir)) << dir;
  }
  // The same index directories.
  std::vector<std::string> da, db;
  for (const auto& [path, content] : Tree(a + "/projects")) {
    if (content == "<directory>") da.push_back(path);
  }
  for (const auto& [path, content] : Tree(b + "/projects")) {
    if (content == "<directory>") db.push_back(path);
  }
  EXPECT_EQ(da, db);
}

struct Hit {
  std::string bundle_id;
  int64_t timestamp_ms;
  std::string archive_sha1;
  std::string url;
  std::string path;
  std::optional<std::string> debug_id;
  friend bool operator==(const Hit&, const Hit&) = default;
};

void PrintTo(const Hit& h, std::ostream* os) {
  *os << "{" << h.bundle_id << " @" << h.timestamp_ms << " " << h.archive_sha1 << " " << h.path
      << " url=" << h.url << " debug_id=" << h.debug_id.value_or("-") << "}";
}

std::vector<Hit> ToHits(const std::vector<Candidate>& found) {
  std::vector<Hit> hits;
  for (const Candidate& c : found) {
    hits.push_back(
        Hit{std::string(c.bundle_id), c.timestamp_ms, Hex(c.archive_sha1), std::string(c.url),
            std::string(c.path),
            c.debug_id ? std::optional<std::string>(c.debug_id->ToString()) : std::nullopt});
  }
  return hits;
}

std::vector<Hit> Url(const std::string& root, const std::string& project,
                     const std::string& release, const std::string& dist, const std::string& url,
                     std::vector<std::string>* contents = nullptr) {
  Store store(root);
  auto index = store.UrlIndex(project, release, dist);
  EXPECT_TRUE(index.ok()) << index.status();
  if (!index.ok()) return {};
  std::vector<Candidate> found;
  EXPECT_TRUE((*index)->LookupUrl(url, &found).ok());
  if (contents != nullptr) {
    for (const Candidate& c : found) {
      absl::StatusOr<std::string> bytes = store.ReadFile(c);
      EXPECT_TRUE(bytes.ok()) << bytes.status();
      contents->push_back(bytes.ok() ? *bytes : "");
    }
  }
  return ToHits(found);
}

std::vector<Hit> ById(const std::string& root, const std::string& project, const char* id) {
  auto index = Store(root).DebugIdIndex(project);
  EXPECT_TRUE(index.ok()) << index.status();
  if (!index.ok()) return {};
  std::vector<Candidate> found;
  EXPECT_TRUE((*index)->LookupDebugId(Id(id), std::nullopt, &found).ok());
  return ToHits(found);
}

std::optional<std::string> Some(std::string s) { return s; }

class CommutativityTest : public ::testing::Test {
 protected:
  TempDir dir_;
  Generated gen_{dir_};
};

TEST_F(CommutativityTest, ShuffledAndRepeatedAddsGiveByteIdenticalIndexes) {
  const std::vector<Op> ops = AllOps(gen_);
  const std::string reference = dir_ / "reference";
  RunOps(reference, ops);

  std::mt19937 rng(20240531);
  constexpr int kOrders = 8;
  for (int i = 0; i < kOrders; ++i) {
    std::vector<Op> shuffled = ops;
    if (i % 2 == 1) {
      // Repeat a few adds at random places.
      std::uniform_int_distribution<size_t> pick(0, ops.size() - 1);
      for (int r = 0; r < 5; ++r) shuffled.push_back(ops[pick(rng)]);
    }
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    const std::string root = dir_ / StrCat("order-", i);
    RunOps(root, shuffled);
    ExpectSameIndexes(reference, root, StrCat("order ", i));
  }

  // The reverse order through the real CLI, every add twice.
  std::vector<Op> reversed(ops.rbegin(), ops.rend());
  reversed.insert(reversed.end(), ops.begin(), ops.end());
  const std::string cli_root = dir_ / "cli";
  RunOpsWithCli(cli_root, reversed);
  ExpectSameIndexes(reference, cli_root, "reverse order through the CLI, twice");

  // Adding everything again to the reference changes no byte.
  const auto before = Tree(reference);
  RunOps(reference, ops);
  EXPECT_TRUE(before == Tree(reference));

  // And the common content is the expected one.
  const std::string& root = reference;
  std::vector<std::string> contents;
  // X: version 2 (6000) replaced version 1 (5000).
  const std::string x_v2_sha1 = Sha1Hex(ReadFileOrDie(gen_.x_v2));
  EXPECT_EQ(
      Url(root, "web", "r1", "", "https://shop.example/gen/a.js", &contents),
      (std::vector<Hit>{{kX, 6'000, x_v2_sha1, "~/gen/a.js", "files/_/_/gen/a.js", Some(kA2)}}));
  EXPECT_EQ(contents, std::vector<std::string>{"a, version 2"});
  EXPECT_EQ(Url(root, "web", "r1", "", "https://shop.example/gen/b.js"), std::vector<Hit>{});
  EXPECT_EQ(ById(root, "web", kB), std::vector<Hit>{});
  EXPECT_EQ(ById(root, "web", kA1), std::vector<Hit>{});
  // The rxjs-cjs re-add renewed its timestamp (1100 > 1000); the rebuild stays newest.
  auto rx = Url(root, "web", "shop@2.4.0", "", "~/static/rx/index.js");
  ASSERT_EQ(rx.size(), 2u);
  EXPECT_EQ(rx[0].bundle_id, "4c758782-40d6-5de6-8a1d-90926eb590b7");
  EXPECT_EQ(rx[0].timestamp_ms, 2'000);
  EXPECT_EQ(rx[1].bundle_id, "c3c862b2-84c8-5e2e-96e2-13b0eb571db9");
  EXPECT_EQ(rx[1].timestamp_ms, 1'100);
  // Z in every place it was added.
  const std::string z_sha1 = Sha1Hex(ReadFileOrDie(gen_.z));
  const Hit z{z_sha1,  8'000, z_sha1, "https://cdn.example/z.js", "files/https/cdn.example/z.js",
              Some(kZ)};
  EXPECT_EQ(Url(root, "web", "r1", "", "https://cdn.example/z.js"), std::vector<Hit>{z});
  EXPECT_EQ(Url(root, "web", "r2", "d", "https://cdn.example/z.js"), std::vector<Hit>{z});
  EXPECT_EQ(Url(root, "mobile", "r2", "d", "https://cdn.example/z.js"), std::vector<Hit>{z});
  for (const char* project : {"web", "mobile", "tv"}) {
    EXPECT_EQ(ById(root, project, kZ), std::vector<Hit>{z}) << project;
  }
  EXPECT_TRUE(absl::IsNotFound(Store(root).UrlIndex("tv", "r1", "").status()));
  EXPECT_TRUE(absl::IsNotFound(Store(root).UrlIndex("mobile", "r1", "").status()));
}

// The same adds from several processes at once (through the CLI, four at a time) end in the
// same index bytes as one after the other: writers take no lock, each publishes its own
// segment and merges the index whole, and merges commute.
TEST_F(CommutativityTest, ConcurrentAddsFromManyProcesses) {
  const std::vector<Op> ops = AllOps(gen_);
  const std::string reference = dir_ / "reference";
  RunOps(reference, ops);

  std::mt19937 rng(7);
  for (int round = 0; round < 2; ++round) {
    std::vector<Op> shuffled = ops;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    constexpr int kProcesses = 4;
    std::vector<std::vector<Op>> shares(kProcesses);
    for (size_t i = 0; i < shuffled.size(); ++i) shares[i % kProcesses].push_back(shuffled[i]);
    const std::string root = dir_ / StrCat("concurrent-", round);
    std::vector<std::thread> threads;
    for (const std::vector<Op>& share : shares) {
      threads.emplace_back([&root, &share] { RunOpsWithCli(root, share); });
    }
    for (std::thread& t : threads) t.join();
    // Every index has the reference's value, whatever the interleaving.
    ExpectSameValues(reference, root, StrCat("concurrent round ", round));
    // And the same bytes: a compaction repeats until nothing is left to merge, so a small index
    // is one segment whatever the interleaving (SPEC.md 19.6).
    ExpectSameIndexes(reference, root, StrCat("concurrent round ", round));
    // No temporary file is left behind.
    for (const auto& [path, bytes] : FilesEndingIn(root, "")) {
      EXPECT_EQ(path.find(".tmp"), std::string::npos) << path;
    }
    // A full compaction keeps them (indexer.h: the same bytes after a full compaction).
    testing::CommandResult compacted = RunCli({"--store", root, "compact"});
    ASSERT_EQ(compacted.exit_code, 0) << compacted.err;
    ExpectSameIndexes(reference, root, StrCat("concurrent round ", round, ", compacted"));
  }
}

// Re-adding a bundle id replaces what it contributed before, in every index it is in.
TEST_F(CommutativityTest, ReaddReplacesPreviousContribution) {
  for (bool newer_first : {false, true}) {
    SCOPED_TRACE(newer_first ? "newer first" : "older first");
    TempDir store;
    const std::string root = store.path();
    std::vector<Op> ops = {{{gen_.x_v1}, {"web", "mobile"}, "r1", "", 5'000},
                           {{gen_.x_v2}, {"web", "mobile"}, "r1", "", 6'000}};
    if (newer_first) std::swap(ops[0], ops[1]);
    RunOps(root, {ops[0]});
    RunOps(root, {ops[1]});
    const std::string x_v2_sha1 = Sha1Hex(ReadFileOrDie(gen_.x_v2));
    for (const char* project : {"web", "mobile"}) {
      SCOPED_TRACE(project);
      std::vector<std::string> contents;
      EXPECT_EQ(Url(root, project, "r1", "", "~/gen/a.js", &contents),
                (std::vector<Hit>{
                    {kX, 6'000, x_v2_sha1, "~/gen/a.js", "files/_/_/gen/a.js", Some(kA2)}}));
      EXPECT_EQ(contents, std::vector<std::string>{"a, version 2"});
      EXPECT_EQ(Url(root, project, "r1", "", "~/gen/c.js"),
                (std::vector<Hit>{
                    {kX, 6'000, x_v2_sha1, "~/gen/c.js", "files/_/_/gen/c.js", std::nullopt}}));
      // Files version 2 no longer has are gone, from the URL and the debug-id index.
      EXPECT_EQ(Url(root, project, "r1", "", "~/gen/b.js"), std::vector<Hit>{});
      EXPECT_EQ(Url(root, project, "r1", "", "~/gen/b.js.map"), std::vector<Hit>{});
      EXPECT_EQ(ById(root, project, kB), std::vector<Hit>{});
      EXPECT_EQ(ById(root, project, kA1), std::vector<Hit>{});
      EXPECT_EQ(ById(root, project, kA2), (std::vector<Hit>{{kX, 6'000, x_v2_sha1, "~/gen/a.js",
                                                             "files/_/_/gen/a.js", Some(kA2)}}));
      auto index = Store(root).UrlIndex(project, "r1", "");
      ASSERT_TRUE(index.ok());
      EXPECT_EQ((*index)->segment_count(), 1u);
      std::vector<Index::BundleInfo> bundles;
      ASSERT_TRUE((*index)->ListBundles(&bundles).ok());
      ASSERT_EQ(bundles.size(), 1u);
      EXPECT_EQ(bundles[0].bundle_id, kX);
      EXPECT_EQ(bundles[0].files, 2u);
      std::vector<Candidate> files;
      ASSERT_TRUE((*index)->ListFiles(&files).ok());
      EXPECT_EQ(files.size(), 2u);
    }
  }
}

// Re-adding the older contents later (an old timestamp) changes nothing; re-adding them with a
// newer timestamp brings them back.
TEST_F(CommutativityTest, GreaterTimestampWinsRegardlessOfOrder) {
  const std::string root = dir_ / "store";
  RunOps(root, {{{gen_.x_v2}, {"web"}, "r1", "", 6'000}});
  const auto after_v2 = FilesEndingIn(root + "/projects", ".aix");
  RunOps(root, {{{gen_.x_v1}, {"web"}, "r1", "", 5'000}});
  EXPECT_TRUE(after_v2 == FilesEndingIn(root + "/projects", ".aix"));
  // The same contents at the same timestamp again: no change either.
  const auto after_v1 = Tree(root);
  RunOps(root, {{{gen_.x_v2}, {"web"}, "r1", "", 6'000}});
  EXPECT_TRUE(after_v2 == FilesEndingIn(root + "/projects", ".aix"));
  EXPECT_TRUE(after_v1 == Tree(root));

  RunOps(root, {{{gen_.x_v1}, {"web"}, "r1", "", 6'001}});
  const std::string x_v1_sha1 = Sha1Hex(ReadFileOrDie(gen_.x_v1));
  EXPECT_EQ(
      Url(root, "web", "r1", "", "~/gen/b.js"),
      (std::vector<Hit>{{kX, 6'001, x_v1_sha1, "~/gen/b.js", "files/_/_/gen/b.js", Some(kB)}}));
  EXPECT_EQ(Url(root, "web", "r1", "", "~/gen/c.js"), std::vector<Hit>{});
  EXPECT_EQ(ById(root, "web", kA2), std::vector<Hit>{});
  EXPECT_EQ(ById(root, "web", kB).size(), 2u);  // b.js and b.js.map
}

// Two contents of one bundle id at one timestamp: the archive with the greater SHA-1 wins,
// whatever the order.
TEST_F(CommutativityTest, EqualTimestampsGreaterArchiveSha1Wins) {
  const std::string y1 = ReadFileOrDie(gen_.y_1), y2 = ReadFileOrDie(gen_.y_2);
  ASSERT_NE(Sha1Hex(y1), Sha1Hex(y2));
  const bool one_wins = Sha1Hex(y1) > Sha1Hex(y2);
  const std::string winner_sha1 = one_wins ? Sha1Hex(y1) : Sha1Hex(y2);
  const std::string winner_content = one_wins ? "y one" : "y two";
  std::map<std::string, std::string> first;
  for (bool swap : {false, true}) {
    SCOPED_TRACE(swap ? "y_2 first" : "y_1 first");
    TempDir store;
    std::vector<Op> ops = {{{gen_.y_1}, {"web"}, "r1", "", 7'000},
                           {{gen_.y_2}, {"web"}, "r1", "", 7'000}};
    if (swap) std::swap(ops[0], ops[1]);
    RunOps(store.path(), ops);
    std::vector<std::string> contents;
    EXPECT_EQ(Url(store.path(), "web", "r1", "", "~/gen/y.js", &contents),
              (std::vector<Hit>{
                  {kY, 7'000, winner_sha1, "~/gen/y.js", "files/_/_/gen/y.js", std::nullopt}}));
    EXPECT_EQ(contents, std::vector<std::string>{winner_content});
    if (!swap) {
      first = FilesEndingIn(store.path() + "/projects", ".aix");
      EXPECT_EQ(first.size(), 2u);  // the URL index and the debug-id index, one segment each
    } else {
      EXPECT_TRUE(first == FilesEndingIn(store.path() + "/projects", ".aix"));
    }
    // Both in one add, in either order, too.
    TempDir together;
    RunOps(together.path(), {{{ops[0].paths[0], ops[1].paths[0]}, {"web"}, "r1", "", 7'000}});
    EXPECT_TRUE(first == FilesEndingIn(together.path() + "/projects", ".aix"));
  }

  // The same with fixtures and an explicit bundle id: sorted_bundles_02_correct's SHA-1
  // (ba2e9f...) is greater than sorted_bundles_01_wrong's (8a9e4b...).
  for (bool correct_first : {false, true}) {
    SCOPED_TRACE(correct_first ? "correct first" : "wrong first");
    TempDir store;
    std::vector<std::string> paths = {FixturePath("symbolicator/sorted_bundles_01_wrong.zip"),
                                      FixturePath("symbolicator/sorted_bundles_02_correct.zip")};
    if (correct_first) std::swap(paths[0], paths[1]);
    for (const std::string& path : paths) {
      AddOptions options;
      options.projects = {"sym"};
      options.release = "1.0.0";
      options.timestamp_ms = 10;
      options.bundle_id = "one-id";
      auto added = Indexer(store.path()).Add({path}, options);
      ASSERT_TRUE(added.ok()) << added.status();
      EXPECT_EQ(added->front().bundle_id, "one-id");
    }
    std::vector<std::string> contents;
    EXPECT_EQ(Url(store.path(), "sym", "1.0.0", "", "~/test.min.js.map", &contents),
              (std::vector<Hit>{{"one-id", 10, "ba2e9feb82799d2830a79f7824e2c21a33eea94d",
                                 "~/test.min.js.map", "files/test.min.js.map", std::nullopt}}));
    ASSERT_EQ(contents.size(), 1u);
    EXPECT_EQ(contents[0].size(), 842u);
    EXPECT_EQ(Sha1Hex(contents[0]), "573d869fbaf7b19e26f6d6103b9ead7e740c5158");
  }
}

// One bundle in several releases and projects: each index holds it, and a newer add to one
// release leaves the others alone.
TEST_F(CommutativityTest, SameBundleInSeveralReleasesAndProjects) {
  const std::string root = dir_ / "store";
  RunOps(root, {{{gen_.x_v1}, {"web", "mobile"}, "r1", "", 5'000},
                {{gen_.x_v1}, {"web"}, "r2", "", 5'000},
                {{gen_.x_v1}, {"web"}, "r3", "beta", 5'000}});
  const std::string x_v1_sha1 = Sha1Hex(ReadFileOrDie(gen_.x_v1));
  const std::vector<Hit> b_v1 = {
      {kX, 5'000, x_v1_sha1, "~/gen/b.js", "files/_/_/gen/b.js", Some(kB)}};
  EXPECT_EQ(Url(root, "web", "r1", "", "~/gen/b.js"), b_v1);
  EXPECT_EQ(Url(root, "mobile", "r1", "", "~/gen/b.js"), b_v1);
  EXPECT_EQ(Url(root, "web", "r2", "", "~/gen/b.js"), b_v1);
  EXPECT_EQ(Url(root, "web", "r3", "beta", "~/gen/b.js"), b_v1);
  EXPECT_TRUE(absl::IsNotFound(Store(root).UrlIndex("web", "r3", "").status()));

  // Version 2 of the id, newer, to r2 only: r2 and web's debug ids change; r1, r3 keep v1.
  RunOps(root, {{{gen_.x_v2}, {"web"}, "r2", "", 6'000}});
  EXPECT_EQ(Url(root, "web", "r1", "", "~/gen/b.js"), b_v1);
  EXPECT_EQ(Url(root, "mobile", "r1", "", "~/gen/b.js"), b_v1);
  EXPECT_EQ(Url(root, "web", "r3", "beta", "~/gen/b.js"), b_v1);
  EXPECT_EQ(Url(root, "web", "r2", "", "~/gen/b.js"), std::vector<Hit>{});
  EXPECT_EQ(ById(root, "web", kB), std::vector<Hit>{});
  EXPECT_EQ(ById(root, "mobile", kB).size(), 2u);

  // The URL index lists of each project.
  auto web = Store(root).UrlIndexDirs("web");
  ASSERT_TRUE(web.ok());
  EXPECT_EQ(web->size(), 3u);
  auto mobile = Store(root).UrlIndexDirs("mobile");
  ASSERT_TRUE(mobile.ok());
  EXPECT_EQ(mobile->size(), 1u);
  for (const std::string& dir : *web) EXPECT_EQ(testing::LiveSegmentPaths(dir).size(), 1u) << dir;
}

}  // namespace
}  // namespace artidx
