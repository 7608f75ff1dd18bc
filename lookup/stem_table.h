// A segment's stem table (SPEC.md 16.3): every suffix of every file URL that starts at one of
// its '/' characters, sorted case-insensitively, so that a stem lookup (Symbolicator's `url`
// parameter: "/app.min.js" matches every URL ending in, or holding, that text at a '/') is a
// binary search instead of a scan of every URL. Entries hold the suffix's first 16 bytes,
// lowercased, as two big-endian integers (most comparisons end there) and where its URL lies
// in the segment's bytes, so that a table stays valid for any mapping of the same segment file
// and can be shared by every Index that holds that segment. A dense array of every kStride-th
// entry's keys narrows a search to one stride first, and one of every kStride-th of those (a
// few kilobytes, which stays cached) narrows the search in that array alike.
//
// Thread safety: Build runs once per table, by its first caller (others wait for it); after
// it, Range is const and may run on any number of threads.
//
// Usage (lookup/index.cc):
//   if (absl::Status s = table.Build(reader, base, corrupt); !s.ok()) return s;
//   auto [begin, end] = table.Range(lookup::StemTable::Probe("/app.min.js"), base);

#ifndef ARTIDX_LOOKUP_STEM_TABLE_H_
#define ARTIDX_LOOKUP_STEM_TABLE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "format/index_reader.h"

namespace artidx::lookup {

// Compares the first min(an, bn) bytes of a and b, ASCII-lowercased, as unsigned bytes.
int CompareLower(const char* a, size_t an, const char* b, size_t bn);
// Whether `text` holds `stem`, ASCII case ignored.
bool ContainsLower(std::string_view text, std::string_view stem);

class StemTable {
 public:
  // One entry: the suffix of a file's URL that starts at one of its '/' characters.
  struct Suffix {
    uint64_t key[2];   // the suffix's first 16 bytes: StemKey(.., 0) and StemKey(.., 8)
    uint64_t url_pos;  // where the url is in the segment's bytes: valid for any mapping of them
    uint32_t url_size;
    uint32_t offset;  // of the suffix's '/' in the url
    uint32_t file;
    const char* text(const char* base) const { return base + url_pos + offset; }
    size_t size() const { return url_size - offset; }
  };
  // A stem prepared for the searches: its bytes and its first 16, lowercased, with a mask of
  // the key bytes it has.
  struct Probe {
    std::string_view text;
    uint64_t key[2], mask[2];
    explicit Probe(std::string_view stem);
  };
  static constexpr size_t kStride = 32;

  // Builds the table of the file records of `r`, whose segment's bytes start at `base`, unless
  // it was built already; returns the outcome of that one build: on a file record that does not
  // decode, corrupt("file record N").
  absl::Status Build(const format::IndexReader& r, const char* base,
                     absl::FunctionRef<absl::Status(std::string_view what)> corrupt);

  // The entries whose suffix starts with the probe's stem (ASCII case ignored). Build first.
  std::pair<const Suffix*, const Suffix*> Range(const Probe& p, const char* base) const;

 private:
  std::once_flag once_;
  absl::Status status_;
  std::vector<Suffix> entries_;
  // The keys of every kStride-th entry, densely; and of every kStride-th of those.
  std::vector<std::array<uint64_t, 2>> samples_, coarse_;
};

}  // namespace artidx::lookup

#endif  // ARTIDX_LOOKUP_STEM_TABLE_H_
