// Lookup benchmarks: artidx's memory-mapped index against baselines measured in the same
// binary, on the same generated data (bench/corpus.h), each pair run alternately in batches
// (bench/harness.h). Index files are encoded directly from the generated content
// (format::EncodeIndex) and published as the one segment of an index directory.
//
//   url_lookup/<W>/present|absent  warm URL lookup of frame URLs, full candidate expansion, vs
//                                  absl::flat_hash_map<std::string, std::vector<Candidate>>
//                                  holding the same answers behind the same expansion.
//   open_first/<W>                 Index::Open of the index directory (file in the page cache)
//                                  and one URL lookup, vs loading the RFC 0106 JSON of the same
//                                  index, parsing it with simdjson and looking the URL up.
//   debug_id_lookup/<W>/any|typed  warm debug-id lookup, any type or source maps only, vs
//                                  absl::flat_hash_map keyed by (debug id, type).
//   stem_lookup/<W>                warm Index::LookupStem of the file stems Symbolicator sends
//                                  for the present frame URLs (stem table already built) vs
//                                  Index::LookupUrl of those frame URLs on the same index; and,
//                                  reported, the first stem lookup after Index::Open (which
//                                  builds the stem table) vs Index::Open alone.
//   index_size/<W>                 bytes of the index against its RFC 0106 JSON.
//   rss/<W>                        resident memory of a separate process (rss_probe) after a
//                                  million lookups, against the index pages it touched.
//
// Quick mode (default): W1, S75k, W2, W3, and rss on W1. --full adds W4 (and rss on it) and W3x.
// Before anything is timed, setup checks that artidx and the baselines give the same answers.
//
// One file of more than 600 lines: one benchmark binary, whose rows share the generated
// datasets (built once per process and reused by every benchmark) and the paired-run harness.

#include <benchmark/benchmark.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "artidx/lookup.h"
#include "artidx/types.h"
#include "bench/corpus.h"
#include "bench/harness.h"
#include "common/strings.h"
#include "format/index_content.h"
#include "lookup/url_candidates.h"
#include "simdjson.h"

namespace artidx::bench {
namespace {

constexpr size_t kQueries = 16384;  // a power of two: queries cycle with a mask
constexpr uint64_t kQuerySeed = 0x9e3d'51c7'0a11'5eedULL;

// Where a workload sorts in the results table.
std::string Order(std::string_view workload) {
  static constexpr std::string_view kOrder[] = {"W1", "S75k", "W2", "W3", "W3x", "W4", "W5"};
  for (size_t i = 0; i < std::size(kOrder); ++i) {
    if (kOrder[i] == workload) return std::to_string(i);
  }
  return "9";
}

// --- data ----------------------------------------------------------------------------------

// The key of the debug-id baseline: (id, type), with type 0 for "any type".
struct IdKey {
  std::array<uint8_t, 16> uuid;
  uint32_t appendix;
  uint8_t type;

  friend bool operator==(const IdKey&, const IdKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const IdKey& k) {
    return H::combine(std::move(h), k.uuid, k.appendix, k.type);
  }
};

IdKey MakeIdKey(const DebugId& id, std::optional<FileType> type) {
  return IdKey{id.uuid, id.appendix, type ? static_cast<uint8_t>(*type) : uint8_t{0}};
}

struct Dataset {
  WorkloadSpec spec;
  std::string dir, index_dir, json_path;
  uint64_t index_bytes = 0, json_bytes = 0;
  size_t bundles = 0, files = 0, keys = 0;
  format::IndexContent content;  // the baselines view into it
  std::unique_ptr<Index> index;
  absl::flat_hash_map<std::string, std::vector<Candidate>> url_map;
  absl::flat_hash_map<IdKey, std::vector<Candidate>> id_map;
  std::vector<std::string> present, absent;
  std::vector<DebugId> present_ids;

