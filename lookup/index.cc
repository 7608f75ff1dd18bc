// index.cc: artidx::Index (include/artidx/lookup.h), one index's segments mapped and read:
// which bundle entry wins when several segments name a bundle (format::RankOf), lookups by URL,
// debug id and stem merged across segments in answer order, listing and export. The stem
// table a stem lookup searches is lookup/stem_table.h, shared between an Index and the one
// reopened from it.
//
// Thread safety: an Index is immutable once open, but for its stem tables, which are built
// once, by the first stem lookup (StemTable::Build), and only read after.

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/numbers.h"
#include "artidx/lookup.h"
#include "common/json_writer.h"
#include "common/strings.h"
#include "common/text.h"
#include "format/index_reader.h"
#include "lookup/stem_table.h"
#include "lookup/url_candidates.h"
#include "store/file_util.h"
#include "store/layout.h"
#include "store/segments.h"

namespace artidx {
namespace {

// The order of answers: newest bundle first (format::NewerThan), then zip path. One segment's
// postings are already in it.
bool AnswerOrder(const Candidate& a, const Candidate& b) {
  if (a.timestamp_ms != b.timestamp_ms || a.bundle_id != b.bundle_id) {
    return format::NewerThan(a.timestamp_ms, a.bundle_id, b.timestamp_ms, b.bundle_id);
  }
  return a.path < b.path;
}

// The segment files whose checksum this process verified, unchanged since (SPEC.md 14): an
// index reopened after an add maps again the segments it shares with its predecessor, and a
// process may open many Stores over one store; each file is verified once.
class VerifiedFiles {
 public:
  static constexpr size_t kMaxFiles = 1 << 16;  // then it starts over

  bool Contains(const store::FileIdentity& id) {
    std::lock_guard lock(mu_);
    return files_.contains(id);
  }
  void Add(const store::FileIdentity& id) {
    std::lock_guard lock(mu_);
    if (files_.size() >= kMaxFiles) files_.clear();
    files_.insert(id);
  }

 private:
  std::mutex mu_;
  absl::flat_hash_set<store::FileIdentity> files_;  // guarded by mu_
};

VerifiedFiles& Verified() {
  static auto* verified = new VerifiedFiles;  // never destroyed: used by any thread until exit
  return *verified;
}

}  // namespace

struct Index::Rep {
  // Past this many entries ending in a stem's last component, the stem itself is searched.
  static constexpr size_t kMaxVerified = 64;

  // The key a + b, unmaterialised (a URL form's "~" and body).
  struct Key {
    std::string_view a, b;
  };
  // A lookup's keys: a frame URL's forms, or a debug id.
  static constexpr int kMaxKeys = lookup::kMaxUrlForms;

  std::string dir;
  std::vector<store::OpenSegment> segments;
  // With one segment every bundle entry is current. With several, the entry that wins for each
  // bundle id named outside the base (largest) segment: (segment, bundle number). Built at open
  // in time proportional to the small segments only.
  uint32_t base = 0;
  absl::flat_hash_map<std::string_view, std::pair<uint32_t, uint32_t>> winners;

  // The stem tables of the segments, in segment order (shared with the Index this one was
  // reopened from, for the segments they share).
  std::vector<std::shared_ptr<lookup::StemTable>> stem_tables;

  const char* Base(uint32_t s) const { return segments[s].file->data().data(); }

  absl::Status Corrupt(uint32_t segment, std::string_view what) const {
    return absl::DataLossError(StrCat(dir, "/", segments[segment].name, ": corrupt index: ", what));
  }

  bool Wins(uint32_t segment, uint32_t bundle, std::string_view id) const {
    if (winners.empty()) return true;
    auto it = winners.find(id);
    if (it == winners.end()) return segment == base;
    return it->second == std::make_pair(segment, bundle);
  }

