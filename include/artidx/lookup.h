// Copyright artidx authors.
//
// lookup.h: resolves a stack frame's URL or a debug id to the bundles, newest first, and the
// exact archive entries that hold the file.
//
// An Index is one index of a store: a directory of immutable segment files, each memory-mapped.
// Opening checks each segment's header and section bounds only (time independent of their
// size); every lookup bounds-checks what it reads, so a corrupt file gives a DataLoss error
// naming the file, never a crash. The answers of several segments are merged as one segment
// holding their merged content would give them. An Index is a snapshot: segments published
// after Open are seen by the next Open. A Store finds the indexes of a store directory by
// (project, release, dist) and reads candidate files from stored archives.
//
// Candidates hold views into the Index's mapping: they stay valid while the Index lives.
// Thread safety: an Index is immutable once opened and a Store guards its cache internally; any
// number of threads may use both concurrently. A lookup allocates nothing beyond growing the
// caller's result vector.
//
// Usage:
//   artidx::Store store("/var/lib/artidx");
//   auto index = store.UrlIndex("web", "shop@2.4.0", "");
//   std::vector<artidx::Candidate> found;
//   if (index.ok() && (*index)->LookupUrl("https://x.io/static/app.min.js?v=3", &found).ok()) {
//     for (const artidx::Candidate& c : found) std::cout << c.bundle_id << " " << c.path << "\n";
//   }

#ifndef ARTIDX_LOOKUP_H_
#define ARTIDX_LOOKUP_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "artidx/types.h"

