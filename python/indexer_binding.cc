// indexer_binding.cc: artidx.Indexer, which adds bundles to a store and removes them (the
// results are the dicts the CLI's --json prints), and artidx.make_bundle.
//
// Thread safety: every call into the library runs with the GIL released; artidx::Indexer is
// immutable, so one Indexer may serve many threads.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "artidx/indexer.h"
#include "artidx/types.h"
#include "bundle/bundle_writer.h"
#include "common/strings.h"
#include "python/bindings.h"
#include "python/convert.h"
#include "store/file_util.h"

namespace artidx::python {
namespace {

// --- Indexer -------------------------------------------------------------------------------------

class PyIndexer {
 public:
  PyIndexer(std::string root, IndexerOptions options)
      : root_(root), indexer_(std::move(root), std::move(options)) {}

  const std::string& root() const { return root_; }

  py::list Add(py::handle paths, py::handle projects, const std::optional<std::string>& release,
               const std::string& dist, std::optional<int64_t> timestamp,
               const std::optional<std::string>& bundle_id, std::optional<int64_t> max_entries,
               std::optional<int64_t> max_manifest_bytes) const {
    const std::vector<std::string> bundles = Paths(paths, "bundle path");
    if (bundles.empty()) RaiseInvalid("no bundle given");
    AddOptions options;
    options.projects = Names(projects, "projects");
    if (release && release->empty()) {
      RaiseInvalid("release is empty; leave it out (None) to index debug ids only");
    }
    options.release = release.value_or("");
    options.dist = dist;
    options.timestamp_ms = TimestampArg(timestamp);
    options.bundle_id = bundle_id;
    if (max_entries) {
      if (*max_entries < 1 || *max_entries > (1 << 30)) {
        RaiseInvalid(StrCat("max_entries: expected 1 to ", 1 << 30, ", got ", *max_entries));
      }
      options.limits.max_entries = static_cast<uint32_t>(*max_entries);
    }
    if (max_manifest_bytes) {
      if (*max_manifest_bytes < 1 || *max_manifest_bytes > (int64_t{1} << 40)) {
        RaiseInvalid(StrCat("max_manifest_bytes: expected 1 to ", int64_t{1} << 40, ", got ",
                            *max_manifest_bytes));
      }
      options.limits.max_manifest_bytes = static_cast<uint64_t>(*max_manifest_bytes);
    }
    absl::StatusOr<std::vector<AddResult>> added;
    {
      py::gil_scoped_release unlocked;
      added = indexer_.Add(bundles, options);
    }
    Check(added.status());
    py::list out;
    for (const AddResult& r : *added) {
      py::dict row;  // as `artidx add --json` prints each bundle
      row["bundle"] = Str(r.bundle_path);
      row["bundle_id"] = Str(r.bundle_id);
      row["archive_sha1"] = Str(r.archive_sha1);
      row["timestamp"] = r.timestamp_ms;
      row["files"] = r.files;
      row["debug_id_files"] = r.debug_id_files;
      row["outcome"] = AddOutcomeName(r.outcome);
      row["superseded_at"] =
          r.superseded_at_ms ? py::object(py::int_(*r.superseded_at_ms)) : py::object(py::none());
      row["replaced_by"] = r.outcome == AddOutcome::kReplacedInThisAdd
                               ? py::object(Str(r.replaced_by))
                               : py::object(py::none());
      out.append(row);
    }
    return out;
  }

  py::dict Remove(const std::string& bundle_id, const std::optional<py::object>& projects,
                  std::optional<int64_t> timestamp) const {
    RemoveOptions options;
    if (projects && !projects->is_none()) options.projects = Names(*projects, "projects");
    options.timestamp_ms = TimestampArg(timestamp);
    absl::StatusOr<RemoveResult> removed;
    {
      py::gil_scoped_release unlocked;
      removed = indexer_.Remove(bundle_id, options);
    }
    Check(removed.status());
    py::dict out;  // as `artidx rm --json` prints it
    out["bundle_id"] = Str(removed->bundle_id);
    out["indexes"] = StrList(removed->indexes);
    py::list kept;
    for (const RemoveResult::Kept& k : removed->kept) {
      py::dict row;
      row["index"] = Str(k.index);
      row["timestamp"] = k.timestamp_ms;
      kept.append(row);
    }
    out["kept"] = kept;
    out["archives_deleted"] = removed->archives_deleted;
    return out;
  }

  void Compact(const std::optional<std::string>& project) const {
    absl::Status status;
    {
      py::gil_scoped_release unlocked;
      status = indexer_.Compact(project.value_or(""));
    }
    Check(status);
  }

