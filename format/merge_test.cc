// Unit tests of format/merge.h: which contribution of a bundle id wins, and that merging is
// idempotent and commutative.

#include "format/merge.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "common/strings.h"
#include "format/index_content.h"
#include "format/index_encoder.h"
#include "gtest/gtest.h"

namespace artidx {
namespace {

using format::BundleEntry;
using format::DropTombstonesBefore;
using format::FileLocator;
using format::IndexContent;
using format::MergeBundle;
using format::MergeIndex;
using format::Supersedes;

Sha1Digest Digest(uint8_t first, uint8_t last = 0) {
  Sha1Digest d{};
  d[0] = first;
  d[19] = last;
  return d;
}

// An entry whose files depend on all of (id, timestamp, sha1), so that a wrong winner shows.
BundleEntry Entry(const std::string& id, int64_t timestamp, const Sha1Digest& sha1) {
  BundleEntry e{id, timestamp, sha1, false, {}};
  FileLocator f;
  f.path = StrCat("files/_/_/", id, "-", timestamp, "-", int{sha1[0]}, "-", int{sha1[19]}, ".js");
  f.url = "~/app.js";
  f.type = FileType::kMinifiedSource;
  e.files.push_back(f);
  return e;
}

// A removal of `id` at `timestamp`: no files, no archive.
BundleEntry Tombstone(const std::string& id, int64_t timestamp) {
  return BundleEntry{id, timestamp, {}, true, {}};
}

IndexContent EmptyIndex() {
  IndexContent c;
  c.kind = IndexKind::kUrl;
  c.project = "web";
  c.release = "1.0";
  return c;
}

const BundleEntry* Find(const IndexContent& c, const std::string& id) {
  const BundleEntry* found = nullptr;
  for (const BundleEntry& b : c.bundles) {
    if (b.bundle_id == id) {
      EXPECT_EQ(found, nullptr) << "bundle " << id << " appears twice";
      found = &b;
    }
  }
  return found;
}

std::string Encode(const IndexContent& c) {
  absl::StatusOr<std::string> bytes = format::EncodeIndex(c);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : std::string();
}

TEST(SupersedesTest, GreaterTimestampWins) {
  const BundleEntry older = Entry("b", 100, Digest(0xff, 0xff));
  const BundleEntry newer = Entry("b", 101, Digest(0x00));
  EXPECT_TRUE(Supersedes(newer, older));
  EXPECT_FALSE(Supersedes(older, newer));
  // Negative and extreme timestamps order numerically.
  EXPECT_TRUE(Supersedes(Entry("b", 0, Digest(0)), Entry("b", -1, Digest(9))));
  EXPECT_TRUE(Supersedes(Entry("b", INT64_MAX, Digest(0)), Entry("b", INT64_MIN, Digest(9))));
  EXPECT_FALSE(Supersedes(Entry("b", INT64_MIN, Digest(9)), Entry("b", INT64_MAX, Digest(0))));
}

TEST(SupersedesTest, EqualTimestampGreaterSha1Wins) {
  const BundleEntry a = Entry("b", 100, Digest(0x01, 0x00));
  const BundleEntry b = Entry("b", 100, Digest(0x01, 0x01));  // differs in the last byte only
  const BundleEntry c = Entry("b", 100, Digest(0x80, 0x00));  // bytes compare unsigned
  EXPECT_TRUE(Supersedes(b, a));
  EXPECT_FALSE(Supersedes(a, b));
  EXPECT_TRUE(Supersedes(c, b));
  EXPECT_TRUE(Supersedes(c, a));
  EXPECT_FALSE(Supersedes(a, c));
}

TEST(SupersedesTest, IdenticalDoesNotSupersede) {
  const BundleEntry a = Entry("b", 100, Digest(7, 7));
  EXPECT_FALSE(Supersedes(a, a));
  BundleEntry a_copy = a;
  EXPECT_FALSE(Supersedes(a_copy, a));
}

TEST(SupersedesTest, TombstoneWinsEqualTimestampsOnly) {
  const BundleEntry add = Entry("b", 100, Digest(0xff, 0xff));
  const BundleEntry removal = Tombstone("b", 100);
  // At equal timestamps a removal beats an add, whatever the add's SHA-1.
  EXPECT_TRUE(Supersedes(removal, add));
  EXPECT_FALSE(Supersedes(add, removal));
  // Otherwise the later timestamp wins, removal or not.
  EXPECT_TRUE(Supersedes(Entry("b", 101, Digest(0)), removal));
  EXPECT_FALSE(Supersedes(removal, Entry("b", 101, Digest(0))));
  EXPECT_TRUE(Supersedes(Tombstone("b", 101), add));
  EXPECT_FALSE(Supersedes(Tombstone("b", 99), add));
  // Two equal removals: neither supersedes.
  EXPECT_FALSE(Supersedes(removal, Tombstone("b", 100)));
}

TEST(MergeBundleTest, AddsNewIds) {
  IndexContent c = EmptyIndex();
  MergeBundle(&c, Entry("a", 1, Digest(1)));
  MergeBundle(&c, Entry("b", 1, Digest(1)));
  ASSERT_EQ(c.bundles.size(), 2u);
  ASSERT_NE(Find(c, "a"), nullptr);
  ASSERT_NE(Find(c, "b"), nullptr);
  EXPECT_EQ(*Find(c, "a"), Entry("a", 1, Digest(1)));
  // Merging never touches the identity of the index.
  EXPECT_EQ(c.project, "web");
  EXPECT_EQ(c.release, "1.0");
}

TEST(MergeBundleTest, NewerReplacesOlderWithItsFiles) {
  IndexContent c = EmptyIndex();
  MergeBundle(&c, Entry("a", 1, Digest(9)));
  MergeBundle(&c, Entry("other", 5, Digest(1)));
  BundleEntry newer = Entry("a", 2, Digest(0));
  newer.files.push_back(newer.files[0]);
  newer.files.back().path = "files/_/_/second.js";
  MergeBundle(&c, newer);
  ASSERT_EQ(c.bundles.size(), 2u);
  ASSERT_NE(Find(c, "a"), nullptr);
  EXPECT_EQ(*Find(c, "a"), newer);
  EXPECT_EQ(*Find(c, "other"), Entry("other", 5, Digest(1)));
}

TEST(MergeBundleTest, OlderIsIgnored) {
  IndexContent c = EmptyIndex();
  MergeBundle(&c, Entry("a", 2, Digest(0)));
  const IndexContent before = c;
  MergeBundle(&c, Entry("a", 1, Digest(0xff)));
  EXPECT_EQ(c, before);
  // Equal timestamp, smaller SHA-1: ignored; greater: replaces.
  MergeBundle(&c, Entry("a", 2, Digest(0, 0)));
  EXPECT_EQ(c, before);
  MergeBundle(&c, Entry("a", 2, Digest(0, 1)));
  ASSERT_EQ(c.bundles.size(), 1u);
  EXPECT_EQ(c.bundles[0], Entry("a", 2, Digest(0, 1)));
}

TEST(MergeBundleTest, IdenticalReAddIsANoOp) {
  IndexContent c = EmptyIndex();
  const BundleEntry e = Entry("a", 3, Digest(4));
  MergeBundle(&c, e);
  MergeBundle(&c, Entry("b", 3, Digest(4)));
  const IndexContent once = c;
  const std::string bytes = Encode(once);
  for (int i = 0; i < 3; ++i) MergeBundle(&c, e);
  EXPECT_EQ(c, once);
  EXPECT_EQ(Encode(c), bytes);
}

TEST(MergeBundleTest, FileLessEntryStillSupersedes) {
  // A bundle recorded without files (it contributes nothing to this index) still wins over an
  // older contribution of its id, removing that contribution's files.
  IndexContent c = EmptyIndex();
  MergeBundle(&c, Entry("a", 1, Digest(1)));
  MergeBundle(&c, BundleEntry{"a", 2, Digest(1), false, {}});
  ASSERT_EQ(c.bundles.size(), 1u);
  EXPECT_TRUE(c.bundles[0].files.empty());
  EXPECT_EQ(c.bundles[0].timestamp_ms, 2);
}

TEST(MergeBundleTest, TombstoneReplacesOlderAndEqualAdds) {
  IndexContent c = EmptyIndex();
  MergeBundle(&c, Entry("a", 5, Digest(0xff)));
  MergeBundle(&c, Entry("other", 5, Digest(1)));
  MergeBundle(&c, Tombstone("a", 5));
  ASSERT_EQ(c.bundles.size(), 2u);
  ASSERT_NE(Find(c, "a"), nullptr);
  EXPECT_EQ(*Find(c, "a"), Tombstone("a", 5));
  // An older or equal add of the id no longer comes back; a newer one does.
  MergeBundle(&c, Entry("a", 4, Digest(0xff)));
  MergeBundle(&c, Entry("a", 5, Digest(0xff, 0xff)));
  EXPECT_EQ(*Find(c, "a"), Tombstone("a", 5));
  MergeBundle(&c, Entry("a", 6, Digest(0)));
  EXPECT_EQ(*Find(c, "a"), Entry("a", 6, Digest(0)));
  // A tombstone older than the add it meets is ignored.
  MergeBundle(&c, Tombstone("a", 5));
  EXPECT_EQ(*Find(c, "a"), Entry("a", 6, Digest(0)));
  EXPECT_EQ(*Find(c, "other"), Entry("other", 5, Digest(1)));
}

TEST(MergeIndexTest, MergesEveryBundleAsMergeBundleDoes) {
  IndexContent into = EmptyIndex();
  MergeBundle(&into, Entry("a", 1, Digest(1)));
  MergeBundle(&into, Entry("b", 3, Digest(1)));
  MergeBundle(&into, Tombstone("c", 2));
  IndexContent from = EmptyIndex();
  MergeBundle(&from, Entry("a", 2, Digest(0)));  // newer: replaces
  MergeBundle(&from, Entry("b", 3, Digest(0)));  // equal timestamp, smaller SHA-1: ignored
  MergeBundle(&from, Entry("c", 2, Digest(9)));  // loses to the tombstone
  MergeBundle(&from, Tombstone("d", 7));         // new id: added
  MergeIndex(&into, from);
  ASSERT_EQ(into.bundles.size(), 4u);
  EXPECT_EQ(*Find(into, "a"), Entry("a", 2, Digest(0)));
  EXPECT_EQ(*Find(into, "b"), Entry("b", 3, Digest(1)));
  EXPECT_EQ(*Find(into, "c"), Tombstone("c", 2));
  EXPECT_EQ(*Find(into, "d"), Tombstone("d", 7));
  EXPECT_EQ(into.project, "web");
}

TEST(DropTombstonesBeforeTest, DropsOnlyOldTombstones) {
  IndexContent c = EmptyIndex();
  MergeBundle(&c, Tombstone("old", 9));
  MergeBundle(&c, Tombstone("cutoff", 10));
  MergeBundle(&c, Entry("add", 1, Digest(1)));
  DropTombstonesBefore(&c, 10);
  ASSERT_EQ(c.bundles.size(), 2u);
  EXPECT_EQ(Find(c, "old"), nullptr);
  ASSERT_NE(Find(c, "cutoff"), nullptr);
  ASSERT_NE(Find(c, "add"), nullptr);  // contributions stay whatever their age
  EXPECT_EQ(c.horizon_ms, 10);
}

TEST(DropTombstonesBeforeTest, RaisesTheHorizonOnlyWhenItDrops) {
  IndexContent c = EmptyIndex();
  MergeBundle(&c, Tombstone("gone", 20));
  MergeBundle(&c, Entry("add", 1, Digest(1)));
  DropTombstonesBefore(&c, 5);  // nothing that old
  EXPECT_EQ(c.horizon_ms, 0);
  DropTombstonesBefore(&c, 30);
  EXPECT_EQ(c.horizon_ms, 30);
  EXPECT_EQ(Find(c, "gone"), nullptr);
  // A tombstone merged back from a segment older than the horizon stays until a later cutoff.
  IndexContent old = EmptyIndex();
  MergeBundle(&old, Tombstone("gone", 20));
  MergeIndex(&c, old);
  EXPECT_EQ(c.horizon_ms, 30);
  DropTombstonesBefore(&c, 30);
  EXPECT_NE(Find(c, "gone"), nullptr);
  DropTombstonesBefore(&c, 31);
  EXPECT_EQ(Find(c, "gone"), nullptr);
  EXPECT_EQ(c.horizon_ms, 31);
}

// The order of segments that makes coverage acyclic: `a` comes at or after `b` when its horizon
// is greater, or equal with `a` already holding everything of `b` (merging `b` in changes
// nothing).
bool AtOrAfter(const IndexContent& a, const IndexContent& b) {
  if (a.horizon_ms != b.horizon_ms) return a.horizon_ms > b.horizon_ms;
  IndexContent merged = a;
  MergeIndex(&merged, b);
  return Encode(merged) == Encode(a);
}

// Concurrent compactions list different sets of segments, and some drop expired tombstones:
// whatever they merge, each output is the same bytes as one of its inputs or strictly after
// every input, so no two segments can each be named as covered by the other.
TEST(DropTombstonesBeforeTest, CompactionOutputsFollowTheirInputs) {
  std::mt19937 rng(77);
  for (int run = 0; run < 200; ++run) {
    std::vector<IndexContent> segments;
    for (int i = 0; i < 6; ++i) {
      IndexContent s = EmptyIndex();
      const std::string id = StrCat("bundle-", rng() % 4);
      const int64_t timestamp = static_cast<int64_t>(rng() % 8);
      MergeBundle(&s, rng() % 3 == 0
                          ? Tombstone(id, timestamp)
                          : Entry(id, timestamp, Digest(static_cast<uint8_t>(rng() % 2))));
      segments.push_back(s);
    }
    for (int step = 0; step < 30; ++step) {
      std::vector<size_t> inputs;
      for (size_t i = 0; i < segments.size(); ++i) {
        if (rng() % 2) inputs.push_back(i);
      }
      if (inputs.empty()) continue;
      IndexContent output = segments[inputs[0]];
      for (size_t i = 1; i < inputs.size(); ++i) MergeIndex(&output, segments[inputs[i]]);
      if (rng() % 2) DropTombstonesBefore(&output, static_cast<int64_t>(rng() % 10));
      const std::string bytes = Encode(output);
      for (size_t i : inputs) {
        const IndexContent& input = segments[i];
        if (Encode(input) == bytes) continue;
        ASSERT_TRUE(AtOrAfter(output, input)) << "run " << run << " step " << step;
        ASSERT_FALSE(AtOrAfter(input, output)) << "run " << run << " step " << step;
      }
      segments.push_back(output);
    }
  }
}

// The expected value of merging `entries` into an empty index: per id, the greatest
// (timestamp, tombstone, sha1), computed independently of MergeBundle.
IndexContent Expected(const std::vector<BundleEntry>& entries) {
  std::map<std::string, BundleEntry> best;
  for (const BundleEntry& e : entries) {
    auto it = best.find(e.bundle_id);
    if (it == best.end() ||
        std::tie(e.timestamp_ms, e.tombstone, e.archive_sha1) >
            std::tie(it->second.timestamp_ms, it->second.tombstone, it->second.archive_sha1)) {
      best.insert_or_assign(e.bundle_id, e);
    }
  }
  IndexContent c = EmptyIndex();
  for (auto& [id, e] : best) c.bundles.push_back(e);
  std::sort(c.bundles.begin(), c.bundles.end(), format::NewerFirst);
  return c;
}

IndexContent Sorted(IndexContent c) {
  std::sort(c.bundles.begin(), c.bundles.end(), format::NewerFirst);
  return c;
}

TEST(MergeBundleTest, OrderDoesNotMatter) {
  std::mt19937 rng(4242);
  for (int set = 0; set < 40; ++set) {
    // Few ids, timestamps and digests, so that ties of every kind occur; exact duplicates too.
    std::vector<BundleEntry> entries;
    const int n = 2 + static_cast<int>(rng() % 14);
    for (int i = 0; i < n; ++i) {
      const std::string id = StrCat("bundle-", rng() % 4);
      const int64_t timestamp = static_cast<int64_t>(rng() % 3);
      if (rng() % 4 == 0) {  // removals too
        entries.push_back(Tombstone(id, timestamp));
        continue;
      }
      entries.push_back(Entry(
          id, timestamp, Digest(static_cast<uint8_t>(rng() % 3), static_cast<uint8_t>(rng() % 2))));
    }
    if (set % 3 == 0) entries.push_back(entries[0]);
    const IndexContent expected = Expected(entries);
    const std::string expected_bytes = Encode(expected);
    for (int permutation = 0; permutation < 60; ++permutation) {
      std::shuffle(entries.begin(), entries.end(), rng);
      IndexContent c = EmptyIndex();
      for (const BundleEntry& e : entries) MergeBundle(&c, e);
      ASSERT_EQ(Sorted(c), expected) << "set " << set << " permutation " << permutation;
      ASSERT_EQ(Encode(c), expected_bytes);
      // Merging everything again, in another order, changes nothing (idempotence).
      std::vector<BundleEntry> again = entries;
      std::shuffle(again.begin(), again.end(), rng);
      for (const BundleEntry& e : again) MergeBundle(&c, e);
      ASSERT_EQ(Encode(c), expected_bytes);
    }
    // Merging two halves separately then together gives the same as merging all at once.
    IndexContent left = EmptyIndex(), right = EmptyIndex();
    for (size_t i = 0; i < entries.size(); ++i) {
      MergeBundle(i % 2 ? &left : &right, entries[i]);
    }
    IndexContent merged_index = left;
    MergeIndex(&merged_index, right);
    EXPECT_EQ(Encode(merged_index), expected_bytes) << "set " << set;
    IndexContent merged_other_way = right;
    MergeIndex(&merged_other_way, left);
    EXPECT_EQ(Encode(merged_other_way), expected_bytes) << "set " << set;
    for (const BundleEntry& e : right.bundles) MergeBundle(&left, e);
    EXPECT_EQ(Encode(left), expected_bytes) << "set " << set;
  }
}

}  // namespace
}  // namespace artidx
