// Issue 15, "Measured": rebuild salvages whatever is intact. A store built from the fixtures
// (adds to several projects and releases, a re-add of one bundle id with another archive, a
// full and a partial removal) is damaged in five ways: (a) one byte in every segment, (b) one
// byte in every reference, (c) both, (d) one byte of one archive, (e) a truncation of each kind
// of file (segment, add reference, removal reference, archive). After `rebuild`, every lookup
// whose operation still has an intact copy answers exactly as before the damage, `verify`
// passes, and the reported losses are exactly the operations with no intact copy.
//
// Expectations come from the undamaged store, not from the code under test: its references
// (the operations), the bundle records of its segments decoded by the verified reader, and the
// byte ranges that SPEC.md sections 3 and 6 give each bundle record (the record, its id string,
// the header and the header's strings). A record is an intact copy of an operation when none of
// those bytes is damaged and it re-encodes (SPEC.md 18) to the bytes the operation's
// reference is named by. Each damaged byte of a segment is aimed at a known place: the
// footer, a bundle record, the files section, or the project string (which every record
// needs). An add whose archive is damaged has no intact copy of its files.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_join.h"
#include "artidx/indexer.h"
#include "artidx/lookup.h"
#include "common/coding.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "format/index_format.h"
#include "format/index_reader.h"
#include "gtest/gtest.h"
#include "store/layout.h"
#include "store/refs.h"
#include "tests/testing.h"

