// Backend: where a store's bytes live. The store asks very little of it (compare LevelDB's
// Env): list keys under a prefix in order, read a key whole or a byte range of it, write a new
// key atomically and durably (or durably at the end of a batch), delete a key, know and renew a
// key's age, elect one compactor among writers (an optimisation only), and give a reader a
// local file to memory-map. Every store/ module reaches a store's files through it, and no code
// above store/ does.
// Two implementations: LocalBackend (a directory: store/local_backend.h) and S3Backend (a
// bucket of an S3-compatible object store: store/s3_backend.h). OpenBackend picks one from a
// store's location.
//
// Keys are '/'-separated paths relative to the store's root, and mirror the directory layout of
// SPEC.md section 18: "projects/p/debug-ids/<segment>.aix" is that file under a local store's
// root, and that object under the prefix of an S3 store. Nothing in the interface needs a
// rename, a lock or a directory sync: a key, once written, is never written again with
// different bytes (the store names its files by content or by operation), so a write either
// creates the key or repeats it, and concurrent writers need no coordination. Keys have no
// directories: a key exists once written and until deleted, and a "directory" (a prefix ending
// in '/') exists while a key is under it. The local backend makes and removes the directories
// this takes (a Delete removes the directories it leaves empty, up to the top-level one such as
// "bundles/"; a Write whose directory is being removed at once makes it again); its temporary
// files, and the sweeping of those that crashed writers left, are its own business.
//
// Usage:
//   absl::StatusOr<std::unique_ptr<Backend>> backend = OpenBackend("s3://bucket/prefix", {});
//   if (!backend.ok()) return backend.status();
//   if (absl::Status s = (*backend)->Write("projects/p/debug-ids/x.aix", bytes); !s.ok()) ...
//   std::string cursor;
//   do {
//     absl::StatusOr<Backend::Listing> page = (*backend)->List("projects/p/", cursor, 1000);
//     if (!page.ok()) return page.status();
//     for (const std::string& key : page->keys) ...
//     cursor = page->next_cursor;
//   } while (!cursor.empty());
//
// Thread safety: every method may be called from many threads at once; an implementation
// keeps whatever state it has (connections, a cache) safe for that. Several processes may use
// one store through backends of their own.

#ifndef ARTIDX_STORE_BACKEND_H_
#define ARTIDX_STORE_BACKEND_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/file_util.h"

namespace artidx::store {

// A key's longest form in bytes (S3's limit), and its components' (a file name's limit).
inline constexpr size_t kMaxKeyBytes = 1024;
inline constexpr size_t kMaxKeyComponentBytes = 255;

// A key is 1 to kMaxKeyBytes bytes of UTF-8 without control characters, made of components
// of 1 to kMaxKeyComponentBytes bytes separated by '/', none "." or "..", and none ending in
// ".tmp.<digits>.<digits>" (the local backend's temporary files). InvalidArgument naming the
// key otherwise. A key is never also a directory of others ("a" and "a/b" are not both keys of
// one store; a directory cannot hold them both), which the store's layout never needs.
[[nodiscard]] absl::Status ValidateKey(std::string_view key);

// Whether a file name is "<name>.tmp.<digits>.<digits>", a temporary file of
// WriteFileAtomically (which the local backend's listings hide, and sweep once abandoned).
bool IsTemporaryName(std::string_view name);

class Backend {
 public:
  virtual ~Backend() = default;

  // A human-readable name of the store ("/var/artidx", "s3://bucket/prefix"), for messages.
  virtual std::string Describe() const = 0;

  // Listing. With kRecursive, every key under the prefix; with kOneLevel, the keys under the
  // prefix with no '/' after it, and for each deeper group one entry, the prefix up to and
  // including the next '/' (a "directory"; S3's common prefixes).
  enum class ListMode { kRecursive, kOneLevel };
  struct Listing {
    // Sorted by bytes, ascending, no duplicates.
    std::vector<std::string> keys;
    // The cursor to pass to the next call; empty when nothing follows.
    std::string next_cursor;
  };
  // At most `limit` (>= 1) entries starting with `prefix` that sort after `cursor` ("" for the
  // first page; a page's last entry otherwise). The prefix is any string, not necessarily a
  // whole component ("bundles/ab" lists "bundles/abc/..."). A key written before the call
  // began appears in it; one written or deleted meanwhile may or may not. A prefix under which
  // nothing exists lists nothing; any other failure to list is an error, never a short or empty
  // listing.
  [[nodiscard]] virtual absl::StatusOr<Listing> List(std::string_view prefix,
                                                     std::string_view cursor, size_t limit,
                                                     ListMode mode = ListMode::kRecursive) = 0;

