// Copyright artidx authors.
//
// types.h: the vocabulary shared by the indexer and the lookup library.
//
// A DebugId identifies a JavaScript file and its source map across builds (the value sentry-cli
// injects as `//# debugId=`). It is a 16-byte UUID plus a 32-bit appendix that is zero for every
// JavaScript debug id but is kept so that ids from native tooling round-trip. FileType is the
// manifest's `type` of a bundle entry. CacheOptions say where a store on S3 keeps its local
// copies. All are plain values: copyable, immutable once built,
// safe to share between threads.
//
// Usage:
//   absl::StatusOr<artidx::DebugId> id = artidx::DebugId::Parse("EB6E60F165FF4F6F...");
//   if (id.ok()) std::cout << id->ToString();  // "eb6e60f1-65ff-4f6f-..."

#ifndef ARTIDX_TYPES_H_
#define ARTIDX_TYPES_H_

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace artidx {

// What an index's keys are. The values are stored in the header of index files (SPEC.md,
// "Header"): never renumber them.
enum class IndexKind : uint16_t {
  kUrl = 1,      // one index per (project, release, dist): key = a file's url
  kDebugId = 2,  // one index per project: key = (debug id, file type)
};

// The values are stored in index files (SPEC.md, "File types"): never renumber them.
enum class FileType : uint8_t {
  kSource = 1,
  kMinifiedSource = 2,
  kSourceMap = 3,
  kIndexedRamBundle = 4,
};
inline constexpr int kFileTypeCount = 4;

// The manifest spelling: "source", "minified_source", "source_map", "indexed_ram_bundle".
std::string_view FileTypeName(FileType type);
// Inverse of FileTypeName; nullopt for any other string.
std::optional<FileType> ParseFileType(std::string_view name);

struct DebugId {
  std::array<uint8_t, 16> uuid{};
  uint32_t appendix = 0;

  // Accepts upper or lower case, the hyphenated form (8-4-4-4-12) optionally followed by
  // `-<1 to 8 hex digits>` as appendix, and the compact form (32 hex digits) optionally followed
  // by 1 to 8 hex digits of appendix. Anything else is InvalidArgument.
  [[nodiscard]] static absl::StatusOr<DebugId> Parse(std::string_view text);

  // Lowercase hyphenated UUID, then `-<appendix in lowercase hex>` only if the appendix is
  // non-zero.
  std::string ToString() const;

  friend auto operator<=>(const DebugId&, const DebugId&) = default;
};

// What went wrong, for a caller that acts on it. Every error artidx returns is one of these;
// the message says more, naming the file or input concerned.
enum class ErrorKind {
  kNone,             // OK
  kInvalidArgument,  // a bad name, debug id, option or bundle
  kNoSuchIndex,      // nothing was ever added to that (project, release, dist) or project
  kCorruptIndex,     // a segment failed its checks; the message names the file
  kArchiveMissing,   // an index names a bundle whose archive the store no longer has
  kEntryMissing,     // the archive lacks the entry the index names, or it cannot be read
  kOther,            // I/O errors, resource limits and the rest
  kInvalidBundle,    // a bundle given to add is not one artidx accepts (not a zip, a bad
                     // manifest, past a limit); the message names the file and the problem
};
ErrorKind GetErrorKind(const absl::Status& status);
std::string_view ErrorKindName(ErrorKind kind);

// Where a store on S3 keeps the local copies of the index segments and archives that are
// mapped (SPEC.md 18.4): they are named by content, so processes on one host may share a cache.
// Unused by a local store.
struct CacheOptions {
  // Empty: $ARTIDX_CACHE, else $XDG_CACHE_HOME/artidx, else $HOME/.cache/artidx.
  std::string dir;
  // The most bytes the copies may take (0: no limit); the least recently used go first.
  uint64_t max_bytes = 0;
};

}  // namespace artidx

#endif  // ARTIDX_TYPES_H_