  py::dict Gc(double max_age_days, int64_t keep_newest, bool dry_run) const {
    if (!(max_age_days >= 0) || max_age_days > 1e6) {
      RaiseInvalid(
          StrCat("max_age_days: expected a number of days from 0 to 1000000, got ", max_age_days));
    }
    if (keep_newest < 0 || keep_newest > (int64_t{1} << 31)) {
      RaiseInvalid(StrCat("keep_newest: expected 0 to ", int64_t{1} << 31, ", got ", keep_newest));
    }
    GcOptions options;
    options.max_age_ms = static_cast<int64_t>(max_age_days * 24 * 3600 * 1000);
    options.keep_newest = static_cast<size_t>(keep_newest);
    options.dry_run = dry_run;
    absl::StatusOr<GcResult> result;
    {
      py::gil_scoped_release unlocked;
      result = indexer_.Gc(options);
    }
    Check(result.status());
    py::dict out;  // as `artidx gc --json` prints it
    out["dry_run"] = dry_run;
    out["removed"] = StrList(result->removed);
    out["orphans"] = StrList(result->orphans);
    out["chunks"] = result->chunks;
    return out;
  }

  void Hold(const std::string& bundle_id, bool hold) const {
    absl::Status status;
    {
      py::gil_scoped_release unlocked;
      status = indexer_.Hold(bundle_id, hold);
    }
    Check(status);
  }

  py::dict Rebuild(bool dry_run) const {
    absl::StatusOr<RebuildResult> result;
    {
      py::gil_scoped_release unlocked;
      result = indexer_.Rebuild(RebuildOptions{dry_run});
    }
    Check(result.status());
    py::dict out;  // as `artidx rebuild --json` prints it
    out["dry_run"] = result->dry_run;
    out["indexes"] = StrList(result->indexes);
    out["deleted"] = StrList(result->deleted);
    out["replayed"] = result->replayed;
    py::list recovered, set_aside, lost;
    for (const RebuildResult::Recovered& r : result->recovered) {
      py::dict d;
      d["reference"] = r.reference;
      d["segment"] = r.segment;
      d["operation"] = r.operation;
      recovered.append(d);
    }
    for (const RebuildResult::SetAside& f : result->set_aside) {
      py::dict d;
      d["file"] = f.file;
      d["to"] = f.to;
      d["problem"] = f.problem;
      set_aside.append(d);
    }
    for (const RebuildResult::Lost& l : result->lost) {
      py::dict d;
      d["file"] = l.file;
      d["operation"] = l.operation;
      d["problem"] = l.problem;
      lost.append(d);
    }
    out["recovered"] = recovered;
    out["set_aside"] = set_aside;
    out["lost"] = lost;
    return out;
  }

 private:
  const std::string root_;
  const Indexer indexer_;
};

// --- make_bundle ---------------------------------------------------------------------------------

py::dict MakeBundle(py::handle directory, py::handle output, const std::string& url_prefix,
                    const std::optional<std::map<std::string, std::string>>& attributes,
                    const std::optional<std::string>& bundle_id) {
  const std::string dir = FsPath(directory, "directory");
  const std::string out = FsPath(output, "output");
  std::optional<DebugId> id;
  if (bundle_id) {
    absl::StatusOr<DebugId> parsed = DebugId::Parse(*bundle_id);
    Check(parsed.status());
    id = *parsed;
  }
  std::map<std::string, std::string> fields =
      attributes.value_or(std::map<std::string, std::string>{});
  if (fields.count("") > 0) RaiseInvalid("attribute \"\" is not a free attribute: empty name");
  absl::StatusOr<bundle::MadeBundle> made;
  absl::Status written;
  {
    py::gil_scoped_release unlocked;
    made = bundle::MakeBundle(dir, url_prefix, id, fields);
    if (made.ok()) written = store::WriteFileAtomically(out, made->bytes);
  }
  Check(made.status());
  Check(written);
  py::dict result;
  result["bundle_id"] = Str(made->debug_id);
  result["files"] = made->files;
  return result;
}

constexpr char kIndexerDoc[] = R"(Adds bundles to a store and removes them.

Indexer(store, *, cache=None, cache_max_bytes=0): store is the store's directory (str or
os.PathLike), created on the first add, or "s3://BUCKET[/PREFIX]", a store on an S3-compatible
object store configured from the environment as AWS tools are (README "Object storage"). On
S3, the segments that compactions and rebuilds map are copied into the cache directory (as
Store's: None is $ARTIDX_CACHE, else $XDG_CACHE_HOME/artidx, else ~/.cache/artidx), of at most
cache_max_bytes (0: no limit). A location that cannot be opened makes every method raise, with
the CLI's one-line message naming it (InvalidArgument for an invalid URL or no credentials).

Operations on one bundle commute and are idempotent: of two, the later timestamp wins. Writers
take no lock; any number of threads and processes may write one store at once. Every method
releases the GIL while it works.
)";

}  // namespace

