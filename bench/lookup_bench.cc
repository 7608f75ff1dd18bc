// Lookup microbenchmarks: artidx's memory-mapped index against in-memory baselines measured in
// the same binary, on the same deterministic data.
//
//   BM_UrlLookup_*          warm lookup of a frame URL (full candidate expansion), present or
//                           absent, vs an absl::flat_hash_map<std::string, vector<Candidate>>.
//   BM_OpenFirstLookup_*    open a URL index file (in page cache) and look up one frame URL, vs
//                           loading and parsing the RFC 0106 JSON form with simdjson and
//                           looking the URL up in it.
//   BM_DebugIdLookup_*      warm debug-id lookup (any type, or source maps only) vs
//                           absl::flat_hash_map.
//
// The data: one release of `bundles` bundles, each of `files` files: half scripts, half their
// `.map`s, with URLs like `~/static/js/chunk-<hash>.js` and
// `https://cdn.example.com/app/<dir>/<name>-<hash>.min.js`. About a quarter of the scripts come
// from a pool shared between bundles (same URL, same debug id), as vendor chunks do.
//
// Before timing, setup checks that artidx and the baselines return the same answers.

#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "artidx/lookup.h"
#include "artidx/types.h"
#include "format/index_content.h"
#include "format/index_writer.h"
#include "format/strings.h"
#include "lookup/url_candidates.h"
#include "simdjson.h"
#include "store/bundle_writer.h"

namespace {

using artidx::Candidate;
using artidx::DebugId;
using artidx::FileType;
using artidx::StrCat;
namespace format = artidx::format;
namespace lookup = artidx::lookup;

constexpr uint64_t kSeed = 0x00a7'71d8'be4c'5eedULL;
constexpr size_t kQueries = 4096;  // a power of two: queries cycle with a mask

[[noreturn]] void Die(std::string_view message) {
  std::fprintf(stderr, "lookup_bench: %.*s\n", static_cast<int>(message.size()), message.data());
  std::exit(2);
}

// SplitMix64: deterministic on every platform, unlike the std distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
  std::string Hex(int digits) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    uint64_t bits = Next();
    for (int i = 0; i < digits; ++i, bits >>= 4) out.push_back(kHex[bits & 15]);
    return out;
  }
  DebugId Id() {
    DebugId id;
    for (uint8_t& b : id.uuid) b = static_cast<uint8_t>(Next());
    return id;
  }

 private:
  uint64_t state_;
};

struct Script {
  std::string url;
  DebugId debug_id;
};

Script MakeScript(Rng* rng) {
  static constexpr std::string_view kDirs[] = {"js", "vendor", "pages", "components", "lib"};
  static constexpr std::string_view kNames[] = {"main",     "app",  "runtime", "polyfills",
                                                "checkout", "cart", "product", "search"};
  Script script;
  if (rng->Below(2) == 0) {
    script.url = StrCat("~/static/js/chunk-", rng->Hex(12), ".js");
  } else {
    script.url = StrCat("https://cdn.example.com/app/", kDirs[rng->Below(std::size(kDirs))], "/",
                        kNames[rng->Below(std::size(kNames))], "-", rng->Hex(12), ".min.js");
  }
  script.debug_id = rng->Id();
  return script;
}

// The frame URL a browser reports for a stored URL.
std::string FrameUrl(std::string_view url) {
  if (url.starts_with('~')) return StrCat("https://example.com", url.substr(1), "?v=1");
  return StrCat(url, "?v=1");
}

std::string IsoTime(int64_t ms) {
  time_t seconds = static_cast<time_t>(ms / 1000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms % 1000));
  return StrCat(buffer, millis);
}

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out->push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out->append(escaped);
      continue;
    }
    out->push_back(c);
  }
  out->push_back('"');
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out.flush()) Die(StrCat("cannot write ", path));
}

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
  std::string dir;
  std::string url_index_path, debug_id_index_path, json_path;
  format::IndexContent content;  // the URL index's content; baselines view into it
  std::unique_ptr<artidx::Index> url_index, debug_id_index;
  absl::flat_hash_map<std::string, std::vector<Candidate>> url_map;
  absl::flat_hash_map<IdKey, std::vector<Candidate>> debug_id_map;
  std::vector<std::string> present_frames, absent_frames;
  std::vector<DebugId> present_ids;

  ~Dataset() {
    for (const std::string* path : {&url_index_path, &debug_id_index_path, &json_path}) {
      if (!path->empty()) ::unlink(path->c_str());
    }
    if (!dir.empty()) ::rmdir(dir.c_str());
  }
};