namespace artidx {

namespace store {
class Layout;  // store/layout.h: a store's layout and backend, for Store
}  // namespace store

// One (bundle, file) answer.
struct Candidate {
  std::string_view bundle_id;
  int64_t timestamp_ms;
  std::string_view archive_sha1;  // 20 raw bytes: names the archive in the store
  std::string_view path;          // the entry's zip path: the manifest key
  std::string_view url;
  FileType type;
  std::optional<DebugId> debug_id;
  std::optional<std::string_view> sourcemap;
};

class Index {
 public:
  // Opens the index in directory `dir`. NotFound when it has no segment; DataLoss naming the
  // file when a segment's header is invalid or segments disagree on what index they belong to.
  // With `verify_checksums`, each segment's checksum is checked too (one pass over its bytes,
  // skipped for a file this process verified before and that is unchanged since, SPEC.md 14).
  // With `previous`, an earlier Open of the same directory, what was derived from the segments
  // both hold (their stem tables) is shared instead of built again.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Index>> Open(const std::string& dir,
                                                                   bool verify_checksums = false,
                                                                   const Index* previous = nullptr);
  // The same for the index named `dir` (store::Layout::IndexDir) of the store `layout` (what
  // Store uses: a local directory or an object store, through the store's backend).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Index>> Open(const store::Layout& layout,
                                                                   const std::string& dir,
                                                                   bool verify_checksums,
                                                                   const Index* previous);
  ~Index();

  const std::string& dir() const;
  IndexKind kind() const;
  std::string_view project() const;
  std::string_view release() const;
  std::string_view dist() const;
  size_t segment_count() const;

  // Appends to *out the candidates for a frame's abs_path: Symbolicator's candidate URL forms
  // in order and, for each form, the bundles holding exactly that URL, newest first. A URL
  // index only (FailedPrecondition otherwise).
  [[nodiscard]] absl::Status LookupUrl(std::string_view abs_path,
                                       std::vector<Candidate>* out) const;
  // Appends the files whose URL contains `stem`, ASCII case-insensitively: the match Sentry's
  // artifact-lookup applies to the file stems Symbolicator sends (`/static/js/app` for
  // `https://x.io/static/js/app.min.js?v=3`). Newest bundle first, then zip path; each file
  // once. A stem starting with '/' is answered from a sorted table of the URLs' suffixes at
  // their '/' characters (SPEC.md 16.3), built on the index's first stem lookup; any other stem
  // by a scan of every URL. InvalidArgument for an empty stem; a URL index only.
  [[nodiscard]] absl::Status LookupStem(std::string_view stem, std::vector<Candidate>* out) const;
  // Appends the files with this debug id (and type, if given), newest bundle first; within a
  // bundle by zip path. A debug-id index only.
  [[nodiscard]] absl::Status LookupDebugId(const DebugId& id, std::optional<FileType> type,
                                           std::vector<Candidate>* out) const;

  // Every bundle the index holds (removed ones excluded), newest first, with its file count;
  // and every file, in answer order.
  struct BundleInfo {
    std::string_view bundle_id;
    int64_t timestamp_ms;
    std::string_view archive_sha1;
    uint32_t files;
  };
  [[nodiscard]] absl::Status ListBundles(std::vector<BundleInfo>* out) const;

  // A page of ListBundles, optionally limited to timestamps in [since_ms, until_ms]. The
  // cursor of one page, given back, resumes after its last bundle; paging through gives every
  // bundle exactly once, also while newer bundles arrive. `next_cursor` is empty on the last
  // page.
  struct ListOptions {
    std::optional<int64_t> since_ms;
    std::optional<int64_t> until_ms;
    size_t limit = 0;  // 0: no limit
    std::string cursor;
  };
  struct ListPage {
    std::vector<BundleInfo> bundles;
    std::string next_cursor;
  };
  [[nodiscard]] absl::StatusOr<ListPage> List(const ListOptions& options) const;
  [[nodiscard]] absl::Status ListFiles(std::vector<Candidate>* out) const;

  // The index in the JSON form of Sentry's RFC 0106: {"bundles":[{"bundle_id":
  // "artifact_bundle/<id>","timestamp":"<ISO 8601>"}],"files_by_url" (a URL index) or
  // "files_by_debug_id" (a debug-id index):{"<key>":[positions]},"is_complete":true}, bundles
  // oldest first and each position list ascending, so its last element is the newest bundle.
  [[nodiscard]] absl::StatusOr<std::string> ToSentryJson() const;

  // Checksum and full structural check of every segment (reads them whole).
  [[nodiscard]] absl::Status Verify() const;

 private:
  struct Rep;
  explicit Index(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

struct StoreOptions {
  // An open index is checked for new or compacted segments (one directory listing) at most
  // this often; lookups in between touch no file system.
  int64_t staleness_ms = 1000;
  // At most this many indexes stay open; the least recently used are closed beyond it (their
  // mappings go when the last caller holding them lets go).
  size_t max_open_indexes = 1024;
  // How long DropMissing trusts that an archive exists (or does not).
  int64_t archive_check_ttl_ms = 10'000;
  // Check each segment's checksum when it is mapped (one pass over its bytes, not per lookup;
  // once per segment file and process, SPEC.md 14), so that a damaged segment is an error
  // instead of a wrong answer.
  bool verify_checksums = true;
  // ReadFile refuses an entry that inflates past this (a zip bomb in a stored archive).
  uint64_t max_file_bytes = uint64_t{64} << 20;
  // For a store on S3: the local copies of what lookups map.
  CacheOptions cache;
};

// A Store is what a long-lived worker keeps: it holds the indexes it opened, mapped, across
// calls, and sees what writers publish within `staleness_ms`.
class Store {
 public:
  // The store at `root`: a local directory, or "s3://BUCKET[/PREFIX]" (as Indexer's).
  explicit Store(std::string root, StoreOptions options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The index of (project, release, dist), or of a project's debug ids: shared, kept open, and
  // at most `staleness_ms` behind the store. Hold the pointer while using candidates from it.
  // InvalidArgument for an invalid name; NotFound when nothing was added there.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const Index>> UrlIndex(std::string_view project,
                                                                      std::string_view release,
                                                                      std::string_view dist) const;
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const Index>> DebugIdIndex(
      std::string_view project) const;
  // The directories of every URL index of a project (empty when there is none).
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> UrlIndexDirs(
      std::string_view project) const;
  // The index in directory `dir` of this store (as UrlIndexDirs or Index::dir give it), as
  // UrlIndex opens and keeps it. NotFound when it has no segment.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const Index>> IndexAt(const std::string& dir) const;

  // Where the candidate's archive is stored.
  std::string ArchivePath(const Candidate& candidate) const;
  // The path of archive `archive_sha1_hex` (40 lowercase hex digits) of bundle `bundle_id` when
  // a reference records that archive added to an index of `project` and it exists: what may be
  // handed out for a bundle found in that project. InvalidArgument for an invalid name or
  // digest; NotFound otherwise.
  [[nodiscard]] absl::StatusOr<std::string> ProjectArchivePath(
      std::string_view project, std::string_view bundle_id,
      std::string_view archive_sha1_hex) const;
  // An archive's bytes, mapped, to hand out: `bytes` stays valid while `owner` lives (however
  // the store changes meanwhile).
  struct ArchiveBytes {
    std::shared_ptr<const void> owner;
    std::string_view bytes;
  };
  // Maps the archive at `path`, as ProjectArchivePath gave it (from an object store, through
  // the local cache). NotFound when it is gone.
  [[nodiscard]] absl::StatusOr<ArchiveBytes> MapArchive(const std::string& path) const;
  // Whether the store's location can be used: OK when a local store's directory exists, or an
  // object store answers a listing; otherwise the error, naming the location.
  [[nodiscard]] absl::Status CheckLocation() const;

  // What the caches did since the Store was made: index requests answered from an open index
  // without touching the file system (hits), those that listed an index directory (misses),
  // and the indexes open now.
  struct Stats {
    uint64_t index_hits = 0;
    uint64_t index_misses = 0;
    size_t open_indexes = 0;
  };
  Stats GetStats() const;
  // The bytes of the candidate's file, extracted from its stored archive.
  [[nodiscard]] absl::StatusOr<std::string> ReadFile(const Candidate& candidate) const;

  // The source map of a minified file found in `project` (and, when `release` is not empty,
  // in its URL index of (release, dist)): the reference is the file's sourcemap header, else
  // its `//# sourceMappingURL=` comment (`file_bytes` are the file's bytes), joined to
  // `frame_url` (or, when empty, the file's own url) as Symbolicator joins them; a `data:`
  // reference is decoded in place; without a reference, or when the URL index has none at that
  // URL, the project's debug-id index is asked for the file's debug id with type source_map.
  // NotFound (kind kNoSuchIndex or none) when there is no source map to be found.
  struct SourceMap {
    std::string bytes;
    std::string url;                     // the resolved reference, or "" when found by debug id
    std::shared_ptr<const Index> index;  // keeps `candidate` valid
    std::optional<Candidate> candidate;  // the source map's entry; nullopt for a data: URL
  };
  [[nodiscard]] absl::StatusOr<SourceMap> FindSourceMap(
      std::string_view project, std::string_view release, std::string_view dist,
      const Candidate& file, std::string_view file_bytes, std::string_view frame_url) const;

  // Repair on read: removes from *candidates (found in `index`) those whose archive no longer
  // exists, and publishes for each such bundle a tombstone in `index` (at the bundle's own
  // timestamp, so a newer re-upload still wins) so that later lookups no longer see it. Costs
  // one stat per distinct archive per `archive_check_ttl_ms`; the answers are cached.
  [[nodiscard]] absl::Status DropMissing(const Index& index,
                                         std::vector<Candidate>* candidates) const;

  // Checks the whole store: every segment of every index (header, bounds, checksum, canonical
  // encoding), that each index's segments agree on what index they belong to, that every
  // bundle an index holds has its archive, and that every reference parses and names an
  // archive that exists. Returns one line per problem, naming the file and saying what
  // Indexer::Rebuild does about it (recovers it, and from what, or cannot); empty when all is
  // well.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> Verify() const;

  // Records that a worker used the candidate's bundle, renewing its age for `artidx gc`. One
  // system call; writes no index.
  [[nodiscard]] absl::Status MarkUsed(const Candidate& candidate) const;

 private:
  struct Caches;

  std::string root_;
  StoreOptions options_;
  std::unique_ptr<const store::Layout> layout_;
  std::unique_ptr<Caches> caches_;
};

}  // namespace artidx

#endif  // ARTIDX_LOOKUP_H_
