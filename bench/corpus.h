// Deterministic corpus for the benchmarks: realistic artifact bundles and index content made
// from a seed, shaped after the production figures of Sentry's RFC 0106
// (../shared/reference/artifact-bundles.md, section 4).
//
// A workload is a list of bundles. Bundle b is generated from its own random stream (seed, b)
// and a pool of scripts shared between bundles (vendor chunks: same URL, same debug id), so any
// bundle can be made on its own, in any order, and the same (workload, seed, b) always gives
// the same bundle. Bundles past the workload's count are more bundles of the same kind, newer
// than all of it: the benchmarks add those to a store that holds the workload.
//
// Each bundle holds scripts and, beside each, its source map: `~/static/js/chunk-<hash>.js` and
// `~/static/js/chunk-<hash>.js.map` with one debug id and type minified_source / source_map, the
// script carrying a `sourcemap` header. URL shapes follow real builds (create-react-app chunks,
// Next.js pages, Vite assets, absolute CDN URLs), 40 to 110 bytes long.
//
// Workloads (Workload(name)):
//   W1    one release: 200 bundles x 100 files (20,000 files), a quarter of the scripts from a
//         pool shared by about 4 bundles each (about 16,000 distinct URLs).
//   W2    one release: 200 rebuilds of the same 2,000 URLs (new debug ids each rebuild).
//   W3    one project's debug-id index: 4,000 bundles, 400,000 debug ids (800,000 files).
//   W3x   the same with 4,000,000 debug ids (8,000,000 files).
//   W4    ten times Sentry's caps: 75,000 bundles x 10 files (750,000 URLs) in one index.
//   W5    one bundle of 1,000 files, attached to 2,000 releases.
//   S75k  Sentry's caps: 7,500 bundles x 10 files (75,000 URLs); a point between W1 and W4.
//
// Thread-safe: pure functions; a Generator is immutable after construction.

#ifndef ARTIDX_BENCH_CORPUS_H_
#define ARTIDX_BENCH_CORPUS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "artidx/types.h"
#include "bundle/bundle_writer.h"
#include "format/index_content.h"

namespace artidx::bench {

inline constexpr uint64_t kDefaultSeed = 0x00a7'71d8'be4c'5eedULL;

// SplitMix64: the same numbers on every platform, unlike the std distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  uint64_t Below(uint64_t n) { return Next() % n; }
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }
  std::string Hex(int digits);  // lowercase, at most 16
  DebugId Id();

 private:
  uint64_t state_;
};

struct WorkloadSpec {
  std::string name;
  IndexKind kind = IndexKind::kUrl;
  int bundles = 0;
  int files_per_bundle = 0;    // script, its map, script, its map, ...
  double shared_fraction = 0;  // of a bundle's scripts drawn from the shared pool
  int shared_uses = 4;         // about how many bundles each shared script appears in
  bool rebuilds = false;       // every bundle holds the same scripts, with new debug ids
  int releases = 1;            // W5: releases the bundle is attached to
  std::string project = "web";
  std::string release = "shop@2.4.0";  // empty for a debug-id workload
  std::string dist;
};

// W1, W2, W3, W3x, W4, W5, S75k as above; InvalidArgument-free: dies on an unknown name.
WorkloadSpec Workload(std::string_view name);
bool IsWorkload(std::string_view name);
std::vector<std::string> WorkloadNames();

// A workload of `bundles` bundles of `files` files like W1's (the shared-pool shape), for size
// series: its name is "<bundles>x<files>".
WorkloadSpec UrlWorkload(int bundles, int files_per_bundle);

class Generator {
 public:
  Generator(WorkloadSpec spec, uint64_t seed = kDefaultSeed);

  const WorkloadSpec& spec() const { return spec_; }
  // Bundle `b` (0 <= b; b >= spec().bundles gives newer bundles of the same kind). Its
  // archive_sha1 is random: the bundle has no archive until MakeBundleSpec writes one.
  format::BundleEntry Bundle(int b) const;
  // The content of the workload's index: all its bundles (a URL index, or a debug-id index for
  // W3/W3x).
  format::IndexContent Content() const;
  // Calls `f` with each bundle of the workload in turn, without holding them all.
  void ForEachBundle(const std::function<void(format::BundleEntry)>& f) const;

  // Frame URLs as a browser reports them for stored URLs (`~/x` served from
  // https://shop.example.com, some with a `?v=` query), picked at random from the workload's
  // files; and frame URLs of the same shapes that no bundle holds.
  std::vector<std::string> PresentFrames(size_t n, uint64_t seed) const;
  std::vector<std::string> AbsentFrames(size_t n, uint64_t seed) const;
  // Debug ids of the workload's files, picked at random.
  std::vector<DebugId> PresentIds(size_t n, uint64_t seed) const;

 private:
  struct Script {
    std::string url;
    DebugId debug_id;
  };
  WorkloadSpec spec_;
  uint64_t seed_;
  std::vector<Script> shared_;   // the pool shared between bundles
  std::vector<Script> rebuilt_;  // W2: the scripts every rebuild holds (ids are per rebuild)
  int scripts_per_bundle_ = 0;
};

// The `~`-relative frame URL form browsers report for a stored url (see PresentFrames).
std::string FrameUrl(std::string_view url, Rng* rng);

// A real bundle for an entry: each file with a small body (a minified line with its
// `//# debugId` and `//# sourceMappingURL` comments, or a source map naming the debug id), the
// entry's id as the manifest's debug_id. Adding it to a store gives the entry's files.
bundle::BundleSpec MakeBundleSpec(const format::BundleEntry& bundle, std::string_view release);

// The JSON form of Sentry's RFC 0106 of an index holding `content`: bundles oldest first,
// files_by_url (URL index) or files_by_debug_id (debug-id index), each list of positions
// ascending and de-duplicated. Compact, as Index::ToSentryJson writes it.
std::string RfcJson(const format::IndexContent& content);

// The debug-id index content of the same bundles: every bundle (also those without a debug-id
// file), only their files with a debug id.
format::IndexContent DebugIdContentOf(format::IndexContent url_content);

}  // namespace artidx::bench

#endif  // ARTIDX_BENCH_CORPUS_H_
