// artidx: the command-line front end. It only parses arguments, calls the indexer or the
// lookup library, and prints; everything it does is available from the libraries.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "artidx/indexer.h"
#include "artidx/lookup.h"
#include "bundle/bundle_writer.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "common/text.h"
#include "server/server.h"
#include "store/file_util.h"
#include "store/layout.h"

namespace artidx::cli {
namespace {

constexpr int kExitFound = 0, kExitNotFound = 1, kExitError = 2;

constexpr char kUsage[] = R"(usage: artidx [--store DIR] VERB [ARGS]

Indexes JavaScript artifact bundles and looks files up in them.

verbs:
  add          add bundles to the indexes of projects and a release
  rm           remove a bundle from every index that names it, and from the store
  compact      merge each index's segments into one
  gc           remove bundles past their retention, clean up after crashed writers
  hold, unhold keep a bundle from gc, or no longer
  ls           list bundles newest first, or a project's releases
  verify       check every index, archive and reference of the store
  rebuild      regenerate every index from the archives and the record of adds and removals
  export       write an index as the JSON of Sentry's RFC 0106
  import       add the bundles such a JSON names
  lookup       find the bundles and files for a URL or a debug id
  cat          print the bytes of the file a lookup finds first
  inspect      show what an index holds
  make-bundle  make a bundle from a directory of JavaScript and source maps
  serve        serve the store over HTTP (Sentry's artifact-lookup API, for Symbolicator)

The store is --store DIR, else $ARTIDX_STORE, else ./artidx-store.
Run `artidx VERB --help` for a verb's options. Exit status: 0 success (lookup: found),
1 lookup found nothing, 2 error.
)";

struct FlagSpec {
  bool takes_value;
  bool repeatable;
};

struct Args {
  std::map<std::string, std::vector<std::string>> flags;
  std::vector<std::string> positional;
  bool Has(const std::string& f) const { return flags.count(f) > 0; }
  std::string Get(const std::string& f, std::string fallback = "") const {
    auto it = flags.find(f);
    return it == flags.end() ? fallback : it->second.back();
  }
};

[[noreturn]] void Fail(std::string_view message) {
  std::cerr << "artidx: " << OneLine(message) << "\n";
  std::exit(kExitError);
}

// A store is a directory that an add has written to: it holds bundles/ or projects/. Every
// verb but add and import (which create one) needs one, so that a mistyped --store is an
// error, not an empty store that looks healthy.
void RequireStore(const std::string& root) {
  if (!store::Layout(root).Exists()) Fail(StrCat("no artidx store at ", root));
}

// Parses argv[first..]: `--flag VALUE`, `--flag=VALUE`, boolean `--flag`, and positionals.
Args Parse(int argc, char** argv, int first, const std::map<std::string, FlagSpec>& spec,
           std::string_view verb, std::string_view help) {
  Args args;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << help;
      std::exit(0);
    }
    if (a.size() < 2 || a.substr(0, 2) != "--") {
      args.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    bool has_inline = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_inline = true;
    }
    auto it = spec.find(name);
    if (it == spec.end()) Fail(StrCat(verb, ": unknown option --", name, " (see --help)"));
    if (it->second.takes_value && !has_inline) {
      if (i + 1 >= argc) Fail(StrCat(verb, ": --", name, " needs a value"));
      value = argv[++i];
    } else if (!it->second.takes_value && has_inline) {
      Fail(StrCat(verb, ": --", name, " takes no value"));
    }
    if (!it->second.repeatable && args.Has(name)) {
      Fail(StrCat(verb, ": --", name, " given twice"));
    }
    args.flags[name].push_back(value);
  }
  return args;
}

int64_t ParseInt(const Args& args, const std::string& flag, int64_t min, int64_t max) {
  int64_t v;
  if (!absl::SimpleAtoi(args.Get(flag), &v) || v < min || v > max) {
    Fail(StrCat("--", flag, ": expected an integer from ", min, " to ", max, ", got \"",
                args.Get(flag), "\""));
  }
  return v;
}

// An index's raw archive digest (always 20 bytes: the reader checks) as hex.
std::string Hex(std::string_view raw) {
  return Sha1Digest::FromRaw(raw).value_or(Sha1Digest{}).Hex();
}

void Check(const absl::Status& s) {
  if (!s.ok()) Fail(StdView(s.message()));
}

// --- add -------------------------------------------------------------------------------------

// What an add that lost the merge says (AddOutcome), in text and as JSON fields.
std::string OutcomeText(const AddResult& r) {
  switch (r.outcome) {
    case AddOutcome::kAdded:
      return "added";
    case AddOutcome::kSupersededByRemoval:
      return StrCat("it is superseded by its removal at ", FormatIso8601(*r.superseded_at_ms), " (",
                    *r.superseded_at_ms,
                    "): lookups do not find it; add it with a later "
                    "--timestamp to bring it back");
    case AddOutcome::kSupersededByAdd:
      return StrCat("it is superseded by its add at ", FormatIso8601(*r.superseded_at_ms), " (",
                    *r.superseded_at_ms, "), which lookups find instead");
    case AddOutcome::kReplacedInThisAdd:
      return StrCat("it is replaced by ", r.replaced_by,
                    " in this add: same bundle id and time, and the greater archive SHA-1 wins");
  }
  return "";
}

std::string OutcomeJson(const AddResult& r) {
  return StrCat(",\"outcome\":\"", AddOutcomeName(r.outcome),
                "\",\"superseded_at\":", r.superseded_at_ms ? StrCat(*r.superseded_at_ms) : "null",
                ",\"replaced_by\":",
                r.outcome == AddOutcome::kReplacedInThisAdd ? JsonString(r.replaced_by) : "null");
}

constexpr char kAddHelp[] =
    R"(usage: artidx [--store DIR] add BUNDLE... --project P [--project P...]
                         [--release R] [--dist D] [--timestamp MS] [--bundle-id ID] [--json]

Adds bundles (sentry-cli artifact bundles: zip archives with a manifest.json) to the debug-id
index of each project and, with --release, to the URL index of each (project, release, dist).
Every bundle is read and checked first: if one is bad, nothing is added. An add that loses to
an operation on the same bundle id (a later removal or add, or another archive of the id in
the same command) is recorded but says so instead of "added".

  --project P         project to add to (1-64 of [A-Za-z0-9._-]); repeat for several
  --release R         release (UTF-8, up to 250 bytes); without it only debug ids are indexed
  --dist D            distribution within the release (up to 64 bytes)
  --timestamp MS      upload time in milliseconds since the epoch (default: now); the newest
                      bundle wins a lookup
  --bundle-id ID      bundle id (default: the manifest's debug_id, else the archive's SHA-1);
                      one bundle only
  --max-entries N     refuse manifests with more than N files (default 200000)
  --max-manifest-bytes N
                      refuse manifests larger than N bytes (default 67108864)
  --json              print {"added":[{"bundle", "bundle_id", "archive_sha1", "timestamp",
                      "files", "debug_id_files", "outcome" (added, superseded_by_removal,
                      superseded_by_add or replaced_in_this_add), "superseded_at",
                      "replaced_by"}]}
)";