void Generate(int bundle_count, int files_per_bundle, Dataset* d) {
  Rng rng(kSeed);
  const int scripts_per_bundle = std::max(1, files_per_bundle / 2);
  const int shared_count =
      std::max(scripts_per_bundle, bundle_count * scripts_per_bundle / 16);  // ~4 uses each
  std::vector<Script> shared;
  for (int i = 0; i < shared_count; ++i) shared.push_back(MakeScript(&rng));

  d->content.kind = format::IndexKind::kUrl;
  d->content.project = "web";
  d->content.release = "shop@2.4.0";
  std::vector<Script> scripts;  // every distinct script, for queries
  absl::flat_hash_set<std::string> seen_urls;
  for (int b = 0; b < bundle_count; ++b) {
    format::BundleEntry& bundle = d->content.bundles.emplace_back();
    bundle.bundle_id = rng.Id().ToString();
    bundle.timestamp_ms = 1'700'000'000'000 + int64_t{b} * 60'000 + rng.Below(1000);
    for (uint8_t& byte : bundle.archive_sha1) byte = static_cast<uint8_t>(rng.Next());
    absl::flat_hash_set<size_t> used_shared;
    for (int s = 0; s < scripts_per_bundle; ++s) {
      Script script;
      if (rng.Below(4) == 0) {
        size_t pick = rng.Below(shared.size());
        while (!used_shared.insert(pick).second) pick = (pick + 1) % shared.size();
        script = shared[pick];
      } else {
        script = MakeScript(&rng);
      }
      if (seen_urls.insert(script.url).second) scripts.push_back(script);
      const std::string map_url = StrCat(script.url, ".map");
      const std::string_view base = std::string_view(map_url).substr(map_url.rfind('/') + 1);
      bundle.files.push_back(format::FileLocator{artidx::store::ZipPathForUrl(script.url),
                                                 script.url, FileType::kMinifiedSource,
                                                 script.debug_id, std::string(base)});
      if (static_cast<int>(bundle.files.size()) < files_per_bundle) {
        bundle.files.push_back(format::FileLocator{artidx::store::ZipPathForUrl(map_url), map_url,
                                                   FileType::kSourceMap, script.debug_id,
                                                   std::nullopt});
      }
    }
  }

  for (size_t i = 0; i < kQueries; ++i) {
    const Script& script = scripts[rng.Below(scripts.size())];
    d->present_frames.push_back(FrameUrl(script.url));
    d->present_ids.push_back(script.debug_id);
    std::string absent;
    do {
      absent = StrCat("~/static/js/chunk-", rng.Hex(12), ".js");
    } while (seen_urls.contains(absent));
    d->absent_frames.push_back(FrameUrl(absent));
  }
}

// Baselines hold the same answers as the index, in its order: newest bundle first, then path.
void BuildBaselines(Dataset* d) {
  std::vector<const format::BundleEntry*> order;
  for (const format::BundleEntry& bundle : d->content.bundles) order.push_back(&bundle);
  std::sort(order.begin(), order.end(),
            [](const auto* a, const auto* b) { return format::NewerFirst(*a, *b); });
  for (const format::BundleEntry* bundle : order) {
    std::vector<const format::FileLocator*> files;
    for (const format::FileLocator& file : bundle->files) files.push_back(&file);
    std::sort(files.begin(), files.end(),
              [](const auto* a, const auto* b) { return a->path < b->path; });
    for (const format::FileLocator* file : files) {
      Candidate c{
          bundle->bundle_id,
          bundle->timestamp_ms,
          std::string_view(reinterpret_cast<const char*>(bundle->archive_sha1.data()),
                           bundle->archive_sha1.size()),
          file->path,
          file->url,
          file->type,
          file->debug_id,
          file->sourcemap ? std::optional<std::string_view>(*file->sourcemap) : std::nullopt};
      d->url_map[file->url].push_back(c);
      if (file->debug_id) {
        d->debug_id_map[MakeIdKey(*file->debug_id, std::nullopt)].push_back(c);
        d->debug_id_map[MakeIdKey(*file->debug_id, file->type)].push_back(c);
      }
    }
  }
}

