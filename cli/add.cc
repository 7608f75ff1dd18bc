// The verbs that take bundles in and out: add, import, export (as Sentry's JSON) and
// make-bundle.

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "artidx/indexer.h"
#include "artidx/lookup.h"
#include "bundle/bundle_writer.h"
#include "cli/command.h"
#include "cli/verbs.h"
#include "common/file.h"
#include "common/json_writer.h"
#include "common/strings.h"
#include "common/text.h"
#include "store/file_util.h"

namespace artidx::cli {

// --- add -------------------------------------------------------------------------------------

namespace {

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

}  // namespace

namespace {

// An added bundle as `add --json` prints it; `import --json` leaves out the file counts.
void AddedJson(const AddResult& r, bool files, JsonWriter* json) {
  json->BeginObject();
  json->Key("bundle").String(r.bundle_path);
  json->Key("bundle_id").String(r.bundle_id);
  json->Key("archive_sha1").String(r.archive_sha1);
  json->Key("timestamp").Int(r.timestamp_ms);
  if (files) {
    json->Key("files").Uint(r.files);
    json->Key("debug_id_files").Uint(r.debug_id_files);
  }
  json->Key("outcome").String(AddOutcomeName(r.outcome));
  json->Key("superseded_at");
  r.superseded_at_ms ? json->Int(*r.superseded_at_ms) : json->Null();
  json->Key("replaced_by");
  r.outcome == AddOutcome::kReplacedInThisAdd ? json->String(r.replaced_by) : json->Null();
  json->EndObject();
}

}  // namespace

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

int Add(const StoreFlags& at, const std::vector<std::string>& tokens) {
  const std::string& root = at.root;
  Args args = ParseArgs("add", kAddHelp,
                        {{"project", FlagSpec::kRepeated},
                         {"release", FlagSpec::kValue},
                         {"dist", FlagSpec::kValue},
                         {"timestamp", FlagSpec::kValue},
                         {"bundle-id", FlagSpec::kValue},
                         {"max-entries", FlagSpec::kValue},
                         {"max-manifest-bytes", FlagSpec::kValue},
                         {"json", FlagSpec::kFlag}},
                        tokens);
  if (args.positional.empty()) Fail("add: no bundle given (see --help)");
  if (args.Has("release") && args.Get("release").empty()) {
    Fail("add: --release is empty; leave it out to index debug ids only");
  }
  if (!args.Has("project")) Fail("add: --project is required (see --help)");
  AddOptions options;
  options.projects = args.All("project");
  options.release = args.Get("release");
  options.dist = args.Get("dist");
  if (args.Has("timestamp")) {
    options.timestamp_ms = ParseInt("timestamp", args.Get("timestamp"), 0, int64_t{1} << 53);
  }
  if (args.Has("bundle-id")) options.bundle_id = args.Get("bundle-id");
  if (args.Has("max-entries")) {
    options.limits.max_entries =
        static_cast<uint32_t>(ParseInt("max-entries", args.Get("max-entries"), 1, 1 << 30));
  }
  if (args.Has("max-manifest-bytes")) {
    options.limits.max_manifest_bytes = static_cast<uint64_t>(
        ParseInt("max-manifest-bytes", args.Get("max-manifest-bytes"), 1, int64_t{1} << 40));
  }
  absl::StatusOr<std::vector<AddResult>> results =
      Indexer(root, {.cache = at.cache}).Add(args.positional, options);
  Check(results.status());
  const std::string target = StrCat(
      "project ", absl::StrJoin(options.projects, ", "),
      options.release.empty()
          ? " (debug ids only)"
          : StrCat(", release ", JsonString(options.release), options.dist.empty() ? "" : ", dist ",
                   options.dist.empty() ? "" : JsonString(options.dist)));
  if (args.Has("json")) {
    JsonWriter json;
    json.BeginObject().Key("added").BeginArray();
    for (const AddResult& r : *results) AddedJson(r, /*files=*/true, &json);
    json.EndArray().EndObject();
    std::cout << json.str() << "\n";
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

// --- export and import ---------------------------------------------------------------------------

constexpr char kExportHelp[] =
    R"(usage: artidx [--store DIR] export --project P [--release R [--dist D]] --format sentry-json

Writes an index as the JSON of Sentry's RFC 0106: {"bundles":[{"bundle_id":"artifact_bundle/ID",
"timestamp":ISO}], "files_by_url" (with --release) or "files_by_debug_id" (without):
{KEY:[positions]}, "is_complete":true}; bundles oldest first, so each list ends with the newest.
)";

