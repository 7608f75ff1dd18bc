// Proves SPEC.md sufficient: SpecReader is an index reader written from SPEC.md alone (nothing
// from format/ or lookup/), and its answers must equal artidx::Index's on a store built by
// artidx::Indexer: several bundles, releases, dists and projects, debug ids (one with an
// appendix), timestamp ties, a superseding re-add, explicit bundle ids and a removal (a
// tombstone). Each index of the store is one segment (section 18), read here as a single file.

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "artidx/indexer.h"
#include "artidx/lookup.h"
#include "bundle/bundle_writer.h"
#include "gtest/gtest.h"
#include "tests/testing.h"

namespace {

using V = std::vector<std::string>;
using Fail = std::runtime_error;

// One answer; debug_id is the 16 uuid bytes followed by the u32le appendix.
struct Answer {
  std::string bundle_id;
  int64_t timestamp;
  std::string sha1, path, url;
  int type;
  std::optional<std::string> debug_id = {}, sourcemap = {};
  bool operator==(const Answer&) const = default;
};

class SpecReader {
 public:
  // SPEC.md sections 3, 4, 12. Returns "" when the file is valid, else what is wrong.
  std::string Open(std::string data) {
    d_ = std::move(data);
    if (d_.size() < 192) return "short";
    if (d_.compare(0, 8, std::string("\x41\x52\x54\x49\x44\x58\x1a\x0a", 8)) != 0) return "magic";
    if (U<uint16_t>(8) != 1) return "version";
    if (kind = U<uint16_t>(10); kind != 1 && kind != 2) return "kind";
    if (U<uint32_t>(12) != 0) return "flags";
    if (U<uint64_t>(16) != d_.size()) return "size";
    const uint64_t body = d_.size() - 8;
    if (XXH3_64bits(d_.data(), body) != U<uint64_t>(body)) return "checksum";
    for (int i = 0; i < 3; ++i) counts_[i] = U<uint32_t>(48 + 4 * i);
    if (bits_ = U<uint32_t>(60); bits_ > 31) return "bucket bits";
    // Sections: bundles, files, keys, buckets, postings, strings, bundle ids.
    const uint64_t sizes[] = {
        40 * counts_[0], 52 * counts_[1], 24 * counts_[2], ((uint64_t{1} << bits_) + 1) * 4, 0, 0,
        4 * counts_[0]};
    for (int s = 0; s < 7; ++s) {
      off_[s] = U<uint64_t>(64 + 16 * s), size_[s] = U<uint64_t>(72 + 16 * s);
      if (off_[s] < 184 || off_[s] > body || size_[s] > body - off_[s]) return "bounds";
      if (off_[s] % 8 != 0 || ((s < 4 || s == 6) && size_[s] != sizes[s])) return "section";
    }
    if (size_[4] % 4 != 0) return "postings";
    project = Str(24), release = Str(32), dist = Str(40);
    return "";
  }

  // Section 15: the postings of a key, ascending.
  std::vector<uint32_t> Find(const std::string& key) const {
    const uint64_t h = XXH3_64bits(key.data(), key.size());
    const uint64_t b = off_[3] + 4 * (bits_ == 0 ? 0 : h >> (64 - bits_));
    const uint32_t begin = U<uint32_t>(b), end = U<uint32_t>(b + 4);
    if (begin > end || end > counts_[2]) throw Fail("bad bucket");
    for (uint64_t p = off_[2] + 24 * uint64_t{begin}; p < off_[2] + 24 * uint64_t{end}; p += 24) {
      if (U<uint64_t>(p) != h || Str(p + 8) != key) continue;
      const uint32_t first = U<uint32_t>(p + 16), count = U<uint32_t>(p + 20);
      if (uint64_t{first} + count > size_[4] / 4) throw Fail("bad postings");
      std::vector<uint32_t> out;
      for (uint32_t i = 0; i < count; ++i) out.push_back(U<uint32_t>(off_[4] + 4 * (first + i)));
      return out;
    }
    return {};
  }