  bool urls() const { return spec.kind == IndexKind::kUrl; }
  std::string Describe() const {
    return StrCat(spec.name, ": ", Thousands(bundles), " bundles, ", Thousands(files), " files, ",
                  Thousands(keys), urls() ? " URLs" : " debug ids");
  }
};

// Every file of `content` as a candidate, in answer order: newest bundle first, then path.
template <typename F>
void ForEachCandidate(const format::IndexContent& content, F&& use) {
  std::vector<const format::BundleEntry*> order;
  for (const format::BundleEntry& bundle : content.bundles) order.push_back(&bundle);
  std::sort(order.begin(), order.end(),
            [](const auto* a, const auto* b) { return format::NewerFirst(*a, *b); });
  std::vector<const format::FileLocator*> files;
  for (const format::BundleEntry* bundle : order) {
    files.clear();
    for (const format::FileLocator& file : bundle->files) files.push_back(&file);
    std::sort(files.begin(), files.end(),
              [](const auto* a, const auto* b) { return a->path < b->path; });
    for (const format::FileLocator* file : files) {
      use(*file,
          Candidate{
              bundle->bundle_id, bundle->timestamp_ms,
              std::string_view(reinterpret_cast<const char*>(bundle->archive_sha1.data()),
                               bundle->archive_sha1.size()),
              file->path, file->url, file->type, file->debug_id,
              file->sourcemap ? std::optional<std::string_view>(*file->sourcemap) : std::nullopt});
    }
  }
}

// The baseline URL lookup: the same candidate expansion, then one hash probe per form. Not
// inlined, like the library call it is compared with (and so that profiles can tell them apart).
[[gnu::noinline]] void BaselineLookupUrl(
    const absl::flat_hash_map<std::string, std::vector<Candidate>>& map, std::string_view abs_path,
    std::string* key, std::vector<Candidate>* out) {
  lookup::UrlForm forms[lookup::kMaxUrlForms];
  const int n = lookup::ExpandUrl(abs_path, forms);
  for (int i = 0; i < n; ++i) {
    key->assign(forms[i].prefix).append(forms[i].body);
    auto it = map.find(*key);
    if (it != map.end()) out->insert(out->end(), it->second.begin(), it->second.end());
  }
}

[[gnu::noinline]] void BaselineLookupDebugId(
    const absl::flat_hash_map<IdKey, std::vector<Candidate>>& map, const DebugId& id,
    std::optional<FileType> type, std::vector<Candidate>* out) {
  auto it = map.find(MakeIdKey(id, type));
  if (it != map.end()) out->insert(out->end(), it->second.begin(), it->second.end());
}

void ExpectSame(const std::vector<Candidate>& a, const std::vector<Candidate>& b,
                std::string_view what) {
  bool same = a.size() == b.size();
  for (size_t i = 0; same && i < a.size(); ++i) {
    same = a[i].bundle_id == b[i].bundle_id && a[i].path == b[i].path && a[i].url == b[i].url &&
           a[i].type == b[i].type && a[i].debug_id == b[i].debug_id &&
           a[i].sourcemap == b[i].sourcemap && a[i].archive_sha1 == b[i].archive_sha1 &&
           a[i].timestamp_ms == b[i].timestamp_ms;
  }
  if (!same) {
    Die(StrCat("artidx and the baseline disagree on ", what, ": ", a.size(), " vs ", b.size(),
               " candidates"));
  }
}

// artidx and the baselines must give the same answers, or the comparison means nothing.
void CrossCheck(const Dataset& d) {
  std::vector<Candidate> a, b;
  std::string key;
  for (size_t i = 0; i < 512; ++i) {
    if (d.urls()) {
      for (const std::string* frame : {&d.present[i], &d.absent[i]}) {
        a.clear();
        b.clear();
        if (absl::Status s = d.index->LookupUrl(*frame, &a); !s.ok()) {
          Die(StrCat("LookupUrl: ", StdView(s.message())));
        }
        BaselineLookupUrl(d.url_map, *frame, &key, &b);
        ExpectSame(a, b, *frame);
        if ((frame == &d.present[i]) == a.empty()) {
          Die(StrCat(a.empty() ? "no answer for " : "an answer for absent ", *frame));
        }
      }
      continue;
    }
    for (std::optional<FileType> type :
         {std::optional<FileType>(), std::optional(FileType::kSourceMap)}) {
      a.clear();
      b.clear();
      if (absl::Status s = d.index->LookupDebugId(d.present_ids[i], type, &a); !s.ok()) {
        Die(StrCat("LookupDebugId: ", StdView(s.message())));
      }
      BaselineLookupDebugId(d.id_map, d.present_ids[i], type, &b);
      ExpectSame(a, b, d.present_ids[i].ToString());
      if (a.empty()) Die(StrCat("no answer for ", d.present_ids[i].ToString()));
    }
  }
}

std::unique_ptr<Dataset> Build(const std::string& name) {
  auto d = std::make_unique<Dataset>();
  d->spec = Workload(name);
  const Generator g(d->spec);
  std::fprintf(stderr, "[setup] generating %s ...\n", name.c_str());
  const Clock::time_point t0 = Clock::now();
  d->dir = MakeTempDir(name);
  d->index_dir = d->dir + "/index";
  d->json_path = d->dir + "/index.json";

  {
    format::IndexContent content = g.Content();
    std::string json = RfcJson(content);
    d->json_bytes = json.size();
    if (d->urls()) WriteFileOrDie(d->json_path, json);
    json = std::string();
    d->bundles = content.bundles.size();
    for (const format::BundleEntry& bundle : content.bundles) d->files += bundle.files.size();
    const std::string segment = PublishIndex(d->index_dir, std::move(content));
    d->index_bytes = FileBytes(segment);
  }
  // Generated again rather than copied: W3x's content is gigabytes.
  d->content = g.Content();
  absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(d->index_dir);
  if (!index.ok()) Die(StrCat("Index::Open: ", StdView(index.status().message())));
  d->index = *std::move(index);

  if (d->urls()) {
    ForEachCandidate(d->content, [&](const format::FileLocator& file, const Candidate& c) {
      d->url_map[file.url].push_back(c);
    });
    d->keys = d->url_map.size();
    d->present = g.PresentFrames(kQueries, kQuerySeed);
    d->absent = g.AbsentFrames(kQueries, kQuerySeed);
  } else {
    ForEachCandidate(d->content, [&](const format::FileLocator& file, const Candidate& c) {
      if (!file.debug_id) return;
      d->id_map[MakeIdKey(*file.debug_id, std::nullopt)].push_back(c);
      d->id_map[MakeIdKey(*file.debug_id, file.type)].push_back(c);
    });
    for (const auto& [key, list] : d->id_map) d->keys += key.type == 0;
    d->present_ids = g.PresentIds(kQueries, kQuerySeed);
  }
  CrossCheck(*d);
  std::fprintf(stderr, "[setup] %s ready in %.1f s: index %s, RFC JSON %s\n", d->Describe().c_str(),
               NsSince(t0) * 1e-9, FormatBytes(d->index_bytes).c_str(),
               FormatBytes(d->json_bytes).c_str());
  return d;
}

// One dataset at a time: the benchmarks of a workload are registered together, and the large
// ones do not fit beside each other.
Dataset& GetDataset(const std::string& name) {
  static std::unique_ptr<Dataset> current;
  if (current == nullptr || current->spec.name != name) {
    if (current != nullptr) {
      RemoveTree(current->dir);
      current.reset();
    }
    current = Build(name);
  }
  return *current;
}

void SetLabel(benchmark::State& state, const Dataset& d) { state.SetLabel(d.Describe()); }

// --- (1) warm URL lookup -------------------------------------------------------------------

void BM_UrlLookup(benchmark::State& state, const std::string& name, bool absent) {
  const Dataset& d = GetDataset(name);
  const std::vector<std::string>& frames = absent ? d.absent : d.present;
  std::vector<Candidate> out;
  out.reserve(1024);
  std::string key;
  key.reserve(256);
  size_t i = 0, j = 0;
  const PairTimes t = RunPaired(
      state, 256, 256,
      [&] {
        out.clear();
        absl::Status s = d.index->LookupUrl(frames[i++ & (kQueries - 1)], &out);
        benchmark::DoNotOptimize(s);
        benchmark::DoNotOptimize(out.data());
      },
      [&] {
        out.clear();
        BaselineLookupUrl(d.url_map, frames[j++ & (kQueries - 1)], &key, &out);
        benchmark::DoNotOptimize(out.data());
      });
  SetLabel(state, d);
  const char* kind = absent ? "absent" : "present";
  Record(Row{StrCat("1", Order(name), absent ? "1" : "0"),
             StrCat("warm URL lookup, ", kind, " frame URLs (full candidate expansion)"),
             d.Describe(), FormatNs(t.a_ns), StrCat(FormatNs(t.b_ns), " (absl::flat_hash_map)"),
             FormatRatio(t.ratio()), "≤ 1.5×", t.ratio() <= 1.5});
  if (name != "W2") {
    PlotPoint("lookup_vs_size", static_cast<double>(d.files), StrCat("artidx_warm_", kind), t.a_ns);
    PlotPoint("lookup_vs_size", static_cast<double>(d.files), StrCat("flat_hash_map_warm_", kind),
              t.b_ns);
  }
}

// --- (1b) stem lookup ----------------------------------------------------------------------

// Symbolicator's extract_file_stem (symbolicator-js/src/utils.rs): the path without scheme and
// host (or "~"), its last component cut at '?' and '#' and stripped of .min/.js/.map/... suffixes.
std::string FileStem(std::string_view url) {
  std::string_view path = url;
  if (path.starts_with("~")) {
    path.remove_prefix(1);
  } else if (const size_t scheme = path.find("://"); scheme != std::string_view::npos) {
    const std::string_view rest = path.substr(scheme + 3);
    const size_t slash = rest.find('/');
    path = slash == std::string_view::npos ? rest : rest.substr(slash);
  }
  const size_t last = path.rfind('/');
  if (last == std::string_view::npos) return std::string(path);
  std::string_view name = path.substr(last + 1);
  name = name.substr(0, name.find('?'));
  name = name.substr(0, name.find('#'));
  static constexpr std::string_view kSuffixes[] = {".min", ".js", ".map", ".cjs", ".mjs",
                                                   ".ts",  ".d",  ".jsx", ".tsx"};
  for (bool trimmed = true; trimmed;) {
    trimmed = false;
    for (std::string_view suffix : kSuffixes) {
      while (name.ends_with(suffix)) {
        name.remove_suffix(suffix.size());
        trimmed = true;
      }
    }
  }
  return StrCat(path.substr(0, last + 1), name);
}

void BM_StemLookup(benchmark::State& state, const std::string& name) {
  const Dataset& d = GetDataset(name);
  std::vector<std::string> stems;
  for (const std::string& frame : d.present) stems.push_back(FileStem(frame));
  std::vector<Candidate> out;
  out.reserve(4096);
  size_t files = 0;
  for (size_t q = 0; q < 512; ++q) {
    out.clear();
    if (!d.index->LookupStem(stems[q], &out).ok() || out.empty()) {
      Die(StrCat("LookupStem found nothing for ", stems[q], " (frame ", d.present[q], ")"));
    }
    files += out.size();
  }
  size_t i = 0, j = 0;
  const PairTimes t = RunPaired(
      state, 256, 256,
      [&] {
        out.clear();
        absl::Status s = d.index->LookupStem(stems[i++ & (kQueries - 1)], &out);
        benchmark::DoNotOptimize(s);
        benchmark::DoNotOptimize(out.data());
      },
      [&] {
        out.clear();
        absl::Status s = d.index->LookupUrl(d.present[j++ & (kQueries - 1)], &out);
        benchmark::DoNotOptimize(s);
        benchmark::DoNotOptimize(out.data());
      });
  SetLabel(state, d);
  char per_answer[32];
  std::snprintf(per_answer, sizeof per_answer, "%.1f", static_cast<double>(files) / 512);
  Record(Row{StrCat("1", Order(name), "2"),
             StrCat("warm stem lookup (Index::LookupStem of Symbolicator's file stems, ",
                    per_answer, " files per answer)"),
             d.Describe(), FormatNs(t.a_ns),
             StrCat(FormatNs(t.b_ns), " (Index::LookupUrl of the frame URLs)"),
             FormatRatio(t.ratio()), "≤ 2×", t.ratio() <= 2});

  // The stem table's cost, paid once per opened index: Open + first stem lookup vs Open alone.
  constexpr int kOpens = 5;
  double open_ns = 0, build_ns = 0;
  for (int k = 0; k < kOpens; ++k) {
    Clock::time_point t0 = Clock::now();
    absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(d.index_dir);
    if (!index.ok()) Die("Index::Open");
    open_ns += NsSince(t0);
    t0 = Clock::now();
    out.clear();
    if (!(*index)->LookupStem(stems[k], &out).ok()) Die("LookupStem");
    build_ns += NsSince(t0);
  }
  Record(Row{StrCat("1", Order(name), "3"),
             "first stem lookup after Index::Open (builds the stem table)", d.Describe(),
             FormatNs(build_ns / kOpens), StrCat(FormatNs(open_ns / kOpens), " (Index::Open)"),
             FormatRatio(build_ns / open_ns), "", -1});
}

// --- (2) open + first lookup ---------------------------------------------------------------

// What the system alone charges for an open on this machine: list the index directory, open,
// stat and map its one segment, fault in one page, unmap. Every open of an mmap-based index
// pays at least this; the table shows it beside artidx's time, since on virtual machines it
// can exceed a hundredth of the JSON baseline by itself.
double SystemFloorNs(const std::string& dir) {
  constexpr int kRuns = 2000;
  volatile char sink = 0;
  const Clock::time_point t0 = Clock::now();
  for (int i = 0; i < kRuns; ++i) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) Die(StrCat("opendir ", dir));
    std::string name;
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') name = e->d_name;
    }
    const int fd = ::openat(::dirfd(d), name.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || ::fstat(fd, &st) != 0) Die(StrCat("open ", dir, "/", name));
    void* p = ::mmap(nullptr, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    ::closedir(d);
    if (p == MAP_FAILED) Die(StrCat("mmap ", dir, "/", name));
    sink = sink + *static_cast<const char*>(p);
    ::munmap(p, st.st_size);
  }
  return NsSince(t0) / kRuns;
}

