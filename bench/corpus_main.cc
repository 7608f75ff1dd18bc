// artidx-corpus: writes a benchmark workload (bench/corpus.h) to disk, deterministically from a
// seed, for measuring artidx (or anything else) on the same data as the benchmarks.
//
//   artidx-corpus WORKLOAD --out DIR [--seed N] [--bundles] [--index] [--store] [--json]
//                 [--queries N]
//
//   --bundles    DIR/bundles/<n>.zip, real bundles as sentry-cli writes them, and DIR/adds.tsv:
//                one line per add, "<zip>\t<project>\t<release>\t<dist>\t<timestamp ms>" (W5:
//                one bundle, a line per release). Replaying it with `artidx add` builds the
//                workload's indexes.
//   --index      DIR/index/<segment>.aix: the workload's index (a URL index, or W3's debug-id
//                index) as one segment, as format::EncodeIndex writes it.
//   --store      DIR/store: a store holding the workload's URL index and the project's debug-id
//                index, one segment each (what adding every bundle and compacting gives, but
//                without archives or references: for benchmarks of lookups and adds).
//   --json       DIR/index.json: the RFC 0106 JSON of the workload's index.
//   --queries N  DIR/present.txt and DIR/absent.txt: N frame URLs (one per line) that the index
//                holds and that it does not; for W3/W3x, DIR/present.txt holds debug ids.
//
// Workloads: W1 W2 W3 W3x W4 W5 S75k, or <bundles>x<files> for a W1-like one of that size.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "absl/strings/numbers.h"
#include "bench/corpus.h"
#include "bundle/bundle_writer.h"
#include "common/strings.h"
#include "format/index_encoder.h"
#include "store/layout.h"
#include "store/segments.h"

namespace artidx::bench {
namespace {

constexpr char kUsage[] =
    "usage: artidx-corpus WORKLOAD --out DIR [--seed N] [--bundles] [--index] [--store] [--json]\n"
    "                     [--queries N]\n"
    "workloads: W1 W2 W3 W3x W4 W5 S75k, or <bundles>x<files>\n";

[[noreturn]] void Fail(std::string_view message) {
  std::fprintf(stderr, "artidx-corpus: %.*s\n", static_cast<int>(message.size()), message.data());
  std::exit(2);
}

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  return absl::SimpleAtoi(absl::string_view(s.data(), s.size()), out);
}

void Write(const std::string& path, std::string_view data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out.flush()) Fail(StrCat("cannot write ", path));
}

void WriteSegment(const std::string& dir, format::IndexContent content) {
  absl::StatusOr<std::string> bytes = format::EncodeIndex(std::move(content));
  if (!bytes.ok()) Fail(StrCat("EncodeIndex: ", StdView(bytes.status().message())));
  absl::StatusOr<std::string> name = store::PublishSegment(store::Layout(dir), dir, *bytes);
  if (!name.ok()) Fail(StdView(name.status().message()));
  std::printf("%s/%s: %zu bytes\n", dir.c_str(), name->c_str(), bytes->size());
}

int Main(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) == "--help") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string_view name = argv[1];
  WorkloadSpec spec;
  if (IsWorkload(name)) {
    spec = Workload(name);
  } else {
    const size_t x = name.find('x');
    int bundles = 0, files = 0;
    if (x == std::string_view::npos || !ParseNumber(name.substr(0, x), &bundles) ||
        !ParseNumber(name.substr(x + 1), &files) || bundles <= 0 || files <= 0) {
      Fail(StrCat("unknown workload ", name, "\n", kUsage));
    }
    spec = UrlWorkload(bundles, files);
  }
  std::string out;
  uint64_t seed = kDefaultSeed;
  bool bundles = false, index = false, store = false, json = false;
  size_t queries = 0;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) Fail(StrCat(arg, " needs a value"));
      return argv[++i];
    };
    if (arg == "--out") {
      out = std::string(value());
    } else if (arg == "--seed") {
      if (!ParseNumber(value(), &seed)) Fail("--seed needs a number");
    } else if (arg == "--queries") {
      if (!ParseNumber(value(), &queries)) Fail("--queries needs a number");
    } else if (arg == "--bundles") {
      bundles = true;
    } else if (arg == "--index") {
      index = true;
    } else if (arg == "--store") {
      store = true;
    } else if (arg == "--json") {
      json = true;
    } else {
      Fail(StrCat("unknown argument ", arg, "\n", kUsage));
    }
  }
  if (out.empty()) Fail("--out DIR is required");
  if (!bundles && !index && !store && !json && queries == 0) {
    Fail("nothing to write: give --bundles, --index, --store, --json or --queries");
  }
  const Generator g(spec, seed);
  const bool urls = spec.kind == IndexKind::kUrl;

  if (bundles) {
    std::string adds;
    int n = 0;
    g.ForEachBundle([&](format::BundleEntry entry) {
      absl::StatusOr<std::string> zip = bundle::WriteBundle(MakeBundleSpec(entry, spec.release));
      if (!zip.ok()) Fail(StrCat("WriteBundle: ", StdView(zip.status().message())));
      const std::string path = StrCat(out, "/bundles/", n++, ".zip");
      Write(path, *zip);
      const std::string abs = std::filesystem::absolute(path).string();
      for (int r = 0; r < spec.releases; ++r) {
        const std::string release =
            spec.releases > 1 ? StrCat(spec.release, "-r", r) : spec.release;
        StrAppend(&adds, abs, "\t", spec.project, "\t", release, "\t", spec.dist, "\t",
                  entry.timestamp_ms, "\n");
      }
    });
    Write(out + "/adds.tsv", adds);
    std::printf("%s/bundles: %d bundles; %s/adds.tsv\n", out.c_str(), n, out.c_str());
  }
  if (index || store || json) {
    format::IndexContent content = g.Content();
    if (json) {
      Write(out + "/index.json", RfcJson(content));
      std::printf("%s/index.json\n", out.c_str());
    }
    if (store) {
      const store::Layout layout(out + "/store");
      if (urls) WriteSegment(layout.IndexDir(content.id()), content);
      format::IndexContent ids = DebugIdContentOf(content);
      WriteSegment(layout.IndexDir(ids.id()), std::move(ids));
    }
    if (index) WriteSegment(out + "/index", std::move(content));
  }
  if (queries > 0) {
    std::string present, absent;
    if (urls) {
      for (const std::string& f : g.PresentFrames(queries, seed + 1)) StrAppend(&present, f, "\n");
      for (const std::string& f : g.AbsentFrames(queries, seed + 1)) StrAppend(&absent, f, "\n");
      Write(out + "/absent.txt", absent);
    } else {
      for (const DebugId& id : g.PresentIds(queries, seed + 1)) {
        StrAppend(&present, id.ToString(), "\n");
      }
    }
    Write(out + "/present.txt", present);
    std::printf("%s/present.txt%s\n", out.c_str(), urls ? ", absent.txt" : "");
  }
  return 0;
}

}  // namespace
}  // namespace artidx::bench

int main(int argc, char** argv) { return artidx::bench::Main(argc, argv); }