namespace artidx {
namespace {

namespace fs = std::filesystem;
using testing::Artidx;
using testing::FixturePath;
using testing::ReadFileOrDie;
using testing::TempDir;
using testing::WriteFileOrDie;

constexpr int64_t kT0 = 1'700'000'000'000;

// One operation: a reference of the undamaged store.
struct Op {
  std::string path;  // of its reference
  std::string bundle_id;
  store::Ref ref;
};

// [begin, end) byte ranges of a file.
struct Range {
  uint64_t begin, end;
};

// A bundle record of a segment: the reference name its operation has, and the bytes it needs.
struct Record {
  std::string bundle_id;
  bool tombstone;
  std::string ref_name;      // "<SHA-1 of the reference's bytes>.ref"
  std::vector<Range> needs;  // header, record, id string, header strings
};

struct Segment {
  std::string path;
  uint64_t size;
  std::vector<Record> records;
  Range files;    // the files section
  Range project;  // the project string
};

Range StringRange(const std::string& bytes, uint64_t strings, size_t ref_at) {
  const uint64_t offset = common::Load<uint32_t>(bytes.data() + ref_at);
  const uint64_t length = common::Load<uint32_t>(bytes.data() + ref_at + 4);
  return {strings + offset, strings + offset + length};
}

// Reads a segment of the undamaged store with the verified reader and SPEC.md's layout.
Segment ReadSegment(const std::string& path) {
  const std::string bytes = ReadFileOrDie(path);
  absl::StatusOr<format::IndexReader> reader = format::IndexReader::Open(bytes);
  EXPECT_TRUE(reader.ok() && reader->Verify().ok()) << path;
  absl::StatusOr<format::IndexContent> content = reader->Decode();
  EXPECT_TRUE(content.ok()) << path;
  auto section = [&](int s) {
    const char* entry = bytes.data() + format::kSectionTableOffset + format::kSectionEntrySize * s;
    const uint64_t offset = common::Load<uint64_t>(entry);
    return Range{offset, offset + common::Load<uint64_t>(entry + 8)};
  };
  const uint64_t strings = section(format::kStringsSection).begin;
  const uint64_t bundles = section(format::kBundlesSection).begin;
  Segment s{path,
            bytes.size(),
            {},
            section(format::kFilesSection),
            StringRange(bytes, strings, format::kProjectRefOffset)};
  for (size_t i = 0; i < content->bundles.size(); ++i) {
    const format::BundleEntry& b = content->bundles[i];
    const uint64_t at = bundles + format::kBundleRecordSize * i;
    const store::Ref ref{b.tombstone, content->id(), b.archive_sha1, b.timestamp_ms};
    s.records.push_back({b.bundle_id,
                         b.tombstone,
                         StrCat(Sha1Digest::Of(store::EncodeRef(ref)).Hex(), ".ref"),
                         {{0, format::kHeaderSize},
                          {at, at + format::kBundleRecordSize},
                          StringRange(bytes, strings, at),
                          s.project,
                          StringRange(bytes, strings, format::kReleaseRefOffset),
                          StringRange(bytes, strings, format::kDistRefOffset)}});
  }
  return s;
}

// Every lookup of every index: the URL of each file of a URL index (as a frame's abs_path) and
// each debug id of a debug-id index, with its answer.
std::map<std::string, std::string> Answers(
    const std::vector<std::string>& dirs,
    const std::map<std::string, std::set<std::string>>& keys) {
  std::map<std::string, std::string> out;
  for (const std::string& dir : dirs) {
    absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(dir, /*verify_checksums=*/true);
    auto it = keys.find(dir);
    if (it == keys.end()) continue;
    for (const std::string& key : it->second) {
      std::string& answer = out[StrCat(dir, " ", key)];
      if (!index.ok()) {
        answer = "no index";
        continue;
      }
      std::vector<Candidate> found;
      absl::Status s;
      if ((*index)->kind() == IndexKind::kUrl) {
        s = (*index)->LookupUrl(key, &found);
      } else {
        s = (*index)->LookupDebugId(*DebugId::Parse(key), std::nullopt, &found);
      }
      answer = s.ok() ? "" : std::string(StdView(s.message()));
      for (const Candidate& c : found) {
        StrAppend(&answer, c.bundle_id, "|", c.timestamp_ms, "|",
                  Sha1Digest::FromRaw(c.archive_sha1)->Hex(), "|", c.path, "|", c.url, "|",
                  static_cast<int>(c.type), "|", c.debug_id ? c.debug_id->ToString() : "-", "|",
                  c.sourcemap.value_or("-"), "\n");
      }
    }
  }
  return out;
}

class SalvageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    pristine_ = new std::string(*tmp_ / "pristine");
    const std::string& root = *pristine_;
    Indexer indexer(root);
    std::map<std::string, std::string> ids;  // fixture -> bundle id
    auto add = [&](const std::string& fixture, std::vector<std::string> projects,
                   const std::string& release, const std::string& dist, int64_t at,
                   std::optional<std::string> bundle_id = std::nullopt) {
      AddOptions options;
      options.bundle_id = std::move(bundle_id);
      options.projects = std::move(projects);
      options.release = release;
      options.dist = dist;
      options.timestamp_ms = at;
      absl::StatusOr<std::vector<AddResult>> added = indexer.Add({FixturePath(fixture)}, options);
      ASSERT_TRUE(added.ok()) << fixture << ": " << added.status();
      ids[fixture] = added->front().bundle_id;
    };
    add("sentry-cli/preact-web.zip", {"web", "mobile"}, "1.0", "web", kT0 + 1000);
    add("sentry-cli/rxjs-cjs.zip", {"web"}, "2.0", "", kT0 + 2000);
    // Another archive under the same id: the first add is superseded.
    add("sentry-cli/rxjs-cjs-rebuilt.zip", {"web"}, "2.0", "", kT0 + 3000,
        ids["sentry-cli/rxjs-cjs.zip"]);
    add("sentry-cli/preact-nightly.zip", {"web"}, "", "", kT0 + 4000);
    add("symbolicator/e2e_scraped_debugid_bundle.zip", {"web"}, "3.0", "", kT0 + 5000);
    add("symbolicator/e2e_node_debugid_bundle.zip", {"web"}, "3.0", "", kT0 + 6000);
    add("symbolicator/e2e_source_no_header_bundle.zip", {"web"}, "3.0", "", kT0 + 7000);
    add("symbolicator/sorted_bundles_01_wrong.zip", {"web"}, "4.0", "", kT0 + 8000);
    add("symbolicator/sorted_bundles_02_correct.zip", {"web"}, "4.0", "", kT0 + 9000);
    ASSERT_EQ(ids["sentry-cli/rxjs-cjs.zip"], ids["sentry-cli/rxjs-cjs-rebuilt.zip"]);
    auto rm = [&](const std::string& fixture, std::vector<std::string> projects, int64_t at) {
      RemoveOptions options;
      options.projects = std::move(projects);
      options.timestamp_ms = at;
      ASSERT_TRUE(indexer.Remove(ids[fixture], options).ok()) << fixture;
    };
    rm("symbolicator/e2e_node_debugid_bundle.zip", {}, kT0 + 10'000);
    rm("sentry-cli/preact-web.zip", {"mobile"}, kT0 + 11'000);
  }
  static void TearDownTestSuite() {
    delete pristine_;
    delete tmp_;
  }

  void SetUp() override {
    fs::copy(*pristine_, root_, fs::copy_options::recursive);
    const store::Layout layout(root_);
    for (const std::string& dir : store::ListDirectories(root_ + "/bundles")) {
      absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs =
          store::ReadRefs(layout, dir + "/refs");
      ASSERT_TRUE(refs.ok()) << refs.status();
      for (auto& [path, ref] : *refs) {
        ops_.push_back({path, fs::path(dir).filename().string(), ref});
      }
      for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == ".zip") archives_.push_back(entry.path().string());
      }
    }
    for (const std::string& dir : store::ListDirectories(root_ + "/removals")) {
      absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs =
          store::ReadRefs(layout, dir);
      ASSERT_TRUE(refs.ok()) << refs.status();
      for (auto& [path, ref] : *refs) {
        ops_.push_back({path, fs::path(dir).filename().string(), ref});
      }
    }
    dirs_ = *layout.IndexDirs("");
    for (const std::string& dir : dirs_) {
      for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".aix") continue;
        segments_.push_back(ReadSegment(entry.path().string()));
        // The keys of the index: every file's url, or debug id.
        const std::string bytes = ReadFileOrDie(entry.path().string());
        absl::StatusOr<format::IndexContent> content = format::IndexReader::Open(bytes)->Decode();
        ASSERT_TRUE(content.ok());
        for (const format::BundleEntry& b : content->bundles) {
          for (const format::FileLocator& f : b.files) {
            if (content->kind == IndexKind::kDebugId) {
              keys_[dir].insert(f.debug_id->ToString());
            } else {
              keys_[dir].insert(f.url.starts_with("~/") ? "https://example.com" + f.url.substr(1)
                                                        : f.url);
            }
          }
        }
      }
    }
    for (const Op& op : ops_) {
      Rank& best = winners_[{layout.IndexDir(op.ref.identity), op.bundle_id}];
      best = std::max(best, RankOf(op));
    }
    std::sort(segments_.begin(), segments_.end(),
              [](const Segment& a, const Segment& b) { return a.path < b.path; });
    before_ = Answers(dirs_, keys_);
  }

  // The merge order of operations of one bundle in one index (SPEC.md 19.3).
  using Rank = std::tuple<int64_t, bool, Sha1Digest>;
  static Rank RankOf(const Op& op) {
    return {op.ref.timestamp_ms, op.ref.removal, op.ref.archive_sha1};
  }
  // Whether some operation of the copy must have no intact copy of its segment records.
  bool SomeOperationOnlyInItsReference() const {
    for (const Op& op : ops_) {
      bool copy = false;
      for (const Segment& s : segments_) {
        for (const Record& r : s.records) copy |= r.ref_name == fs::path(op.path).filename();
      }
      if (!copy) return true;
    }
    return false;
  }

  // What the test did to the store.
  struct Damage {
    std::set<std::string> refs, archives;
    std::map<std::string, std::set<size_t>> records;  // segment -> its damaged records
    size_t files = 0;
  };

  void Flip(const std::string& path, uint64_t at) {
    std::string bytes = ReadFileOrDie(path);
    ASSERT_LT(at, bytes.size()) << path;
    bytes[at] = static_cast<char>(bytes[at] ^ 0x5a);
    WriteFileOrDie(path, bytes);
  }

  // Damages one byte of segment `s`, at a place chosen by `how`, and notes which records lose
  // their copy.
  void FlipSegment(const Segment& s, int how, Damage* damage) {
    uint64_t at = s.size - 1;              // 0: the footer
    if (how == 1 && !s.records.empty()) {  // a field of one bundle record
      const size_t r = s.path.size() % s.records.size();
      at = s.records[r].needs[1].begin + (s.path.size() * 7) % format::kBundleRecordSize;
    } else if (how == 2 && s.files.end > s.files.begin) {  // the files section
      at = (s.files.begin + s.files.end) / 2;
    } else if (how == 3) {  // the project string, which every record needs
      at = s.project.begin;
    }
    Flip(s.path, at);
    ++damage->files;
    for (size_t r = 0; r < s.records.size(); ++r) {
      for (const Range& need : s.records[r].needs) {
        if (at >= need.begin && at < need.end) damage->records[s.path].insert(r);
      }
    }
  }

  void TruncateSegment(const Segment& s, Damage* damage) {
    const uint64_t size = s.size / 2;
    fs::resize_file(s.path, size);
    ++damage->files;
    for (size_t r = 0; r < s.records.size(); ++r) {
      for (const Range& need : s.records[r].needs) {
        if (need.end > size) damage->records[s.path].insert(r);
      }
    }
  }

  void DamageRef(const Op& op, bool truncate, Damage* damage) {
    if (truncate) {
      fs::resize_file(op.path, fs::file_size(op.path) / 2);
    } else {
      Flip(op.path, (op.path.size() * 13) % fs::file_size(op.path));
    }
    damage->refs.insert(op.path);
    ++damage->files;
  }

  void DamageArchive(const std::string& path, bool truncate, Damage* damage) {
    if (truncate) {
      fs::resize_file(path, fs::file_size(path) / 2);
    } else {
      Flip(path, fs::file_size(path) / 3);
    }
    damage->archives.insert(path);
    ++damage->files;
  }

  // Rebuilds the damaged store and checks the outcome against what the damage left intact.
  void ExpectSalvage(const std::string& name, const Damage& damage) {
    // The expected outcome, operation by operation.
    std::vector<std::string> lost_files;
    std::set<std::pair<std::string, std::string>> lost;  // (index directory, bundle id)
    size_t recovered = 0;
    const store::Layout layout(root_);
    for (const Op& op : ops_) {
      const std::string name_of = fs::path(op.path).filename();
      bool segment_copy = false;
      for (const Segment& s : segments_) {
        const auto bad = damage.records.find(s.path);
        for (size_t r = 0; r < s.records.size(); ++r) {
          const Record& record = s.records[r];
          if (record.ref_name == name_of && record.bundle_id == op.bundle_id &&
              record.tombstone == op.ref.removal &&
              (bad == damage.records.end() || !bad->second.contains(r))) {
            segment_copy = true;
          }
        }
      }
      const std::string archive = layout.ArchivePath(op.bundle_id, op.ref.archive_sha1);
      // A damaged reference with a segment copy is recovered, even if its add then fails for
      // want of its archive.
      recovered += damage.refs.contains(op.path) && segment_copy ? 1 : 0;
      if (damage.refs.contains(op.path) && !segment_copy) {
        lost_files.push_back(op.path);
      } else if (!op.ref.removal && damage.archives.contains(archive)) {
        lost_files.push_back(archive);
      } else {
        continue;
      }
      // Losing an operation that its index's merge did not keep changes no answer.
      const std::pair<std::string, std::string> key{layout.IndexDir(op.ref.identity), op.bundle_id};
      if (winners_.at(key) == RankOf(op)) lost.insert(key);
    }
    std::sort(lost_files.begin(), lost_files.end());
    size_t damaged_segments = 0;
    for (const Segment& s : segments_) {
      damaged_segments +=
          fs::file_size(s.path) != s.size ||
                  ReadFileOrDie(s.path) != ReadFileOrDie(*pristine_ + s.path.substr(root_.size()))
              ? 1
              : 0;
    }

    // verify names every damaged reference and says whether rebuild recovers it.
    absl::StatusOr<std::vector<std::string>> found = Store(root_).Verify();
    ASSERT_TRUE(found.ok()) << found.status();
    for (const Op& op : ops_) {
      if (!damage.refs.contains(op.path)) continue;
      const bool lost_ref =
          std::find(lost_files.begin(), lost_files.end(), op.path) != lost_files.end();
      const std::string says = StrCat(op.path, ": invalid reference");
      const auto line = std::find_if(found->begin(), found->end(),
                                     [&](const std::string& p) { return p.starts_with(says); });
      ASSERT_NE(line, found->end()) << op.path;
      EXPECT_NE(
          line->find(lost_ref ? "; rebuild cannot recover it: no segment records its operation"
                              : "; rebuild recovers its operation from " + root_ + "/projects/"),
          std::string::npos)
          << *line;
    }

    // A dry run reports the same, through the CLI, and changes nothing.
    const auto damaged = testing::Tree(root_);
    testing::CommandResult dry = Artidx(root_, {"rebuild", "--dry-run", "--json"});
    EXPECT_EQ(dry.exit_code, lost_files.empty() ? 0 : 1) << dry.out << dry.err;
    EXPECT_TRUE(testing::Tree(root_) == damaged);

    absl::StatusOr<RebuildResult> result = Indexer(root_).Rebuild();
    ASSERT_TRUE(result.ok()) << result.status();
    std::vector<std::string> reported;
    for (const RebuildResult::Lost& l : result->lost) reported.push_back(l.file);
    std::sort(reported.begin(), reported.end());
    EXPECT_EQ(reported, lost_files);
    EXPECT_EQ(result->recovered.size(), recovered);
    EXPECT_EQ(result->replayed, ops_.size() - damage.refs.size());
    EXPECT_EQ(result->set_aside.size(), damage.refs.size() + damaged_segments);
    for (const RebuildResult::SetAside& f : result->set_aside) {
      EXPECT_TRUE(fs::exists(f.to)) << f.to;
    }

    absl::StatusOr<std::vector<std::string>> problems = Store(root_).Verify();
    ASSERT_TRUE(problems.ok()) << problems.status();
    EXPECT_TRUE(problems->empty()) << absl::StrJoin(*problems, "\n");

    // Every lookup answers as before, but those of a bundle whose operation in that index is
    // lost.
    const std::map<std::string, std::string> after = Answers(dirs_, keys_);
    size_t right = 0, exempt = 0;
    for (const auto& [key, answer] : before_) {
      const std::string dir = key.substr(0, key.find(' '));
      const std::string& now = after.at(key);
      bool affected = false;
      for (const auto& [lost_dir, id] : lost) {
        affected |= lost_dir == dir && (answer.find(id + "|") != std::string::npos ||
                                        now.find(id + "|") != std::string::npos);
      }
      if (affected) {
        ++exempt;
        continue;
      }
      EXPECT_EQ(now, answer) << name << ": " << key;
      right += now == answer ? 1 : 0;
    }
    std::cout << "salvage " << name << ": " << damage.files << " files damaged, "
              << result->recovered.size() << " operations recovered from segments, "
              << result->lost.size() << " lost, " << right << " of " << before_.size() - exempt
              << " answers right (" << exempt << " of lost bundles not compared)" << std::endl;
    EXPECT_EQ(right, before_.size() - exempt);
    // Nothing was left unexercised.
    EXPECT_GT(damage.files, 0u);
    EXPECT_GT(right, 0u);
  }

  static TempDir* tmp_;
  static std::string* pristine_;
  TempDir work_;
  const std::string root_ = work_ / "store";
  std::vector<Op> ops_;
  std::vector<std::string> archives_;
  std::vector<std::string> dirs_;
  std::vector<Segment> segments_;
  std::map<std::string, std::set<std::string>> keys_;
  std::map<std::string, std::string> before_;
  std::map<std::pair<std::string, std::string>, Rank> winners_;  // (index dir, bundle id)
};