void BM_OpenFirstLookup(benchmark::State& state, const std::string& name) {
  const Dataset& d = GetDataset(name);
  std::vector<Candidate> out;
  out.reserve(1024);
  std::vector<std::pair<std::string_view, std::string_view>> json_out;  // (bundle id, time)
  json_out.reserve(1024);
  simdjson::dom::parser parser;  // its buffers are reused between lookups: favours the baseline
  std::string key;
  size_t i = 0, j = 0;
  bool failed = false;
  const PairTimes t = RunPaired(
      state, 16, 1,
      [&] {
        out.clear();
        absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(d.index_dir);
        if (!index.ok() || !(*index)->LookupUrl(d.present[i++ & (kQueries - 1)], &out).ok() ||
            out.empty()) {
          failed = true;
        }
        benchmark::DoNotOptimize(out.data());
      },
      [&] {
        json_out.clear();
        simdjson::padded_string json;
        simdjson::dom::element root;
        simdjson::dom::object files_by_url;
        simdjson::dom::array bundles;
        if (simdjson::padded_string::load(d.json_path).get(json) != simdjson::SUCCESS ||
            parser.parse(json).get(root) != simdjson::SUCCESS ||
            root["files_by_url"].get(files_by_url) != simdjson::SUCCESS ||
            root["bundles"].get(bundles) != simdjson::SUCCESS) {
          failed = true;
          return;
        }
        lookup::UrlForm forms[lookup::kMaxUrlForms];
        const int n = lookup::ExpandUrl(d.present[j++ & (kQueries - 1)], forms);
        for (int f = 0; f < n; ++f) {
          key.assign(forms[f].prefix).append(forms[f].body);
          simdjson::dom::array list;
          if (files_by_url.at_key(key).get(list) != simdjson::SUCCESS) continue;
          for (simdjson::dom::element e : list) {
            uint64_t b;
            simdjson::dom::object bundle;
            std::string_view id, timestamp;
            if (e.get(b) != simdjson::SUCCESS || bundles.at(b).get(bundle) != simdjson::SUCCESS ||
                bundle["bundle_id"].get(id) != simdjson::SUCCESS ||
                bundle["timestamp"].get(timestamp) != simdjson::SUCCESS) {
              failed = true;
              return;
            }
            json_out.emplace_back(id, timestamp);
          }
        }
        if (json_out.empty()) failed = true;
        benchmark::DoNotOptimize(json_out.data());
      });
  if (failed) {
    state.SkipWithError("a lookup failed or found nothing");
    return;
  }
  SetLabel(state, d);
  const double speedup = t.a_ns > 0 ? t.b_ns / t.a_ns : 0;
  const double floor_ns = SystemFloorNs(d.index_dir);
  state.counters["speedup"] = speedup;
  state.counters["floor_ns"] = floor_ns;
  Record(Row{StrCat("2", Order(name), "0"), "open + first URL lookup, index in the page cache",
             d.Describe(),
             StrCat(FormatNs(t.a_ns),
                    " (system calls and one page fault alone: ", FormatNs(floor_ns), ")"),
             StrCat(FormatNs(t.b_ns), " (simdjson: load + parse RFC JSON, look up)"),
             StrCat(FormatRatio(speedup), " faster"), "≥ 100× faster", speedup >= 100});
  SetValue(StrCat("open_first_ns/", name), t.a_ns);
  if (name != "W2") {
    PlotPoint("lookup_vs_size", static_cast<double>(d.files), "artidx_open_first", t.a_ns);
    PlotPoint("lookup_vs_size", static_cast<double>(d.files), "simdjson_open_first", t.b_ns);
  }
  if (name == "W4" && GetValue("open_first_ns/W1") > 0) {
    const double w1 = GetValue("open_first_ns/W1");
    const double ratio = t.a_ns / w1;
    Record(Row{"2" + Order(name) + "1", "open + first URL lookup: W4 against W1",
               StrCat("W4 (", Thousands(d.files), " files) ÷ W1 (20,000 files)"),
               StrCat(FormatNs(t.a_ns), " on W4"), StrCat(FormatNs(w1), " on W1"),
               FormatRatio(ratio), "≤ 3×", ratio <= 3});
  }
}

