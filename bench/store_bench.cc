// Store benchmarks: adding bundles through artidx::Indexer into a real store, reading bundles,
// concurrent writers and the CLI, each against a baseline measured in the same binary on the
// same generated bundles (bench/corpus.h) where there is one.
//
//   add/W1/bundle_20k        Indexer::Add of one 20,000-file bundle to a store holding W1, vs
//                            the RFC 0106 way: read the bundle, store its archive, and rewrite
//                            the release's URL JSON and the project's debug-id JSON.
//   add_amortized/<W>        the mean cost of K adds of 100-file bundles, one after another, to
//                            a store holding workload W (W1, S75k; --full: W4), vs the same adds
//                            to the RFC JSON of W. The store starts as what adding W's bundles
//                            and compacting gives: one segment per index (written directly,
//                            without archives). The W4 row compares W4's cost with W1's.
//   ingest/bundle_20k        bundle::ReadBundle of a 20,000-entry bundle (open the zip, parse the
//                            manifest, build the entries) vs simdjson parsing its manifest alone.
//   read_entry/bundle_20k    bundle::ReadArchiveEntry of one file of a 20,000-entry bundle (what
//                            `artidx cat` and Store::ReadFile do) vs the libarchive walk to the
//                            entry that it replaced.
//   concurrent_writers/8     aggregate add throughput of 8 writer processes adding to one
//                            store (one release) at once, vs one process making the same adds.
//   cli/W5                   W5 end to end through the artidx CLI: one 1,000-file bundle added
//                            to R releases (--full: 2,000), one `artidx add` process each.
//   gc/3000                  Indexer::Gc removing 3,000 bundles past their retention, in
//                            batches, vs one Indexer::Remove per bundle (what gc did before)
//                            on a copy of the same store: the per-bundle costs. A second row
//                            compares gc with its floor on this machine: a bare loop deleting
//                            the same bundle files and directories, one at a time.
//
// Bundle files hold small bodies (a minified line, a tiny source map): the work measured is the
// index's, not the copying of megabytes of JavaScript.
//
// One file of more than 600 lines: one benchmark binary, whose rows share the generated
// stores and bundles (built once per process) and the paired-run harness.

#include <archive.h>
#include <archive_entry.h>
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "artidx/indexer.h"
#include "artidx/lookup.h"
#include "bench/corpus.h"
#include "bench/harness.h"
#include "bundle/bundle_reader.h"
#include "bundle/bundle_writer.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "common/text.h"
#include "format/index_content.h"
#include "simdjson.h"
#include "store/commit.h"
#include "store/file_util.h"
#include "store/layout.h"
#include "store/refs.h"