  absl::Status BuildWinners() {
    if (segments.size() < 2) return absl::OkStatus();
    for (uint32_t s = 1; s < segments.size(); ++s) {
      if (segments[s].reader.bundle_count() > segments[base].reader.bundle_count()) base = s;
    }
    absl::flat_hash_map<std::string_view, format::BundleView> best;
    for (uint32_t s = 0; s < segments.size(); ++s) {
      if (s == base) continue;
      const format::IndexReader& r = segments[s].reader;
      for (uint32_t b = 0; b < r.bundle_count(); ++b) {
        format::BundleView view;
        if (!r.GetBundle(b, &view)) return Corrupt(s, StrCat("bundle record ", b));
        auto [it, inserted] = winners.try_emplace(view.id, s, b);
        if (inserted || format::RankOf(view) > format::RankOf(best[view.id])) {
          it->second = {s, b};
          best[view.id] = view;
        }
      }
    }
    const format::IndexReader& base_reader = segments[base].reader;
    for (auto& [id, winner] : winners) {
      uint32_t b;
      if (!base_reader.FindBundle(id, &b)) return Corrupt(base, "bundle id table");
      format::BundleView view;
      if (b == base_reader.bundle_count()) continue;
      if (!base_reader.GetBundle(b, &view)) return Corrupt(base, StrCat("bundle record ", b));
      if (format::RankOf(view) >= format::RankOf(best[id])) winner = {base, b};
    }
    return absl::OkStatus();
  }

  // Appends the candidate for file `f` of segment `s` if its bundle entry is current and it
  // has the type asked for, if any.
  absl::Status Append(uint32_t s, uint32_t f, std::optional<FileType> type,
                      std::vector<Candidate>* out) const {
    format::FileView file;
    format::BundleView bundle;
    const format::IndexReader& r = segments[s].reader;
    if (!r.GetFile(f, &file)) return Corrupt(s, StrCat("file record ", f));
    if (type && file.type != *type) return absl::OkStatus();
    if (!r.GetBundle(file.bundle, &bundle)) return Corrupt(s, StrCat("file record ", f));
    if (!Wins(s, file.bundle, bundle.id)) return absl::OkStatus();
    out->push_back(Candidate{bundle.id, bundle.timestamp_ms, bundle.archive_sha1, file.path,
                             file.url, file.type, file.debug_id, file.sourcemap});
    return absl::OkStatus();
  }

