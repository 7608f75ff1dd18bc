// Copyright artidx authors.
//
// indexer.h: adds artifact bundles to a store and removes them.
//
// An Indexer reads bundles (ZIP archives with a manifest.json, as sentry-cli uploads them),
// copies each archive into the store, and merges its files into the URL index of every
// (project, release, dist) it is added to and into the debug-id index of every project.
// Within one index a bundle id names one entry: of two operations on one bundle id (adds, or
// an add and a remove), the one with the greater timestamp wins; at equal timestamps a remove
// beats an add, and of two adds the one whose archive has the greater SHA-1 wins. Operations
// are therefore idempotent and commutative: the same set of them, in any order, any number of
// times, leaves indexes with the same value, and after a full compaction the same bytes.
//
// Every operation publishes new immutable segment files and never rewrites one, so any number
// of threads and processes may write one store at once without locks, and a writer killed at
// any point leaves every index readable and equal to the merge of the operations that
// completed. Compaction merges segments; it runs as adds accumulate them, and on demand. Of
// writers that would compact one index at once, one does (an advisory flock on the index
// directory elects it; SPEC.md 19.6) and the others return as soon as their segment is out.
//
// Thread safety: an Indexer is immutable and may be shared.
//
// Usage:
//   artidx::Indexer indexer("/var/lib/artidx");
//   artidx::AddOptions options;
//   options.projects = {"web"};
//   options.release = "shop@2.4.0";
//   absl::StatusOr<std::vector<artidx::AddResult>> added = indexer.Add({"bundle.zip"}, options);

#ifndef ARTIDX_INDEXER_H_
#define ARTIDX_INDEXER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "artidx/bundle_limits.h"
#include "artidx/types.h"