// --- (3) warm debug-id lookup --------------------------------------------------------------

void BM_DebugIdLookup(benchmark::State& state, const std::string& name, bool typed) {
  const Dataset& d = GetDataset(name);
  const std::optional<FileType> type =
      typed ? std::optional(FileType::kSourceMap) : std::optional<FileType>();
  std::vector<Candidate> out;
  out.reserve(1024);
  size_t i = 0, j = 0;
  const PairTimes t = RunPaired(
      state, 256, 256,
      [&] {
        out.clear();
        absl::Status s = d.index->LookupDebugId(d.present_ids[i++ & (kQueries - 1)], type, &out);
        benchmark::DoNotOptimize(s);
        benchmark::DoNotOptimize(out.data());
      },
      [&] {
        out.clear();
        BaselineLookupDebugId(d.id_map, d.present_ids[j++ & (kQueries - 1)], type, &out);
        benchmark::DoNotOptimize(out.data());
      });
  SetLabel(state, d);
  Record(Row{StrCat("3", Order(name), typed ? "1" : "0"),
             StrCat("warm debug-id lookup, ", typed ? "type source_map" : "any type"), d.Describe(),
             FormatNs(t.a_ns), StrCat(FormatNs(t.b_ns), " (absl::flat_hash_map)"),
             FormatRatio(t.ratio()), "≤ 1.5×", t.ratio() <= 1.5});
}

