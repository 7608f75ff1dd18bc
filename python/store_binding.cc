// store_binding.cc: artidx.Store, the lookups a long-lived worker makes, and artidx.Candidate,
// one answer of a lookup. A Candidate holds the index it was found in (shared), which keeps its
// views valid; lookup_url remembers its recent answers per index (AnswerCache).
//
// Thread safety: every call into the library runs with the GIL released; artidx::Store is
// thread-safe, so one Store may serve many threads. The AnswerCache holds Python objects and
// is guarded by the GIL.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "artidx/lookup.h"
#include "artidx/types.h"
#include "common/strings.h"
#include "python/bindings.h"
#include "python/convert.h"

namespace artidx::python {
namespace {

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
// its (project, release, dist) is next looked up in another Index, or the cache starts over;
// and when the Store gave it, so that a lookup soon after need not ask the Store again.
// Guarded by the GIL: it holds Python objects.
class AnswerCache {
 public:
  static constexpr size_t kMaxAnswers = 16384;  // in all; then it starts over

  struct PerIndex {
    std::shared_ptr<const Index> index;
    int64_t given_ms = 0;  // when the Store gave `index` (steady clock)
    absl::flat_hash_map<std::string, py::tuple> answers;
  };

  // The entry of `identity` (project, release and dist joined) if the Store gave its Index
  // less than `window_ms` before `now_ms`, else null. Valid until the cache next changes.
  const PerIndex* Recent(const std::string& identity, int64_t now_ms, int64_t window_ms) const {
    auto it = indexes_.find(identity);
    if (it == indexes_.end() || now_ms - it->second.given_ms >= window_ms) return nullptr;
    return &it->second;
  }

  // Records that the Store gave `index` for `identity` at `now_ms`; forgets the answers found
  // in another Index. The entry is valid until the cache next changes.
  const PerIndex& Given(const std::string& identity, const std::shared_ptr<const Index>& index,
                        int64_t now_ms) {
    PerIndex& entry = EntryFor(identity, index, now_ms);
    entry.given_ms = now_ms;
    return entry;
  }

  // The answer for `url` in the entry's Index, or None.
  static py::object Find(const PerIndex& entry, std::string_view url) {
    // absl::string_view: Abseil's heterogeneous lookup takes its own view type.
    auto answer = entry.answers.find(absl::string_view(url.data(), url.size()));
    return answer == entry.answers.end() ? py::object(py::none()) : py::object(answer->second);
  }

  // Remembers the answer for `url` in `index`, which the Store gave for `identity` at
  // `given_ms`.
  void Insert(const std::string& identity, const std::shared_ptr<const Index>& index,
              int64_t given_ms, std::string_view url, py::tuple candidates) {
    if (count_ >= kMaxAnswers) {
      indexes_.clear();
      count_ = 0;
    }
    PerIndex& entry = EntryFor(identity, index, given_ms);
    count_ += entry.answers.insert_or_assign(std::string(url), std::move(candidates)).second;
  }

 private:
  // The entry of `identity`; when it held another Index's answers, emptied and made the entry
  // of `index`, given at `given_ms`.
  PerIndex& EntryFor(const std::string& identity, const std::shared_ptr<const Index>& index,
                     int64_t given_ms) {
    PerIndex& entry = indexes_[identity];
    if (entry.index != index) {
      count_ -= entry.answers.size();
      entry.answers.clear();
      entry.index = index;
      entry.given_ms = given_ms;
    }
    return entry;
  }

  absl::flat_hash_map<std::string, PerIndex> indexes_;
  size_t count_ = 0;
};

// --- Store ---------------------------------------------------------------------------------------

int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

StoreOptions WithStaleness(StoreOptions options, int64_t staleness_ms) {
  options.staleness_ms = staleness_ms;
  return options;
}

class PyStore {
 public:
  // What writers publish is seen within `refresh_ms`: the Store checks an index at most
  // refresh_ms - refresh_ms / 2 after it last did, and lookup_url reuses the Index the Store
  // gave for up to refresh_ms / 2 without asking it again (Store::UrlIndex hashes the names
  // into the directory's path and looks it up under a mutex, with the GIL released: two
  // thirds of a remembered answer's cost before).
  PyStore(std::string root, StoreOptions options, int64_t refresh_ms)
      : root_(root),
        store_(root, WithStaleness(options, refresh_ms - refresh_ms / 2)),
        reuse_ms_(refresh_ms / 2) {}

  const std::string& root() const { return root_; }