// The RFC 0106 JSON form of the URL index.
std::string JsonIndex(const format::IndexContent& content) {
  std::vector<const format::BundleEntry*> order;
  for (const format::BundleEntry& bundle : content.bundles) order.push_back(&bundle);
  std::sort(order.begin(), order.end(),
            [](const auto* a, const auto* b) { return format::NewerFirst(*a, *b); });
  std::vector<std::string_view> urls;  // in first-seen order
  absl::flat_hash_map<std::string_view, std::vector<size_t>> by_url;
  std::string json = "{\"bundles\":[";
  for (size_t i = 0; i < order.size(); ++i) {
    if (i > 0) json.push_back(',');
    json.append("{\"bundle_id\":");
    AppendJsonString(&json, StrCat("artifact_bundle/", order[i]->bundle_id));
    json.append(",\"timestamp\":");
    AppendJsonString(&json, IsoTime(order[i]->timestamp_ms));
    json.push_back('}');
    for (const format::FileLocator& file : order[i]->files) {
      std::vector<size_t>& list = by_url[file.url];
      if (list.empty()) urls.push_back(file.url);
      list.push_back(i);
    }
  }
  json.append("],\"files_by_url\":{");
  for (size_t u = 0; u < urls.size(); ++u) {
    if (u > 0) json.push_back(',');
    AppendJsonString(&json, urls[u]);
    json.append(":[");
    const std::vector<size_t>& list = by_url[urls[u]];
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0) json.push_back(',');
      json.append(std::to_string(list[i]));
    }
    json.push_back(']');
  }
  json.append("},\"is_complete\":true}");
  return json;
}

std::unique_ptr<artidx::Index> OpenIndex(const std::string& path) {
  absl::StatusOr<std::unique_ptr<artidx::Index>> index = artidx::Index::Open(path);
  if (!index.ok()) Die(StrCat("cannot open ", path, ": ", index.status().ToString()));
  return *std::move(index);
}

void WriteIndex(const format::IndexContent& content, const std::string& path) {
  absl::StatusOr<std::string> bytes = format::EncodeIndex(content);
  if (!bytes.ok()) Die(StrCat("EncodeIndex: ", bytes.status().ToString()));
  WriteFile(path, *bytes);
}

// The baseline URL lookup: the same candidate expansion, then one hash probe per form.
void BaselineLookupUrl(const absl::flat_hash_map<std::string, std::vector<Candidate>>& map,
                       std::string_view abs_path, std::string* key, std::vector<Candidate>* out) {
  lookup::UrlForm forms[lookup::kMaxUrlForms];
  const int n = lookup::ExpandUrl(abs_path, forms);
  for (int i = 0; i < n; ++i) {
    key->assign(forms[i].prefix).append(forms[i].body);
    auto it = map.find(*key);
    if (it != map.end()) out->insert(out->end(), it->second.begin(), it->second.end());
  }
}

void BaselineLookupDebugId(const absl::flat_hash_map<IdKey, std::vector<Candidate>>& map,
                           const DebugId& id, std::optional<FileType> type,
                           std::vector<Candidate>* out) {
  auto it = map.find(MakeIdKey(id, type));
  if (it != map.end()) out->insert(out->end(), it->second.begin(), it->second.end());
}

