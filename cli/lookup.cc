// The verbs that look files up: lookup and cat, and inspect (what an index holds).

#include "artidx/lookup.h"

#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "artidx/indexer.h"
#include "cli/command.h"
#include "cli/verbs.h"
#include "common/json_writer.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "common/text.h"

namespace artidx::cli {

namespace {

// An index's raw archive digest (always 20 bytes: the reader checks) as hex.
std::string Hex(std::string_view raw) {
  return Sha1Digest::FromRaw(raw).value_or(Sha1Digest{}).Hex();
}

}  // namespace

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

// The flags of both lookup and cat.
const std::vector<FlagSpec> kLookupFlags = {
    {"project", FlagSpec::kValue}, {"release", FlagSpec::kValue},  {"dist", FlagSpec::kValue},
    {"url", FlagSpec::kValue},     {"debug-id", FlagSpec::kValue}, {"type", FlagSpec::kValue}};

namespace {

// Repair on read, as a worker's Store does: candidates whose archive is gone are dropped and a
// tombstone is published for each. A store this process cannot write (a read-only mount) still
// gets the filtered answer, with a warning.
void DropMissing(const Store& store, const Index& index, std::vector<Candidate>* found) {
  if (absl::Status s = store.DropMissing(index, found); !s.ok()) {
    std::cerr << "artidx: warning: could not record that an archive is gone: "
              << OneLine(StdView(s.message())) << "\n";
  }
}

}  // namespace

namespace {

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

}  // namespace

namespace {

void CandidateJson(const Candidate& c, JsonWriter* json) {
  json->BeginObject();
  json->Key("bundle_id").String(c.bundle_id);
  json->Key("timestamp").Int(c.timestamp_ms);
  json->Key("url").String(c.url);
  json->Key("path").String(c.path);
  json->Key("type").String(FileTypeName(c.type));
  json->Key("debug_id");
  c.debug_id ? json->String(c.debug_id->ToString()) : json->Null();
  json->Key("sourcemap").StringOrNull(c.sourcemap);
  json->EndObject();
}

// "no candidates for url "U" in project P, release "R"[, dist "D"]", or for a debug id: what a
// lookup that found nothing says, naming what was looked up where.
std::string NoCandidates(const Args& args) {
  if (args.Has("url")) {
    return StrCat("no candidates for url ", JsonString(args.Get("url")), " in project ",
                  args.Get("project"), ", release ", JsonString(args.Get("release")),
                  args.Get("dist").empty() ? "" : StrCat(", dist ", JsonString(args.Get("dist"))));
  }
  return StrCat("no candidates for debug id ", args.Get("debug-id"),
                args.Has("type") ? StrCat(" of type ", args.Get("type")) : "", " in project ",
                args.Get("project"));
}

}  // namespace

int Lookup(const StoreFlags& at, const std::vector<std::string>& tokens) {
  const std::string& root = at.root;
  std::vector<FlagSpec> flags = kLookupFlags;
  flags.push_back({"json", FlagSpec::kFlag});
  Args args = ParseArgs("lookup", kLookupHelp, flags, tokens);
  std::shared_ptr<const Index> index;
  std::vector<Candidate> found = RunLookup(Store(root, {.cache = at.cache}), args, &index);
  if (args.Has("json")) {
    JsonWriter json;
    json.BeginObject().Key("candidates").BeginArray();
    for (const Candidate& c : found) CandidateJson(c, &json);
    json.EndArray().EndObject();
    std::cout << json.str() << "\n";
  } else {
    for (const Candidate& c : found) {
      std::cout << c.bundle_id << "  " << FormatIso8601(c.timestamp_ms) << "  "
                << FileTypeName(c.type) << "  " << c.path << "  url=" << c.url
                << "  debug_id=" << (c.debug_id ? c.debug_id->ToString() : "-")
                << "  sourcemap=" << (c.sourcemap ? std::string(*c.sourcemap) : "-") << "\n";
    }
    if (found.empty()) std::cerr << "artidx: " << OneLine(NoCandidates(args)) << "\n";
  }
  return found.empty() ? kExitNotFound : kExitFound;
}

int Cat(const StoreFlags& at, const std::vector<std::string>& tokens) {
  const std::string& root = at.root;
  std::vector<FlagSpec> flags = kLookupFlags;
  flags.push_back({"sourcemap", FlagSpec::kFlag});
  Args args = ParseArgs("cat", kCatHelp, flags, tokens);
  Store store(root, {.cache = at.cache});
  std::shared_ptr<const Index> index;
  std::vector<Candidate> found = RunLookup(store, args, &index);
  if (found.empty()) {
    std::cerr << "artidx: " << OneLine(NoCandidates(args)) << "\n";
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

int Inspect(const StoreFlags& at, const std::vector<std::string>& tokens) {
  const std::string& root = at.root;
  Args args = ParseArgs("inspect", kInspectHelp,
                        {{"project", FlagSpec::kValue},
                         {"release", FlagSpec::kValue},
                         {"dist", FlagSpec::kValue},
                         {"files", FlagSpec::kFlag},
                         {"verify", FlagSpec::kFlag},
                         {"json", FlagSpec::kFlag}},
                        tokens);
  // Damage is what --verify reports, index by index; it must not stop the listing.
  StoreOptions unchecked;
  unchecked.verify_checksums = false;
  unchecked.cache = at.cache;
  Store store(root, unchecked);
  std::vector<std::string> paths;
  if (!args.positional.empty()) {
    if (args.Has("project")) Fail("inspect: give an index directory or --project, not both");
    paths = args.positional;
  } else if (!args.Has("project")) {
    Fail("inspect: give --project or an index file (see --help)");
  } else if (RequireStore(at); args.Has("release")) {
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
  JsonWriter json_indexes;
  json_indexes.BeginObject().Key("indexes").BeginArray();
  int status = 0;
  for (const std::string& path : paths) {
    // An index directory given by path is a local directory, whatever the store.
    absl::StatusOr<std::shared_ptr<const Index>> index =
        args.positional.empty() ? store.IndexAt(path)
                                : absl::StatusOr<std::shared_ptr<const Index>>(Index::Open(path));
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
      json_indexes.BeginObject();
      json_indexes.Key("dir").String(path);
      json_indexes.Key("kind").String(kind);
      json_indexes.Key("project").String(ix.project());
      json_indexes.Key("release").String(ix.release());
      json_indexes.Key("dist").String(ix.dist());
      json_indexes.Key("segments").Uint(ix.segment_count());
      if (args.Has("verify")) json_indexes.Key("verify").String(verified);
      json_indexes.Key("bundles").BeginArray();
      for (const auto& x : bundles) {
        json_indexes.BeginObject();
        json_indexes.Key("bundle_id").String(x.bundle_id);
        json_indexes.Key("timestamp").Int(x.timestamp_ms);
        json_indexes.Key("archive").String(Hex(x.archive_sha1));
        json_indexes.Key("files").Uint(x.files);
        json_indexes.EndObject();
      }
      json_indexes.EndArray();
      if (args.Has("files")) {
        json_indexes.Key("files").BeginArray();
        for (const Candidate& c : files) CandidateJson(c, &json_indexes);
        json_indexes.EndArray();
      }
      json_indexes.EndObject();
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
  if (json) std::cout << json_indexes.EndArray().EndObject().str() << "\n";
  return status;
}

}  // namespace artidx::cli
