// The upkeep of a store: rm, compact, gc, hold and unhold, verify and rebuild.

#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "artidx/indexer.h"
#include "artidx/lookup.h"
#include "cli/command.h"
#include "cli/verbs.h"
#include "common/json_writer.h"
#include "common/strings.h"
#include "common/text.h"

namespace artidx::cli {

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

namespace {

std::string Indexes(size_t n) { return StrCat(n, n == 1 ? " index" : " indexes"); }

}  // namespace

int Rm(const StoreFlags& at, const std::vector<std::string>& tokens) {
  const std::string& root = at.root;
  Args args = ParseArgs("rm", kRmHelp,
                        {{"project", FlagSpec::kRepeated},
                         {"timestamp", FlagSpec::kValue},
                         {"json", FlagSpec::kFlag}},
                        tokens);
  if (args.positional.size() != 1) Fail("rm: give exactly one bundle id (see --help)");
  RemoveOptions options;
  if (args.Has("project")) options.projects = args.All("project");
  if (args.Has("timestamp"))
    options.timestamp_ms = ParseInt("timestamp", args.Get("timestamp"), 0, int64_t{1} << 53);
  absl::StatusOr<RemoveResult> result =
      Indexer(root, {.cache = at.cache}).Remove(args.positional[0], options);
  Check(result.status());
  int64_t newest = 0;
  for (const RemoveResult::Kept& k : result->kept) newest = std::max(newest, k.timestamp_ms);
  if (result->indexes.empty() && !result->kept.empty()) {
    Fail(StrCat("rm: bundle ", result->bundle_id, " not removed: its add at ",
                FormatIso8601(newest), " (", newest, ") is newer than the removal"));
  }
  if (args.Has("json")) {
    JsonWriter json;
    json.BeginObject();
    json.Key("bundle_id").String(result->bundle_id);
    json.Key("indexes").Strings(result->indexes);
    json.Key("kept").BeginArray();
    for (const RemoveResult::Kept& k : result->kept) {
      json.BeginObject().Key("index").String(k.index).Key("timestamp").Int(k.timestamp_ms);
      json.EndObject();
    }
    json.EndArray();
    json.Key("archives_deleted").Bool(result->archives_deleted).EndObject();
    std::cout << json.str() << "\n";
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

int Compact(const StoreFlags& at, const std::vector<std::string>& tokens) {
  const std::string& root = at.root;
  Args args = ParseArgs("compact", kCompactHelp, {{"project", FlagSpec::kValue}}, tokens);
  if (!args.positional.empty()) Fail("compact: unexpected argument " + args.positional[0]);
  Check(Indexer(root, {.cache = at.cache}).Compact(args.Get("project")));
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

int Gc(const StoreFlags& at, const std::vector<std::string>& tokens) {
  const std::string& root = at.root;
  Args args = ParseArgs("gc", kGcHelp,
                        {{"max-age", FlagSpec::kValue},
                         {"keep-newest", FlagSpec::kValue},
                         {"chunk-max-age", FlagSpec::kValue},
                         {"dry-run", FlagSpec::kFlag},
                         {"json", FlagSpec::kFlag}},
                        tokens);
  if (!args.positional.empty()) Fail("gc: unexpected argument " + args.positional[0]);
  if (!args.Has("max-age")) Fail("gc: --max-age is required (see --help)");
  double days;
  if (!absl::SimpleAtod(args.Get("max-age"), &days) || !(days >= 0) || days > 1e6) {
    Fail("--max-age: expected a number of days, got \"" + args.Get("max-age") + "\"");
  }
  GcOptions options;
  options.max_age_ms = static_cast<int64_t>(days * 24 * 3600 * 1000);
  if (args.Has("keep-newest")) {
    options.keep_newest =
        static_cast<size_t>(ParseInt("keep-newest", args.Get("keep-newest"), 0, int64_t{1} << 31));
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
  absl::StatusOr<GcResult> result = Indexer(root, {.cache = at.cache}).Gc(options);
  Check(result.status());
  if (args.Has("json")) {
    JsonWriter json;
    json.BeginObject();
    json.Key("dry_run").Bool(options.dry_run);
    json.Key("removed").Strings(result->removed);
    json.Key("orphans").Strings(result->orphans);
    json.Key("chunks").Uint(result->chunks);
    std::cout << json.EndObject().str() << "\n";
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

int Hold(const StoreFlags& at, const std::vector<std::string>& tokens, bool hold) {
  const std::string& root = at.root;
  Args args = ParseArgs(hold ? "hold" : "unhold", kHoldHelp, {}, tokens);
  if (args.positional.size() != 1) Fail("give exactly one bundle id (see --help)");
  Check(Indexer(root, {.cache = at.cache}).Hold(args.positional[0], hold));
  return 0;
}

// --- verify and rebuild ------------------------------------------------------------------------

constexpr char kVerifyHelp[] = R"(usage: artidx [--store DIR] verify [--json]

Checks the whole store: every segment of every index (header, bounds, checksum, canonical
encoding), that every bundle an index holds has its archive, and every reference. Prints one
line per problem, naming the file. Exit status: 0 all is well, 1 problems found, 2 error.
After corruption, `artidx rebuild` regenerates the indexes.

  --json   print {"problems":[...]}
)";

int Verify(const StoreFlags& at, const std::vector<std::string>& tokens) {
  const std::string& root = at.root;
  Args args = ParseArgs("verify", kVerifyHelp, {{"json", FlagSpec::kFlag}}, tokens);
  if (!args.positional.empty()) Fail("verify: unexpected argument " + args.positional[0]);
  absl::StatusOr<std::vector<std::string>> problems = Store(root, {.cache = at.cache}).Verify();
  Check(problems.status());
  if (args.Has("json")) {
    JsonWriter json;
    json.BeginObject().Key("problems").Strings(*problems).EndObject();
    std::cout << json.str() << "\n";
  } else {
    for (const std::string& p : *problems) std::cout << OneLine(p) << "\n";
    if (problems->empty()) std::cout << "ok\n";
  }
  return problems->empty() ? 0 : 1;
}

constexpr char kRebuildHelp[] = R"(usage: artidx [--store DIR] rebuild [--dry-run] [--json]

Regenerates every index from the store's source of truth: the references every add and removal
left and the archives they name. Each index becomes one segment, byte-identical to what
compacting the indexes those operations produced gives. Restores corrupted or deleted indexes
without re-uploads. Salvages around damage, never stopping at the first bad file: a damaged
reference is copied to quarantine/<time>/ and its operation recovered from any index segment
that records it (the reference is then restored); a damaged segment is copied there too and
left out. An add whose archive is missing or damaged counts as removed (`verify` keeps
reporting a missing one until `artidx rm` removes the bundle). Other files in index directories
(stray ones, replaced segments) and index directories no reference names are deleted.

Prints one line per recovered operation, file set aside and operation lost, then a summary.
Exit status: 0 nothing lost, 1 some operation lost (everything else rebuilt), 2 error.

  --dry-run  report what a rebuild would do; change nothing
  --json     print {"dry_run", "indexes", "deleted", "replayed", "recovered":[{"reference",
             "segment", "operation"}], "set_aside":[{"file", "to", "problem"}],
             "lost":[{"file", "operation", "problem"}]}
)";

int Rebuild(const StoreFlags& at, const std::vector<std::string>& tokens) {
  const std::string& root = at.root;
  Args args = ParseArgs("rebuild", kRebuildHelp,
                        {{"dry-run", FlagSpec::kFlag}, {"json", FlagSpec::kFlag}}, tokens);
  if (!args.positional.empty()) Fail("rebuild: unexpected argument " + args.positional[0]);
  RebuildOptions options;
  options.dry_run = args.Has("dry-run");
  absl::StatusOr<RebuildResult> result = Indexer(root, {.cache = at.cache}).Rebuild(options);
  Check(result.status());
  const int exit_code = result->lost.empty() ? 0 : 1;
  if (args.Has("json")) {
    JsonWriter json;
    json.BeginObject();
    json.Key("dry_run").Bool(result->dry_run);
    json.Key("indexes").Strings(result->indexes);
    json.Key("deleted").Strings(result->deleted);
    json.Key("replayed").Uint(result->replayed);
    json.Key("recovered").BeginArray();
    for (const RebuildResult::Recovered& r : result->recovered) {
      json.BeginObject().Key("reference").String(r.reference);
      json.Key("segment").String(r.segment).Key("operation").String(r.operation).EndObject();
    }
    json.EndArray().Key("set_aside").BeginArray();
    for (const RebuildResult::SetAside& f : result->set_aside) {
      json.BeginObject().Key("file").String(f.file).Key("to").String(f.to);
      json.Key("problem").String(f.problem).EndObject();
    }
    json.EndArray().Key("lost").BeginArray();
    for (const RebuildResult::Lost& l : result->lost) {
      json.BeginObject().Key("file").String(l.file).Key("operation").String(l.operation);
      json.Key("problem").String(l.problem).EndObject();
    }
    json.EndArray().EndObject();
    std::cout << json.str() << "\n";
    return exit_code;
  }
  for (const RebuildResult::Recovered& r : result->recovered) {
    std::cout << OneLine(StrCat("recovered ", r.reference, " from ", r.segment, ": ", r.operation))
              << "\n";
  }
  for (const RebuildResult::SetAside& f : result->set_aside) {
    std::cout << OneLine(StrCat(f.to.empty() ? "would set aside " : "set aside ", f.file,
                                f.to.empty() ? "" : StrCat(" as ", f.to), ": ", f.problem))
              << "\n";
  }
  for (const RebuildResult::Lost& l : result->lost) {
    std::cout << OneLine(StrCat("lost ", l.operation, ": ", l.problem)) << "\n";
  }
  std::cout << (result->dry_run ? "would rebuild " : "rebuilt ") << Indexes(result->indexes.size())
            << " from " << result->replayed << " references";
  if (!result->recovered.empty()) {
    std::cout << " and " << result->recovered.size() << " operations recovered from segments";
  }
  if (!result->set_aside.empty()) {
    std::cout << "; " << (result->dry_run ? "would set aside " : "set aside ")
              << result->set_aside.size() << " damaged files";
  }
  if (!result->deleted.empty()) {
    std::cout << "; " << (result->dry_run ? "would delete " : "deleted ") << result->deleted.size()
              << " files or index directories it replaced or no reference names (--json lists "
                 "them)";
  }
  if (!result->lost.empty()) {
    std::cout << "; lost " << result->lost.size() << " operations";
  }
  std::cout << "\n";
  return exit_code;
}

}  // namespace artidx::cli
