#include "lookup/stem_table.h"

#include <algorithm>

#include "common/strings.h"

namespace artidx::lookup {
namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

// Bytes [from, from + 8) of p[0..n) lowercased, big-endian, zero-padded: comparing keys
// compares those bytes (SPEC.md 16.3).
uint64_t StemKey(const char* p, size_t n, size_t from) {
  uint64_t key = 0;
  for (size_t i = from; i < from + 8; ++i) {
    key = key << 8 | (i < n ? static_cast<uint8_t>(Lower(p[i])) : 0);
  }
  return key;
}

using Suffix = StemTable::Suffix;
using Probe = StemTable::Probe;

bool SuffixLess(const Suffix& a, const Suffix& b, const char* base) {
  if (a.key[0] != b.key[0]) return a.key[0] < b.key[0];
  if (a.key[1] != b.key[1]) return a.key[1] < b.key[1];
  const size_t an = a.size() > 16 ? a.size() - 16 : 0, bn = b.size() > 16 ? b.size() - 16 : 0;
  if (an > 0 && bn > 0) {
    if (int c = CompareLower(a.text(base) + 16, an, b.text(base) + 16, bn); c != 0) return c < 0;
  }
  if (an != bn) return an < bn;
  return a.file < b.file;
}

// <0, 0 or >0 as the suffix, lowercased, sorts before, starts with, or sorts after the
// lowercased stem.
int CompareToStem(const Suffix& e, const Probe& p, const char* base) {
  for (int w = 0; w < 2; ++w) {
    const uint64_t key = e.key[w] & p.mask[w];
    if (key != p.key[w]) return key < p.key[w] ? -1 : 1;
  }
  if (p.text.size() > 16) {
    const size_t en = e.size() > 16 ? e.size() - 16 : 0;
    if (int c = CompareLower(e.text(base) + 16, en, p.text.data() + 16, p.text.size() - 16);
        c != 0) {
      return c;
    }
  }
  return e.size() >= p.text.size() ? 0 : -1;
}

// <0, 0 or >0 as the masked keys (the first 16 bytes) of a sample sort before, equal or
// sort after the probe's.
int CompareKeys(const std::array<uint64_t, 2>& key, const Probe& p) {
  for (int w = 0; w < 2; ++w) {
    const uint64_t k = key[w] & p.mask[w];
    if (k != p.key[w]) return k < p.key[w] ? -1 : 1;
  }
  return 0;
}

using Keys = std::vector<std::array<uint64_t, 2>>;

// In keys[lo, hi) (sorted): the first index whose keys do not sort before the probe's (masked),
// and the first whose keys sort after them, galloped to from the first: usually near it.
std::pair<size_t, size_t> Bounds(const Keys& keys, size_t lo, size_t hi, const Probe& p) {
  const auto begin = keys.begin();
  const size_t not_before =
      std::partition_point(begin + lo, begin + hi,
                           [&](const auto& k) { return CompareKeys(k, p) < 0; }) -
      begin;
  size_t known = not_before, next = not_before;  // keys [not_before, known) sort at or before
  for (size_t step = 1; next < hi && CompareKeys(keys[next], p) <= 0; step *= 2) {
    known = next + 1;
    next = known + step - 1;
  }
  const size_t after = std::partition_point(begin + known, begin + std::min(next, hi),
                                            [&](const auto& k) { return CompareKeys(k, p) <= 0; }) -
                       begin;
  return {not_before, after};
}

// What a sorted array's every kStride-th keys at [not_before, after) (Bounds) leave to search
// in the array: [lo, hi).
std::pair<size_t, size_t> Narrowed(std::pair<size_t, size_t> bounds, size_t size) {
  const auto [not_before, after] = bounds;
  return {not_before == 0 ? 0 : (not_before - 1) * StemTable::kStride,
          std::min(size, after * StemTable::kStride + 1)};
}

// Requests the lines of [from, to) together, when they are few: the steps of a search among
// them then miss the cache at once rather than one after another.
void PrefetchFew(const void* from, const void* to) {
  const char* const end = static_cast<const char*>(to);
  if (end - static_cast<const char*>(from) >
      static_cast<ptrdiff_t>(2 * StemTable::kStride * sizeof(StemTable::Suffix))) {
    return;
  }
  for (const char* line = static_cast<const char*>(from); line < end; line += 64) {
    __builtin_prefetch(line);
  }
}

}  // namespace