// --- (4) index size ------------------------------------------------------------------------

void BM_IndexSize(benchmark::State& state, const std::string& name) {
  const Dataset& d = GetDataset(name);
  for (auto _ : state) benchmark::DoNotOptimize(d.index_bytes);
  const double ratio = static_cast<double>(d.index_bytes) / static_cast<double>(d.json_bytes);
  state.counters["index_bytes"] = static_cast<double>(d.index_bytes);
  state.counters["json_bytes"] = static_cast<double>(d.json_bytes);
  state.counters["ratio"] = ratio;
  SetLabel(state, d);
  const bool has_target = name == "W1" || name == "W2" || name == "W3";
  Record(Row{StrCat("4", Order(name), "0"), "index size against the RFC 0106 JSON", d.Describe(),
             FormatBytes(static_cast<double>(d.index_bytes)),
             StrCat(FormatBytes(static_cast<double>(d.json_bytes)), " (RFC JSON)"),
             FormatRatio(ratio), has_target ? "≤ 0.5×" : "", has_target ? ratio <= 0.5 : -1});
}

// --- (9) resident memory -------------------------------------------------------------------

void BM_Rss(benchmark::State& state, const std::string& name, int64_t lookups) {
  const Dataset& d = GetDataset(name);
  const std::string queries_path = d.dir + "/queries.txt";
  std::string queries;
  for (size_t i = 0; i < 4096; ++i) StrAppend(&queries, d.present[i], "\n", d.absent[i], "\n");
  WriteFileOrDie(queries_path, queries);
  const std::string out_path = d.dir + "/rss.txt";
  uint64_t rss = 0, index_rss = 0, start_rss = 0;
  for (auto _ : state) {
    const int status = RunProcess(
        {ExeDir() + "/rss_probe", d.index_dir, queries_path, std::to_string(lookups)}, out_path);
    if (status != 0) {
      state.SkipWithError("rss_probe failed");
      return;
    }
    const std::string text = ReadFileOrDie(out_path);
    if (std::sscanf(text.c_str(), "rss_bytes=%lu index_rss_bytes=%lu start_rss_bytes=%lu", &rss,
                    &index_rss, &start_rss) != 3) {
      state.SkipWithError("rss_probe printed something else");
      return;
    }
  }
  const double over = static_cast<double>(rss) - static_cast<double>(index_rss);
  state.counters["rss_bytes"] = static_cast<double>(rss);
  state.counters["index_rss_bytes"] = static_cast<double>(index_rss);
  state.counters["rest_bytes"] = over;
  SetLabel(state, d);
  Record(Row{StrCat("9", Order(name), "0"),
             StrCat("resident memory of a process after ", Thousands(lookups), " URL lookups"),
             d.Describe(),
             StrCat(FormatBytes(static_cast<double>(rss)), " resident, of which ",
                    FormatBytes(static_cast<double>(index_rss)), " index pages"),
             StrCat(FormatBytes(static_cast<double>(start_rss)), " before opening the index"),
             StrCat(FormatBytes(over), " besides index pages"), "≤ 10 MiB besides index pages",
             over <= 10.0 * 1024 * 1024});
}