  // The key's bytes. NotFound when it does not exist; ResourceExhausted when it holds more
  // than max_bytes.
  [[nodiscard]] virtual absl::StatusOr<std::string> Read(std::string_view key,
                                                         uint64_t max_bytes) = 0;
  // The bytes [offset, offset + length) of the key, cut short at its end (empty when offset is
  // at or past it). NotFound when it does not exist.
  [[nodiscard]] virtual absl::StatusOr<std::string> ReadRange(std::string_view key, uint64_t offset,
                                                              uint64_t length) = 0;
  // A key's size as stored, and its age: the time (ms since the epoch) it was last written or
  // renewed by Touch. On a local store the file's size and modification time; on S3 the
  // object's size (an index segment's compressed size) and the later of its LastModified and
  // its use marker's (s3_backend.h).
  struct KeyInfo {
    uint64_t size = 0;
    int64_t modified_ms = 0;
  };
  // NotFound when the key does not exist.
  [[nodiscard]] virtual absl::StatusOr<KeyInfo> Stat(std::string_view key) = 0;
  // Renews the key's age without changing its bytes: a later Stat gives a modified_ms no
  // earlier than this call. NotFound when the key does not exist. The store renews archives
  // and chunks only, never an index segment (S3 refuses that: InvalidArgument).
  [[nodiscard]] virtual absl::Status Touch(std::string_view key) = 0;

  // Makes the key hold `data`: when it returns OK the key is durable and every later read,
  // from any process, sees all of it; a failure or crash at any point leaves the key absent or
  // complete (or as it was), never torn. Writing a key again with the same bytes is harmless;
  // the store never writes one with different bytes. With Sync::kDeferred the key is visible
  // at once but durable only once SyncWrites returns: a batch of writes costs one durable step
  // (a backend whose every write is durable, as S3's PUT, treats both alike).
  [[nodiscard]] virtual absl::Status Write(std::string_view key, std::string_view data,
                                           Sync sync = Sync::kNow) = 0;
  // Makes every write this process made with Sync::kDeferred durable (a local store: syncfs(2)
  // of its file system; S3: nothing to do).
  [[nodiscard]] virtual absl::Status SyncWrites() = 0;

  // Removes the key; OK when it does not exist.
  [[nodiscard]] virtual absl::Status Delete(std::string_view key) = 0;

  // The compactor election: writers that would compact the keys under `prefix` at once leave
  // it to one of them. Returns a token that holds the office until destroyed, or nullptr when
  // another holder has it and `wait` is false (with `wait`, waits for it). An optimisation
  // only: the store stays correct when several compact at once (they write the same bytes), so
  // a backend may elect everyone. The local backend holds an advisory flock(2) on the prefix's
  // directory (released by the kernel when a holder dies); S3 has no lock and elects everyone.
  class Office {
   public:
    virtual ~Office() = default;
  };
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<Office>> Elect(std::string_view prefix,
                                                                      bool wait) = 0;

  // For readers: the key's bytes as a read-only memory mapping of a local file (the file
  // itself for a local store; a copy in a local cache for a remote one). The mapping stays
  // valid while it lives, whatever happens to the key. NotFound when the key does not exist;
  // ResourceExhausted when it is over max_bytes.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<MappedFile>> Map(std::string_view key,
                                                                        uint64_t max_bytes) = 0;
};

// Where OpenBackend looks for things outside the location itself.
struct BackendOptions {
  // The directory where a remote backend keeps the local copies that Map returns (SPEC.md
  // 18.4). Empty: $ARTIDX_CACHE, else $XDG_CACHE_HOME/artidx, else $HOME/.cache/artidx (Map
  // fails, FailedPrecondition, when none is set). Unused by a local store.
  std::string cache_dir;
  // The most bytes the copies in cache_dir may hold (0: no limit); least recently mapped
  // copies go first.
  uint64_t cache_max_bytes = 0;
};

// Whether a store's location names an object store ("s3://..."), not a local directory.
inline bool IsObjectStoreLocation(std::string_view location) {
  return location.substr(0, 5) == "s3://";
}

// "s3://BUCKET[/PREFIX]" opens an S3Backend configured from the environment (see
// store/s3_backend.h); anything else is a local directory (which need not exist yet).
[[nodiscard]] absl::StatusOr<std::unique_ptr<Backend>> OpenBackend(std::string_view location,
                                                                   const BackendOptions& options);

// OpenBackend for constructors that cannot fail (artidx::Store, artidx::Indexer): when the
// location cannot be opened (an invalid s3:// URL, an incomplete S3 configuration), a backend
// that answers every call with that error, so that the first operation reports it.
std::shared_ptr<Backend> OpenBackendOrFailing(std::string_view location,
                                              const BackendOptions& options);

}  // namespace artidx::store

#endif  // ARTIDX_STORE_BACKEND_H_