namespace artidx::bench {
namespace {

constexpr int kAddFiles = 100;              // files in each bundle of the amortized adds
constexpr int kFirstAddBundle = 1'000'000;  // bundle numbers past every workload: newer bundles

std::string Order(std::string_view workload) {
  static constexpr std::string_view kOrder[] = {"W1", "S75k", "W2", "W3", "W3x", "W4", "W5"};
  for (size_t i = 0; i < std::size(kOrder); ++i) {
    if (kOrder[i] == workload) return std::to_string(i);
  }
  return "9";
}

std::string Check(const absl::Status& s, std::string_view what) {
  if (!s.ok()) Die(StrCat(what, ": ", StdView(s.message())));
  return "";
}

// --- data ----------------------------------------------------------------------------------

// A store holding a workload's URL index and debug-id index as one segment each, and the RFC
// JSON of both, kept as templates that each measurement copies.
struct Seeded {
  WorkloadSpec spec;
  std::string dir;    // template root
  std::string store;  // dir/store
  std::string json;   // dir/json: urls.json, debug-ids.json
  uint64_t files = 0;
  uint64_t index_bytes = 0;
  std::string Describe() const {
    return StrCat(spec.name, ": ", Thousands(spec.bundles), " bundles, ", Thousands(files),
                  " files");
  }
};

const Seeded& GetSeeded(const std::string& name) {
  static std::unique_ptr<Seeded> current;
  if (current != nullptr && current->spec.name == name) return *current;
  if (current != nullptr) RemoveTree(current->dir);
  current = std::make_unique<Seeded>();
  Seeded& s = *current;
  s.spec = Workload(name);
  std::fprintf(stderr, "[setup] seeding a store with %s ...\n", name.c_str());
  const Clock::time_point t0 = Clock::now();
  s.dir = MakeTempDir(StrCat("store-", name));
  s.store = s.dir + "/store";
  s.json = s.dir + "/json";
  std::filesystem::create_directories(s.json);
  const store::Layout layout(s.store);
  format::IndexContent content = Generator(s.spec).Content();
  for (const format::BundleEntry& b : content.bundles) s.files += b.files.size();
  format::IndexContent ids = DebugIdContentOf(content);
  WriteFileOrDie(s.json + "/urls.json", RfcJson(content));
  WriteFileOrDie(s.json + "/debug-ids.json", RfcJson(ids));
  const std::string url_dir = layout.IndexDir(content.id()), id_dir = layout.IndexDir(ids.id());
  s.index_bytes = FileBytes(PublishIndex(url_dir, std::move(content)));
  s.index_bytes += FileBytes(PublishIndex(id_dir, std::move(ids)));
  std::fprintf(stderr, "[setup] %s seeded in %.1f s: indexes %s\n", s.Describe().c_str(),
               NsSince(t0) * 1e-9, FormatBytes(static_cast<double>(s.index_bytes)).c_str());
  return s;
}

// Bundle archives on disk, made once per (files, count, first number).
struct BundleSet {
  std::vector<std::string> paths;
  std::vector<format::BundleEntry> entries;
};

const BundleSet& GetBundles(int files, int count, int first = kFirstAddBundle) {
  static auto* cache = new std::map<std::tuple<int, int, int>, BundleSet>();
  BundleSet& set = (*cache)[{files, count, first}];
  if (!set.paths.empty()) return set;
  static const std::string dir = MakeTempDir("bundles");
  const Generator g(UrlWorkload(1, files));
  for (int k = 0; k < count; ++k) {
    format::BundleEntry entry = g.Bundle(first + k);
    absl::StatusOr<std::string> zip =
        bundle::WriteBundle(MakeBundleSpec(entry, Workload("W1").release));
    if (!zip.ok()) Die(StrCat("WriteBundle: ", StdView(zip.status().message())));
    set.paths.push_back(StrCat(dir, "/", files, "-", first + k, ".zip"));
    WriteFileOrDie(set.paths.back(), *zip);
    set.entries.push_back(std::move(entry));
  }
  return set;
}

AddOptions AddOptionsFor(const WorkloadSpec& spec, int64_t timestamp_ms) {
  AddOptions options;
  options.projects = {spec.project};
  options.release = spec.release;
  options.dist = spec.dist;
  options.timestamp_ms = timestamp_ms;
  return options;
}

void AddOrDie(const Indexer& indexer, const std::string& path, const AddOptions& options) {
  absl::StatusOr<std::vector<AddResult>> added = indexer.Add({path}, options);
  if (!added.ok()) Die(StrCat("Indexer::Add ", path, ": ", StdView(added.status().message())));
}

// --- the RFC 0106 baseline: rewrite the JSON indexes on every add ---------------------------

// `json` with the bundle added as the newest: its position is the number of bundles, appended
// to the list of each of `keys` (new keys at the end).
std::string JsonWithBundle(const std::string& json, std::string_view bundle_id,
                           int64_t timestamp_ms, const std::vector<std::string>& keys,
                           simdjson::dom::parser* parser) {
  simdjson::dom::element root;
  simdjson::dom::array bundles;
  simdjson::dom::object files;
  const bool urls = json.find("\"files_by_url\"") != std::string::npos;
  if (parser->parse(json).get(root) != simdjson::SUCCESS ||
      root["bundles"].get(bundles) != simdjson::SUCCESS ||
      root[urls ? "files_by_url" : "files_by_debug_id"].get(files) != simdjson::SUCCESS) {
    Die("baseline: cannot parse the JSON index");
  }
  std::string out;
  out.reserve(json.size() + keys.size() * 80 + 256);
  out += "{\"bundles\":[";
  size_t position = 0;
  for (simdjson::dom::element e : bundles) {
    std::string_view id, timestamp;
    if (e["bundle_id"].get(id) != simdjson::SUCCESS ||
        e["timestamp"].get(timestamp) != simdjson::SUCCESS) {
      Die("baseline: bad bundle");
    }
    StrAppend(&out, position++ ? "," : "", "{\"bundle_id\":", JsonString(id),
              ",\"timestamp\":", JsonString(timestamp), "}");
  }
  StrAppend(&out, position ? "," : "",
            "{\"bundle_id\":", JsonString(StrCat("artifact_bundle/", bundle_id)),
            ",\"timestamp\":", JsonString(FormatIso8601(timestamp_ms)), "}],\"",
            urls ? "files_by_url" : "files_by_debug_id", "\":{");
  absl::flat_hash_set<std::string_view> added(keys.begin(), keys.end());
  bool first = true;
  for (auto [key, value] : files) {
    simdjson::dom::array list;
    if (value.get(list) != simdjson::SUCCESS) Die("baseline: bad list");
    StrAppend(&out, first ? "" : ",", JsonString(key), ":[");
    first = false;
    bool first_position = true;
    for (simdjson::dom::element p : list) {
      uint64_t n;
      if (p.get(n) != simdjson::SUCCESS) Die("baseline: bad position");
      StrAppend(&out, first_position ? "" : ",", n);
      first_position = false;
    }
    if (added.erase(key) > 0) StrAppend(&out, first_position ? "" : ",", position);
    out += "]";
  }
  for (const std::string& key : keys) {
    if (!added.contains(key)) continue;
    StrAppend(&out, first ? "" : ",", JsonString(key), ":[", position, "]");
    first = false;
  }
  out += "},\"is_complete\":true}";
  return out;
}

// One add the RFC 0106 way: read and check the bundle as artidx does, store its archive, then
// read, parse, extend and atomically rewrite both JSON indexes.
void JsonAdd(const std::string& json_dir, const std::string& bundle_path, int64_t timestamp_ms,
             simdjson::dom::parser* parser) {
  absl::StatusOr<std::string> archive = common::ReadFile(bundle_path, uint64_t{1} << 30);
  if (!archive.ok()) Die("baseline: cannot read the bundle");
  absl::StatusOr<bundle::Bundle> bundle = bundle::ReadBundle(*archive, BundleLimits());
  if (!bundle.ok()) Die(StrCat("baseline: ReadBundle: ", StdView(bundle.status().message())));
  const std::string sha1 = Sha1Digest::Of(*archive).Hex();
  Check(store::WriteFileAtomically(StrCat(json_dir, "/archives/", sha1, ".zip"), *archive),
        "baseline: archive");
  std::vector<std::string> urls, ids;
  for (const bundle::ManifestFile& f : bundle->files) {
    urls.emplace_back(f.url);
    if (f.debug_id) ids.push_back(f.debug_id->ToString());
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  const std::string id = bundle->manifest_debug_id.value_or(sha1);
  for (const auto& [name, keys] :
       {std::pair{"urls.json", &urls}, std::pair{"debug-ids.json", &ids}}) {
    const std::string path = StrCat(json_dir, "/", name);
    absl::StatusOr<std::string> json = common::ReadFile(path, uint64_t{4} << 30);
    if (!json.ok()) Die("baseline: cannot read the JSON index");
    Check(store::WriteFileAtomically(path, JsonWithBundle(*json, id, timestamp_ms, *keys, parser)),
          "baseline: JSON index");
  }
}

// --- (5) adds ------------------------------------------------------------------------------

void BM_AddBigBundle(benchmark::State& state) {
  const Seeded& seeded = GetSeeded("W1");
  const BundleSet& bundles = GetBundles(20'000, 1);
  const std::string scratch = MakeTempDir("add20k");
  simdjson::dom::parser parser;
  double total_a = 0, total_b = 0;
  int64_t n = 0;
  for (auto _ : state) {
    RemoveTree(scratch + "/store");
    RemoveTree(scratch + "/json");
    CopyTree(seeded.store, scratch + "/store");
    CopyTree(seeded.json, scratch + "/json");
    const Indexer indexer(scratch + "/store");
    Clock::time_point t0 = Clock::now();
    AddOrDie(indexer, bundles.paths[0],
             AddOptionsFor(seeded.spec, bundles.entries[0].timestamp_ms));
    const double a = NsSince(t0);
    t0 = Clock::now();
    JsonAdd(scratch + "/json", bundles.paths[0], bundles.entries[0].timestamp_ms, &parser);
    const double b = NsSince(t0);
    total_a += a;
    total_b += b;
    ++n;
    state.SetIterationTime((a + b) * 1e-9);
  }
  RemoveTree(scratch);
  const double a = total_a / n, b = total_b / n;
  state.counters["artidx_ns"] = a;
  state.counters["base_ns"] = b;
  state.counters["ratio"] = a / b;
  state.SetLabel(seeded.Describe());
  Record(Row{"50", "add one 20,000-file bundle (Indexer::Add, fsync'd)", seeded.Describe(),
             FormatNs(a), StrCat(FormatNs(b), " (RFC JSON: rewrite both indexes)"),
             FormatRatio(a / b), "", -1});
}

void BM_AddAmortized(benchmark::State& state, const std::string& name, int adds, int json_adds) {
  const Seeded& seeded = GetSeeded(name);
  const BundleSet& bundles = GetBundles(kAddFiles, adds);
  const std::string scratch = MakeTempDir(StrCat("amortized-", name));
  simdjson::dom::parser parser;
  double total_a = 0, total_b = 0;
  int64_t n_a = 0, n_b = 0;
  size_t segments = 0;
  double slowest = 0;  // the slowest single add: a compaction that rewrote much
  for (auto _ : state) {
    RemoveTree(scratch + "/store");
    RemoveTree(scratch + "/json");
    CopyTree(seeded.store, scratch + "/store");
    CopyTree(seeded.json, scratch + "/json");
    const Indexer indexer(scratch + "/store");
    double a = 0;
    for (int k = 0; k < adds; ++k) {
      const Clock::time_point t = Clock::now();
      AddOrDie(indexer, bundles.paths[k],
               AddOptionsFor(seeded.spec, bundles.entries[k].timestamp_ms));
      const double one = NsSince(t);
      a += one;
      slowest = std::max(slowest, one);
    }
    Clock::time_point t0 = Clock::now();
    for (int k = 0; k < json_adds; ++k) {
      JsonAdd(scratch + "/json", bundles.paths[k], bundles.entries[k].timestamp_ms, &parser);
    }
    const double b = NsSince(t0);
    total_a += a;
    total_b += b;
    n_a += adds;
    n_b += json_adds;
    state.SetIterationTime((a + b) * 1e-9);
    // What the adds left: the index must hold every bundle, in few segments.
    absl::StatusOr<std::unique_ptr<Index>> index =
        Index::Open(store::Layout(scratch + "/store")
                        .UrlIndexDir(seeded.spec.project, seeded.spec.release, ""));
    std::vector<Index::BundleInfo> listed;
    if (!index.ok() || !(*index)->ListBundles(&listed).ok() ||
        static_cast<int>(listed.size()) != seeded.spec.bundles + adds) {
      Die(StrCat("after the adds the ", name, " index does not hold every bundle"));
    }
    segments = (*index)->segment_count();
  }
  RemoveTree(scratch);
  const double a = total_a / n_a, b = total_b / n_b;
  state.counters["artidx_ns"] = a;
  state.counters["base_ns"] = b;
  state.counters["ratio"] = a / b;
  state.counters["segments"] = static_cast<double>(segments);
  state.counters["slowest_add_ns"] = slowest;
  state.SetLabel(seeded.Describe());
  Record(Row{StrCat("51", Order(name)),
             StrCat("amortized add of a ", kAddFiles, "-file bundle (mean of ", adds, " adds; ",
                    segments, " URL segments after)"),
             seeded.Describe(), StrCat(FormatNs(a), " (slowest ", FormatNs(slowest), ")"),
             StrCat(FormatNs(b), " (RFC JSON rewrite, mean of ", json_adds, ")"),
             FormatRatio(a / b), "", -1});
  SetValue(StrCat("add_ns/", name), a);
  PlotPoint("add_vs_size", static_cast<double>(seeded.files), "artidx_add", a);
  PlotPoint("add_vs_size", static_cast<double>(seeded.files), "rfc_json_rewrite_add", b);
  if (name == "W4" && GetValue("add_ns/W1") > 0) {
    const double w1 = GetValue("add_ns/W1"), ratio = a / w1;
    Record(Row{"52", "amortized add: W4-sized store against W1-sized",
               StrCat("W4 (", Thousands(seeded.files), " files) ÷ W1 (20,000 files)"),
               StrCat(FormatNs(a), " at W4"), StrCat(FormatNs(w1), " at W1"), FormatRatio(ratio),
               "≤ 3×", ratio <= 3});
  }
}

// --- (7) ingest ----------------------------------------------------------------------------

void BM_Ingest(benchmark::State& state) {
  const BundleSet& bundles = GetBundles(20'000, 1);
  const std::string archive = ReadFileOrDie(bundles.paths[0]);
  absl::StatusOr<std::string> manifest =
      bundle::ReadArchiveEntry(archive, "manifest.json", uint64_t{1} << 30);
  if (!manifest.ok()) Die("the bundle has no manifest");
  const simdjson::padded_string padded(*manifest);
  simdjson::dom::parser parser;  // reused: the baseline's parse alone, no allocation
  bool failed = false;
  auto ingest = [&] {
    absl::StatusOr<bundle::Bundle> bundle = bundle::ReadBundle(archive, BundleLimits());
    if (!bundle.ok() || bundle->files.size() != 20'000) failed = true;
    benchmark::DoNotOptimize(bundle);
  };
  auto parse = [&] {
    simdjson::dom::element root;
    if (parser.parse(padded).get(root) != simdjson::SUCCESS) failed = true;
    benchmark::DoNotOptimize(root);
  };
  // Once each untimed: both parsers allocate their buffers at their first parse (ReadBundle
  // keeps one per thread), tens of milliseconds that are not a parse.
  ingest();
  parse();
  const PairTimes t = RunPaired(state, 1, 1, ingest, parse);
  if (failed) {
    state.SkipWithError("ingest failed");
    return;
  }
  state.SetLabel(StrCat("20,000 entries, archive ",
                        FormatBytes(static_cast<double>(archive.size())), ", manifest ",
                        FormatBytes(static_cast<double>(manifest->size()))));
  // The row is the repetition of median ratio so far (main registers 5 repetitions).
  static std::vector<PairTimes>* runs = new std::vector<PairTimes>();
  runs->push_back(t);
  std::vector<PairTimes> sorted = *runs;
  std::sort(sorted.begin(), sorted.end(),
            [](const PairTimes& a, const PairTimes& b) { return a.ratio() < b.ratio(); });
  const PairTimes& median = sorted[sorted.size() / 2];
  Record(Row{"70", "ingest a 20,000-entry bundle (bundle::ReadBundle)",
             StrCat("archive ", FormatBytes(static_cast<double>(archive.size())), ", manifest ",
                    FormatBytes(static_cast<double>(manifest->size())), "; median of ",
                    runs->size(), " repetitions"),
             FormatNs(median.a_ns),
             StrCat(FormatNs(median.b_ns), " (simdjson parse of the manifest)"),
             FormatRatio(median.ratio()), "≤ 3×", median.ratio() <= 3});
}

// The baseline of read_entry: how ReadArchiveEntry read an entry before it used the central
// directory, walking libarchive's headers up to it.
std::optional<std::string> ReadWithLibarchive(std::string_view archive, std::string_view name) {
  std::unique_ptr<struct archive, decltype(&archive_read_free)> a(archive_read_new(),
                                                                  archive_read_free);
  archive_read_support_format_zip_seekable(a.get());
  if (archive_read_open_memory(a.get(), archive.data(), archive.size()) != ARCHIVE_OK) {
    return std::nullopt;
  }
  struct archive_entry* entry;
  while (archive_read_next_header(a.get(), &entry) == ARCHIVE_OK) {
    const char* entry_name = archive_entry_pathname(entry);
    if (entry_name == nullptr || entry_name != name) continue;
    std::string data(static_cast<size_t>(archive_entry_size(entry)), '\0');
    if (archive_read_data(a.get(), data.data(), data.size()) !=
        static_cast<la_ssize_t>(data.size())) {
      return std::nullopt;
    }
    return data;
  }
  return std::nullopt;
}

void BM_ReadEntry(benchmark::State& state) {
  const BundleSet& bundles = GetBundles(20'000, 1);
  const std::string archive = ReadFileOrDie(bundles.paths[0]);
  absl::StatusOr<bundle::Bundle> bundle = bundle::ReadBundle(archive, BundleLimits());
  if (!bundle.ok()) Die("the 20,000-entry bundle does not read");
  // Files spread over the archive: the walk's cost grows with the entry's position.
  std::vector<std::string> paths;
  for (size_t i = 0; i < bundle->files.size(); i += bundle->files.size() / 64) {
    paths.emplace_back(bundle->files[i].path);
  }
  // Both sides give the same bytes (checked on a few: each walk takes tens of milliseconds).
  for (const std::string& path : {paths.front(), paths[paths.size() / 2], paths.back()}) {
    absl::StatusOr<std::string> bytes = bundle::ReadArchiveEntry(archive, path, uint64_t{1} << 30);
    if (!bytes.ok() || ReadWithLibarchive(archive, path) != *bytes) {
      Die(StrCat("ReadArchiveEntry and libarchive disagree on ", path));
    }
  }
  size_t i = 0, j = 0;
  bool failed = false;
  const PairTimes t = RunPaired(
      state, 1, 1,
      [&] {
        absl::StatusOr<std::string> bytes =
            bundle::ReadArchiveEntry(archive, paths[i++ % paths.size()], uint64_t{1} << 30);
        if (!bytes.ok()) failed = true;
        benchmark::DoNotOptimize(bytes);
      },
      [&] {
        std::optional<std::string> bytes = ReadWithLibarchive(archive, paths[j++ % paths.size()]);
        if (!bytes) failed = true;
        benchmark::DoNotOptimize(bytes);
      });
  if (failed) {
    state.SkipWithError("reading an entry failed");
    return;
  }
  Record(Row{"71", "read one file of a 20,000-entry bundle (bundle::ReadArchiveEntry, as cat)",
             StrCat("archive ", FormatBytes(static_cast<double>(archive.size())),
                    ", files spread over it"),
             FormatNs(t.a_ns), StrCat(FormatNs(t.b_ns), " (libarchive walk to the entry)"),
             FormatRatio(t.ratio()), "", -1});
}

// --- (8) concurrent writers ----------------------------------------------------------------

struct WriterTimes {
  double wall_ns = 0;
  double cpu_ns = 0;  // user + system time of the writer processes, summed
};

// Runs `processes` writer processes that together add `bundles` (each process a share, in
// turn) to a copy of the seeded store.
WriterTimes RunWriters(const Seeded& seeded, const BundleSet& bundles, int processes,
                       const std::string& root) {
  RemoveTree(root);
  CopyTree(seeded.store, root);
  const Clock::time_point t0 = Clock::now();
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    const pid_t pid = ::fork();
    if (pid < 0) Die("fork failed");
    if (pid == 0) {
      const Indexer indexer(root);
      int status = 0;
      for (size_t k = p; k < bundles.paths.size(); k += processes) {
        absl::StatusOr<std::vector<AddResult>> added = indexer.Add(
            {bundles.paths[k]}, AddOptionsFor(seeded.spec, bundles.entries[k].timestamp_ms));
        if (!added.ok()) {
          std::fprintf(stderr, "writer %d: %s\n", p, std::string(added.status().message()).c_str());
          status = 1;
        }
      }
      ::_exit(status);
    }
    children.push_back(pid);
  }
  bool ok = true;
  WriterTimes times;
  for (pid_t pid : children) {
    int status = 0;
    struct rusage usage {};
    ok = ::wait4(pid, &status, 0, &usage) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
         ok;
    for (const timeval& tv : {usage.ru_utime, usage.ru_stime}) {
      times.cpu_ns += static_cast<double>(tv.tv_sec) * 1e9 + static_cast<double>(tv.tv_usec) * 1e3;
    }
  }
  times.wall_ns = NsSince(t0);
  if (!ok) Die("a writer process failed");
  // No add may be lost, whatever the interleaving.
  const store::Layout layout(root);
  for (const std::string& dir : {layout.UrlIndexDir(seeded.spec.project, seeded.spec.release, ""),
                                 layout.DebugIdIndexDir(seeded.spec.project)}) {
    absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(dir);
    std::vector<Index::BundleInfo> listed;
    if (!index.ok() || !(*index)->ListBundles(&listed).ok() ||
        listed.size() != seeded.spec.bundles + bundles.paths.size()) {
      Die(StrCat(processes, " writers lost adds in ", dir));
    }
  }
  return times;
}

void BM_ConcurrentWriters(benchmark::State& state, int adds) {
  const Seeded& seeded = GetSeeded("W1");
  const BundleSet& bundles = GetBundles(kAddFiles, adds, 2 * kFirstAddBundle);
  const std::string scratch = MakeTempDir("writers");
  WriterTimes one, eight;
  for (auto _ : state) {
    const WriterTimes t1 = RunWriters(seeded, bundles, 1, scratch + "/one");
    const WriterTimes t8 = RunWriters(seeded, bundles, 8, scratch + "/eight");
    one.wall_ns += t1.wall_ns;
    one.cpu_ns += t1.cpu_ns;
    eight.wall_ns += t8.wall_ns;
    eight.cpu_ns += t8.cpu_ns;
    state.SetIterationTime((t1.wall_ns + t8.wall_ns) * 1e-9);
  }
  RemoveTree(scratch);
  const double runs = static_cast<double>(state.iterations());
  const double ratio = one.wall_ns / eight.wall_ns;  // throughput of 8 over throughput of 1
  const double rate1 = adds / (one.wall_ns * 1e-9 / runs),
               rate8 = adds / (eight.wall_ns * 1e-9 / runs);
  // CPU time per add tells duplicated work (concurrent compactions of the same segments) from
  // waiting.
  const double cpu1 = one.cpu_ns / runs / adds, cpu8 = eight.cpu_ns / runs / adds;
  state.counters["one_writer_adds_per_s"] = rate1;
  state.counters["eight_writers_adds_per_s"] = rate8;
  state.counters["one_writer_cpu_ns_per_add"] = cpu1;
  state.counters["eight_writers_cpu_ns_per_add"] = cpu8;
  state.counters["ratio"] = ratio;
  state.SetLabel(seeded.Describe());
  char a[128], b[128];
  std::snprintf(a, sizeof a, "%.2f adds/s (8 processes; CPU %s per add)", rate8,
                FormatNs(cpu8).c_str());
  std::snprintf(b, sizeof b, "%.2f adds/s (1 process; CPU %s per add)", rate1,
                FormatNs(cpu1).c_str());
  Record(Row{"80",
             StrCat("aggregate add throughput: 8 writer processes against 1 (", adds, " adds of ",
                    kAddFiles, "-file bundles to one release)"),
             seeded.Describe(), a, b, FormatRatio(ratio), "≥ 0.7×", ratio >= 0.7});
}

// --- (6) W5 through the CLI ----------------------------------------------------------------

void BM_CliW5(benchmark::State& state, int releases) {
  const WorkloadSpec spec = Workload("W5");
  const Generator g(spec);
  const format::BundleEntry entry = g.Bundle(0);
  const std::string scratch = MakeTempDir("w5");
  const std::string zip_path = scratch + "/w5.zip";
  absl::StatusOr<std::string> zip = bundle::WriteBundle(MakeBundleSpec(entry, ""));
  if (!zip.ok()) Die("WriteBundle failed");
  WriteFileOrDie(zip_path, *zip);
  const std::string cli = ExeDir() + "/../artidx";
  double total = 0;
  uint64_t disk = 0;
  constexpr uint64_t r_seed = 5;
  for (auto _ : state) {
    const std::string root = scratch + "/store";
    RemoveTree(root);
    const Clock::time_point t0 = Clock::now();
    for (int r = 0; r < releases; ++r) {
      const int status = RunProcess({cli, "--store", root, "add", zip_path, "--project",
                                     spec.project, "--release", StrCat(spec.release, "-r", r)},
                                    "/dev/null");
      if (status != 0) Die(StrCat("artidx add failed with status ", status));
    }
    const double ns = NsSince(t0);
    total += ns;
    state.SetIterationTime(ns * 1e-9);
    // Every release finds the bundle's files.
    Store store(root);
    Rng rng(r_seed);
    for (int r : {0, releases - 1}) {
      absl::StatusOr<std::shared_ptr<const Index>> index =
          store.UrlIndex(spec.project, StrCat(spec.release, "-r", r), "");
      std::vector<Candidate> found;
      if (!index.ok() || !(*index)->LookupUrl(FrameUrl(entry.files[0].url, &rng), &found).ok() ||
          found.empty()) {
        Die(StrCat("release ", r, " does not find the bundle"));
      }
    }
    disk = TreeBytes(root);
  }
  RemoveTree(scratch);
  const double per_run = total / static_cast<double>(state.iterations());
  state.counters["per_add_ns"] = per_run / releases;
  state.counters["store_bytes"] = static_cast<double>(disk);
  Record(Row{"60",
             StrCat("W5 end to end through the CLI: `artidx add` of one 1,000-file bundle to ",
                    Thousands(releases), " releases, one process each"),
             "W5", StrCat(FormatNs(per_run), " wall (", FormatNs(per_run / releases), " per add)"),
             StrCat("store on disk: ", FormatBytes(static_cast<double>(disk)), " (archive ",
                    FormatBytes(static_cast<double>(zip->size())), ")"),
             "—", "", -1});
}

// --- gc at scale -----------------------------------------------------------------------------

constexpr int kGcFiles = 10;  // files in each bundle of the gc store

// A store of `bundles` bundles, each added to one release at its generated timestamp, all past
// any retention: per bundle an archive and two references (the URL index and the debug-id
// index), and both indexes as one segment, as adding and compacting leaves them. Made once;
// every measurement works on a copy.
const std::string& GetGcStore(int bundles) {
  static auto* cache = new std::map<int, std::string>();
  std::string& root = (*cache)[bundles];
  if (!root.empty()) return root;
  root = MakeTempDir(StrCat("gc-", bundles)) + "/store";
  std::fprintf(stderr, "[setup] seeding a store with %d bundles for gc ...\n", bundles);
  const store::Layout layout(root);
  const WorkloadSpec spec = UrlWorkload(bundles, kGcFiles);
  const Generator g(spec);
  format::IndexContent urls, ids;
  urls.kind = IndexKind::kUrl;
  ids.kind = IndexKind::kDebugId;
  urls.project = ids.project = spec.project;
  urls.release = spec.release;
  for (int b = 0; b < bundles; ++b) {
    format::BundleEntry entry = g.Bundle(b);
    absl::StatusOr<std::string> zip = bundle::WriteBundle(MakeBundleSpec(entry, spec.release));
    if (!zip.ok()) Die(StrCat("WriteBundle: ", StdView(zip.status().message())));
    entry.archive_sha1 = Sha1Digest::Of(*zip);
    Check(store::WriteFileAtomically(layout.ArchivePath(entry.bundle_id, entry.archive_sha1), *zip,
                                     store::Sync::kDeferred),
          "archive");
    for (const format::IndexContent* index : {&urls, &ids}) {
      Check(store::WriteRef(layout, layout.RefDir(entry.bundle_id),
                            store::Ref{false, index->id(), entry.archive_sha1, entry.timestamp_ms},
                            store::Sync::kDeferred),
            "reference");
    }
    urls.bundles.push_back(std::move(entry));
  }
  ids = DebugIdContentOf(urls);
  const std::string url_dir = layout.IndexDir(urls.id()), id_dir = layout.IndexDir(ids.id());
  PublishIndex(url_dir, std::move(urls));
  PublishIndex(id_dir, std::move(ids));
  Check(store::SyncFileSystem(root), "sync");
  return root;
}

// The floor of gc's file-system work: a bare loop deleting what gc deletes, every file and
// directory under bundles/ (per bundle two references, the refs directory, the archive and the
// bundle directory), deepest first, with unlink(2) and rmdir(2) on paths listed beforehand; on
// `threads` threads, each taking the next bundle, as gc's deletions (store/commit.cc) do.
double DeleteBundlesNs(const std::string& root, int threads) {
  std::vector<std::vector<std::pair<std::string, bool>>> bundles;  // (path, is a directory)
  for (const std::string& bundle : store::ListDirectories(root + "/bundles")) {
    std::vector<std::pair<std::string, bool>>& paths = bundles.emplace_back();
    for (const auto& entry : std::filesystem::directory_iterator(bundle)) {
      if (entry.is_directory()) {
        for (const auto& ref : std::filesystem::directory_iterator(entry.path())) {
          paths.emplace_back(ref.path().string(), false);
        }
      }
      paths.emplace_back(entry.path().string(), entry.is_directory());
    }
    paths.emplace_back(bundle, true);
  }
  std::atomic<size_t> next{0};
  const auto work = [&] {
    for (size_t i = next++; i < bundles.size(); i = next++) {
      for (const auto& [path, dir] : bundles[i]) {
        if ((dir ? ::rmdir(path.c_str()) : ::unlink(path.c_str())) != 0) {
          Die(StrCat("cannot delete ", path, ": ", std::strerror(errno)));
        }
      }
    }
  };
  const Clock::time_point t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  return NsSince(t0);
}

void BM_Gc(benchmark::State& state, int bundles, int baseline_removes) {
  const std::string& seed = GetGcStore(bundles);
  const std::string scratch = MakeTempDir("gc");
  double gc_ns = 0, remove_ns = 0, floor_ns = 0, floor_threads_ns = 0;
  for (auto _ : state) {
    const std::string batched = scratch + "/batched", one_by_one = scratch + "/one-by-one",
                      bare = scratch + "/bare", bare_threads = scratch + "/bare-threads";
    for (const std::string& copy : {batched, one_by_one, bare, bare_threads}) {
      RemoveTree(copy);
      CopyTree(seed, copy);
    }
    // The copies are durable before anything is timed, as a store's files are long before gc
    // runs: gc's syncfs does not pay for writing them.
    Check(store::SyncFileSystem(scratch), "sync");
    const double bare_ns = DeleteBundlesNs(bare, 1);
    const double bare_threads_ns = DeleteBundlesNs(bare_threads, store::kDeleteConcurrency);
    GcOptions options;
    options.max_age_ms = 0;  // every bundle is past it
    Clock::time_point t0 = Clock::now();
    absl::StatusOr<GcResult> gc = Indexer(batched).Gc(options);
    const double ns = NsSince(t0);
    if (!gc.ok()) Die(StrCat("Indexer::Gc: ", StdView(gc.status().message())));
    if (gc->removed.size() != static_cast<size_t>(bundles)) {
      Die(StrCat("gc removed ", gc->removed.size(), " of ", bundles, " bundles"));
    }
    const absl::StatusOr<std::vector<std::string>> dirs = store::Layout(batched).IndexDirs("");
    if (!dirs.ok()) Die(StrCat("IndexDirs: ", StdView(dirs.status().message())));
    for (const std::string& dir : *dirs) {
      absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(dir);
      std::vector<Index::BundleInfo> left;
      if (!index.ok() || !(*index)->ListBundles(&left).ok() || !left.empty()) {
        Die(StrCat(dir, ": gc left bundles in the index"));
      }
    }
    // The baseline: gc before batching, one Indexer::Remove (tombstones, references and
    // compaction, each durable) per bundle.
    std::vector<std::string> ids;
    for (const std::string& dir : store::ListDirectories(one_by_one + "/bundles")) {
      if (static_cast<int>(ids.size()) == baseline_removes) break;
      ids.push_back(std::filesystem::path(dir).filename().string());
    }
    const Indexer indexer(one_by_one);
    t0 = Clock::now();
    for (const std::string& id : ids) {
      absl::StatusOr<RemoveResult> removed = indexer.Remove(id, RemoveOptions());
      if (!removed.ok()) Die(StrCat("Indexer::Remove: ", StdView(removed.status().message())));
    }
    const double base = NsSince(t0);
    gc_ns += ns;
    remove_ns += base;
    floor_ns += bare_ns;
    floor_threads_ns += bare_threads_ns;
    state.SetIterationTime((ns + base) * 1e-9);
  }
  RemoveTree(scratch);
  const double runs = static_cast<double>(state.iterations());
  const double per_gc = gc_ns / runs, per_bundle = per_gc / bundles;
  const double base_per_bundle = remove_ns / runs / baseline_removes;
  const double per_floor = floor_ns / runs, per_floor_threads = floor_threads_ns / runs;
  const double ratio = per_bundle / base_per_bundle;
  state.counters["gc_ns"] = per_gc;
  state.counters["artidx_ns"] = per_bundle;
  state.counters["base_ns"] = base_per_bundle;
  state.counters["ratio"] = ratio;
  state.counters["floor_ns"] = per_floor;
  state.counters["floor_threads_ns"] = per_floor_threads;
  Record(Row{
      "78",
      StrCat("gc removing ", Thousands(bundles),
             " bundles past their retention: cost per bundle, batched against one "
             "Indexer::Remove per bundle (gc before batching)"),
      StrCat(Thousands(bundles), " bundles × ", kGcFiles, " files, one release"),
      StrCat(FormatNs(per_gc), " (", FormatNs(per_bundle), " per bundle)"),
      StrCat(FormatNs(base_per_bundle), " per bundle (", baseline_removes, " removals, one each)"),
      FormatRatio(ratio), "gc ≤ 1 s", per_gc <= 1e9 ? 1 : 0});
  Record(Row{"79",
             StrCat("gc removing ", Thousands(bundles),
                    " bundles against its floor: a bare loop deleting the same files and "
                    "directories (unlink, rmdir) on as many threads (",
                    store::kDeleteConcurrency, ")"),
             StrCat(Thousands(bundles), " bundles × ", kGcFiles, " files, one release"),
             FormatNs(per_gc),
             StrCat(FormatNs(per_floor_threads), " (", Thousands(5 * bundles),
                    " deletions; one thread: ", FormatNs(per_floor), ")"),
             FormatRatio(per_gc / per_floor_threads), "≤ 1.5×",
             per_gc <= 1.5 * per_floor_threads ? 1 : 0});
}

}  // namespace
}  // namespace artidx::bench

int main(int argc, char** argv) {
  using namespace artidx::bench;
  ParseFlags(&argc, argv);
  const bool full = GetFlags().full;
  // Repeated: one run of it is half a second, which the shared machine's other work can skew;
  // the row reports the median. Fixed iterations, so that every call of BM_Ingest is one of the
  // repetitions (no calls that only estimate an iteration count).
  benchmark::RegisterBenchmark("ingest/bundle_20k", BM_Ingest)
      ->UseManualTime()
      ->Iterations(20)
      ->Repetitions(5);
  benchmark::RegisterBenchmark("read_entry/bundle_20k", BM_ReadEntry)->UseManualTime();
  benchmark::RegisterBenchmark("add/W1/bundle_20k", BM_AddBigBundle)
      ->UseManualTime()
      ->Iterations(full ? 5 : 1);
  std::vector<std::string> sizes = {"W1", "S75k"};
  if (full) sizes.push_back("W4");
  for (const std::string& name : sizes) {
    const int adds = full ? 64 : 4, json_adds = full ? (name == "W4" ? 4 : 16) : 2;
    benchmark::RegisterBenchmark(
        artidx::StrCat("add_amortized/", name).c_str(),
        [name, adds, json_adds](benchmark::State& s) { BM_AddAmortized(s, name, adds, json_adds); })
        ->UseManualTime()
        ->Iterations(1);
  }
  const int writer_adds = full ? 64 : 8;
  benchmark::RegisterBenchmark(
      "concurrent_writers/8",
      [writer_adds](benchmark::State& s) { BM_ConcurrentWriters(s, writer_adds); })
      ->UseManualTime()
      ->Iterations(1);
  const int releases = full ? 2000 : 20;
  benchmark::RegisterBenchmark("cli/W5", [releases](benchmark::State& s) { BM_CliW5(s, releases); })
      ->UseManualTime()
      ->Iterations(1)
      ->Unit(benchmark::kSecond);
  const int gc_baseline = full ? 300 : 100;
  benchmark::RegisterBenchmark("gc/3000",
                               [gc_baseline](benchmark::State& s) { BM_Gc(s, 3000, gc_baseline); })
      ->UseManualTime()
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
  return RunMain(argc, argv);
}
