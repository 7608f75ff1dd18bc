#include "bench/corpus.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "common/strings.h"
#include "common/text.h"

namespace artidx::bench {
namespace {

constexpr int64_t kBaseTimestampMs = 1'700'000'000'000;  // 2023-11-14
constexpr int64_t kBundleSpacingMs = 60'000;             // one upload a minute
constexpr uint64_t kPoolSalt = 0x5b0a'7ed5'c21f'0011ULL;
constexpr uint64_t kBundleSalt = 0x9e37'79b9'7f4a'7c15ULL;

[[noreturn]] void Die(std::string_view message) {
  std::fprintf(stderr, "corpus: %.*s\n", static_cast<int>(message.size()), message.data());
  std::exit(2);
}

// Words of real builds, for URLs of realistic shapes and lengths.
constexpr std::string_view kCdnDirs[] = {"js",
                                         "vendor",
                                         "pages/checkout",
                                         "pages/account",
                                         "components/cart",
                                         "components/product",
                                         "lib/analytics",
                                         "features/search"};
constexpr std::string_view kNames[] = {"main",
                                       "app",
                                       "runtime",
                                       "polyfills",
                                       "checkout",
                                       "cart",
                                       "product-detail",
                                       "search-results",
                                       "account-settings",
                                       "order-history",
                                       "recommendations",
                                       "payment-form"};
constexpr std::string_view kWebpackChunks[] = {"vendors-node_modules_react-dom_index_js",
                                               "vendors-node_modules_lodash_lodash_js",
                                               "src_components_Header_tsx",
                                               "node_modules_date-fns_esm_index_js",
                                               "src_pages_Checkout_index_tsx",
                                               "vendors-node_modules_mui_material_esm_index_js",
                                               "main",
                                               "runtime-main"};
constexpr std::string_view kNextRoutes[] = {"products/[slug]",
                                            "account/orders/[orderId]",
                                            "checkout/payment",
                                            "search",
                                            "_app",
                                            "blog/[year]/[month]/[slug]",
                                            "index",
                                            "cart",
                                            "_error",
                                            "collections/[handle]/[page]"};
constexpr std::string_view kViteNames[] = {"ProductCard",
                                           "CheckoutForm",
                                           "index",
                                           "vendor",
                                           "SearchResults",
                                           "AccountSettingsPage",
                                           "OrderHistoryTable",
                                           "RecommendationCarousel"};

template <size_t N>
std::string_view Pick(const std::string_view (&words)[N], Rng* rng) {
  return words[rng->Below(N)];
}

// A script URL. `long_hashes` limits the shapes to those with 12 or more hex digits of hash,
// which no two generated URLs share by chance (used for absent URLs).
std::string ScriptUrl(Rng* rng, bool long_hashes = false) {
  static constexpr uint64_t kLongHashShapes[] = {0, 2, 3};
  const uint64_t shape = long_hashes ? kLongHashShapes[rng->Below(3)] : rng->Below(5);
  switch (shape) {
    case 0:  // create-react-app's numbered chunks (as in the issue)
      return StrCat("~/static/js/chunk-", rng->Hex(12), ".js");
    case 1:  // webpack's named chunks
      return StrCat("~/static/js/", Pick(kWebpackChunks, rng), ".", rng->Hex(8), ".chunk.js");
    case 2:  // an absolute CDN URL
      return StrCat("https://cdn.example.com/app/", Pick(kCdnDirs, rng), "/", Pick(kNames, rng),
                    "-", rng->Hex(12), ".min.js");
    case 3:  // Next.js pages
      return StrCat("~/_next/static/chunks/pages/", Pick(kNextRoutes, rng), "-", rng->Hex(16),
                    ".js");
    default:  // Vite assets
      return StrCat("~/assets/", Pick(kViteNames, rng), "-", rng->Hex(8), ".js");
  }
}

std::string_view BaseName(std::string_view url) { return url.substr(url.rfind('/') + 1); }

uint64_t BundleSeed(uint64_t seed, int b) {
  Rng mix(seed ^ (kBundleSalt * (static_cast<uint64_t>(b) + 1)));
  return mix.Next();
}

}  // namespace

uint64_t Rng::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string Rng::Hex(int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  uint64_t bits = Next();
  for (int i = 0; i < digits; ++i, bits >>= 4) out.push_back(kHex[bits & 15]);
  return out;
}

DebugId Rng::Id() {
  DebugId id;
  const uint64_t hi = Next(), lo = Next();
  for (int i = 0; i < 8; ++i) {
    id.uuid[i] = static_cast<uint8_t>(hi >> (8 * i));
    id.uuid[8 + i] = static_cast<uint8_t>(lo >> (8 * i));
  }
  return id;
}

WorkloadSpec UrlWorkload(int bundles, int files_per_bundle) {
  WorkloadSpec spec;
  spec.name = StrCat(bundles, "x", files_per_bundle);
  spec.bundles = bundles;
  spec.files_per_bundle = files_per_bundle;
  spec.shared_fraction = 0.25;
  return spec;
}

WorkloadSpec Workload(std::string_view name) {
  WorkloadSpec spec;
  if (name == "W1") {
    spec = UrlWorkload(200, 100);
  } else if (name == "W2") {
    spec = UrlWorkload(200, 2000);
    spec.shared_fraction = 0;
    spec.rebuilds = true;
  } else if (name == "W3" || name == "W3x") {
    spec = UrlWorkload(name == "W3" ? 4'000 : 40'000, 200);
    spec.shared_fraction = 0;  // random ids from old clients: nothing shared
    spec.kind = IndexKind::kDebugId;
    spec.release.clear();
  } else if (name == "W4") {
    spec = UrlWorkload(75'000, 10);
  } else if (name == "S75k") {
    spec = UrlWorkload(7'500, 10);
  } else if (name == "W5") {
    spec = UrlWorkload(1, 1000);
    spec.shared_fraction = 0;
    spec.releases = 2000;
  } else {
    Die(StrCat("unknown workload ", name));
  }
  spec.name = std::string(name);
  return spec;
}

std::vector<std::string> WorkloadNames() { return {"W1", "W2", "W3", "W3x", "W4", "W5", "S75k"}; }

bool IsWorkload(std::string_view name) {
  for (const std::string& n : WorkloadNames()) {
    if (n == name) return true;
  }
  return false;
}

Generator::Generator(WorkloadSpec spec, uint64_t seed) : spec_(std::move(spec)), seed_(seed) {
  scripts_per_bundle_ = std::max(1, (spec_.files_per_bundle + 1) / 2);
  Rng rng(seed_ ^ kPoolSalt);
  if (spec_.rebuilds) {
    absl::flat_hash_set<std::string> seen;
    while (static_cast<int>(rebuilt_.size()) < scripts_per_bundle_) {
      std::string url = ScriptUrl(&rng);
      if (seen.insert(url).second) rebuilt_.push_back(Script{std::move(url), DebugId{}});
    }
  } else if (spec_.shared_fraction > 0) {
    const double uses = static_cast<double>(spec_.bundles) * scripts_per_bundle_ *
                        spec_.shared_fraction / spec_.shared_uses;
    const int pool = std::max(scripts_per_bundle_, static_cast<int>(uses + 0.5));
    for (int i = 0; i < pool; ++i) shared_.push_back(Script{ScriptUrl(&rng), rng.Id()});
  }
}

format::BundleEntry Generator::Bundle(int b) const {
  Rng rng(BundleSeed(seed_, b));
  format::BundleEntry entry;
  entry.bundle_id = rng.Id().ToString();
  entry.timestamp_ms =
      kBaseTimestampMs + int64_t{b} * kBundleSpacingMs + static_cast<int64_t>(rng.Below(1000));
  for (uint8_t& byte : entry.archive_sha1) byte = static_cast<uint8_t>(rng.Next());
  entry.files.reserve(spec_.files_per_bundle);
  absl::flat_hash_set<std::string_view> urls;  // unique within the bundle
  absl::flat_hash_set<size_t> used_shared;
  std::vector<std::string> fresh;  // owns the fresh URLs while `urls` views them
  fresh.reserve(scripts_per_bundle_);
  for (int s = 0; s < scripts_per_bundle_; ++s) {
    Script script;
    if (spec_.rebuilds) {
      script = Script{rebuilt_[s].url, rng.Id()};
    } else if (!shared_.empty() && rng.Chance(spec_.shared_fraction)) {
      size_t pick = rng.Below(shared_.size());
      while (!used_shared.insert(pick).second || urls.contains(shared_[pick].url)) {
        pick = (pick + 1) % shared_.size();
      }
      script = shared_[pick];
    } else {
      do {
        script.url = ScriptUrl(&rng);
      } while (urls.contains(script.url));
      script.debug_id = rng.Id();
    }
    fresh.push_back(script.url);
    urls.insert(fresh.back());
    std::string map_url = StrCat(script.url, ".map");
    entry.files.push_back(format::FileLocator{bundle::ZipPathForUrl(script.url), script.url,
                                              FileType::kMinifiedSource, script.debug_id,
                                              std::string(BaseName(map_url))});
    if (static_cast<int>(entry.files.size()) < spec_.files_per_bundle) {
      entry.files.push_back(format::FileLocator{bundle::ZipPathForUrl(map_url), std::move(map_url),
                                                FileType::kSourceMap, script.debug_id,
                                                std::nullopt});
    }
  }
  return entry;
}

void Generator::ForEachBundle(const std::function<void(format::BundleEntry)>& f) const {
  for (int b = 0; b < spec_.bundles; ++b) f(Bundle(b));
}

format::IndexContent Generator::Content() const {
  format::IndexContent content;
  content.kind = spec_.kind;
  content.project = spec_.project;
  if (spec_.kind == IndexKind::kUrl) {
    content.release = spec_.release;
    content.dist = spec_.dist;
  }
  content.bundles.reserve(spec_.bundles);
  ForEachBundle([&](format::BundleEntry e) { content.bundles.push_back(std::move(e)); });
  return content;
}

std::string FrameUrl(std::string_view url, Rng* rng) {
  std::string frame =
      url.starts_with("~/") ? StrCat("https://shop.example.com", url.substr(1)) : std::string(url);
  if (rng->Chance(0.3)) StrAppend(&frame, "?v=", 1000 + rng->Below(9000));
  return frame;
}

namespace {

// n (bundle, file) picks at random; each bundle is generated once.
template <typename F>
void PickFiles(const Generator& g, size_t n, uint64_t seed, F&& use) {
  Rng rng(seed);
  std::map<int, std::vector<std::pair<size_t, int>>> by_bundle;  // bundle -> (slot, file)
  for (size_t i = 0; i < n; ++i) {
    const int b = static_cast<int>(rng.Below(g.spec().bundles));
    by_bundle[b].emplace_back(i, static_cast<int>(rng.Below(g.spec().files_per_bundle)));
  }
  for (const auto& [b, picks] : by_bundle) {
    const format::BundleEntry bundle = g.Bundle(b);
    for (const auto& [slot, f] : picks) use(slot, bundle.files[f % bundle.files.size()]);
  }
}

}  // namespace

std::vector<std::string> Generator::PresentFrames(size_t n, uint64_t seed) const {
  std::vector<std::string> frames(n);
  Rng rng(seed ^ 0xf4a3e5ULL);
  PickFiles(*this, n, seed,
            [&](size_t slot, const format::FileLocator& file) { frames[slot] = file.url; });
  for (std::string& frame : frames) frame = FrameUrl(frame, &rng);
  return frames;
}

std::vector<std::string> Generator::AbsentFrames(size_t n, uint64_t seed) const {
  Rng rng(seed ^ 0xab5e47ULL);
  std::vector<std::string> frames;
  for (size_t i = 0; i < n; ++i) {
    std::string url = ScriptUrl(&rng, /*long_hashes=*/true);
    if (rng.Chance(0.5)) url += ".map";
    frames.push_back(FrameUrl(url, &rng));
  }
  return frames;
}

std::vector<DebugId> Generator::PresentIds(size_t n, uint64_t seed) const {
  std::vector<DebugId> ids(n);
  PickFiles(*this, n, seed, [&](size_t slot, const format::FileLocator& file) {
    ids[slot] = file.debug_id.value_or(DebugId{});
  });
  return ids;
}

bundle::BundleSpec MakeBundleSpec(const format::BundleEntry& bundle, std::string_view release) {
  bundle::BundleSpec spec;
  spec.debug_id = bundle.bundle_id;
  spec.attributes = {{"org", "example"}, {"project", "web"}};
  if (!release.empty()) spec.attributes["release"] = std::string(release);
  for (const format::FileLocator& file : bundle.files) {
    bundle::BundleFile out{file.url, file.type, std::string(), file.debug_id, file.sourcemap};
    const std::string id = file.debug_id ? file.debug_id->ToString() : "";
    const std::string_view base = BaseName(file.url);
    if (file.type == FileType::kSourceMap) {
      out.content = StrCat("{\"version\":3,\"file\":", JsonString(base.substr(0, base.size() - 4)),
                           ",\"sources\":[\"webpack://app/./src/", base.substr(0, 12),
                           ".tsx\"],\"names\":[\"e\",\"t\"],\"mappings\":\"AAAA,SAASA,EAAEC\","
                           "\"debug_id\":\"",
                           id, "\"}");
    } else {
      out.content = StrCat("!function(){var e=\"", id.substr(0, 8),
                           "\";window.__chunks&&window.__chunks.push(e)}();\n//# debugId=", id,
                           "\n//# sourceMappingURL=", file.sourcemap.value_or(""), "\n");
    }
    spec.files.push_back(std::move(out));
  }
  return spec;
}

std::string RfcJson(const format::IndexContent& content) {
  std::vector<const format::BundleEntry*> order;
  for (const format::BundleEntry& bundle : content.bundles) {
    if (!bundle.tombstone) order.push_back(&bundle);
  }
  std::sort(order.begin(), order.end(),
            [](const auto* a, const auto* b) { return format::NewerFirst(*b, *a); });
  const bool urls = content.kind == IndexKind::kUrl;
  std::vector<std::string> keys;  // in first-seen order
  absl::flat_hash_map<std::string, std::vector<uint32_t>> by_key;
  std::string json = "{\"bundles\":[";
  for (size_t i = 0; i < order.size(); ++i) {
    StrAppend(&json, i ? "," : "",
              "{\"bundle_id\":", JsonString(StrCat("artifact_bundle/", order[i]->bundle_id)),
              ",\"timestamp\":", JsonString(FormatIso8601(order[i]->timestamp_ms)), "}");
    for (const format::FileLocator& file : order[i]->files) {
      if (!urls && !file.debug_id) continue;
      std::string key = urls ? file.url : file.debug_id->ToString();
      auto [it, inserted] = by_key.try_emplace(key);
      if (inserted) keys.push_back(std::move(key));
      if (it->second.empty() || it->second.back() != i) it->second.push_back(i);
    }
  }
  StrAppend(&json, "],\"", urls ? "files_by_url" : "files_by_debug_id", "\":{");
  for (size_t k = 0; k < keys.size(); ++k) {
    StrAppend(&json, k ? "," : "", JsonString(keys[k]), ":[");
    const std::vector<uint32_t>& list = by_key[keys[k]];
    for (size_t i = 0; i < list.size(); ++i) StrAppend(&json, i ? "," : "", list[i]);
    json.push_back(']');
  }
  json.append("},\"is_complete\":true}");
  return json;
}

format::IndexContent DebugIdContentOf(format::IndexContent content) {
  content.kind = IndexKind::kDebugId;
  content.release.clear();
  content.dist.clear();
  for (format::BundleEntry& bundle : content.bundles) {
    std::erase_if(bundle.files, [](const format::FileLocator& f) { return !f.debug_id; });
  }
  return content;
}

}  // namespace artidx::bench