  // Sections 6, 7: the answer for file number f.
  Answer File(uint32_t f) const {
    if (f >= counts_[1]) throw Fail("bad file number");
    const uint64_t p = off_[1] + 52 * uint64_t{f}, bundle = U<uint32_t>(p);
    const uint8_t type = U<uint8_t>(p + 4), flags = U<uint8_t>(p + 5);
    if (bundle >= counts_[0] || type < 1 || type > 4 || (flags & ~3) || U<uint16_t>(p + 6)) {
      throw Fail("bad file record");
    }
    const uint64_t b = off_[0] + 40 * bundle;
    // Section 6: flag bit 0 is a tombstone, which has no file records.
    if (U<uint32_t>(b + 36) != 0) throw Fail("file of a tombstone, or bad bundle flags");
    Answer a{Str(b), U<int64_t>(b + 8), d_.substr(b + 16, 20), Str(p + 8), Str(p + 16), type};
    if (flags & 1) a.debug_id = d_.substr(p + 32, 20);
    if (flags & 2) a.sourcemap = Str(p + 24);
    return a;
  }
  uint32_t file_count() const { return static_cast<uint32_t>(counts_[1]); }
  uint32_t bundle_count() const { return static_cast<uint32_t>(counts_[0]); }

  // Section 6: bundle n's id, timestamp and whether it is a tombstone (which has a zero SHA-1).
  struct Bundle {
    std::string id;
    int64_t timestamp;
    bool tombstone;
    uint32_t files = 0;
  };
  Bundle GetBundle(uint32_t n) const {
    if (n >= counts_[0]) throw Fail("bad bundle number");
    const uint64_t b = off_[0] + 40 * uint64_t{n};
    const uint32_t flags = U<uint32_t>(b + 36);
    if (flags & ~1u) throw Fail("bad bundle flags");
    if ((flags & 1) && d_.substr(b + 16, 20) != std::string(20, '\0')) {
      throw Fail("tombstone with an archive");
    }
    Bundle out{Str(b), U<int64_t>(b + 8), (flags & 1) != 0};
    for (uint32_t f = 0; f < counts_[1]; ++f) out.files += U<uint32_t>(off_[1] + 52 * f) == n;
    return out;
  }

  // Section 6.1: binary search of the bundle-ids permutation; bundle_count() when absent.
  uint32_t FindBundle(const std::string& id) const {
    uint32_t lo = 0, hi = static_cast<uint32_t>(counts_[0]);
    while (lo < hi) {
      const uint32_t m = lo + (hi - lo) / 2, n = U<uint32_t>(off_[6] + 4 * uint64_t{m});
      if (n >= counts_[0]) throw Fail("bad bundle-ids entry");
      const std::string probe = Str(off_[0] + 40 * uint64_t{n});
      if (probe == id) return n;
      if (probe < id) {
        lo = m + 1;
      } else {
        hi = m;
      }
    }
    return static_cast<uint32_t>(counts_[0]);
  }

  // Section 16.1.
  static V ExpandUrl(std::string url) {
    if (url.starts_with("async ")) url.erase(0, 6);
    url = url.substr(0, url.find('#'));
    std::string rel = url;
    if (rel.starts_with('~')) {
      rel.erase(0, 1);
    } else if (size_t scheme = rel.find("://"); scheme != std::string::npos) {
      rel = rel.substr(scheme + 3);
      if (size_t slash = rel.find('/'); slash != std::string::npos) rel = rel.substr(slash);
    }
    const bool query = url.find('?') != std::string::npos;
    auto strip = [](const std::string& s) { return s.substr(0, s.find('?')); };
    V forms = {url}, out;
    if (query) forms.push_back(strip(url));
    forms.push_back("~" + rel);
    if (query) forms.push_back("~" + strip(rel));
    for (const std::string& f : forms) {
      if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
    }
    return out;
  }
  // Sections 16.2 and 17: the file numbers answering a URL, or a debug id (+ type, 0: any).
  std::vector<uint32_t> UrlFiles(const std::string& abs_path) const {
    std::vector<uint32_t> out;
    for (const std::string& form : ExpandUrl(abs_path)) {
      for (uint32_t f : Find(form)) out.push_back(f);
    }
    return out;
  }
  std::vector<uint32_t> DebugIdFiles(const std::string& id, int type) const {
    std::vector<uint32_t> out;
    for (uint32_t f : Find(id)) {
      if (type == 0 || U<uint8_t>(off_[1] + 52 * uint64_t{f} + 4) == type) out.push_back(f);
    }
    return out;
  }
  std::vector<Answer> Answers(const std::vector<uint32_t>& files) const {
    std::vector<Answer> out;
    for (uint32_t f : files) out.push_back(File(f));
    return out;
  }

