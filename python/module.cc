// artidx's Python package: the extension module artidx._artidx, which python/artidx/__init__.py
// re-exports. It links the library the CLI links (indexer, lookup, store) and only converts
// arguments and results and maps errors, as the CLI (cli/) does for the command line: results are
// the objects the CLI's --json prints, errors carry the one-line message the CLI prints.
//
// Threads: every call into the library runs with the GIL released; artidx::Store is
// thread-safe and artidx::Indexer immutable, so one Store or Indexer may serve many threads. A
// Candidate holds the index it was found in (shared), which keeps its views valid.

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

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "artidx/indexer.h"
#include "artidx/lookup.h"
#include "artidx/types.h"
#include "bundle/bundle_writer.h"
#include "common/strings.h"
#include "common/text.h"
#include "store/file_util.h"

namespace py = pybind11;

namespace artidx::python {
namespace {

// --- errors --------------------------------------------------------------------------------------

struct Exceptions {
  PyObject* error;
  PyObject* invalid_bundle;
  PyObject* invalid_argument;
  PyObject* not_found;
  PyObject* data_loss;
  PyObject* unavailable;
};
Exceptions exceptions;  // set once at import, kept for the life of the process

[[noreturn]] void Raise(PyObject* type, std::string_view message) {
  PyErr_SetString(type, OneLine(message).c_str());  // OneLine escapes NUL and bad UTF-8
  throw py::error_already_set();
}

[[noreturn]] void RaiseInvalid(std::string_view message) {
  Raise(exceptions.invalid_argument, message);
}

PyObject* ExceptionFor(const absl::Status& status) {
  switch (GetErrorKind(status)) {
    case ErrorKind::kInvalidBundle:
      return exceptions.invalid_bundle;
    case ErrorKind::kInvalidArgument:
      return exceptions.invalid_argument;
    case ErrorKind::kNoSuchIndex:
    case ErrorKind::kArchiveMissing:
      return exceptions.not_found;
    case ErrorKind::kCorruptIndex:
    case ErrorKind::kEntryMissing:
      return exceptions.data_loss;
    case ErrorKind::kNone:
    case ErrorKind::kOther:
      break;
  }
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return exceptions.not_found;
    case absl::StatusCode::kDataLoss:
      return exceptions.data_loss;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return exceptions.unavailable;
    default:
      return exceptions.error;
  }
}

// Raises the exception for a failed status; the caller holds the GIL.
void Check(const absl::Status& status) {
  if (!status.ok()) Raise(ExceptionFor(status), StdView(status.message()));
}

// --- conversions ---------------------------------------------------------------------------------

// Text the library returns is UTF-8 (the indexer refuses anything else); bytes that are not
// come through as lone surrogates, so that a damaged store gives a string, never an exception.
py::str Str(std::string_view s) {
  PyObject* o =
      PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "surrogateescape");
  if (o == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

py::object OptStr(const std::optional<std::string_view>& s) {
  return s ? py::object(Str(*s)) : py::object(py::none());
}

py::list StrList(const std::vector<std::string>& items) {
  py::list out;
  for (const std::string& s : items) out.append(Str(s));
  return out;
}

// A str, bytes or os.PathLike as the bytes of a file system path (os.fsencode's).
std::string FsPath(py::handle path, const char* what) {
  PyObject* fspath = PyOS_FSPath(path.ptr());
  if (fspath == nullptr) throw py::error_already_set();
  py::object owned = py::reinterpret_steal<py::object>(fspath);
  if (PyUnicode_Check(fspath)) {
    PyObject* encoded = PyUnicode_EncodeFSDefault(fspath);
    if (encoded == nullptr) throw py::error_already_set();
    owned = py::reinterpret_steal<py::object>(encoded);
  }
  std::string out(PyBytes_AS_STRING(owned.ptr()),
                  static_cast<size_t>(PyBytes_GET_SIZE(owned.ptr())));
  if (out.empty()) RaiseInvalid(StrCat(what, " is empty"));
  if (out.find('\0') != std::string::npos) RaiseInvalid(StrCat(what, " contains a NUL byte"));
  return out;
}

// One name or a sequence of names: a lone str is one name, not a sequence of characters.
std::vector<std::string> Names(py::handle names, const char* what) {
  if (py::isinstance<py::str>(names)) return {names.cast<std::string>()};
  std::vector<std::string> out;
  bool ok = py::isinstance<py::iterable>(names) && !py::isinstance<py::bytes>(names);
  if (ok) {
    for (py::handle name : py::iter(names)) {
      ok = py::isinstance<py::str>(name);
      if (!ok) break;
      out.push_back(name.cast<std::string>());
    }
  }
  if (ok) return out;
  throw py::type_error(StrCat(what, ": expected a str or a sequence of str"));
}

// One path or a sequence of paths, as for Names.
std::vector<std::string> Paths(py::handle paths, const char* what) {
  if (py::isinstance<py::str>(paths) || py::isinstance<py::bytes>(paths) ||
      py::hasattr(paths, "__fspath__")) {
    return {FsPath(paths, what)};
  }
  std::vector<std::string> out;
  for (py::handle p : py::iter(paths)) out.push_back(FsPath(p, what));
  return out;
}

std::optional<FileType> TypeArg(const std::optional<std::string>& type) {
  if (!type) return std::nullopt;
  std::optional<FileType> parsed = ParseFileType(*type);
  if (!parsed) {
    RaiseInvalid(StrCat("unknown type \"", *type,
                        "\": expected source, minified_source, source_map or indexed_ram_bundle"));
  }
  return parsed;
}

// The CLI's range for --timestamp.
std::optional<int64_t> TimestampArg(const std::optional<int64_t>& ms) {
  constexpr int64_t kMax = int64_t{1} << 53;
  if (ms && (*ms < 0 || *ms > kMax)) {
    RaiseInvalid(StrCat("timestamp: expected milliseconds from 0 to ", kMax, ", got ", *ms));
  }
  return ms;
}

// --- Candidate -----------------------------------------------------------------------------------

// What the candidates of one answer share: the index their views point into, and the URL that
// was looked up (a source map reference is resolved against it).
struct Answer {
  std::shared_ptr<const Index> index;
  std::string frame_url;
};

struct PyCandidate {
  std::shared_ptr<const Answer> answer;
  Candidate c;

  py::object DebugIdStr() const {
    return c.debug_id ? py::object(Str(c.debug_id->ToString())) : py::object(py::none());
  }
  // Exactly the object `artidx lookup --json` prints for the candidate, key for key.
  py::dict ToDict() const {
    py::dict d;
    d["bundle_id"] = Str(c.bundle_id);
    d["timestamp"] = c.timestamp_ms;
    d["url"] = Str(c.url);
    d["path"] = Str(c.path);
    d["type"] = Str(FileTypeName(c.type));
    d["debug_id"] = DebugIdStr();
    d["sourcemap"] = OptStr(c.sourcemap);
    return d;
  }
};

py::list CandidateList(std::shared_ptr<const Answer> answer, const std::vector<Candidate>& found,
                       std::optional<FileType> type) {
  py::list out;
  for (const Candidate& c : found) {
    if (type && c.type != *type) continue;
    out.append(py::cast(PyCandidate{answer, c}));
  }
  return out;
}

// The Candidates of each URL's answer in `candidates` (a tuple), as a new list; only those of
// `type` when it is given.
py::list Select(const py::tuple& candidates, std::optional<FileType> type) {
  if (!type) return py::reinterpret_steal<py::list>(PySequence_List(candidates.ptr()));
  py::list out;
  for (py::handle c : candidates) {
    if (c.cast<const PyCandidate&>().c.type == *type) out.append(c);
  }
  return out;
}

// The answers of recent URL lookups, as the Candidate objects made for them, per (project,
// release, dist) and for the Index the Store gave for it: a frame URL looked up again in the
// same Index (a Store reopens an index only when its segments changed) gets those objects again,
// without a lookup or new Candidates. It holds the Index it remembers answers of (an empty
// answer has no Candidate to keep it alive, and a freed Index's address may be reused) until
// its (project, release, dist) is next looked up in another Index, or the cache starts over.
// Guarded by the GIL: it holds Python objects.
class AnswerCache {
 public:
  static constexpr size_t kMaxAnswers = 16384;  // in all; then it starts over

  // The answer for `url` in `index`, or None. Forgets the answers of `identity` (project,
  // release and dist joined) if they were found in another Index.
  py::object Find(const std::string& identity, const std::shared_ptr<const Index>& index,
                  std::string_view url) {
    auto it = indexes_.find(identity);
    if (it == indexes_.end()) return py::none();
    if (it->second.index != index) {
      count_ -= it->second.answers.size();
      it->second.answers.clear();
      it->second.index = index;
      return py::none();
    }
    // absl::string_view: Abseil's heterogeneous lookup takes its own view type.
    auto answer = it->second.answers.find(absl::string_view(url.data(), url.size()));
    return answer == it->second.answers.end() ? py::object(py::none()) : answer->second;
  }

  void Insert(const std::string& identity, const std::shared_ptr<const Index>& index,
              std::string_view url, py::tuple candidates) {
    if (count_ >= kMaxAnswers) {
      indexes_.clear();
      count_ = 0;
    }
    PerIndex& entry = indexes_[identity];
    if (entry.index != index) {
      count_ -= entry.answers.size();
      entry.answers.clear();
      entry.index = index;
    }
    count_ += entry.answers.insert_or_assign(std::string(url), std::move(candidates)).second;
  }

 private:
  struct PerIndex {
    std::shared_ptr<const Index> index;
    absl::flat_hash_map<std::string, py::tuple> answers;
  };
  absl::flat_hash_map<std::string, PerIndex> indexes_;
  size_t count_ = 0;
};

// --- Store ---------------------------------------------------------------------------------------

class PyStore {
 public:
  PyStore(std::string root, const StoreOptions& options) : root_(root), store_(root, options) {}

  const std::string& root() const { return root_; }

  // Text arguments arrive as views of the str objects' UTF-8 (valid for the call). The
  // answer is remembered (AnswerCache): the same URL in the same Index gives the same
  // Candidate objects.
  py::list LookupUrl(std::string_view project, std::string_view release, std::string_view url,
                     std::string_view dist, const std::optional<std::string>& type) const {
    const std::optional<FileType> file_type = TypeArg(type);
    std::shared_ptr<const Index> index;
    absl::Status status;
    {
      py::gil_scoped_release unlocked;
      absl::StatusOr<std::shared_ptr<const Index>> opened = store_.UrlIndex(project, release, dist);
      if (opened.ok()) {
        index = *std::move(opened);
      } else if (!absl::IsNotFound(opened.status())) {  // nothing added there: no candidate
        status = opened.status();
      }
    }
    Check(status);
    if (index == nullptr) return py::list();
    // Valid names hold no NUL: the identity is unambiguous.
    identity_.assign(project).append(1, '\0').append(release).append(1, '\0').append(dist);
    if (py::object hit = answers_.Find(identity_, index, url); !hit.is_none()) {
      return Select(py::reinterpret_borrow<py::tuple>(hit), file_type);
    }
    std::vector<Candidate> found;
    {
      py::gil_scoped_release unlocked;
      status = index->LookupUrl(url, &found);
    }
    Check(status);
    auto answer = std::make_shared<const Answer>(Answer{index, std::string(url)});
    py::tuple candidates(found.size());
    for (size_t i = 0; i < found.size(); ++i) {
      candidates[i] = py::cast(PyCandidate{answer, found[i]});
    }
    identity_.assign(project).append(1, '\0').append(release).append(1, '\0').append(dist);
    answers_.Insert(identity_, index, url, candidates);
    return Select(candidates, file_type);
  }

  py::list LookupDebugId(std::string_view project, std::string_view debug_id,
                         const std::optional<std::string>& type) const {
    const std::optional<FileType> file_type = TypeArg(type);
    absl::StatusOr<DebugId> id = DebugId::Parse(debug_id);
    Check(id.status());
    auto answer = std::make_shared<Answer>();
    std::vector<Candidate> found;
    absl::Status status;
    {
      py::gil_scoped_release unlocked;
      absl::StatusOr<std::shared_ptr<const Index>> index = store_.DebugIdIndex(project);
      if (index.ok()) {
        answer->index = *std::move(index);
        status = answer->index->LookupDebugId(*id, file_type, &found);
      } else if (!absl::IsNotFound(index.status())) {
        status = index.status();
      }
    }
    Check(status);
    return CandidateList(std::move(answer), found, std::nullopt);
  }

  py::bytes ReadFile(const PyCandidate& candidate) const {
    absl::StatusOr<std::string> bytes;
    {
      py::gil_scoped_release unlocked;
      bytes = store_.ReadFile(candidate.c);
    }
    Check(bytes.status());
    return py::bytes(*bytes);
  }

  py::object SourcemapOf(const PyCandidate& candidate) const {
    const Index& index = *candidate.answer->index;
    absl::StatusOr<Store::SourceMap> map;
    {
      py::gil_scoped_release unlocked;
      absl::StatusOr<std::string> bytes = store_.ReadFile(candidate.c);
      map = bytes.ok() ? store_.FindSourceMap(index.project(), index.release(), index.dist(),
                                              candidate.c, *bytes, candidate.answer->frame_url)
                       : bytes.status();
    }
    if (absl::IsNotFound(map.status()) &&
        GetErrorKind(map.status()) != ErrorKind::kArchiveMissing) {
      return py::none();  // no reference, or none that the store holds
    }
    Check(map.status());
    if (!map->candidate) return py::none();  // a data: URL: the map is inside the file
    auto answer = std::make_shared<Answer>();
    answer->index = std::move(map->index);
    answer->frame_url = std::move(map->url);
    return py::cast(PyCandidate{std::move(answer), *map->candidate});
  }

  py::dict ListBundles(const std::string& project, const std::optional<std::string>& release,
                       const std::string& dist, std::optional<int64_t> since,
                       std::optional<int64_t> until, std::optional<int64_t> limit,
                       const std::optional<std::string>& cursor) const {
    if (!release && !dist.empty()) RaiseInvalid("dist needs a release");
    if (limit && (*limit < 1 || *limit > (int64_t{1} << 31))) {
      RaiseInvalid(
          StrCat("limit: expected an integer from 1 to ", int64_t{1} << 31, ", got ", *limit));
    }
    Index::ListOptions options;
    options.since_ms = since;
    options.until_ms = until;
    options.limit = limit ? static_cast<size_t>(*limit) : 0;
    options.cursor = cursor.value_or("");
    std::shared_ptr<const Index> index;  // keeps the page's views valid
    absl::StatusOr<Index::ListPage> page = Index::ListPage{};
    {
      py::gil_scoped_release unlocked;
      absl::StatusOr<std::shared_ptr<const Index>> opened =
          release ? store_.UrlIndex(project, *release, dist) : store_.DebugIdIndex(project);
      if (opened.ok()) {
        index = *std::move(opened);
        page = index->List(options);
      } else if (!absl::IsNotFound(opened.status())) {
        page = opened.status();
      }
    }
    Check(page.status());
    py::list bundles;
    for (const Index::BundleInfo& b : page->bundles) {
      py::dict row;
      row["bundle_id"] = Str(b.bundle_id);
      row["timestamp"] = b.timestamp_ms;
      row["files"] = b.files;
      bundles.append(row);
    }
    py::dict out;
    out["bundles"] = bundles;
    out["next_cursor"] =
        page->next_cursor.empty() ? py::object(py::none()) : py::object(Str(page->next_cursor));
    return out;
  }

  py::list Verify() const {
    absl::StatusOr<std::vector<std::string>> problems;
    {
      py::gil_scoped_release unlocked;
      problems = store_.Verify();
    }
    Check(problems.status());
    return StrList(*problems);
  }

 private:
  const std::string root_;
  const Store store_;
  mutable std::string identity_;  // a buffer of LookupUrl; guarded by the GIL
  mutable AnswerCache answers_;   // guarded by the GIL
};

// --- Indexer -------------------------------------------------------------------------------------

class PyIndexer {
 public:
  explicit PyIndexer(std::string root) : root_(root), indexer_(std::move(root)) {}

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

// --- the module ----------------------------------------------------------------------------------

PyObject* NewException(py::module_& m, const char* name, const char* doc, PyObject* bases) {
  const std::string qualified = StrCat("artidx.", name);
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases, nullptr);
  if (type == nullptr) throw py::error_already_set();
  m.add_object(name, py::handle(type));  // the module takes a reference; ours stays
  return type;
}

constexpr char kModuleDoc[] = R"(artidx: look up JavaScript artifact bundles from Python.

The same library as the artidx command line: Store finds the bundles, newest first, and the
exact archive entries that hold a stack frame's file or a debug id; Indexer adds bundles to a
store and removes them; make_bundle makes a bundle from a directory as sentry-cli does. Results
the command line prints with --json are the same dicts here; errors are artidx.Error and its
subclasses, with the one-line message the command line prints.

    store = artidx.Store("/var/lib/artidx")
    for c in store.lookup_url("web", "shop@2.4.0", "https://cdn.example/js/app.min.js"):
        source = store.read_file(c)
)";

constexpr char kStoreDoc[] = R"(A store opened for lookups: what a long-lived worker keeps.

Store(store, *, refresh_ms=1000, max_open_indexes=1024, verify_checksums=True,
      max_file_bytes=64 MiB)

store is the store's directory (str or os.PathLike). Indexes stay memory-mapped between calls;
what writers publish is seen within refresh_ms. At most max_open_indexes indexes stay open.
With verify_checksums, each index segment's checksum is checked once when it is mapped.
read_file refuses an entry that inflates past max_file_bytes.

lookup_url remembers its recent answers: a URL looked up again while its index is unchanged
gives the same Candidate objects (in a new list).

Thread-safe: one Store may serve any number of threads; lookups and reads release the GIL.
)";

