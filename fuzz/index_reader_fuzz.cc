// Fuzzes format::IndexReader on arbitrary bytes: Open, every record, Find for keys taken from
// the input and from the file's own records, Decode and Verify; and format::SalvageIndex, the
// record-by-record reader of damaged files. Nothing may read out of bounds or crash; a file that
// Verify accepts must also answer every one of its keys with the files that hold it, and
// SalvageIndex must read exactly its identity and bundle records. (artidx::Index is file-based and
// a thin layer over IndexReader, so the reader is fuzzed directly.)

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "format/index_reader.h"
#include "format/index_salvage.h"
#include "fuzz/fuzz_check.h"

namespace {

using artidx::IndexKind;
using artidx::format::BundleView;
using artidx::format::FileView;
using artidx::format::IndexReader;
using artidx::format::KeyHash;
using artidx::format::Postings;

// Find(a + b), checking that whatever it returns can be read.
bool FindKey(const IndexReader& r, std::string_view a, std::string_view b, Postings* out) {
  if (!r.Find(KeyHash(a, b), a, b, out)) return false;
  uint64_t sum = 0;
  for (uint32_t i = 0; i < out->size(); ++i) {
    sum += (*out)[i];
    FileView file;
    (void)r.GetFile((*out)[i], &file);
  }
  return sum != UINT64_MAX;  // keeps the loads
}

bool Contains(const Postings& postings, uint32_t f) {
  for (uint32_t i = 0; i < postings.size(); ++i) {
    if (postings[i] == f) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Any bytes, also those Open refuses (a truncated file is one).
  const absl::StatusOr<artidx::format::SalvagedIndex> salvaged =
      artidx::format::SalvageIndex(bytes);
  if (salvaged.ok()) FUZZ_CHECK(salvaged->bundles.size() + salvaged->skipped <= size / 40);
  absl::StatusOr<IndexReader> opened = IndexReader::Open(bytes);
  if (!opened.ok()) return 0;
  const IndexReader& r = *opened;
  (void)r.project();
  (void)r.release();
  (void)r.dist();

  // Every record, and one past the end.
  for (uint32_t b = 0; b <= r.bundle_count(); ++b) {
    BundleView bundle;
    const bool ok = r.GetBundle(b, &bundle);
    FUZZ_CHECK(b < r.bundle_count() || !ok);
  }
  for (uint32_t f = 0; f <= r.file_count(); ++f) {
    FileView file;
    const bool ok = r.GetFile(f, &file);
    FUZZ_CHECK(f < r.file_count() || !ok);
    if (ok) FUZZ_CHECK(file.bundle < r.bundle_count());
  }

  // Keys taken from the input: its tail, split in two, and arbitrary hashes (any bucket).
  Postings postings;
  const size_t tail = std::min<size_t>(size, 32);
  const std::string_view end = bytes.substr(size - tail);
  (void)FindKey(r, end, {}, &postings);
  (void)FindKey(r, end.substr(0, tail / 2), end.substr(tail / 2), &postings);
  (void)FindKey(r, "~", end, &postings);
  for (size_t i = 0; i + 8 <= std::min<size_t>(size, 64); i += 8) {
    uint64_t hash;
    std::memcpy(&hash, data + i, 8);
    (void)r.Find(hash, end, {}, &postings);
  }

  // Keys taken from the file's own records.
  const uint32_t probe_files = std::min<uint32_t>(r.file_count(), 64);
  for (uint32_t f = 0; f < probe_files; ++f) {
    FileView file;
    if (!r.GetFile(f, &file)) continue;
    (void)FindKey(r, file.url, {}, &postings);
    if (file.url.size() > 1) (void)FindKey(r, file.url.substr(0, 1), file.url.substr(1), &postings);
  }

  absl::StatusOr<artidx::format::IndexContent> content = r.Decode();
  if (content.ok()) {
    FUZZ_CHECK(content->bundles.size() == r.bundle_count());
  }
  if (!r.Verify().ok()) return 0;
  FUZZ_CHECK(content.ok());

  // A valid file salvages whole: its identity and every bundle record, in order.
  FUZZ_CHECK(salvaged.ok() && salvaged->skipped == 0 && salvaged->id == content->id() &&
             salvaged->bundles.size() == content->bundles.size());
  for (size_t i = 0; i < content->bundles.size(); ++i) {
    const artidx::format::BundleEntry& b = content->bundles[i];
    FUZZ_CHECK(
        salvaged->bundles[i] ==
        (artidx::format::SalvagedBundle{b.bundle_id, b.timestamp_ms, b.archive_sha1, b.tombstone}));
  }

  // A verified file is canonical: each file is found under its own key.
  for (uint32_t f = 0; f < r.file_count(); ++f) {
    FileView file;
    FUZZ_CHECK(r.GetFile(f, &file));
    if (r.kind() == IndexKind::kUrl) {
      FUZZ_CHECK(FindKey(r, file.url, {}, &postings));
      FUZZ_CHECK(Contains(postings, f));
      if (!file.url.empty()) {
        FUZZ_CHECK(FindKey(r, file.url.substr(0, 1), file.url.substr(1), &postings));
        FUZZ_CHECK(Contains(postings, f));
      }
    } else if (file.debug_id) {
      char key[artidx::format::kDebugIdKeySize];
      artidx::format::EncodeDebugIdKey(*file.debug_id, key);
      FUZZ_CHECK(FindKey(r, std::string_view(key, sizeof key), {}, &postings));
      FUZZ_CHECK(Contains(postings, f));
    }
  }
  return 0;
}