namespace artidx {

namespace store {
class Layout;  // store/layout.h: the store's layout and backend
}  // namespace store

struct AddOptions {
  std::vector<std::string> projects;     // at least one
  std::string release;                   // "" adds to no URL index
  std::string dist;                      // "" when none
  std::optional<int64_t> timestamp_ms;   // default: now
  std::optional<std::string> bundle_id;  // default: manifest debug_id, else archive SHA-1
  BundleLimits limits;
};

// How an add fared in the indexes it was made to, as the store's record of the bundle id's
// adds and removals (its references) tells: an add that loses the merge is recorded, and
// lookups do not see it.
enum class AddOutcome {
  kAdded,                // the bundle's entry in every index of the add
  kSupersededByRemoval,  // a removal of the id at a later (or the same) time wins somewhere
  kSupersededByAdd,      // an add of the id at a later time (or of a greater SHA-1) wins somewhere
  kReplacedInThisAdd,    // another archive of the id in the same add wins (greater SHA-1)
};
// "added", "superseded_by_removal", "superseded_by_add", "replaced_in_this_add": the outcome as
// `artidx add --json` and the Python package name it.
const char* AddOutcomeName(AddOutcome outcome);

struct AddResult {
  std::string bundle_path;  // as given
  std::string bundle_id;
  std::string archive_sha1;  // hex
  int64_t timestamp_ms;
  size_t files;           // files in the manifest
  size_t debug_id_files;  // of which carry a debug id
  AddOutcome outcome = AddOutcome::kAdded;
  std::optional<int64_t> superseded_at_ms;  // kSupersededBy*: the winning operation's time
  std::string replaced_by;                  // kReplacedInThisAdd: the winning bundle's path
};

struct RemoveOptions {
  std::vector<std::string> projects;    // only these projects' indexes; empty: everywhere
  std::optional<int64_t> timestamp_ms;  // default: now
};

struct RemoveResult {
  std::string bundle_id;             // normalised, as the store names it
  std::vector<std::string> indexes;  // the index directories the bundle was removed from
  struct Kept {
    std::string index;     // an index directory where an add newer than the removal keeps it
    int64_t timestamp_ms;  // that add's time
  };
  std::vector<Kept> kept;
  bool archives_deleted = false;  // false while an add (newer, or of another project) keeps it
};

struct IndexerOptions {
  // Segments a compaction merged stay this long after their replacement is published. On a
  // local file system none is needed: a reader keeps what it mapped after an unlink, and lists
  // again when a segment it listed vanished before it opened it. A store whose readers cache
  // listings, or whose files vanish from under readers, needs one.
  int64_t grace_ms = 0;
  // A full compaction drops tombstones older than this: an add older than the removal that
  // arrives later than this is no longer shadowed.
  int64_t tombstone_retention_ms = int64_t{30} * 24 * 3600 * 1000;
  // An add compacts an index once this many segments of similar size have accumulated.
  int compaction_fan_in = 4;
  // For a store on S3: the local copies of the segments that compactions and rebuilds map.
  CacheOptions cache;
};

struct GcOptions {
  int64_t max_age_ms = int64_t{90} * 24 * 3600 * 1000;  // since the latest add or use
  size_t keep_newest = 0;  // keep the N newest bundles of every index whatever their age
  bool dry_run = false;    // decide and report, change nothing
  // Chunks of uploads (PutChunk) that no assemble has used for this long are deleted.
  int64_t chunk_max_age_ms = int64_t{24} * 3600 * 1000;
};

struct GcResult {
  std::vector<std::string> removed;  // bundle ids removed (or that would be, in a dry run)
  std::vector<std::string> orphans;  // bundle directories no index references, deleted
  size_t chunks = 0;                 // chunks deleted (or that would be)
};

struct AssembleResult {
  AddResult added;
  // The store held this archive as the bundle's newest operation in every index the add
  // touches already: nothing was written, and `added` describes that earlier add.
  bool unchanged = false;
};

struct RebuildOptions {
  // Reports what a rebuild would do, changing nothing.
  bool dry_run = false;
};

struct RebuildResult {
  bool dry_run = false;
  std::vector<std::string> indexes;  // index directories rewritten (or, dry, to be)
  std::vector<std::string> deleted;  // files of rebuilt indexes, and index directories no
                                     // reference names, deleted
  size_t replayed = 0;               // operations replayed from intact references
  // A damaged reference whose operation an index segment records: replayed, and the reference
  // restored to its exact bytes (its name is their SHA-1).
  struct Recovered {
    std::string reference;  // its path
    std::string segment;    // the segment it was recovered from
    std::string operation;  // what it records (store::DescribeOperation)
  };
  std::vector<Recovered> recovered;
  // A damaged file copied to the store's quarantine before it was replaced or deleted.
  struct SetAside {
    std::string file;
    std::string to;       // empty in a dry run
    std::string problem;  // what is wrong with it, naming it
  };
  std::vector<SetAside> set_aside;
  // An operation that no intact file records: a damaged reference no segment recovers (its
  // index and timestamp unknown), or an add whose archive is missing or damaged (the archive
  // is the only copy of its files; the add counts as removed, as repair on read would have it).
  struct Lost {
    std::string file;       // the reference or the archive
    std::string operation;  // what is known of the operation
    std::string problem;
  };
  std::vector<Lost> lost;
};

class Indexer {
 public:
  // The store at `store_root`: a local directory (created by the first add), or
  // "s3://BUCKET[/PREFIX]", an S3-compatible object store configured from the environment as
  // AWS tools are (README "Object storage"). A location that cannot be opened (an invalid URL,
  // no credentials) makes every operation fail with why.
  explicit Indexer(std::string store_root, IndexerOptions options = {});

  // Reads and checks every bundle before writing anything: if one is bad, the error names it
  // and the store is unchanged. A failure while writing (a full disk, say) names the indexes
  // not yet updated; repeating the add completes it, as adds are idempotent.
  [[nodiscard]] absl::StatusOr<std::vector<AddResult>> Add(
      const std::vector<std::string>& bundle_paths, const AddOptions& options) const;