int CompareLower(const char* a, size_t an, const char* b, size_t bn) {
  for (size_t i = 0, n = std::min(an, bn); i < n; ++i) {
    const uint8_t x = static_cast<uint8_t>(Lower(a[i])), y = static_cast<uint8_t>(Lower(b[i]));
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

bool ContainsLower(std::string_view text, std::string_view stem) {
  for (size_t i = 0; i + stem.size() <= text.size(); ++i) {
    if (CompareLower(text.data() + i, stem.size(), stem.data(), stem.size()) == 0) return true;
  }
  return false;
}

StemTable::Probe::Probe(std::string_view stem) : text(stem) {
  for (int w = 0; w < 2; ++w) {
    key[w] = StemKey(stem.data(), stem.size(), 8 * w);
    const size_t have = std::min<size_t>(stem.size() > 8u * w ? stem.size() - 8 * w : 0, 8);
    mask[w] = have == 0 ? 0 : ~uint64_t{0} << (8 * (8 - have));
  }
}

absl::Status StemTable::Build(const format::IndexReader& r, const char* base,
                              absl::FunctionRef<absl::Status(std::string_view what)> corrupt) {
  std::call_once(once_, [&] {
    for (uint32_t f = 0; f < r.file_count(); ++f) {
      format::FileView file;
      if (!r.GetFile(f, &file)) {
        status_ = corrupt(StrCat("file record ", f));
        break;
      }
      for (size_t i = file.url.find('/'); i != std::string_view::npos;
           i = file.url.find('/', i + 1)) {
        const char* text = file.url.data() + i;
        const size_t size = file.url.size() - i;
        entries_.push_back(Suffix{{StemKey(text, size, 0), StemKey(text, size, 8)},
                                  static_cast<uint64_t>(file.url.data() - base),
                                  static_cast<uint32_t>(file.url.size()),
                                  static_cast<uint32_t>(i),
                                  f});
      }
    }
    std::sort(entries_.begin(), entries_.end(),
              [base](const Suffix& a, const Suffix& b) { return SuffixLess(a, b, base); });
    samples_.reserve(entries_.size() / kStride + 1);
    for (size_t i = 0; i < entries_.size(); i += kStride) {
      samples_.push_back({entries_[i].key[0], entries_[i].key[1]});
    }
    coarse_.reserve(samples_.size() / kStride + 1);
    for (size_t i = 0; i < samples_.size(); i += kStride) coarse_.push_back(samples_[i]);
  });
  return status_;
}

std::pair<const Suffix*, const Suffix*> StemTable::Range(const Probe& p, const char* base) const {
  const std::vector<Suffix>& table = entries_;
  // The first entry starting with the stem (or sorting after it) lies after the last sample
  // whose keys sort before the probe's and at or before the first sample whose keys sort after
  // them: usually within one stride. The samples are narrowed alike by the coarse samples.
  const auto [samples_lo, samples_hi] =
      Narrowed(Bounds(coarse_, 0, coarse_.size(), p), samples_.size());
  PrefetchFew(samples_.data() + samples_lo, samples_.data() + samples_hi);
  const auto [lo, hi] = Narrowed(Bounds(samples_, samples_lo, samples_hi, p), table.size());
  const Suffix* const from = table.data() + lo;
  const Suffix* const to = table.data() + hi;
  PrefetchFew(from, to);
  // The entries whose keys equal the probe's (masked): found from the keys alone, and ending
  // before `to`, whose sample's keys sort after the probe's. Every answer is among them.
  const Suffix* const keys_begin = std::partition_point(from, to, [&](const Suffix& e) {
    return CompareKeys({e.key[0], e.key[1]}, p) < 0;
  });
  const Suffix* const keys_end = std::partition_point(keys_begin, to, [&](const Suffix& e) {
    return CompareKeys({e.key[0], e.key[1]}, p) <= 0;
  });
  // A stem longer than the keys is compared with the urls' bytes: when they are few, request
  // them together, so that the search below misses the cache once rather than at each step.
  if (p.text.size() > 16 && keys_end - keys_begin <= static_cast<ptrdiff_t>(kStride)) {
    for (const Suffix* e = keys_begin; e != keys_end; ++e) __builtin_prefetch(e->text(base) + 16);
  }
  const Suffix* begin = std::partition_point(
      keys_begin, keys_end, [&](const Suffix& e) { return CompareToStem(e, p, base) < 0; });
  // Answers are short: walk to their end, and search only past a few.
  const Suffix* end = begin;
  for (int i = 0; i < 8 && end != keys_end && CompareToStem(*end, p, base) == 0; ++i) ++end;
  if (end != keys_end && CompareToStem(*end, p, base) == 0) {
    end = std::partition_point(end, keys_end,
                               [&](const Suffix& e) { return CompareToStem(e, p, base) == 0; });
  }
  return {begin, end};
}

}  // namespace artidx::lookup