  // Appends, key after key, the answers for each of keys[0..n) from every segment, in answer
  // order; only files of `type` when it is given.
  absl::Status FindAll(const Key* keys, int n, std::optional<FileType> type,
                       std::vector<Candidate>* out) const {
    uint64_t hashes[kMaxKeys];
    for (int i = 0; i < n; ++i) hashes[i] = format::KeyHash(keys[i].a, keys[i].b);
    if (segments.size() == 1) {
      // The usual case, and every compacted index. Probing for every key before decoding any
      // answer lets the probes' cache misses overlap; one segment's answers need no merging.
      const format::IndexReader& r = segments[0].reader;
      format::Postings postings[kMaxKeys];
      for (int i = 0; i < n; ++i) {
        if (!r.Find(hashes[i], keys[i].a, keys[i].b, &postings[i])) return Corrupt(0, "key table");
      }
      for (int i = 0; i < n; ++i) {
        // File records are requested a few postings ahead of their decoding.
        constexpr uint32_t kAhead = 8;
        for (uint32_t p = 0; p < postings[i].size() && p < kAhead; ++p)
          r.PrefetchFile(postings[i][p]);
        for (uint32_t p = 0; p < postings[i].size(); ++p) {
          if (p + kAhead < postings[i].size()) r.PrefetchFile(postings[i][p + kAhead]);
          if (absl::Status st = Append(0, postings[i][p], type, out); !st.ok()) return st;
        }
      }
      return absl::OkStatus();
    }
    for (int i = 0; i < n; ++i) {
      const size_t first = out->size();
      int lists = 0;
      for (uint32_t s = 0; s < segments.size(); ++s) {
        format::Postings postings;
        if (!segments[s].reader.Find(hashes[i], keys[i].a, keys[i].b, &postings)) {
          return Corrupt(s, "key table");
        }
        lists += postings.size() > 0;
        for (uint32_t p = 0; p < postings.size(); ++p) {
          if (absl::Status st = Append(s, postings[p], type, out); !st.ok()) return st;
        }
      }
      if (lists > 1) std::sort(out->begin() + first, out->end(), AnswerOrder);
    }
    return absl::OkStatus();
  }
};

Index::Index(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
Index::~Index() = default;

absl::StatusOr<std::unique_ptr<Index>> Index::Open(const std::string& dir, bool verify_checksums,
                                                   const Index* previous) {
  return Open(store::Layout(dir), dir, verify_checksums, previous);
}

absl::StatusOr<std::unique_ptr<Index>> Index::Open(const store::Layout& layout,
                                                   const std::string& dir, bool verify_checksums,
                                                   const Index* previous) {
  absl::StatusOr<std::vector<store::OpenSegment>> segments = store::OpenSegments(layout, dir);
  if (!segments.ok()) return segments.status();
  auto rep = std::make_unique<Rep>();
  rep->dir = dir;
  rep->segments = *std::move(segments);
  for (uint32_t s = 0; verify_checksums && s < rep->segments.size(); ++s) {
    // The identity is that of the descriptor that was mapped: the bytes checked are its bytes.
    const store::FileIdentity& id = rep->segments[s].file->identity();
    if (Verified().Contains(id)) continue;
    if (!rep->segments[s].reader.ChecksumMatches()) return rep->Corrupt(s, "checksum mismatch");
    Verified().Add(id);
  }
  const format::IndexReader& first = rep->segments[0].reader;
  for (uint32_t s = 1; s < rep->segments.size(); ++s) {
    const format::IndexReader& r = rep->segments[s].reader;
    if (r.kind() != first.kind() || r.project() != first.project() ||
        r.release() != first.release() || r.dist() != first.dist()) {
      return rep->Corrupt(s, StrCat("belongs to another index than ", rep->segments[0].name));
    }
  }
  if (absl::Status s = rep->BuildWinners(); !s.ok()) return s;
  // A segment is named by the hash of its bytes: the same name, the same stem table.
  for (const store::OpenSegment& segment : rep->segments) {
    std::shared_ptr<lookup::StemTable> table;
    for (size_t p = 0; previous != nullptr && p < previous->rep_->segments.size(); ++p) {
      if (previous->rep_->segments[p].name == segment.name) table = previous->rep_->stem_tables[p];
    }
    rep->stem_tables.push_back(table != nullptr ? table : std::make_shared<lookup::StemTable>());
  }
  return std::unique_ptr<Index>(new Index(std::move(rep)));
}

const std::string& Index::dir() const { return rep_->dir; }
IndexKind Index::kind() const { return rep_->segments[0].reader.kind(); }
std::string_view Index::project() const { return rep_->segments[0].reader.project(); }
std::string_view Index::release() const { return rep_->segments[0].reader.release(); }
std::string_view Index::dist() const { return rep_->segments[0].reader.dist(); }
size_t Index::segment_count() const { return rep_->segments.size(); }

absl::Status Index::LookupUrl(std::string_view abs_path, std::vector<Candidate>* out) const {
  if (kind() != IndexKind::kUrl) {
    return absl::FailedPreconditionError(rep_->dir + ": not a URL index");
  }
  lookup::UrlForm forms[lookup::kMaxUrlForms];
  const int n = lookup::ExpandUrl(abs_path, forms);
  Rep::Key keys[lookup::kMaxUrlForms];
  for (int i = 0; i < n; ++i) keys[i] = {forms[i].prefix, forms[i].body};
  return rep_->FindAll(keys, n, std::nullopt, out);
}

absl::Status Index::LookupStem(std::string_view stem, std::vector<Candidate>* out) const {
  if (kind() != IndexKind::kUrl) {
    return absl::FailedPreconditionError(rep_->dir + ": not a URL index");
  }
  if (stem.empty()) return absl::InvalidArgumentError("empty file stem");
  const size_t first = out->size();
  if (stem.front() == '/') {
    // Every occurrence of the stem in a url holds, at a '/' of the url, the stem's last
    // component (from its last '/'), which is usually rare: find those entries and check the
    // stem's head before them. When they are many, search the whole stem instead.
    const size_t last_slash = stem.rfind('/');
    const std::string_view head = stem.substr(0, last_slash);
    // With no head, the tail is the whole stem; the whole stem's probe is prepared when needed.
    const lookup::StemTable::Probe tail(stem.substr(last_slash));
    std::optional<lookup::StemTable::Probe> whole;
    for (uint32_t s = 0; s < rep_->segments.size(); ++s) {
      lookup::StemTable& stem_table = *rep_->stem_tables[s];
      const char* base = rep_->Base(s);
      if (absl::Status st =
              stem_table.Build(rep_->segments[s].reader, base,
                               [&](std::string_view what) { return rep_->Corrupt(s, what); });
          !st.ok()) {
        return st;
      }
      auto [begin, end] = stem_table.Range(tail, base);
      const bool verify = !head.empty() && static_cast<size_t>(end - begin) <= Rep::kMaxVerified;
      if (!head.empty() && !verify) {
        if (!whole) whole.emplace(stem);
        std::tie(begin, end) = stem_table.Range(*whole, base);
      }
      // The heads' bytes, then the matches' file records, are requested together before any
      // is read, so that their cache misses overlap (as FindAll does for postings).
      if (verify) {
        for (const lookup::StemTable::Suffix* e = begin; e != end; ++e) {
          if (e->offset >= head.size()) __builtin_prefetch(e->text(base) - head.size());
        }
      }
      absl::InlinedVector<uint32_t, 16> files;
      for (const lookup::StemTable::Suffix* e = begin; e != end; ++e) {
        if (verify && (e->offset < head.size() ||
                       lookup::CompareLower(e->text(base) - head.size(), head.size(), head.data(),
                                            head.size()) != 0)) {
          continue;
        }
        rep_->segments[s].reader.PrefetchFile(e->file);
        files.push_back(e->file);
      }
      // File numbers order one segment's files in answer order (SPEC.md 7), and a file that
      // holds the stem at several '/' came once per '/': with one segment, sorting the numbers
      // gives the answer, without comparing candidates.
      if (rep_->segments.size() == 1) {
        std::sort(files.begin(), files.end());
        files.erase(std::unique(files.begin(), files.end()), files.end());
      }
      for (uint32_t f : files) {
        if (absl::Status st = rep_->Append(s, f, std::nullopt, out); !st.ok()) return st;
      }
    }
    if (rep_->segments.size() == 1) return absl::OkStatus();
  } else {
    for (uint32_t s = 0; s < rep_->segments.size(); ++s) {
      const format::IndexReader& r = rep_->segments[s].reader;
      for (uint32_t f = 0; f < r.file_count(); ++f) {
        format::FileView file;
        if (!r.GetFile(f, &file)) return rep_->Corrupt(s, StrCat("file record ", f));
        if (!lookup::ContainsLower(file.url, stem)) continue;
        if (absl::Status st = rep_->Append(s, f, std::nullopt, out); !st.ok()) return st;
      }
    }
  }
  // A URL holding the stem at several '/' gave its file more than once; one segment's file is
  // one (bundle, path), and of several segments only one entry of a bundle is current.
  if (out->size() - first < 2) return absl::OkStatus();
  std::sort(out->begin() + first, out->end(), AnswerOrder);
  out->erase(std::unique(out->begin() + first, out->end(),
                         [](const Candidate& a, const Candidate& b) {
                           return a.bundle_id == b.bundle_id && a.path == b.path;
                         }),
             out->end());
  return absl::OkStatus();
}

absl::Status Index::LookupDebugId(const DebugId& id, std::optional<FileType> type,
                                  std::vector<Candidate>* out) const {
  if (kind() != IndexKind::kDebugId) {
    return absl::FailedPreconditionError(rep_->dir + ": not a debug-id index");
  }
  char key[format::kDebugIdKeySize];
  format::EncodeDebugIdKey(id, key);
  const Rep::Key keys[] = {{std::string_view(key, sizeof key), {}}};
  return rep_->FindAll(keys, 1, type, out);
}

absl::Status Index::ListBundles(std::vector<BundleInfo>* out) const {
  const size_t first = out->size();
  for (uint32_t s = 0; s < rep_->segments.size(); ++s) {
    const format::IndexReader& r = rep_->segments[s].reader;
    std::vector<uint32_t> files(r.bundle_count());
    for (uint32_t f = 0; f < r.file_count(); ++f) {
      format::FileView file;
      if (!r.GetFile(f, &file)) return rep_->Corrupt(s, StrCat("file record ", f));
      ++files[file.bundle];
    }
    for (uint32_t b = 0; b < r.bundle_count(); ++b) {
      format::BundleView bundle;
      if (!r.GetBundle(b, &bundle)) return rep_->Corrupt(s, StrCat("bundle record ", b));
      if (bundle.tombstone || !rep_->Wins(s, b, bundle.id)) continue;
      out->push_back(BundleInfo{bundle.id, bundle.timestamp_ms, bundle.archive_sha1, files[b]});
    }
  }
  std::sort(out->begin() + first, out->end(), [](const BundleInfo& a, const BundleInfo& b) {
    return std::tie(a.timestamp_ms, a.bundle_id) > std::tie(b.timestamp_ms, b.bundle_id);
  });
  return absl::OkStatus();
}

namespace {

// A cursor is the hex of "<timestamp>:<bundle id>" of the last bundle of a page: opaque to
// users, and stable because the order is total.
std::string EncodeCursor(const Index::BundleInfo& last) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string plain = StrCat(last.timestamp_ms, ":", last.bundle_id), out;
  for (unsigned char c : plain) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

bool DecodeCursor(std::string_view cursor, int64_t* timestamp_ms, std::string* bundle_id) {
  if (cursor.size() % 2 != 0 || cursor.size() > 512) return false;
  std::string plain;
  for (size_t i = 0; i < cursor.size(); i += 2) {
    int v = 0;
    for (char c : cursor.substr(i, 2)) {
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return false;
      v = v * 16 + d;
    }
    plain.push_back(static_cast<char>(v));
  }
  const size_t colon = plain.find(':');
  if (colon == std::string::npos) return false;
  *bundle_id = plain.substr(colon + 1);
  return absl::SimpleAtoi(plain.substr(0, colon), timestamp_ms);
}

}  // namespace

absl::StatusOr<Index::ListPage> Index::List(const ListOptions& options) const {
  int64_t after_ts = 0;
  std::string after_id;
  const bool resume = !options.cursor.empty();
  if (resume && !DecodeCursor(options.cursor, &after_ts, &after_id)) {
    return absl::InvalidArgumentError(
        StrCat("invalid cursor \"", options.cursor.substr(0, 80), "\""));
  }
  std::vector<BundleInfo> all;
  if (absl::Status s = ListBundles(&all); !s.ok()) return s;
  ListPage page;
  for (const BundleInfo& b : all) {
    // Skip up to and including the cursor's bundle: pages are in (timestamp, id) descending.
    if (resume && (b.timestamp_ms > after_ts ||
                   (b.timestamp_ms == after_ts && b.bundle_id >= std::string_view(after_id)))) {
      continue;
    }
    if (options.until_ms && b.timestamp_ms > *options.until_ms) continue;
    if (options.since_ms && b.timestamp_ms < *options.since_ms) break;
    if (options.limit > 0 && page.bundles.size() == options.limit) {
      page.next_cursor = EncodeCursor(page.bundles.back());
      break;
    }
    page.bundles.push_back(b);
  }
  return page;
}

absl::Status Index::ListFiles(std::vector<Candidate>* out) const {
  const size_t first = out->size();
  for (uint32_t s = 0; s < rep_->segments.size(); ++s) {
    for (uint32_t f = 0; f < rep_->segments[s].reader.file_count(); ++f) {
      if (absl::Status st = rep_->Append(s, f, std::nullopt, out); !st.ok()) return st;
    }
  }
  std::sort(out->begin() + first, out->end(), AnswerOrder);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Index::ToSentryJson() const {
  std::vector<BundleInfo> bundles;
  if (absl::Status s = ListBundles(&bundles); !s.ok()) return s;
  std::reverse(bundles.begin(), bundles.end());  // oldest first
  absl::flat_hash_map<std::string_view, size_t> position;
  JsonWriter json;
  json.BeginObject().Key("bundles").BeginArray();
  for (size_t i = 0; i < bundles.size(); ++i) {
    position[bundles[i].bundle_id] = i;
    json.BeginObject();
    json.Key("bundle_id").String(StrCat("artifact_bundle/", bundles[i].bundle_id));
    json.Key("timestamp").String(FormatIso8601(bundles[i].timestamp_ms));
    json.EndObject();
  }
  std::vector<Candidate> files;
  if (absl::Status s = ListFiles(&files); !s.ok()) return s;
  std::map<std::string, std::vector<size_t>> by_key;
  for (const Candidate& c : files) {
    if (kind() == IndexKind::kDebugId && !c.debug_id) continue;
    std::string key = kind() == IndexKind::kUrl ? std::string(c.url) : c.debug_id->ToString();
    by_key[std::move(key)].push_back(position[c.bundle_id]);
  }
  json.EndArray().Key(kind() == IndexKind::kUrl ? "files_by_url" : "files_by_debug_id");
  json.BeginObject();
  for (auto& [key, positions] : by_key) {
    std::sort(positions.begin(), positions.end());
    positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
    json.Key(key).BeginArray();
    for (size_t p : positions) json.Uint(p);
    json.EndArray();
  }
  json.EndObject().Key("is_complete").Bool(true).EndObject();
  return json.str();
}

absl::Status Index::Verify() const {
  for (uint32_t s = 0; s < rep_->segments.size(); ++s) {
    if (absl::Status st = rep_->segments[s].reader.Verify(); !st.ok()) {
      // The reader's message says "corrupt index: ..." already.
      return absl::DataLossError(
          StrCat(rep_->dir, "/", rep_->segments[s].name, ": ", StdView(st.message())));
    }
  }
  return absl::OkStatus();
}

}  // namespace artidx