int Add(const std::string& root, int argc, char** argv, int first) {
  Args args = Parse(argc, argv, first,
                    {{"project", {true, true}},
                     {"release", {true, false}},
                     {"dist", {true, false}},
                     {"timestamp", {true, false}},
                     {"bundle-id", {true, false}},
                     {"max-entries", {true, false}},
                     {"max-manifest-bytes", {true, false}},
                     {"json", {false, false}}},
                    "add", kAddHelp);
  if (args.positional.empty()) Fail("add: no bundle given (see --help)");
  if (args.Has("release") && args.Get("release").empty()) {
    Fail("add: --release is empty; leave it out to index debug ids only");
  }
  if (!args.Has("project")) Fail("add: --project is required (see --help)");
  AddOptions options;
  options.projects = args.flags["project"];
  options.release = args.Get("release");
  options.dist = args.Get("dist");
  if (args.Has("timestamp")) {
    options.timestamp_ms = ParseInt(args, "timestamp", 0, int64_t{1} << 53);
  }
  if (args.Has("bundle-id")) options.bundle_id = args.Get("bundle-id");
  if (args.Has("max-entries")) {
    options.limits.max_entries = static_cast<uint32_t>(ParseInt(args, "max-entries", 1, 1 << 30));
  }
  if (args.Has("max-manifest-bytes")) {
    options.limits.max_manifest_bytes =
        static_cast<uint64_t>(ParseInt(args, "max-manifest-bytes", 1, int64_t{1} << 40));
  }
  absl::StatusOr<std::vector<AddResult>> results = Indexer(root).Add(args.positional, options);
  Check(results.status());
  const std::string target = StrCat(
      "project ", absl::StrJoin(options.projects, ", "),
      options.release.empty()
          ? " (debug ids only)"
          : StrCat(", release ", JsonString(options.release), options.dist.empty() ? "" : ", dist ",
                   options.dist.empty() ? "" : JsonString(options.dist)));
  if (args.Has("json")) {
    std::vector<std::string> rows;
    for (const AddResult& r : *results) {
      rows.push_back(StrCat(
          "{\"bundle\":", JsonString(r.bundle_path), ",\"bundle_id\":", JsonString(r.bundle_id),
          ",\"archive_sha1\":", JsonString(r.archive_sha1), ",\"timestamp\":", r.timestamp_ms,
          ",\"files\":", r.files, ",\"debug_id_files\":", r.debug_id_files, OutcomeJson(r), "}"));
    }
    std::cout << "{\"added\":[" << absl::StrJoin(rows, ",") << "]}\n";
  } else {
    for (const AddResult& r : *results) {
      if (r.outcome == AddOutcome::kAdded) {
        std::cout << "added " << r.bundle_id << " (" << r.bundle_path << ", " << r.files
                  << " files, " << r.debug_id_files << " with debug ids) to " << target << "\n";
      } else {
        std::cout << "recorded " << r.bundle_id << " (" << r.bundle_path << ") for " << target
                  << ", but " << OutcomeText(r) << "\n";
      }
    }
  }
  return 0;
}

// --- lookup and cat ----------------------------------------------------------------------------

constexpr char kLookupHelp[] = R"(usage: artidx [--store DIR] lookup --project P
           (--release R [--dist D] --url URL | --debug-id ID [--type TYPE]) [--json]

Prints the candidates for a stack frame's URL (expanded as Symbolicator does: with and without
query, and as a ~/ path) or for a debug id, newest bundle first. Candidates whose archive is
gone are left out, and a tombstone is published for each (repair on read, as a worker's Store
does). Exit status: 0 when there is a candidate, 1 when there is none, 2 on an error.

  --project P     project
  --release R     release of the URL index (required with --url)
  --dist D        dist of the URL index (default: none)
  --url URL       a frame's abs_path
  --debug-id ID   a debug id (any case, hyphenated or not)
  --type TYPE     with --debug-id: source, minified_source, source_map or indexed_ram_bundle
  --json          print {"candidates":[{"bundle_id", "timestamp", "url", "path", "type",
                  "debug_id", "sourcemap"}, ...]}
)";

constexpr char kCatHelp[] = R"(usage: artidx [--store DIR] cat --project P
           (--release R [--dist D] --url URL | --debug-id ID [--type TYPE]) [--sourcemap]

Writes the bytes of the first candidate's file (see `artidx lookup --help`), read from its
stored archive. A candidate whose archive is gone is skipped (and a tombstone published for
it, as a worker's repair on read does). Exit status: 0 written, 1 no candidate (or no source
map), 2 error.

  --sourcemap   write the file's source map instead: the file's sourcemap header, else its
                //# sourceMappingURL= comment, resolved against the frame URL as Symbolicator
                does and looked up in the same release (data: URLs decoded in place); else
                the source map with the file's debug id
)";

const std::map<std::string, FlagSpec> kLookupFlags = {
    {"project", {true, false}}, {"release", {true, false}},  {"dist", {true, false}},
    {"url", {true, false}},     {"debug-id", {true, false}}, {"type", {true, false}},
    {"json", {false, false}}};

// Repair on read, as a worker's Store does: candidates whose archive is gone are dropped and a
// tombstone is published for each. A store this process cannot write (a read-only mount) still
// gets the filtered answer, with a warning.
void DropMissing(const Store& store, const Index& index, std::vector<Candidate>* found) {
  if (absl::Status s = store.DropMissing(index, found); !s.ok()) {
    std::cerr << "artidx: warning: could not record that an archive is gone: "
              << OneLine(StdView(s.message())) << "\n";
  }
}