  int kind = 0;
  std::string project, release, dist;

 private:
  template <typename T>
  T U(uint64_t at) const {
    if (at + sizeof(T) > d_.size()) throw Fail("read past the end");
    T v;
    std::memcpy(&v, d_.data() + at, sizeof v);
    return v;
  }
  std::string Str(uint64_t ref) const {  // Section 5.
    const uint64_t offset = U<uint32_t>(ref), length = U<uint32_t>(ref + 4);
    if (offset + length > size_[5]) throw Fail("string out of range");
    return d_.substr(off_[5] + offset, length);
  }

  std::string d_;
  uint64_t counts_[3] = {}, off_[7] = {}, size_[7] = {};
  uint32_t bits_ = 0;
};

std::string IdBytes(const artidx::DebugId& id) {
  std::string s(reinterpret_cast<const char*>(id.uuid.data()), 16);
  return s.append(reinterpret_cast<const char*>(&id.appendix), 4);  // little-endian host
}

std::vector<Answer> FromCandidates(const std::vector<artidx::Candidate>& cs) {
  std::vector<Answer> out;
  for (const artidx::Candidate& c : cs) {
    out.push_back({std::string(c.bundle_id), c.timestamp_ms, std::string(c.archive_sha1),
                   std::string(c.path), std::string(c.url), static_cast<int>(c.type),
                   c.debug_id ? std::optional(IdBytes(*c.debug_id)) : std::nullopt,
                   c.sourcemap ? std::optional(std::string(*c.sourcemap)) : std::nullopt});
  }
  return out;
}

artidx::DebugId Id(const char* text) { return *artidx::DebugId::Parse(text); }

TEST(SpecReaderTest, IndependentReaderAgreesWithIndex) {
  using T = artidx::FileType;
  const auto d1 = Id("2f259f80-58b7-44cb-d7cd-de1505e7e718"),
             d2 = Id("EB6E60F165FF4F6FADFFF1BBEDED627B"),
             d3 = Id("01234567-89ab-cdef-0123-456789abcdef-1f");
  const std::nullopt_t no = std::nullopt;
  artidx::testing::TempDir dir;
  auto bundle = [&](const char* name, std::optional<std::string> id,
                    std::vector<artidx::bundle::BundleFile> files) {
    absl::StatusOr<std::string> zip = artidx::bundle::WriteBundle({id, {{"org", "o"}}, files});
    EXPECT_TRUE(zip.ok()) << zip.status();
    artidx::testing::WriteFileOrDie(dir / name, *zip);
    return dir / name;
  };
  // clang-format off
  const std::string a = bundle("a.zip", "9e77a589-21d2-5428-829a-414ebcccce2a", {
      {"~/static/app.min.js", T::kMinifiedSource, "a1", d1, "app.min.js.map"},
      {"~/static/app.min.js.map", T::kSourceMap, "a2", d1, no},
      {"~/static/dup.js", T::kSource, "a3", no, no}, {"~/static/dup.js", T::kSource, "a4", no, no},
      {"https://cdn.example.com/lib.js?v=2", T::kMinifiedSource, "a5", d2, no}});
  const std::string b = bundle("b.zip", "1e77a589-21d2-5428-829a-414ebcccce2a", {
      {"~/static/app.min.js", T::kMinifiedSource, "b1", d1, "x.map"},
      {"~/static/q.js?v=1", T::kSource, "b2", no, no},
      {"app:///static/app.min.js.map", T::kSourceMap, "b3", d1, no}});
  const std::string c = bundle("c.zip", no, {  // bundle id: the archive's SHA-1
      {"https://example.com/static/app.min.js", T::kMinifiedSource, "c1", d3, no},
      {"~example.com", T::kSource, "c2", no, no},
      {"/Users/me/dist/main.js", T::kSource, "c3", d2, no}});
  const std::string e = bundle("e.zip", no, {
      {"~/static/app.min.js", T::kIndexedRamBundle, "e1", d2, no},
      {"webpack:///./src/a.js", T::kSource, "e2", d1, "a.js.map"}});
  const std::string f = bundle("f.zip", "ffffffff-21d2-5428-829a-414ebcccce2a", {
      {"~/static/app.min.js", T::kMinifiedSource, "f1", d1, no}});
  // clang-format on
  artidx::Indexer indexer(dir / "store");
  auto add = [&](V paths, V projects, std::string release, std::string dist, int64_t ts,
                 std::optional<std::string> id = std::nullopt) {
    artidx::AddOptions o;
    o.projects = projects, o.release = release, o.dist = dist, o.timestamp_ms = ts,
    o.bundle_id = id;
    absl::StatusOr<std::vector<artidx::AddResult>> r = indexer.Add(paths, o);
    ASSERT_TRUE(r.ok()) << r.status();
  };
  add({a, b}, {"web", "api"}, "1.0", "", 1000);  // a and b tie on the timestamp
  add({c}, {"web"}, "1.0", "", 500);
  add({c}, {"web"}, "1.0", "web", 2000);  // supersedes c's contribution to web's debug ids
  add({e}, {"web"}, "2.0", "", 1000, "custom-id");
  add({e}, {"api"}, "2.0", "", 1000, "ABCDEF0123456789ABCDEF0123456789");
  add({a}, {"web"}, "3.0", "", 3000);
  add({f}, {"web", "api"}, "", "", 1000);  // debug ids only; ties with b and custom-id
  {
    // A removal: tombstones of b in web's indexes (1.0 and the debug ids), not in api's.
    artidx::RemoveOptions o;
    o.projects = {"web"};
    o.timestamp_ms = 1500;
    absl::StatusOr<artidx::RemoveResult> r =
        indexer.Remove("1e77a589-21d2-5428-829a-414ebcccce2a", o);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->indexes.size(), 2u);
    EXPECT_FALSE(r->archives_deleted);  // api keeps it
  }