constexpr char kCandidateDoc[] = R"(One answer of a lookup: a file of a bundle, newest bundle first.

Read-only attributes: bundle_id, timestamp (milliseconds since the epoch), url, path (the
entry's path in the bundle's archive), type ("source", "minified_source", "source_map" or
"indexed_ram_bundle"), debug_id (str or None), sourcemap (the file's Sourcemap header, or None).
Pass it to Store.read_file or Store.sourcemap_of. Immutable and safe to share between threads.
)";

constexpr char kIndexerDoc[] = R"(Adds bundles to a store and removes them.

Indexer(store): store is the store's directory (str or os.PathLike), created on the first add.
Operations on one bundle commute and are idempotent: of two, the later timestamp wins. Writers
take no lock; any number of threads and processes may write one store at once. Every method
releases the GIL while it works.
)";

}  // namespace
}  // namespace artidx::python

PYBIND11_MODULE(_artidx, m) {
  using namespace artidx::python;  // NOLINT: the module's definitions
  using artidx::FileTypeName;
  using artidx::StoreOptions;
  using artidx::StrCat;
  m.doc() = kModuleDoc;
  // Classes and functions defined below take their __module__ (and their signatures' names)
  // from the module's name: "artidx", where users import them from.
  m.attr("__name__") = "artidx";
  m.attr("__version__") = ARTIDX_VERSION;

  exceptions.error = NewException(
      m, "Error", "Any error artidx reports; str(e) is the message the command line prints.",
      PyExc_Exception);
  exceptions.invalid_bundle = NewException(
      m, "InvalidBundle",
      "A bundle given to Indexer.add is not one artidx accepts (not a zip archive, a bad "
      "manifest, past a limit); nothing was added.",
      exceptions.error);
  exceptions.invalid_argument =
      NewException(m, "InvalidArgument",
                   "A bad argument: a name, debug id, type, timestamp or option out of range.",
                   exceptions.error);
  exceptions.not_found = NewException(
      m, "NotFound",
      "What was asked for does not exist: a bundle file, a bundle the store has no record of, an "
      "archive the index names but the store no longer has.",
      exceptions.error);
  exceptions.data_loss = NewException(
      m, "DataLoss",
      "A file of the store failed its checks (an index segment, or an archive without the entry "
      "its index names); the message names the file. Indexer.rebuild restores indexes.",
      exceptions.error);
  exceptions.unavailable = NewException(
      m, "Unavailable", "The store could not be reached; the call may succeed if repeated.",
      exceptions.error);

  py::class_<PyCandidate>(m, "Candidate", kCandidateDoc)
      .def_property_readonly(
          "bundle_id", [](const PyCandidate& p) { return Str(p.c.bundle_id); },
          "The bundle's id: its manifest debug id, else its archive's SHA-1, else as given.")
      .def_property_readonly(
          "timestamp", [](const PyCandidate& p) { return p.c.timestamp_ms; },
          "When the bundle was added, in milliseconds since the epoch.")
      .def_property_readonly(
          "url", [](const PyCandidate& p) { return Str(p.c.url); }, "The file's URL in the bundle.")
      .def_property_readonly(
          "path", [](const PyCandidate& p) { return Str(p.c.path); },
          "The file's entry in the bundle's archive.")
      .def_property_readonly(
          "type", [](const PyCandidate& p) { return Str(FileTypeName(p.c.type)); },
          "\"source\", \"minified_source\", \"source_map\" or \"indexed_ram_bundle\".")
      .def_property_readonly(
          "debug_id", [](const PyCandidate& p) { return p.DebugIdStr(); },
          "The file's debug id (lowercase, hyphenated), or None.")
      .def_property_readonly(
          "sourcemap", [](const PyCandidate& p) { return OptStr(p.c.sourcemap); },
          "The file's Sourcemap header as the bundle gives it, or None.")
      .def("to_dict", &PyCandidate::ToDict,
           "The candidate as the dict `artidx lookup --json` prints for it: bundle_id, "
           "timestamp, url, path, type, debug_id, sourcemap.")
      .def("__repr__", [](const PyCandidate& p) {
        return py::str("artidx.Candidate(bundle_id={!r}, path={!r}, url={!r}, type={!r})")
            .format(Str(p.c.bundle_id), Str(p.c.path), Str(p.c.url), Str(FileTypeName(p.c.type)));
      });

  py::class_<PyStore>(m, "Store", kStoreDoc)
      .def(py::init([](py::handle store, int64_t refresh_ms, int64_t max_open_indexes,
                       bool verify_checksums, int64_t max_file_bytes) {
             StoreOptions options;
             if (refresh_ms < 0) RaiseInvalid(StrCat("refresh_ms must be >= 0, got ", refresh_ms));
             if (max_open_indexes < 1) {
               RaiseInvalid(StrCat("max_open_indexes must be >= 1, got ", max_open_indexes));
             }
             if (max_file_bytes < 1) {
               RaiseInvalid(StrCat("max_file_bytes must be >= 1, got ", max_file_bytes));
             }
             options.staleness_ms = refresh_ms;
             options.max_open_indexes = static_cast<size_t>(max_open_indexes);
             options.verify_checksums = verify_checksums;
             options.max_file_bytes = static_cast<uint64_t>(max_file_bytes);
             return std::make_unique<PyStore>(FsPath(store, "store"), options);
           }),
           py::arg("store"), py::kw_only(), py::arg("refresh_ms") = StoreOptions{}.staleness_ms,
           py::arg("max_open_indexes") = StoreOptions{}.max_open_indexes,
           py::arg("verify_checksums") = StoreOptions{}.verify_checksums,
           py::arg("max_file_bytes") = StoreOptions{}.max_file_bytes)
      .def_property_readonly("path", &PyStore::root, "The store's directory.")
      .def("lookup_url", &PyStore::LookupUrl, py::arg("project"), py::arg("release"),
           py::arg("url"), py::kw_only(), py::arg("dist") = "", py::arg("type") = py::none(),
           R"(The candidates for a stack frame's URL, newest bundle first.

The URL is expanded as Symbolicator does (without "async " and the fragment; as is, without
query, as ~/path, and that without query) and each form answered in turn with the bundles of
(project, release, dist) holding exactly that URL. type keeps only files of that type.
An empty list when there is none, also when nothing was ever added to (project, release, dist).
Raises InvalidArgument for an invalid name or type, DataLoss for a damaged index.)")
      .def("lookup_debug_id", &PyStore::LookupDebugId, py::arg("project"), py::arg("debug_id"),
           py::kw_only(), py::arg("type") = py::none(),
           R"(The files of project with this debug id (any case, hyphenated or not), newest
bundle first; only those of type, when given. An empty list when there is none.
Raises InvalidArgument for an invalid debug id, name or type.)")
      .def("read_file", &PyStore::ReadFile, py::arg("candidate"),
           R"(The bytes of the candidate's file, read from its stored archive.
Raises NotFound when the archive is gone, DataLoss when it lacks the entry.)")
      .def("sourcemap_of", &PyStore::SourcemapOf, py::arg("candidate"),
           R"(The candidate of the source map of a minified file, or None.

As `artidx cat --sourcemap` finds it: the file's Sourcemap header, else its
//# sourceMappingURL= comment, resolved against the URL looked up (Symbolicator's rules) and
looked up in the same release; else the project's source map with the file's debug id.
None when there is none, and for an inline data: URL (the map is inside the file's bytes).)")
      .def("list_bundles", &PyStore::ListBundles, py::arg("project"),
           py::arg("release") = py::none(), py::arg("dist") = "", py::kw_only(),
           py::arg("since") = py::none(), py::arg("until") = py::none(),
           py::arg("limit") = py::none(), py::arg("cursor") = py::none(),
           R"(A page of the bundles of (project, release, dist), or of every bundle of the
project when release is None, newest first; as `artidx ls --json` prints it:
{"bundles": [{"bundle_id", "timestamp", "files"}, ...], "next_cursor": str or None}.

since and until keep timestamps in [since, until] (milliseconds). limit pages the list; pass a
page's next_cursor back as cursor to get the next page (None on the last one). Paging gives
every bundle once, also while new bundles arrive.)")
      .def("verify", &PyStore::Verify,
           R"(Checks the whole store: every index segment (header, bounds, checksum, canonical
encoding), every bundle's archive, every reference. Returns one line per problem, naming the
file; an empty list when all is well.)")
      .def("__repr__",
           [](const PyStore& s) { return py::str("artidx.Store({!r})").format(Str(s.root())); });

  py::class_<PyIndexer>(m, "Indexer", kIndexerDoc)
      .def(py::init([](py::handle store) {
             return std::make_unique<PyIndexer>(FsPath(store, "store"));
           }),
           py::arg("store"))
      .def_property_readonly("path", &PyIndexer::root, "The store's directory.")
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

  m.attr("__name__") = "artidx._artidx";
}