// Runs the lookup the flags describe; keeps the index open in *index for the views.
std::vector<Candidate> RunLookup(const Store& store, const Args& args,
                                 std::shared_ptr<const Index>* index) {
  if (!args.positional.empty()) Fail("unexpected argument " + args.positional[0]);
  if (!args.Has("project")) Fail("--project is required (see --help)");
  if (args.Has("url") == args.Has("debug-id")) Fail("give exactly one of --url and --debug-id");
  std::vector<Candidate> found;
  if (args.Has("url")) {
    if (!args.Has("release")) Fail("--url needs --release: URL indexes are per release");
    if (args.Has("type")) Fail("--type goes with --debug-id");
    auto opened = store.UrlIndex(args.Get("project"), args.Get("release"), args.Get("dist"));
    if (absl::IsNotFound(opened.status())) return found;
    Check(opened.status());
    *index = *std::move(opened);
    Check((*index)->LookupUrl(args.Get("url"), &found));
    DropMissing(store, **index, &found);
  } else {
    if (args.Has("release") || args.Has("dist")) {
      Fail("--release and --dist go with --url: debug ids are indexed per project");
    }
    absl::StatusOr<DebugId> id = DebugId::Parse(args.Get("debug-id"));
    Check(id.status());
    std::optional<FileType> type;
    if (args.Has("type")) {
      type = ParseFileType(args.Get("type"));
      if (!type) {
        Fail(StrCat("unknown --type \"", args.Get("type"),
                    "\": expected source, minified_source, source_map or "
                    "indexed_ram_bundle"));
      }
    }
    auto opened = store.DebugIdIndex(args.Get("project"));
    if (absl::IsNotFound(opened.status())) return found;
    Check(opened.status());
    *index = *std::move(opened);
    Check((*index)->LookupDebugId(*id, type, &found));
    DropMissing(store, **index, &found);
  }
  return found;
}

std::string CandidateJson(const Candidate& c) {
  return StrCat("{\"bundle_id\":", JsonString(c.bundle_id), ",\"timestamp\":", c.timestamp_ms,
                ",\"url\":", JsonString(c.url), ",\"path\":", JsonString(c.path),
                ",\"type\":", JsonString(FileTypeName(c.type)),
                ",\"debug_id\":", c.debug_id ? JsonString(c.debug_id->ToString()) : "null",
                ",\"sourcemap\":", c.sourcemap ? JsonString(*c.sourcemap) : "null", "}");
}

int Lookup(const std::string& root, int argc, char** argv, int first) {
  Args args = Parse(argc, argv, first, kLookupFlags, "lookup", kLookupHelp);
  std::shared_ptr<const Index> index;
  std::vector<Candidate> found = RunLookup(Store(root), args, &index);
  if (args.Has("json")) {
    std::vector<std::string> rows;
    for (const Candidate& c : found) rows.push_back(CandidateJson(c));
    std::cout << "{\"candidates\":[" << absl::StrJoin(rows, ",") << "]}\n";
  } else {
    for (const Candidate& c : found) {
      std::cout << c.bundle_id << "  " << FormatIso8601(c.timestamp_ms) << "  "
                << FileTypeName(c.type) << "  " << c.path << "  url=" << c.url
                << "  debug_id=" << (c.debug_id ? c.debug_id->ToString() : "-")
                << "  sourcemap=" << (c.sourcemap ? std::string(*c.sourcemap) : "-") << "\n";
    }
    if (found.empty()) std::cerr << "artidx: no candidates\n";
  }
  return found.empty() ? kExitNotFound : kExitFound;
}

int Cat(const std::string& root, int argc, char** argv, int first) {
  auto flags = kLookupFlags;
  flags.erase("json");
  flags["sourcemap"] = {false, false};
  Args args = Parse(argc, argv, first, flags, "cat", kCatHelp);
  Store store(root);
  std::shared_ptr<const Index> index;
  std::vector<Candidate> found = RunLookup(store, args, &index);
  if (found.empty()) {
    std::cerr << "artidx: no candidates\n";
    return kExitNotFound;
  }
  // The first candidate whose archive is still there: one may vanish after DropMissing looked.
  size_t chosen = 0;
  absl::StatusOr<std::string> bytes = store.ReadFile(found.front());
  while (!bytes.ok() && GetErrorKind(bytes.status()) == ErrorKind::kArchiveMissing &&
         chosen + 1 < found.size()) {
    bytes = store.ReadFile(found[++chosen]);
  }
  Check(bytes.status());
  if (args.Has("sourcemap")) {
    absl::StatusOr<Store::SourceMap> map =
        store.FindSourceMap(args.Get("project"), args.Get("release"), args.Get("dist"),
                            found[chosen], *bytes, args.Get("url"));
    if (absl::IsNotFound(map.status()) &&
        GetErrorKind(map.status()) != ErrorKind::kArchiveMissing) {
      std::cerr << "artidx: " << OneLine(StdView(map.status().message())) << "\n";
      return kExitNotFound;
    }
    Check(map.status());
    bytes = std::move(map->bytes);
  }
  std::cout.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
  return kExitFound;
}

// --- inspect -----------------------------------------------------------------------------------

constexpr char kInspectHelp[] =
    R"(usage: artidx [--store DIR] inspect (--project P [--release R [--dist D]] | INDEX_DIR)
                             [--files] [--verify] [--json]

Shows what an index holds: its identity, its segments, and its bundles newest first with their
archives. With --project alone, shows the project's debug-id index and every URL index.

  --files     list every file of every bundle, too
  --verify    check the checksum and the whole structure of each index
  --json      print JSON: {"indexes":[{"dir", "kind", "project", "release", "dist", "segments",
              "bundles":[{"bundle_id", "timestamp", "archive", "files"}], "files":[...]}]}
)";