  // Text arguments arrive as views of the str objects' UTF-8 (valid for the call). The
  // answer is remembered (AnswerCache): the same URL in the same Index gives the same
  // Candidate objects.
  py::list LookupUrl(std::string_view project, std::string_view release, std::string_view url,
                     std::string_view dist, const std::optional<std::string>& type) const {
    const std::optional<FileType> file_type = TypeArg(type);
    // Valid names hold no NUL: the identity of valid ones is unambiguous, and only those are
    // remembered (names with a NUL give an identity with more than two).
    identity_.assign(project).append(1, '\0').append(release).append(1, '\0').append(dist);
    const int64_t now_ms = MonotonicMs();
    const AnswerCache::PerIndex* entry = answers_.Recent(identity_, now_ms, reuse_ms_);
    std::shared_ptr<const Index> index;
    absl::Status status;
    if (entry != nullptr) {
      index = entry->index;
    } else {
      {
        py::gil_scoped_release unlocked;
        absl::StatusOr<std::shared_ptr<const Index>> opened =
            store_.UrlIndex(project, release, dist);
        if (opened.ok()) {
          index = *std::move(opened);
        } else if (!absl::IsNotFound(opened.status())) {  // nothing added there: no candidate
          status = opened.status();
        }
      }
      Check(status);
      if (index == nullptr) return py::list();
      // Another thread may have used identity_ while the GIL was released.
      identity_.assign(project).append(1, '\0').append(release).append(1, '\0').append(dist);
      entry = &answers_.Given(identity_, index, now_ms);
    }
    if (py::object hit = AnswerCache::Find(*entry, url); !hit.is_none()) {
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
    answers_.Insert(identity_, index, now_ms, url, candidates);
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
  const int64_t reuse_ms_;
  mutable std::string identity_;  // a buffer of LookupUrl; guarded by the GIL
  mutable AnswerCache answers_;   // guarded by the GIL
};

constexpr char kStoreDoc[] = R"(A store opened for lookups: what a long-lived worker keeps.

Store(store, *, cache=None, cache_max_bytes=0, refresh_ms=1000, max_open_indexes=1024,
      verify_checksums=True, max_file_bytes=64 MiB)

store is the store's directory (str or os.PathLike), or "s3://BUCKET[/PREFIX]": a store on an
S3-compatible object store, configured from the environment as AWS tools are (AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION...; README "Object storage"). A store on
S3 copies the index segments and archives it maps into the cache directory (str or
os.PathLike; None: $ARTIDX_CACHE, else $XDG_CACHE_HOME/artidx, else ~/.cache/artidx), which
processes may share; cache_max_bytes caps it (0: no limit), least recently used first. A local
store uses no cache. A location that cannot be opened makes every call raise, with the
CLI's one-line message naming it (InvalidArgument for an invalid URL or missing credentials).

Indexes stay memory-mapped between calls; what writers publish is seen within refresh_ms. At
most max_open_indexes indexes stay open. With verify_checksums, each index segment's checksum
is checked once when it is mapped. read_file refuses an entry that inflates past
max_file_bytes.

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

}  // namespace

void DefineStore(py::module_& m) {
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
      .def(py::init([](py::handle store, py::handle cache, int64_t cache_max_bytes,
                       int64_t refresh_ms, int64_t max_open_indexes, bool verify_checksums,
                       int64_t max_file_bytes) {
             StoreOptions options;
             options.cache = CacheArg(cache, cache_max_bytes);
             if (refresh_ms < 0) RaiseInvalid(StrCat("refresh_ms must be >= 0, got ", refresh_ms));
             if (max_open_indexes < 1) {
               RaiseInvalid(StrCat("max_open_indexes must be >= 1, got ", max_open_indexes));
             }
             if (max_file_bytes < 1) {
               RaiseInvalid(StrCat("max_file_bytes must be >= 1, got ", max_file_bytes));
             }
             options.max_open_indexes = static_cast<size_t>(max_open_indexes);
             options.verify_checksums = verify_checksums;
             options.max_file_bytes = static_cast<uint64_t>(max_file_bytes);
             return std::make_unique<PyStore>(FsPath(store, "store"), options, refresh_ms);
           }),
           py::arg("store"), py::kw_only(), py::arg("cache") = py::none(),
           py::arg("cache_max_bytes") = 0, py::arg("refresh_ms") = StoreOptions{}.staleness_ms,
           py::arg("max_open_indexes") = StoreOptions{}.max_open_indexes,
           py::arg("verify_checksums") = StoreOptions{}.verify_checksums,
           py::arg("max_file_bytes") = StoreOptions{}.max_file_bytes)
      .def_property_readonly("path", &PyStore::root,
                             "The store's location: its directory or s3:// URL, as given.")
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
}

}  // namespace artidx::python