void DefineIndexer(py::module_& m) {
  py::class_<PyIndexer>(m, "Indexer", kIndexerDoc)
      .def(py::init([](py::handle store, py::handle cache, int64_t cache_max_bytes) {
             IndexerOptions options;
             options.cache = CacheArg(cache, cache_max_bytes);
             return std::make_unique<PyIndexer>(FsPath(store, "store"), std::move(options));
           }),
           py::arg("store"), py::kw_only(), py::arg("cache") = py::none(),
           py::arg("cache_max_bytes") = 0)
      .def_property_readonly("path", &PyIndexer::root,
                             "The store's location: its directory or s3:// URL, as given.")
      .def("add", &PyIndexer::Add, py::arg("paths"), py::kw_only(), py::arg("projects"),
           py::arg("release") = py::none(), py::arg("dist") = "", py::arg("timestamp") = py::none(),
           py::arg("bundle_id") = py::none(), py::arg("max_entries") = py::none(),
           py::arg("max_manifest_bytes") = py::none(),
           R"(Adds bundles (one path or a sequence) to the debug-id index of each project and,
with release, to the URL index of each (project, release, dist).

projects is a name or a sequence of names. timestamp (milliseconds since the epoch) defaults to
now; bundle_id (one bundle only) to the manifest's debug id, else the archive's SHA-1.
Every bundle is read and checked first: if one is bad, nothing is added (InvalidBundle naming
it; NotFound when a file does not exist). Returns, per bundle, the dict `artidx add --json`
prints: {"bundle", "bundle_id", "archive_sha1", "timestamp", "files", "debug_id_files",
"outcome", "superseded_at", "replaced_by"}.)")
      .def("remove", &PyIndexer::Remove, py::arg("bundle_id"), py::kw_only(),
           py::arg("projects") = py::none(), py::arg("timestamp") = py::none(),
           R"(Removes a bundle from every index it was added to (of projects, when given), then
deletes its archives unless another project keeps it. Returns {"bundle_id", "indexes",
"kept", "archives_deleted"}. Raises NotFound when the store has no record of the bundle.)")
      .def("compact", &PyIndexer::Compact, py::arg("project") = py::none(),
           "Merges the segments of every index (of project, when given) into one.")
      .def("gc", &PyIndexer::Gc, py::arg("max_age_days"), py::arg("keep_newest") = 0,
           py::arg("dry_run") = false,
           R"(Removes every bundle whose latest add or use is older than max_age_days, unless it
is held or among the keep_newest newest of an index that holds it; cleans up after crashed
writers; compacts. Returns {"dry_run", "removed", "orphans", "chunks"}; a dry run changes nothing.)")
      .def(
          "hold", [](const PyIndexer& i, const std::string& id) { i.Hold(id, true); },
          py::arg("bundle_id"),
          "Keeps the bundle from gc. Raises NotFound when the store has no such bundle.")
      .def(
          "unhold", [](const PyIndexer& i, const std::string& id) { i.Hold(id, false); },
          py::arg("bundle_id"), "Lets gc decide about the bundle again.")
      .def("rebuild", &PyIndexer::Rebuild, py::kw_only(), py::arg("dry_run") = false,
           R"(Regenerates every index from the record of every add and removal and the archives
they name, salvaging around damaged files (`artidx rebuild`). With dry_run, only reports.
Returns what `artidx rebuild --json` prints: {"dry_run", "indexes", "deleted", "replayed",
"recovered", "set_aside", "lost"}.)")
      .def("__repr__", [](const PyIndexer& i) {
        return py::str("artidx.Indexer({!r})").format(Str(i.root()));
      });

  m.def("make_bundle", &MakeBundle, py::arg("directory"), py::arg("output"), py::kw_only(),
        py::arg("url_prefix") = "~/", py::arg("attributes") = py::none(),
        py::arg("bundle_id") = py::none(),
        R"(Makes a bundle, as sentry-cli does, of every .js, .mjs, .cjs and .map file under
directory, written to output: each file's URL is url_prefix + its path below directory;
scripts and their source maps share a debug id. attributes are further top-level manifest
strings (release, dist, org...). bundle_id defaults to an id derived from the contents.
Returns {"bundle_id", "files"}.)");
}

}  // namespace artidx::python