int Inspect(const std::string& root, int argc, char** argv, int first) {
  Args args = Parse(argc, argv, first,
                    {{"project", {true, false}},
                     {"release", {true, false}},
                     {"dist", {true, false}},
                     {"files", {false, false}},
                     {"verify", {false, false}},
                     {"json", {false, false}}},
                    "inspect", kInspectHelp);
  // Damage is what --verify reports, index by index; it must not stop the listing.
  StoreOptions unchecked;
  unchecked.verify_checksums = false;
  Store store(root, unchecked);
  std::vector<std::string> paths;
  if (!args.positional.empty()) {
    if (args.Has("project")) Fail("inspect: give an index directory or --project, not both");
    paths = args.positional;
  } else if (!args.Has("project")) {
    Fail("inspect: give --project or an index file (see --help)");
  } else if (RequireStore(root); args.Has("release")) {
    auto index = store.UrlIndex(args.Get("project"), args.Get("release"), args.Get("dist"));
    if (absl::IsNotFound(index.status()) &&
        GetErrorKind(index.status()) == ErrorKind::kNoSuchIndex) {
      Fail(StrCat(
          "inspect: project ", args.Get("project"), " has no release ",
          JsonString(args.Get("release")),
          args.Get("dist").empty() ? "" : StrCat(" with dist ", JsonString(args.Get("dist")))));
    }
    Check(index.status());
    paths.push_back((*index)->dir());
  } else {
    if (args.Has("dist")) Fail("inspect: --dist needs --release");
    auto index = store.DebugIdIndex(args.Get("project"));
    if (index.ok()) paths.push_back((*index)->dir());
    if (!index.ok() && !absl::IsNotFound(index.status())) Check(index.status());
    absl::StatusOr<std::vector<std::string>> urls = store.UrlIndexDirs(args.Get("project"));
    Check(urls.status());
    paths.insert(paths.end(), urls->begin(), urls->end());
    if (paths.empty()) Fail(StrCat("inspect: project ", args.Get("project"), " has no index"));
  }
  const bool json = args.Has("json");
  std::vector<std::string> json_indexes;
  int status = 0;
  for (const std::string& path : paths) {
    absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(path);
    Check(index.status());
    const Index& ix = **index;
    std::string verified;
    if (args.Has("verify")) {
      absl::Status s = ix.Verify();
      if (!s.ok()) status = kExitError;
      verified = s.ok() ? "ok" : std::string(s.message());
    }
    std::vector<Index::BundleInfo> bundles;
    Check(ix.ListBundles(&bundles));
    std::vector<Candidate> files;
    if (args.Has("files")) Check(ix.ListFiles(&files));
    const char* kind = ix.kind() == IndexKind::kUrl ? "url" : "debug-id";
    if (json) {
      std::vector<std::string> b, f;
      for (const auto& x : bundles) {
        b.push_back(
            StrCat("{\"bundle_id\":", JsonString(x.bundle_id), ",\"timestamp\":", x.timestamp_ms,
                   ",\"archive\":", JsonString(Hex(x.archive_sha1)), ",\"files\":", x.files, "}"));
      }
      for (const Candidate& c : files) f.push_back(CandidateJson(c));
      json_indexes.push_back(StrCat(
          "{\"dir\":", JsonString(path), ",\"kind\":\"", kind,
          "\",\"project\":", JsonString(ix.project()), ",\"release\":", JsonString(ix.release()),
          ",\"dist\":", JsonString(ix.dist()), ",\"segments\":", ix.segment_count(),
          args.Has("verify") ? StrCat(",\"verify\":", JsonString(verified)) : "", ",\"bundles\":[",
          absl::StrJoin(b, ","), "]",
          args.Has("files") ? StrCat(",\"files\":[", absl::StrJoin(f, ","), "]") : "", "}"));
      continue;
    }
    std::cout << path << "\n  " << kind << " index of project " << ix.project();
    if (ix.kind() == IndexKind::kUrl) {
      std::cout << ", release " << JsonString(ix.release()) << ", dist " << JsonString(ix.dist());
    }
    size_t file_total = 0;
    for (const auto& x : bundles) file_total += x.files;
    std::cout << "\n  " << bundles.size() << " bundles, " << file_total << " files, "
              << ix.segment_count() << " segments\n";
    if (!verified.empty()) std::cout << "  verify: " << verified << "\n";
    for (const auto& x : bundles) {
      std::cout << "  " << x.bundle_id << "  " << FormatIso8601(x.timestamp_ms) << " ("
                << x.timestamp_ms << ")  " << x.files << " files  archive " << Hex(x.archive_sha1)
                << "\n";
    }
    for (const Candidate& c : files) {
      std::cout << "    " << c.bundle_id << "  " << FileTypeName(c.type) << "  " << c.path
                << "  url=" << c.url << "  debug_id=" << (c.debug_id ? c.debug_id->ToString() : "-")
                << "  sourcemap=" << (c.sourcemap ? std::string(*c.sourcemap) : "-") << "\n";
    }
  }
  if (json) std::cout << "{\"indexes\":[" << absl::StrJoin(json_indexes, ",") << "]}\n";
  return status;
}

// --- rm and compact ---------------------------------------------------------------------------

constexpr char kRmHelp[] =
    R"(usage: artidx [--store DIR] rm BUNDLE_ID [--project P...] [--timestamp MS] [--json]

Removes a bundle (its id in any form `add` accepts) from every index it was added to (only
those of the given projects, with --project) by publishing a tombstone, then deletes its
archives unless another project still holds it. A later add of the bundle with a newer
timestamp brings it back; an add newer than the removal is kept, and the output says where.
Nothing removed (every add newer than the removal) is an error.

  --project P      only these projects' indexes; repeat for several
  --timestamp MS   time of the removal in milliseconds since the epoch (default: now)
  --json           print {"bundle_id", "indexes":[...] (removed from), "kept":[{"index",
                   "timestamp"}] (where a newer add keeps it), "archives_deleted"}
)";

std::string Indexes(size_t n) { return StrCat(n, n == 1 ? " index" : " indexes"); }

int Rm(const std::string& root, int argc, char** argv, int first) {
  Args args =
      Parse(argc, argv, first,
            {{"project", {true, true}}, {"timestamp", {true, false}}, {"json", {false, false}}},
            "rm", kRmHelp);
  if (args.positional.size() != 1) Fail("rm: give exactly one bundle id (see --help)");
  RemoveOptions options;
  if (args.Has("project")) options.projects = args.flags["project"];
  if (args.Has("timestamp"))
    options.timestamp_ms = ParseInt(args, "timestamp", 0, int64_t{1} << 53);
  absl::StatusOr<RemoveResult> result = Indexer(root).Remove(args.positional[0], options);
  Check(result.status());
  int64_t newest = 0;
  for (const RemoveResult::Kept& k : result->kept) newest = std::max(newest, k.timestamp_ms);
  if (result->indexes.empty() && !result->kept.empty()) {
    Fail(StrCat("rm: bundle ", result->bundle_id, " not removed: its add at ",
                FormatIso8601(newest), " (", newest, ") is newer than the removal"));
  }
  if (args.Has("json")) {
    std::vector<std::string> dirs, kept;
    for (const std::string& d : result->indexes) dirs.push_back(JsonString(d));
    for (const RemoveResult::Kept& k : result->kept) {
      kept.push_back(
          StrCat("{\"index\":", JsonString(k.index), ",\"timestamp\":", k.timestamp_ms, "}"));
    }
    std::cout << "{\"bundle_id\":" << JsonString(result->bundle_id) << ",\"indexes\":["
              << absl::StrJoin(dirs, ",") << "],\"kept\":[" << absl::StrJoin(kept, ",")
              << "],\"archives_deleted\":" << (result->archives_deleted ? "true" : "false")
              << "}\n";
  } else {
    std::cout << "removed " << result->bundle_id << " from " << Indexes(result->indexes.size());
    if (!result->kept.empty()) {
      std::cout << "; kept in " << Indexes(result->kept.size()) << " where its add at "
                << FormatIso8601(newest) << " (" << newest << ") is newer";
    }
    std::cout << (result->archives_deleted ? "; deleted its archives" : "") << "\n";
  }
  return 0;
}