// --- registration --------------------------------------------------------------------------

void RegisterUrl(const std::string& name) {
  for (bool absent : {false, true}) {
    benchmark::RegisterBenchmark(
        StrCat("url_lookup/", name, absent ? "/absent" : "/present").c_str(),
        [name, absent](benchmark::State& s) { BM_UrlLookup(s, name, absent); })
        ->UseManualTime();
  }
  benchmark::RegisterBenchmark(StrCat("stem_lookup/", name).c_str(), [name](benchmark::State& s) {
    BM_StemLookup(s, name);
  })->UseManualTime();
  benchmark::RegisterBenchmark(StrCat("open_first/", name).c_str(), [name](benchmark::State& s) {
    BM_OpenFirstLookup(s, name);
  })->UseManualTime();
  benchmark::RegisterBenchmark(StrCat("index_size/", name).c_str(), [name](benchmark::State& s) {
    BM_IndexSize(s, name);
  })->Iterations(1);
}

void RegisterDebugId(const std::string& name) {
  for (bool typed : {false, true}) {
    benchmark::RegisterBenchmark(
        StrCat("debug_id_lookup/", name, typed ? "/typed" : "/any").c_str(),
        [name, typed](benchmark::State& s) { BM_DebugIdLookup(s, name, typed); })
        ->UseManualTime();
  }
  benchmark::RegisterBenchmark(StrCat("index_size/", name).c_str(), [name](benchmark::State& s) {
    BM_IndexSize(s, name);
  })->Iterations(1);
}

void RegisterRss(const std::string& name, int64_t lookups) {
  benchmark::RegisterBenchmark(StrCat("rss/", name).c_str(),
                               [name, lookups](benchmark::State& s) { BM_Rss(s, name, lookups); })
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
}

}  // namespace
}  // namespace artidx::bench

int main(int argc, char** argv) {
  using namespace artidx::bench;
  ParseFlags(&argc, argv);
  const bool full = GetFlags().full;
  RegisterUrl("W1");
  if (!full) RegisterRss("W1", 200'000);
  RegisterUrl("S75k");
  RegisterUrl("W2");
  if (full) {
    RegisterUrl("W4");
    RegisterRss("W4", 1'000'000);
  }
  RegisterDebugId("W3");
  if (full) RegisterDebugId("W3x");
  return RunMain(argc, argv);
}