int Export(const StoreFlags& at, const std::vector<std::string>& tokens) {
  const std::string& root = at.root;
  Args args = ParseArgs("export", kExportHelp,
                        {{"project", FlagSpec::kValue},
                         {"release", FlagSpec::kValue},
                         {"dist", FlagSpec::kValue},
                         {"format", FlagSpec::kValue}},
                        tokens);
  if (!args.positional.empty()) Fail("export: unexpected argument " + args.positional[0]);
  if (!args.Has("project")) Fail("export: --project is required (see --help)");
  if (args.Get("format") != "sentry-json") Fail("export: --format sentry-json is required");
  if (args.Has("dist") && !args.Has("release")) Fail("export: --dist needs --release");
  Store store(root, {.cache = at.cache});
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

int Import(const StoreFlags& at, const std::vector<std::string>& tokens) {
  const std::string& root = at.root;
  Args args = ParseArgs("import", kImportHelp,
                        {{"project", FlagSpec::kRepeated},
                         {"release", FlagSpec::kValue},
                         {"dist", FlagSpec::kValue},
                         {"bundles", FlagSpec::kValue},
                         {"json", FlagSpec::kFlag}},
                        tokens);
  if (args.positional.size() != 1) Fail("import: give exactly one JSON file (see --help)");
  if (!args.Has("project")) Fail("import: --project is required (see --help)");
  if (args.Has("release") && args.Get("release").empty()) Fail("import: --release is empty");
  absl::StatusOr<std::string> json = common::ReadFile(args.positional[0], uint64_t{1} << 32);
  Check(json.status());
  AddOptions options;
  options.projects = args.All("project");
  options.release = args.Get("release");
  options.dist = args.Get("dist");
  absl::StatusOr<std::vector<AddResult>> added =
      Indexer(root, {.cache = at.cache}).ImportSentryJson(*json, options, args.Get("bundles"));
  if (!added.ok()) Fail(StrCat(args.positional[0], ": ", StdView(added.status().message())));
  if (args.Has("json")) {
    JsonWriter json;
    json.BeginObject().Key("imported").BeginArray();
    for (const AddResult& r : *added) json.String(r.bundle_id);
    json.EndArray().Key("added").BeginArray();
    for (const AddResult& r : *added) AddedJson(r, /*files=*/false, &json);
    json.EndArray().EndObject();
    std::cout << json.str() << "\n";
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

int MakeBundle(const std::vector<std::string>& tokens) {
  Args args = ParseArgs("make-bundle", kMakeBundleHelp,
                        {{"output", FlagSpec::kValue, 'o'},
                         {"url-prefix", FlagSpec::kValue},
                         {"bundle-id", FlagSpec::kValue},
                         {"attribute", FlagSpec::kRepeated}},
                        tokens);
  if (args.positional.size() != 1) Fail("make-bundle: give exactly one directory (see --help)");
  if (!args.Has("output")) Fail("make-bundle: -o OUT.zip is required");
  std::optional<DebugId> bundle_id;
  if (args.Has("bundle-id")) {
    absl::StatusOr<DebugId> id = DebugId::Parse(args.Get("bundle-id"));
    Check(id.status());
    bundle_id = *id;
  }
  std::map<std::string, std::string> attributes;
  for (const std::string& kv : args.All("attribute")) {
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

}  // namespace artidx::cli