TempDir* SalvageTest::tmp_ = nullptr;
std::string* SalvageTest::pristine_ = nullptr;

TEST_F(SalvageTest, StoreHasWhatTheDamageNeeds) {
  // A superseded operation (whose only copy is its reference), removals, several indexes of
  // both kinds, answers to compare.
  EXPECT_TRUE(SomeOperationOnlyInItsReference());
  EXPECT_TRUE(std::any_of(ops_.begin(), ops_.end(), [](const Op& op) { return op.ref.removal; }));
  EXPECT_GE(segments_.size(), 6u);
  EXPECT_GE(archives_.size(), 8u);
  size_t nonempty = 0;
  for (const auto& [key, answer] : before_) nonempty += answer.empty() ? 0 : 1;
  std::cout << ops_.size() << " operations, " << segments_.size() << " segments, "
            << archives_.size() << " archives, " << before_.size() << " lookups (" << nonempty
            << " with answers)" << std::endl;
  EXPECT_GT(nonempty, 50u);
}

TEST_F(SalvageTest, OneByteInEverySegment) {
  Damage damage;
  for (size_t i = 0; i < segments_.size(); ++i) FlipSegment(segments_[i], i % 4, &damage);
  ExpectSalvage("(a) one byte in every segment", damage);
}

TEST_F(SalvageTest, OneByteInEveryReference) {
  Damage damage;
  for (const Op& op : ops_) DamageRef(op, false, &damage);
  ExpectSalvage("(b) one byte in every reference", damage);
}