constexpr char kCompactHelp[] = R"(usage: artidx [--store DIR] compact [--project P]

Merges the segments of every index (of one project, with --project) into one, drops
tombstones older than their retention (30 days), and deletes the segments it merged as soon as
the merged one is published (readers keep what they mapped). Safe to run at any time,
alongside writers and readers.
)";

int Compact(const std::string& root, int argc, char** argv, int first) {
  Args args = Parse(argc, argv, first, {{"project", {true, false}}}, "compact", kCompactHelp);
  if (!args.positional.empty()) Fail("compact: unexpected argument " + args.positional[0]);
  Check(Indexer(root).Compact(args.Get("project")));
  return 0;
}

constexpr char kGcHelp[] =
    R"(usage: artidx [--store DIR] gc --max-age DAYS [--keep-newest N] [--chunk-max-age HOURS]
                           [--dry-run] [--json]

Removes every bundle whose latest add or use is older than DAYS, unless it is held (artidx
hold) or among the N newest bundles of an index that holds it; deletes what crashed writers
left behind and the chunks of uploads (artidx serve) that no assemble used for HOURS; then
compacts every index (dropping tombstones past their retention).

  --max-age DAYS         age past which a bundle goes (fractions allowed: 0.5)
  --keep-newest N        keep the N newest bundles of every index (default 0)
  --chunk-max-age HOURS  age past which an upload chunk goes (default 24; fractions allowed)
  --dry-run              print what would be removed, change nothing
  --json                 print {"removed":[...], "orphans":[...], "chunks":N}
)";

int Gc(const std::string& root, int argc, char** argv, int first) {
  Args args = Parse(argc, argv, first,
                    {{"max-age", {true, false}},
                     {"keep-newest", {true, false}},
                     {"chunk-max-age", {true, false}},
                     {"dry-run", {false, false}},
                     {"json", {false, false}}},
                    "gc", kGcHelp);
  if (!args.positional.empty()) Fail("gc: unexpected argument " + args.positional[0]);
  if (!args.Has("max-age")) Fail("gc: --max-age is required (see --help)");
  double days;
  if (!absl::SimpleAtod(args.Get("max-age"), &days) || !(days >= 0) || days > 1e6) {
    Fail("--max-age: expected a number of days, got \"" + args.Get("max-age") + "\"");
  }
  GcOptions options;
  options.max_age_ms = static_cast<int64_t>(days * 24 * 3600 * 1000);
  if (args.Has("keep-newest")) {
    options.keep_newest = static_cast<size_t>(ParseInt(args, "keep-newest", 0, int64_t{1} << 31));
  }
  if (args.Has("chunk-max-age")) {
    double hours;
    if (!absl::SimpleAtod(args.Get("chunk-max-age"), &hours) || !(hours >= 0) || hours > 1e6) {
      Fail("--chunk-max-age: expected a number of hours, got \"" + args.Get("chunk-max-age") +
           "\"");
    }
    options.chunk_max_age_ms = static_cast<int64_t>(hours * 3600 * 1000);
  }
  options.dry_run = args.Has("dry-run");
  absl::StatusOr<GcResult> result = Indexer(root).Gc(options);
  Check(result.status());
  if (args.Has("json")) {
    std::vector<std::string> removed, orphans;
    for (const std::string& id : result->removed) removed.push_back(JsonString(id));
    for (const std::string& dir : result->orphans) orphans.push_back(JsonString(dir));
    std::cout << "{\"dry_run\":" << (options.dry_run ? "true" : "false") << ",\"removed\":["
              << absl::StrJoin(removed, ",") << "],\"orphans\":[" << absl::StrJoin(orphans, ",")
              << "],\"chunks\":" << result->chunks << "}\n";
    return 0;
  }
  const char* verb = options.dry_run ? "would remove " : "removed ";
  for (const std::string& id : result->removed) std::cout << verb << id << "\n";
  for (const std::string& dir : result->orphans) std::cout << verb << "orphan " << dir << "\n";
  if (result->chunks > 0) std::cout << verb << result->chunks << " upload chunks\n";
  return 0;
}

constexpr char kHoldHelp[] = R"(usage: artidx [--store DIR] hold BUNDLE_ID
       artidx [--store DIR] unhold BUNDLE_ID

A held bundle is never removed by `artidx gc`; unhold lets gc decide again.
)";

int Hold(const std::string& root, int argc, char** argv, int first, bool hold) {
  Args args = Parse(argc, argv, first, {}, hold ? "hold" : "unhold", kHoldHelp);
  if (args.positional.size() != 1) Fail("give exactly one bundle id (see --help)");
  Check(Indexer(root).Hold(args.positional[0], hold));
  return 0;
}

constexpr char kLsHelp[] =
    R"(usage: artidx [--store DIR] ls --project P [--release R [--dist D]] [--since MS] [--until MS]
                        [--limit N] [--cursor C] [--json]
       artidx [--store DIR] ls --project P --releases [--json]

Lists bundles newest first by (timestamp, bundle id): those of one (release, dist) with
--release, counting their files, else those of the project's debug-id index, counting their
files with debug ids. --releases lists the project's (release, dist) pairs that hold bundles
instead, by name. --limit pages the list: the last line (or "next_cursor" in JSON) is the
cursor that resumes after the page. A cursor is a position, not a snapshot: the next page
holds what sorts after the page's last entry when it is read, so every entry present
throughout is listed exactly once, and a bundle added or re-added meanwhile with a newer
timestamp than the page's last is not on later pages (list again from the start to see it).
Exit status: 0 listed, 1 nothing to list (no such index), 2 error.

  --since MS, --until MS   only bundles with timestamps in [MS, MS]
  --limit N                at most N bundles (or releases)
  --cursor C               resume after the page that printed C
  --json                   {"bundles":[{"bundle_id","timestamp","files"}],"next_cursor":..}
                           or {"releases":[{"release","dist","bundles"}],"next_cursor":..}
)";