  // Section 16.1's table, and more.
  // clang-format off
  const V urls = {"https://example.com/static/app.min.js", "https://x/static/app.min.js?x=1#frag",
      "~/static/app.min.js", "http://other/static/app.min.js.map", "/static/q.js?v=1", "~", "",
      "app:///static/app.min.js.map", "https://h/static/dup.js", "https://example.com", "nothing",
      "https://cdn.example.com/lib.js?v=2", "https://cdn.example.com/lib.js", "https://a/b?",
      "https://x.io/static/q.js?v=1#a", "async https://example.com/static/app.min.js",
      "/Users/me/dist/main.js", "webpack:///./src/a.js", "https://x/static/dup.js?a=1&b=2#c"};
  // clang-format on
  const artidx::DebugId ids[] = {d1, d2, d3, Id("0123456789abcdef0123456789abcdef"),
                                 Id("00000000-0000-0000-0000-000000000001")};
  artidx::Store store(dir / "store");
  size_t url_indexes = 0, debug_indexes = 0, answers = 0, tombstones = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "store/projects")) {
    if (entry.path().extension() != ".aix") continue;
    const std::string path = entry.path().string();
    SpecReader r;
    ASSERT_EQ(r.Open(artidx::testing::ReadFileOrDie(path)), "") << path;
    auto index =
        r.kind == 1 ? store.UrlIndex(r.project, r.release, r.dist) : store.DebugIdIndex(r.project);
    ASSERT_TRUE(index.ok()) << index.status();
    // The store layout names the index directory by the segment's header; the segment is the
    // directory's only file.
    EXPECT_EQ((*index)->dir(), entry.path().parent_path().string());
    EXPECT_EQ(artidx::testing::OnlySegmentPath((*index)->dir()), path);
    EXPECT_EQ((*index)->segment_count(), 1u);
    // Bundles: every one found by id (section 6.1); the tombstones hidden from listings.
    std::vector<artidx::Index::BundleInfo> listed;
    ASSERT_TRUE((*index)->ListBundles(&listed).ok());
    std::vector<std::tuple<std::string, int64_t, uint32_t>> live, want_live;
    for (uint32_t n = 0; n < r.bundle_count(); ++n) {
      const SpecReader::Bundle b = r.GetBundle(n);
      EXPECT_EQ(r.FindBundle(b.id), n) << b.id;
      if (b.tombstone) {
        ++tombstones;
        EXPECT_EQ(b.files, 0u);
        continue;
      }
      live.emplace_back(b.id, b.timestamp, b.files);
    }
    for (const auto& b : listed) {
      want_live.emplace_back(std::string(b.bundle_id), b.timestamp_ms, b.files);
    }
    EXPECT_EQ(live, want_live) << path;
    EXPECT_EQ(r.FindBundle("no-such-bundle"), r.bundle_count());
    std::vector<artidx::Candidate> all;
    ASSERT_TRUE((*index)->ListFiles(&all).ok());
    ASSERT_EQ(r.file_count(), all.size());
    for (uint32_t i = 0; i < r.file_count(); ++i) {
      const Answer x = r.File(i);
      EXPECT_EQ(x, FromCandidates(all)[i]);
      if (i == 0) continue;  // Section 6 and 7 order: newest bundle first, then by path.
      const Answer p = r.File(i - 1);
      EXPECT_TRUE(p.bundle_id == x.bundle_id
                      ? p.path < x.path
                      : std::tie(p.timestamp, p.bundle_id) > std::tie(x.timestamp, x.bundle_id));
    }
    if (r.kind == 1) {
      ++url_indexes;
      for (const std::string& url : urls) {
        std::vector<artidx::Candidate> want;
        ASSERT_TRUE((*index)->LookupUrl(url, &want).ok());
        EXPECT_EQ(r.Answers(r.UrlFiles(url)), FromCandidates(want)) << path << " " << url;
        answers += want.size();
      }
      continue;
    }
    ++debug_indexes;
    EXPECT_EQ(r.release + r.dist, "");
    for (const artidx::DebugId& id : ids) {
      for (int t = 0; t <= 4; ++t) {
        std::vector<artidx::Candidate> want;
        ASSERT_TRUE(
            (*index)->LookupDebugId(id, t ? std::optional(T(t)) : std::nullopt, &want).ok());
        EXPECT_EQ(r.Answers(r.DebugIdFiles(IdBytes(id), t)), FromCandidates(want))
            << id.ToString() << " " << t;
        answers += want.size();
      }
    }
  }
  EXPECT_EQ(url_indexes, 6u);  // web: 1.0, (1.0, web), 2.0, 3.0; api: 1.0, 2.0
  EXPECT_EQ(debug_indexes, 2u);
  EXPECT_EQ(tombstones, 2u);  // b's removal from web's (1.0, "") and debug-id indexes
  EXPECT_GT(answers, 50u);

  // Section 3 and 12: the size and the checksum are checked.
  const std::string good = artidx::testing::ReadFileOrDie(
      artidx::testing::OnlySegmentPath(dir / "store/projects/web/debug-ids"));
  std::string bad = good;
  bad[200] ^= 1;
  EXPECT_EQ(SpecReader().Open(bad), "checksum");
  EXPECT_EQ(SpecReader().Open(good.substr(0, good.size() - 8)), "size");
}

}  // namespace