TEST_F(SalvageTest, OneByteInEverySegmentAndReference) {
  Damage damage;
  for (size_t i = 0; i < segments_.size(); ++i) FlipSegment(segments_[i], i % 4, &damage);
  for (const Op& op : ops_) DamageRef(op, false, &damage);
  ExpectSalvage("(c) one byte in every segment and reference", damage);
}

TEST_F(SalvageTest, OneByteInOneArchive) {
  Damage damage;
  DamageArchive(archives_[archives_.size() / 2], false, &damage);
  ExpectSalvage("(d) one byte in one archive", damage);
}

TEST_F(SalvageTest, TruncationOfEachKindOfFile) {
  Damage damage;
  TruncateSegment(segments_.front(), &damage);
  const auto add =
      std::find_if(ops_.begin(), ops_.end(), [](const Op& op) { return !op.ref.removal; });
  const auto removal =
      std::find_if(ops_.begin(), ops_.end(), [](const Op& op) { return op.ref.removal; });
  ASSERT_TRUE(add != ops_.end() && removal != ops_.end());
  DamageRef(*add, true, &damage);
  DamageRef(*removal, true, &damage);
  DamageArchive(archives_.front(), true, &damage);
  ExpectSalvage("(e) a truncation of each kind of file", damage);
}

}  // namespace
}  // namespace artidx