// A --releases cursor: the hex of the page's last "<release>\0<dist>" (neither holds a NUL).
std::string ToHex(std::string_view plain) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : plain) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::optional<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int v = 0;
    for (char c : hex.substr(i, 2)) {
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return std::nullopt;
      v = v * 16 + d;
    }
    out.push_back(static_cast<char>(v));
  }
  return out;
}

int Ls(const std::string& root, int argc, char** argv, int first) {
  Args args = Parse(argc, argv, first,
                    {{"project", {true, false}},
                     {"release", {true, false}},
                     {"dist", {true, false}},
                     {"since", {true, false}},
                     {"until", {true, false}},
                     {"limit", {true, false}},
                     {"cursor", {true, false}},
                     {"releases", {false, false}},
                     {"json", {false, false}}},
                    "ls", kLsHelp);
  if (!args.positional.empty()) Fail("ls: unexpected argument " + args.positional[0]);
  if (!args.Has("project")) Fail("ls: --project is required (see --help)");
  if (args.Has("dist") && !args.Has("release")) Fail("ls: --dist needs --release");
  Store store(root);
  const bool json = args.Has("json");
  std::optional<int64_t> since, until;
  if (args.Has("since")) since = ParseInt(args, "since", INT64_MIN, INT64_MAX);
  if (args.Has("until")) until = ParseInt(args, "until", INT64_MIN, INT64_MAX);
  if (since && until && *since > *until) {
    Fail(StrCat("ls: --since ", *since, " is after --until ", *until, ": nothing can match"));
  }
  size_t limit = 0;
  if (args.Has("limit")) limit = static_cast<size_t>(ParseInt(args, "limit", 1, int64_t{1} << 31));
  if (args.Has("releases")) {
    if (args.Has("release")) Fail("ls: --releases lists every release; drop --release");
    if (since || until) Fail("ls: --since and --until list bundles, not releases");
    absl::StatusOr<std::vector<std::string>> dirs = store.UrlIndexDirs(args.Get("project"));
    Check(dirs.status());
    struct Release {
      std::string release, dist;
      size_t bundles;
    };
    std::vector<Release> releases;
    for (const std::string& dir : *dirs) {
      absl::StatusOr<std::unique_ptr<Index>> index = Index::Open(dir);
      if (absl::IsNotFound(index.status())) continue;
      Check(index.status());
      std::vector<Index::BundleInfo> bundles;
      Check((*index)->ListBundles(&bundles));
      // Left with no bundle (every one removed): nothing to list.
      if (bundles.empty()) continue;
      releases.push_back(
          {std::string((*index)->release()), std::string((*index)->dist()), bundles.size()});
    }
    std::sort(releases.begin(), releases.end(), [](const Release& a, const Release& b) {
      return std::tie(a.release, a.dist) < std::tie(b.release, b.dist);
    });
    std::string after;
    if (args.Has("cursor")) {
      std::optional<std::string> decoded = FromHex(args.Get("cursor"));
      if (!decoded || decoded->find('\0') == std::string::npos) {
        Fail(StrCat("ls: invalid cursor \"", args.Get("cursor").substr(0, 80), "\""));
      }
      after = *decoded;
    }
    std::vector<std::string> rows;
    std::string next_cursor, last;
    size_t listed = 0;
    for (const Release& r : releases) {
      const std::string key = StrCat(r.release, std::string(1, '\0'), r.dist);
      if (!after.empty() && key <= after) continue;
      if (limit > 0 && listed == limit) {
        next_cursor = ToHex(last);
        break;
      }
      ++listed;
      last = key;
      if (json) {
        rows.push_back(StrCat("{\"release\":", JsonString(r.release),
                              ",\"dist\":", JsonString(r.dist), ",\"bundles\":", r.bundles, "}"));
      } else {
        std::cout << JsonString(r.release) << "  dist " << JsonString(r.dist) << "  " << r.bundles
                  << " bundles\n";
      }
    }
    if (json) {
      std::cout << "{\"releases\":[" << absl::StrJoin(rows, ",")
                << "],\"next_cursor\":" << (next_cursor.empty() ? "null" : JsonString(next_cursor))
                << "}\n";
    } else if (!next_cursor.empty()) {
      std::cout << "next cursor: " << next_cursor << "\n";
    }
    if (releases.empty()) {
      std::cerr << "artidx: project " << args.Get("project") << " has no release with bundles\n";
    }
    return releases.empty() ? kExitNotFound : 0;
  }
  auto opened = args.Has("release")
                    ? store.UrlIndex(args.Get("project"), args.Get("release"), args.Get("dist"))
                    : store.DebugIdIndex(args.Get("project"));
  Index::ListPage page;
  const bool exists = !absl::IsNotFound(opened.status());
  if (exists) {
    Check(opened.status());
    Index::ListOptions options;
    options.since_ms = since;
    options.until_ms = until;
    options.limit = limit;
    options.cursor = args.Get("cursor");
    absl::StatusOr<Index::ListPage> listed = (*opened)->List(options);
    Check(listed.status());
    page = *std::move(listed);
  }
  if (json) {
    std::vector<std::string> rows;
    for (const auto& b : page.bundles) {
      rows.push_back(StrCat("{\"bundle_id\":", JsonString(b.bundle_id),
                            ",\"timestamp\":", b.timestamp_ms, ",\"files\":", b.files, "}"));
    }
    std::cout << "{\"bundles\":[" << absl::StrJoin(rows, ",") << "],\"next_cursor\":"
              << (page.next_cursor.empty() ? "null" : JsonString(page.next_cursor)) << "}\n";
  } else {
    const char* files = args.Has("release") ? " files\n" : " files with debug ids\n";
    for (const auto& b : page.bundles) {
      std::cout << b.bundle_id << "  " << FormatIso8601(b.timestamp_ms) << " (" << b.timestamp_ms
                << ")  " << b.files << files;
    }
    if (!page.next_cursor.empty()) std::cout << "next cursor: " << page.next_cursor << "\n";
  }
  if (!exists) {
    std::cerr << "artidx: project " << args.Get("project")
              << (args.Has("release")
                      ? StrCat(" has no release ", JsonString(args.Get("release")),
                               args.Get("dist").empty()
                                   ? ""
                                   : StrCat(" with dist ", JsonString(args.Get("dist"))))
                      : std::string(" has no bundles"))
              << "\n";
  }
  return page.bundles.empty() ? kExitNotFound : 0;
}

// --- verify and rebuild ------------------------------------------------------------------------

constexpr char kVerifyHelp[] = R"(usage: artidx [--store DIR] verify [--json]