  // Publishes a tombstone for the bundle in every index it was added to (of `projects`, when
  // given), then, unless some other project keeps it, deletes its archives. The id may be
  // spelled in any form Add accepts. NotFound when the store has no record of the bundle (in
  // those projects); FailedPrecondition when every add of it there is newer than the removal.
  [[nodiscard]] absl::StatusOr<RemoveResult> Remove(std::string_view bundle_id,
                                                    const RemoveOptions& options) const;

  // Merges every segment of each index of `project` (every project when empty) into one,
  // dropping tombstones past their retention and deleting covered segments past their grace.
  [[nodiscard]] absl::Status Compact(std::string_view project) const;

  // Retention: removes every bundle whose latest add or use (Store::MarkUsed) is older than
  // max_age_ms, unless it is held or among the keep_newest newest bundles of an index that
  // holds it; deletes what crashed writers left behind; then compacts every index. Removals go
  // in batches of 1,024 bundles, each with one durable step (SPEC.md 21).
  [[nodiscard]] absl::StatusOr<GcResult> Gc(const GcOptions& options) const;

  // Adds the bundles an index in the JSON form of Sentry's RFC 0106 names (see
  // Index::ToSentryJson), each with its timestamp, to `options`' projects, release and dist. The
  // JSON says which bundles, not what they hold: each bundle's archive is `bundle_dir`/<id>.zip
  // (the id normalised, else as the JSON spells it) when `bundle_dir` is given, else the
  // archive the store holds of the id's add at the JSON's timestamp (the one the exported index
  // held; FailedPrecondition when several are, NotFound when none is). Every bundle is found
  // and read before anything is written, as in Add.
  [[nodiscard]] absl::StatusOr<std::vector<AddResult>> ImportSentryJson(
      std::string_view json, const AddOptions& options, const std::string& bundle_dir) const;

  // Regenerates every index from the store's source of truth: the references of every add and
  // removal, and the archives they name. Each index becomes the one segment that compacting
  // the indexes the operations produced would give; a corrupted or deleted index is thereby
  // restored. Salvages (SPEC.md 21): a damaged reference is set aside in the quarantine and its
  // operation recovered from any segment record that gives its exact bytes (the reference is
  // then restored); a damaged segment is set aside and left out. An add whose archive is
  // missing or damaged counts as removed, as repair on read would have it; it and the damaged
  // references nothing recovers are `lost`. Errors only when the store cannot be read or
  // written, never for damage.
  [[nodiscard]] absl::StatusOr<RebuildResult> Rebuild(const RebuildOptions& options = {}) const;

  // Chunked uploads, as sentry-cli sends them (SPEC.md 19.8). PutChunk stores a chunk (its
  // uncompressed bytes) under the SHA-1 of its bytes and returns that digest in hex; storing a
  // chunk again only renews its age. MissingChunks gives those of `sha1s` (hex digests) the
  // store lacks, in order, each once.
  [[nodiscard]] absl::StatusOr<std::string> PutChunk(std::string_view bytes) const;
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> MissingChunks(
      const std::vector<std::string>& sha1s) const;
  // Joins the chunks in order, checks that the SHA-1 of the result is `checksum`, and adds it
  // as Add would with `options` (the bundle is named `checksum` in errors). Idempotent: when
  // the store already holds this archive as the bundle's newest operation in every index the
  // add would touch, nothing is written (`unchanged`). NotFound naming the first missing
  // chunk; InvalidArgument when the checksum does not match.
  [[nodiscard]] absl::StatusOr<AssembleResult> Assemble(std::string_view checksum,
                                                        const std::vector<std::string>& chunks,
                                                        const AddOptions& options) const;

  // A held bundle is never removed by Gc. NotFound when the store has no such bundle (the id
  // spelled in any form Add accepts).
  [[nodiscard]] absl::Status Hold(std::string_view bundle_id, bool hold) const;

 private:
  std::string root_;
  std::shared_ptr<const store::Layout> layout_;
  IndexerOptions options_;
};

}  // namespace artidx

#endif  // ARTIDX_INDEXER_H_
