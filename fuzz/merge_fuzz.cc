// Differential fuzzing of merging (format/merge.h) and the canonical encoding (format/): the
// input is decoded into a small set of valid bundle entries (bundle ids from a tiny alphabet so
// that they collide, colliding timestamps, tombstones, files drawn from a few archives), the
// entries are split into segments, and the segments are merged in several orders and groupings,
// with and without a round trip through the encoded bytes. Every result must encode to the same
// bytes, hold for each bundle id the greatest entry by (timestamp, tombstone, archive SHA-1),
// and read back: IndexReader::Open, Verify and Decode succeed, and every bundle and key is found.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "format/index_content.h"
#include "format/index_encoder.h"
#include "format/index_reader.h"
#include "format/merge.h"
#include "fuzz/fuzz_check.h"

namespace {

using artidx::DebugId;
using artidx::FileType;
using artidx::IndexKind;
using artidx::format::BundleEntry;
using artidx::format::FileLocator;
using artidx::format::IndexContent;
using artidx::format::IndexReader;

// Reads the input a byte at a time; zeros once it is used up.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t Next() { return pos_ < size_ ? data_[pos_++] : 0; }
  // A number in [0, n).
  size_t Below(size_t n) { return Next() % n; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Tiny alphabets, so that ids, timestamps, urls and debug ids collide.
constexpr std::string_view kIds[] = {"a", "b", "ab", "9e77a589-21d2-5428-829a-414ebcccce2a",
                                     "b\xff"};
constexpr int64_t kTimestamps[] = {
    0, 1, 2, 1000, -1, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
constexpr std::string_view kPaths[] = {"files/_/_/a.js", "files/_/_/a.js.map", "files/b.js",
                                       "files/_/_/c", "files/_/_/a.js.1"};
constexpr std::string_view kUrls[] = {"~/a.js",     "~/a.js.map", "https://example.com/a.js",
                                      "~/a.js?x=1", "~/b.js",     "~"};
constexpr std::string_view kSourcemaps[] = {"", "a.js.map", "data:application/json,{}"};

DebugId SmallDebugId(Bytes& in) {
  DebugId id;
  const uint8_t b = in.Next();
  id.uuid[0] = static_cast<uint8_t>(b & 3);
  id.uuid[15] = static_cast<uint8_t>((b >> 2) & 1);
  id.appendix = (b >> 3) & 1;
  return id;
}

// An archive: its SHA-1 and the files it puts in the index. Equal SHA-1s mean equal archives,
// hence equal files; distinct archives get distinct SHA-1s.
struct Archive {
  artidx::Sha1Digest sha1{};
  std::vector<FileLocator> files;
};

Archive MakeArchive(Bytes& in, IndexKind kind, size_t number) {
  Archive archive;
  archive.sha1[0] = in.Next();  // varies the order of two adds at one timestamp
  archive.sha1[19] = static_cast<uint8_t>(number + 1);
  const size_t count = in.Below(4);
  for (size_t i = 0; i < count; ++i) {
    FileLocator file;
    file.path = std::string(kPaths[in.Below(std::size(kPaths))]);
    bool taken = false;
    for (const FileLocator& other : archive.files) taken = taken || other.path == file.path;
    if (taken) continue;
    file.url = std::string(kUrls[in.Below(std::size(kUrls))]);
    file.type = static_cast<FileType>(1 + in.Below(4));
    const uint8_t flags = in.Next();
    // A debug-id index holds only files with a debug id, as the indexer writes it.
    if (kind == IndexKind::kDebugId || (flags & 1) != 0) file.debug_id = SmallDebugId(in);
    if ((flags & 2) != 0)
      file.sourcemap = std::string(kSourcemaps[in.Below(std::size(kSourcemaps))]);
    archive.files.push_back(std::move(file));
  }
  return archive;
}

IndexContent Empty(IndexKind kind, std::string_view dist) {
  IndexContent c;
  c.kind = kind;
  c.project = "web";
  if (kind == IndexKind::kUrl) {
    c.release = "1.0";
    c.dist = std::string(dist);
  }
  return c;
}

std::string Encode(const IndexContent& content) {
  absl::StatusOr<std::string> bytes = artidx::format::EncodeIndex(content);
  if (!bytes.ok()) {
    std::fprintf(stderr, "EncodeIndex: %s\n", std::string(bytes.status().message()).c_str());
  }
  FUZZ_CHECK(bytes.ok());
  return *std::move(bytes);
}

// Open, Verify and Decode the bytes; returns the decoded content.
IndexContent ReadBack(const std::string& bytes) {
  absl::StatusOr<IndexReader> reader = IndexReader::Open(bytes);
  FUZZ_CHECK(reader.ok());
  const absl::Status verified = reader->Verify();
  if (!verified.ok()) std::fprintf(stderr, "Verify: %s\n", std::string(verified.message()).c_str());
  FUZZ_CHECK(verified.ok());
  absl::StatusOr<IndexContent> content = reader->Decode();
  FUZZ_CHECK(content.ok());
  return *std::move(content);
}

// Merges `segments` (by index) into one, left to right.
IndexContent MergeInOrder(const IndexContent& empty, const std::vector<IndexContent>& segments,
                          const std::vector<size_t>& order) {
  IndexContent out = empty;
  for (size_t s : order) artidx::format::MergeIndex(&out, segments[s]);
  return out;
}

// Merges neighbours pairwise until one is left, each intermediate result encoded and decoded
// again (as compaction does with its inputs and output).
IndexContent MergeTree(std::vector<IndexContent> level) {
  while (level.size() > 1) {
    std::vector<IndexContent> next;
    for (size_t i = 0; i < level.size(); i += 2) {
      IndexContent merged = std::move(level[i]);
      if (i + 1 < level.size()) artidx::format::MergeIndex(&merged, std::move(level[i + 1]));
      next.push_back(ReadBack(Encode(merged)));
    }
    level = std::move(next);
  }
  return std::move(level.front());
}

auto Rank(const BundleEntry& e) { return std::tie(e.timestamp_ms, e.tombstone, e.archive_sha1); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 512) return 0;  // enough for every structure below; keeps runs fast
  Bytes in(data, size);
  const uint8_t mode = in.Next();
  const IndexKind kind = (mode & 1) != 0 ? IndexKind::kDebugId : IndexKind::kUrl;
  const IndexContent empty = Empty(kind, (mode & 2) != 0 ? "dist" : "");

  std::vector<Archive> archives(1 + in.Below(4));
  for (size_t a = 0; a < archives.size(); ++a) archives[a] = MakeArchive(in, kind, a);

  // The entries, each assigned to a segment.
  const size_t segment_count = 1 + in.Below(5);
  const size_t entry_count = in.Below(16);
  std::vector<BundleEntry> entries;
  std::vector<size_t> segment_of;
  for (size_t i = 0; i < entry_count; ++i) {
    BundleEntry e;
    e.bundle_id = std::string(kIds[in.Below(std::size(kIds))]);
    e.timestamp_ms = kTimestamps[in.Below(std::size(kTimestamps))];
    const uint8_t what = in.Next();
    if (what % 4 == 0) {
      e.tombstone = true;
    } else {
      const Archive& archive = archives[(what / 4) % archives.size()];
      e.archive_sha1 = archive.sha1;
      e.files = archive.files;
    }
    entries.push_back(std::move(e));
    segment_of.push_back(in.Below(segment_count));
  }

  // The expected value: per bundle id, the greatest entry.
  std::map<std::string, const BundleEntry*> best;
  for (const BundleEntry& e : entries) {
    auto [it, inserted] = best.try_emplace(e.bundle_id, &e);
    if (!inserted && Rank(e) > Rank(*it->second)) it->second = &e;
  }
  IndexContent expected = empty;
  for (const auto& [id, e] : best) expected.bundles.push_back(*e);
  const std::string reference = Encode(expected);

  // Segments: each the merge of its entries, as a segment an add or a removal publishes.
  std::vector<IndexContent> segments(segment_count, empty);
  for (size_t i = 0; i < entries.size(); ++i) {
    artidx::format::MergeBundle(&segments[segment_of[i]], entries[i]);
  }
  std::vector<std::string> segment_bytes;
  std::vector<IndexContent> decoded;
  for (const IndexContent& s : segments) {
    segment_bytes.push_back(Encode(s));
    decoded.push_back(ReadBack(segment_bytes.back()));
    FUZZ_CHECK(Encode(decoded.back()) == segment_bytes.back());
  }

  std::vector<std::string> results;
  // 1. Every entry one at a time, in input order and in reverse.
  {
    IndexContent forward = empty, backward = empty;
    for (const BundleEntry& e : entries) artidx::format::MergeBundle(&forward, e);
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
      artidx::format::MergeBundle(&backward, *it);
    }
    results.push_back(Encode(forward));
    results.push_back(Encode(backward));
  }
  // 2. Segments in order, in reverse, and in an order taken from the input; in memory and
  //    decoded from their bytes.
  std::vector<size_t> order(segment_count);
  for (size_t s = 0; s < segment_count; ++s) order[s] = s;
  results.push_back(Encode(MergeInOrder(empty, segments, order)));
  std::reverse(order.begin(), order.end());
  results.push_back(Encode(MergeInOrder(empty, decoded, order)));
  for (size_t s = segment_count; s > 1; --s) std::swap(order[s - 1], order[in.Below(s)]);
  results.push_back(Encode(MergeInOrder(empty, decoded, order)));
  // 3. Into a non-empty segment: the last one absorbs the others, newest segment first.
  {
    IndexContent into = decoded.back();
    for (size_t s = segment_count - 1; s-- > 0;) artidx::format::MergeIndex(&into, decoded[s]);
    results.push_back(Encode(into));
  }
  // 4. Pairwise, through the bytes at every level, in input order and in the shuffled order.
  results.push_back(Encode(MergeTree(decoded)));
  {
    std::vector<IndexContent> shuffled;
    for (size_t s : order) shuffled.push_back(decoded[s]);
    results.push_back(Encode(MergeTree(std::move(shuffled))));
  }
  // 5. Idempotence: merging the result with any segment again changes nothing.
  {
    IndexContent again = ReadBack(reference);
    for (const IndexContent& s : decoded) artidx::format::MergeIndex(&again, s);
    artidx::format::MergeIndex(&again, ReadBack(reference));
    results.push_back(Encode(again));
  }
  for (const std::string& r : results) FUZZ_CHECK(r == reference);

  // The merged index reads back: every bundle by id, every file under its key.
  absl::StatusOr<IndexReader> reader = IndexReader::Open(reference);
  FUZZ_CHECK(reader.ok());
  FUZZ_CHECK(reader->Verify().ok());
  absl::StatusOr<IndexContent> content = reader->Decode();
  FUZZ_CHECK(content.ok());
  FUZZ_CHECK(content->bundles.size() == best.size());
  FUZZ_CHECK(Encode(*content) == reference);
  for (uint32_t b = 0; b < reader->bundle_count(); ++b) {
    artidx::format::BundleView bundle;
    FUZZ_CHECK(reader->GetBundle(b, &bundle));
    uint32_t found;
    FUZZ_CHECK(reader->FindBundle(bundle.id, &found));
    FUZZ_CHECK(found == b);
    auto it = best.find(std::string(bundle.id));
    FUZZ_CHECK(it != best.end());
    FUZZ_CHECK(bundle.timestamp_ms == it->second->timestamp_ms);
    FUZZ_CHECK(bundle.tombstone == it->second->tombstone);
  }
  uint32_t absent;
  FUZZ_CHECK(reader->FindBundle("zz-not-an-id", &absent));
  FUZZ_CHECK(absent == reader->bundle_count());
  for (uint32_t f = 0; f < reader->file_count(); ++f) {
    artidx::format::FileView file;
    FUZZ_CHECK(reader->GetFile(f, &file));
    artidx::format::Postings postings;
    if (kind == IndexKind::kUrl) {
      FUZZ_CHECK(reader->Find(artidx::format::KeyHash(file.url), file.url, {}, &postings));
    } else {
      FUZZ_CHECK(file.debug_id.has_value());
      char key[artidx::format::kDebugIdKeySize];
      artidx::format::EncodeDebugIdKey(*file.debug_id, key);
      const std::string_view k(key, sizeof key);
      FUZZ_CHECK(reader->Find(artidx::format::KeyHash(k), k, {}, &postings));
    }
    bool listed = false;
    for (uint32_t p = 0; p < postings.size(); ++p) listed = listed || postings[p] == f;
    FUZZ_CHECK(listed);
  }
  return 0;
}