Checks the whole store: every segment of every index (header, bounds, checksum, canonical
encoding), that every bundle an index holds has its archive, and every reference. Prints one
line per problem, naming the file. Exit status: 0 all is well, 1 problems found, 2 error.
After corruption, `artidx rebuild` regenerates the indexes.

  --json   print {"problems":[...]}
)";

int Verify(const std::string& root, int argc, char** argv, int first) {
  Args args = Parse(argc, argv, first, {{"json", {false, false}}}, "verify", kVerifyHelp);
  if (!args.positional.empty()) Fail("verify: unexpected argument " + args.positional[0]);
  absl::StatusOr<std::vector<std::string>> problems = Store(root).Verify();
  Check(problems.status());
  if (args.Has("json")) {
    std::vector<std::string> rows;
    for (const std::string& p : *problems) rows.push_back(JsonString(p));
    std::cout << "{\"problems\":[" << absl::StrJoin(rows, ",") << "]}\n";
  } else {
    for (const std::string& p : *problems) std::cout << OneLine(p) << "\n";
    if (problems->empty()) std::cout << "ok\n";
  }
  return problems->empty() ? 0 : 1;
}

constexpr char kRebuildHelp[] = R"(usage: artidx [--store DIR] rebuild [--json]

Regenerates every index from the store's source of truth: the references every add and removal
left and the archives they name. Each index becomes one segment, byte-identical to what
compacting the indexes those operations produced gives. Restores corrupted or deleted indexes
without re-uploads. An add whose archive is missing or unreadable counts as removed (`verify`
keeps reporting it until `artidx rm` removes the bundle). Other files in index directories
(stray or corrupt ones, replaced segments) and index directories no reference names are
deleted.

  --json   print {"indexes":[...], "deleted":[files and directories], "problems":[...]}
)";

int Rebuild(const std::string& root, int argc, char** argv, int first) {
  Args args = Parse(argc, argv, first, {{"json", {false, false}}}, "rebuild", kRebuildHelp);
  if (!args.positional.empty()) Fail("rebuild: unexpected argument " + args.positional[0]);
  absl::StatusOr<RebuildResult> result = Indexer(root).Rebuild();
  Check(result.status());
  auto list = [](const std::vector<std::string>& items) {
    std::vector<std::string> rows;
    for (const std::string& s : items) rows.push_back(JsonString(s));
    return StrCat("[", absl::StrJoin(rows, ","), "]");
  };
  if (args.Has("json")) {
    std::cout << "{\"indexes\":" << list(result->indexes)
              << ",\"deleted\":" << list(result->deleted)
              << ",\"problems\":" << list(result->problems) << "}\n";
    return 0;
  }
  for (const std::string& p : result->problems) std::cerr << "artidx: " << OneLine(p) << "\n";
  std::cout << "rebuilt " << Indexes(result->indexes.size());
  if (!result->deleted.empty()) {
    std::cout << "; deleted " << result->deleted.size()
              << " files or index directories it replaced or no reference names (--json lists "
                 "them)";
  }
  std::cout << "\n";
  return 0;
}

// --- export and import ---------------------------------------------------------------------------

constexpr char kExportHelp[] =
    R"(usage: artidx [--store DIR] export --project P [--release R [--dist D]] --format sentry-json

Writes an index as the JSON of Sentry's RFC 0106: {"bundles":[{"bundle_id":"artifact_bundle/ID",
"timestamp":ISO}], "files_by_url" (with --release) or "files_by_debug_id" (without):
{KEY:[positions]}, "is_complete":true}; bundles oldest first, so each list ends with the newest.
)";

int Export(const std::string& root, int argc, char** argv, int first) {
  Args args = Parse(argc, argv, first,
                    {{"project", {true, false}},
                     {"release", {true, false}},
                     {"dist", {true, false}},
                     {"format", {true, false}}},
                    "export", kExportHelp);
  if (!args.positional.empty()) Fail("export: unexpected argument " + args.positional[0]);
  if (!args.Has("project")) Fail("export: --project is required (see --help)");
  if (args.Get("format") != "sentry-json") Fail("export: --format sentry-json is required");
  if (args.Has("dist") && !args.Has("release")) Fail("export: --dist needs --release");
  Store store(root);
  auto index = args.Has("release")
                   ? store.UrlIndex(args.Get("project"), args.Get("release"), args.Get("dist"))
                   : store.DebugIdIndex(args.Get("project"));
  Check(index.status());
  absl::StatusOr<std::string> json = (*index)->ToSentryJson();
  Check(json.status());
  std::cout << *json << "\n";
  return 0;
}

constexpr char kImportHelp[] =
    R"(usage: artidx [--store DIR] import FILE.json --project P [--project P...]
                            [--release R [--dist D]] [--bundles DIR] [--json]

Adds the bundles that an index in the JSON of Sentry's RFC 0106 names (see `artidx export`),
each with its timestamp, as `artidx add` would. The JSON names bundles, not their contents:
each bundle's archive is DIR/<bundle id>.zip with --bundles (the id normalised as `add` does,
else as the JSON spells it), else the archive the store holds of the bundle's add at the
JSON's timestamp: the one the exported index held. Several such archives are ambiguous and
refused (give --bundles). Every bundle is read and checked before any is added; each line
names the archive imported.

  --json   print {"imported":[bundle ids], "added":[as `artidx add --json` prints them]}
)";

int Import(const std::string& root, int argc, char** argv, int first) {
  Args args = Parse(argc, argv, first,
                    {{"project", {true, true}},
                     {"release", {true, false}},
                     {"dist", {true, false}},
                     {"bundles", {true, false}},
                     {"json", {false, false}}},
                    "import", kImportHelp);
  if (args.positional.size() != 1) Fail("import: give exactly one JSON file (see --help)");
  if (!args.Has("project")) Fail("import: --project is required (see --help)");
  if (args.Has("release") && args.Get("release").empty()) Fail("import: --release is empty");
  absl::StatusOr<std::string> json = store::ReadFile(args.positional[0], uint64_t{1} << 32);
  Check(json.status());
  AddOptions options;
  options.projects = args.flags["project"];
  options.release = args.Get("release");
  options.dist = args.Get("dist");
  absl::StatusOr<std::vector<AddResult>> added =
      Indexer(root).ImportSentryJson(*json, options, args.Get("bundles"));
  if (!added.ok()) Fail(StrCat(args.positional[0], ": ", StdView(added.status().message())));
  if (args.Has("json")) {
    std::vector<std::string> ids, rows;
    for (const AddResult& r : *added) {
      ids.push_back(JsonString(r.bundle_id));
      rows.push_back(StrCat("{\"bundle\":", JsonString(r.bundle_path),
                            ",\"bundle_id\":", JsonString(r.bundle_id),
                            ",\"archive_sha1\":", JsonString(r.archive_sha1),
                            ",\"timestamp\":", r.timestamp_ms, OutcomeJson(r), "}"));
    }
    std::cout << "{\"imported\":[" << absl::StrJoin(ids, ",") << "],\"added\":["
              << absl::StrJoin(rows, ",") << "]}\n";
  } else {
    for (const AddResult& r : *added) {
      std::cout << "imported " << r.bundle_id << " at " << FormatIso8601(r.timestamp_ms)
                << " (archive " << r.archive_sha1 << ")"
                << (r.outcome == AddOutcome::kAdded ? "" : StrCat(", but ", OutcomeText(r)))
                << "\n";
    }
  }
  return 0;
}