void ExpectSame(const std::vector<Candidate>& a, const std::vector<Candidate>& b,
                std::string_view what) {
  bool same = a.size() == b.size();
  for (size_t i = 0; same && i < a.size(); ++i) {
    same = a[i].bundle_id == b[i].bundle_id && a[i].path == b[i].path && a[i].url == b[i].url &&
           a[i].type == b[i].type && a[i].debug_id == b[i].debug_id &&
           a[i].sourcemap == b[i].sourcemap && a[i].archive_sha1 == b[i].archive_sha1;
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
  for (size_t i = 0; i < 256; ++i) {
    for (const std::string* frame : {&d.present_frames[i], &d.absent_frames[i]}) {
      a.clear();
      b.clear();
      if (!d.url_index->LookupUrl(*frame, &a).ok()) Die("LookupUrl failed");
      BaselineLookupUrl(d.url_map, *frame, &key, &b);
      ExpectSame(a, b, *frame);
      if (frame == &d.present_frames[i] && a.empty()) Die(StrCat("no answer for ", *frame));
    }
    for (std::optional<FileType> type :
         {std::optional<FileType>(), std::optional(FileType::kSourceMap)}) {
      a.clear();
      b.clear();
      if (!d.debug_id_index->LookupDebugId(d.present_ids[i], type, &a).ok()) {
        Die("LookupDebugId failed");
      }
      BaselineLookupDebugId(d.debug_id_map, d.present_ids[i], type, &b);
      ExpectSame(a, b, d.present_ids[i].ToString());
      if (a.empty()) Die(StrCat("no answer for ", d.present_ids[i].ToString()));
    }
  }
}

const Dataset& GetDataset(int bundles, int files) {
  static auto* cache = new std::map<std::pair<int, int>, std::unique_ptr<Dataset>>();
  static struct Cleanup {
    ~Cleanup() { cache->clear(); }  // removes the temporary files at exit
  } cleanup;
  std::unique_ptr<Dataset>& slot = (*cache)[{bundles, files}];
  if (slot) return *slot;
  auto d = std::make_unique<Dataset>();
  char dir[] = "/tmp/artidx-bench-XXXXXX";
  if (::mkdtemp(dir) == nullptr) Die("mkdtemp failed");
  d->dir = dir;
  d->url_index_path = d->dir + "/urls.aix";
  d->debug_id_index_path = d->dir + "/debug-ids.aix";
  d->json_path = d->dir + "/index.json";

  Generate(bundles, files, d.get());
  WriteIndex(d->content, d->url_index_path);
  format::IndexContent debug_ids = d->content;
  debug_ids.kind = format::IndexKind::kDebugId;
  debug_ids.release.clear();
  debug_ids.dist.clear();
  WriteIndex(debug_ids, d->debug_id_index_path);
  WriteFile(d->json_path, JsonIndex(d->content));
  d->url_index = OpenIndex(d->url_index_path);
  d->debug_id_index = OpenIndex(d->debug_id_index_path);
  BuildBaselines(d.get());
  CrossCheck(*d);
  slot = std::move(d);
  return *slot;
}

void SetLabel(benchmark::State& state, const artidx::Index& index) {
  state.SetLabel(StrCat(index.file_count(), " files, ", index.key_count(), " keys"));
}

// --- (1) warm URL lookup ----------------------------------------------------------------------

void BM_UrlLookup_Artidx(benchmark::State& state) {
  const Dataset& d = GetDataset(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const std::vector<std::string>& frames = state.range(2) ? d.absent_frames : d.present_frames;
  std::vector<Candidate> out;
  out.reserve(1024);
  size_t i = 0, found = 0;
  for (auto _ : state) {
    out.clear();
    absl::Status s = d.url_index->LookupUrl(frames[i++ & (kQueries - 1)], &out);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(out.data());
    found += out.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["cands/lookup"] =
      static_cast<double>(found) / std::max<double>(1, state.iterations());
  SetLabel(state, *d.url_index);
}

void BM_UrlLookup_FlatHashMap(benchmark::State& state) {
  const Dataset& d = GetDataset(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const std::vector<std::string>& frames = state.range(2) ? d.absent_frames : d.present_frames;
  std::vector<Candidate> out;
  out.reserve(1024);
  std::string key;
  key.reserve(256);
  size_t i = 0, found = 0;
  for (auto _ : state) {
    out.clear();
    BaselineLookupUrl(d.url_map, frames[i++ & (kQueries - 1)], &key, &out);
    benchmark::DoNotOptimize(out.data());
    found += out.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["cands/lookup"] =
      static_cast<double>(found) / std::max<double>(1, state.iterations());
  SetLabel(state, *d.url_index);
}

// --- (2) open + first lookup ------------------------------------------------------------------

void BM_OpenFirstLookup_Artidx(benchmark::State& state) {
  const Dataset& d = GetDataset(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  std::vector<Candidate> out;
  out.reserve(1024);
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    absl::StatusOr<std::unique_ptr<artidx::Index>> index = artidx::Index::Open(d.url_index_path);
    if (!index.ok()) {
      state.SkipWithError("open failed");
      break;
    }
    absl::Status s = (*index)->LookupUrl(d.present_frames[i++ & (kQueries - 1)], &out);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  SetLabel(state, *d.url_index);
}

// Loads the JSON file, parses it (the parser's buffers are reused between iterations, which
// favours the baseline), expands the frame URL and looks each form up in files_by_url.
void BM_OpenFirstLookup_SimdjsonJson(benchmark::State& state) {
  const Dataset& d = GetDataset(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  simdjson::dom::parser parser;
  std::vector<std::pair<std::string_view, std::string_view>> out;  // (bundle id, timestamp)
  out.reserve(1024);
  std::string key;
  key.reserve(256);
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    simdjson::padded_string json;
    simdjson::dom::element root;
    simdjson::dom::object files_by_url;
    simdjson::dom::array bundles;
    if (simdjson::padded_string::load(d.json_path).get(json) != simdjson::SUCCESS ||
        parser.parse(json).get(root) != simdjson::SUCCESS ||
        root["files_by_url"].get(files_by_url) != simdjson::SUCCESS ||
        root["bundles"].get(bundles) != simdjson::SUCCESS) {
      state.SkipWithError("JSON load failed");
      break;
    }
    lookup::UrlForm forms[lookup::kMaxUrlForms];
    const int n = lookup::ExpandUrl(d.present_frames[i++ & (kQueries - 1)], forms);
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
          state.SkipWithError("JSON lookup failed");
          break;
        }
        out.emplace_back(id, timestamp);
      }
    }
    if (out.empty()) {
      state.SkipWithError("JSON lookup found nothing");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["json_bytes"] =
      static_cast<double>(std::ifstream(d.json_path, std::ios::ate).tellg());
  SetLabel(state, *d.url_index);
}

// --- (3) warm debug-id lookup -----------------------------------------------------------------

std::optional<FileType> TypeArg(const benchmark::State& state) {
  return state.range(2) ? std::optional(FileType::kSourceMap) : std::nullopt;
}

void BM_DebugIdLookup_Artidx(benchmark::State& state) {
  const Dataset& d = GetDataset(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const std::optional<FileType> type = TypeArg(state);
  std::vector<Candidate> out;
  out.reserve(1024);
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    absl::Status s =
        d.debug_id_index->LookupDebugId(d.present_ids[i++ & (kQueries - 1)], type, &out);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  SetLabel(state, *d.debug_id_index);
}

void BM_DebugIdLookup_FlatHashMap(benchmark::State& state) {
  const Dataset& d = GetDataset(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const std::optional<FileType> type = TypeArg(state);
  std::vector<Candidate> out;
  out.reserve(1024);
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    BaselineLookupDebugId(d.debug_id_map, d.present_ids[i++ & (kQueries - 1)], type, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  SetLabel(state, *d.debug_id_index);
}

// Sizes: {bundles, files per bundle}. Larger, production-scale runs are future work (issue 5).
constexpr int64_t kSizes[][2] = {{20, 100}, {200, 100}};

void UrlArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"bundles", "files", "absent"});
  for (const auto& size : kSizes) {
    for (int64_t absent : {0, 1}) b->Args({size[0], size[1], absent});
  }
}

void OpenArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"bundles", "files"});
  for (const auto& size : kSizes) b->Args({size[0], size[1]});
}

void DebugIdArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"bundles", "files", "typed"});
  for (const auto& size : kSizes) {
    for (int64_t typed : {0, 1}) b->Args({size[0], size[1], typed});
  }
}

BENCHMARK(BM_UrlLookup_Artidx)->Apply(UrlArgs);
BENCHMARK(BM_UrlLookup_FlatHashMap)->Apply(UrlArgs);
BENCHMARK(BM_OpenFirstLookup_Artidx)->Apply(OpenArgs);
BENCHMARK(BM_OpenFirstLookup_SimdjsonJson)->Apply(OpenArgs);
BENCHMARK(BM_DebugIdLookup_Artidx)->Apply(DebugIdArgs);
BENCHMARK(BM_DebugIdLookup_FlatHashMap)->Apply(DebugIdArgs);

}  // namespace

// A short default run: --benchmark_min_time=0.1 unless the command line sets it (a later flag
// wins).
int main(int argc, char** argv) {
  std::string min_time = "--benchmark_min_time=0.1";
  std::vector<char*> args(argv, argv + argc);
  args.insert(args.begin() + (argc > 0 ? 1 : 0), min_time.data());
  int n = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