// --- make-bundle -------------------------------------------------------------------------------

constexpr char kMakeBundleHelp[] = R"(usage: artidx make-bundle DIR -o OUT.zip [--url-prefix PREFIX]
                          [--bundle-id ID] [--attribute KEY=VALUE...]

Makes an artifact bundle as sentry-cli does from every .js, .mjs, .cjs and .map file under DIR:
each file's url is PREFIX/<path below DIR>; a script and its source map share a debug id: the
script's `//# debugId=` comment, else the map's "debug_id", else derived as `sentry-cli
sourcemaps inject` derives one: the first 16 bytes of the SHA-1 of the map's bytes (of the
script's when it has no map) as a version-5 RFC 4122 UUID. The files are not modified (no
snippet is injected). The bundle id is the same function of the files' urls and bytes (url,
newline, bytes, newline, in url order), so it differs from the one sentry-cli derives.

  -o, --output OUT.zip     where to write the bundle
  --url-prefix PREFIX      default "~"
  --bundle-id ID           the manifest's debug_id (default: derived from the contents)
  --attribute KEY=VALUE    another top-level manifest string (release, dist, org, ...)
)";

int MakeBundle(int argc, char** argv, int first) {
  std::vector<char*> rewritten(argv, argv + argc);
  for (char*& a : rewritten) {
    if (std::string_view(a) == "-o") a = const_cast<char*>("--output");
  }
  Args args = Parse(argc, rewritten.data(), first,
                    {{"output", {true, false}},
                     {"url-prefix", {true, false}},
                     {"bundle-id", {true, false}},
                     {"attribute", {true, true}}},
                    "make-bundle", kMakeBundleHelp);
  if (args.positional.size() != 1) Fail("make-bundle: give exactly one directory (see --help)");
  if (!args.Has("output")) Fail("make-bundle: -o OUT.zip is required");
  std::optional<DebugId> bundle_id;
  if (args.Has("bundle-id")) {
    absl::StatusOr<DebugId> id = DebugId::Parse(args.Get("bundle-id"));
    Check(id.status());
    bundle_id = *id;
  }
  std::map<std::string, std::string> attributes;
  for (const std::string& kv : args.flags["attribute"]) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) Fail("--attribute: expected KEY=VALUE, got " + kv);
    if (bundle::IsManifestField(kv.substr(0, eq))) {
      Fail("--attribute: \"" + kv.substr(0, eq) + "\" is not a free attribute");
    }
    attributes[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  absl::StatusOr<bundle::MadeBundle> made =
      bundle::MakeBundle(args.positional[0], args.Get("url-prefix", "~"), bundle_id, attributes);
  Check(made.status());
  Check(store::WriteFileAtomically(args.Get("output"), made->bytes));
  std::cout << args.Get("output") << ": bundle " << made->debug_id << ", " << made->files
            << " files\n";
  return 0;
}

int Main(int argc, char** argv) {
  std::string root;
  if (const char* env = std::getenv("ARTIDX_STORE"); env != nullptr && *env != '\0') root = env;
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--store" || a.starts_with("--store=")) {
      if (a == "--store" && i + 1 >= argc) Fail("--store needs a value");
      root = a == "--store" ? argv[++i] : std::string(a.substr(8));
      if (root.empty()) Fail("--store is empty");
    } else {
      break;
    }
  }
  if (root.empty()) root = "artidx-store";
  if (i >= argc) {
    std::cerr << kUsage;
    return kExitError;
  }
  std::string_view verb = argv[i];
  if (verb == "help" && i + 1 < argc) {
    // `artidx help VERB` is `artidx VERB --help`.
    std::vector<char*> help = {argv[0], argv[i + 1], const_cast<char*>("--help")};
    return Main(static_cast<int>(help.size()), help.data());
  }
  if (verb == "--help" || verb == "-h" || verb == "help") {
    std::cout << kUsage;
    return 0;
  }
  static const std::set<std::string_view> kStoreVerbs = {"rm",      "compact", "gc",     "hold",
                                                         "unhold",  "ls",      "export", "verify",
                                                         "rebuild", "lookup",  "cat"};
  bool help = false;
  for (int k = i + 1; k < argc; ++k) {
    help = help || std::string_view(argv[k]) == "--help" || std::string_view(argv[k]) == "-h";
  }
  if (kStoreVerbs.contains(verb) && !help) RequireStore(root);
  if (verb == "add") return Add(root, argc, argv, i + 1);
  if (verb == "rm") return Rm(root, argc, argv, i + 1);
  if (verb == "compact") return Compact(root, argc, argv, i + 1);
  if (verb == "gc") return Gc(root, argc, argv, i + 1);
  if (verb == "hold") return Hold(root, argc, argv, i + 1, true);
  if (verb == "unhold") return Hold(root, argc, argv, i + 1, false);
  if (verb == "ls") return Ls(root, argc, argv, i + 1);
  if (verb == "export") return Export(root, argc, argv, i + 1);
  if (verb == "verify") return Verify(root, argc, argv, i + 1);
  if (verb == "rebuild") return Rebuild(root, argc, argv, i + 1);
  if (verb == "import") return Import(root, argc, argv, i + 1);
  if (verb == "lookup") return Lookup(root, argc, argv, i + 1);
  if (verb == "cat") return Cat(root, argc, argv, i + 1);
  if (verb == "inspect") return Inspect(root, argc, argv, i + 1);
  if (verb == "make-bundle") return MakeBundle(argc, argv, i + 1);
  if (verb == "serve") return server::Serve(root, argc, argv, i + 1);
  std::cerr << "artidx: unknown verb \"" << verb << "\"\n" << kUsage;
  return kExitError;
}

}  // namespace
}  // namespace artidx::cli

int main(int argc, char** argv) { return artidx::cli::Main(argc, argv); }
