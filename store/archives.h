// The store's files besides indexes and references (SPEC.md 18): a bundle's archives, named by
// their SHA-1, and its hold marker; and the chunks of uploads, named by theirs. Each is written
// once with the bytes its name implies, so writers need no coordination. Ages, for gc, are the
// keys' ages (Backend::Stat), which a use renews (Backend::Touch).
//
// Thread-safe: functions share no state.

#ifndef ARTIDX_STORE_ARCHIVES_H_
#define ARTIDX_STORE_ARCHIVES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/sha1.h"
#include "store/file_util.h"
#include "store/layout.h"

namespace artidx::store {

// Whether the store keeps anything of the bundle (archives, references, hold marker).
[[nodiscard]] absl::StatusOr<bool> BundleExists(const Layout& layout, std::string_view bundle_id);
// Whether the archive is there: false only when it is known missing (a reader's check; an
// archive that is there but cannot be read is there, and reading it says what is wrong).
bool ArchiveExists(const Layout& layout, std::string_view bundle_id, const Sha1Digest& sha1);
// Writes the archive, durably, unless it is there already.
[[nodiscard]] absl::Status WriteArchive(const Layout& layout, std::string_view bundle_id,
                                        const Sha1Digest& sha1, std::string_view bytes);
// The latest time in ms since the epoch an archive of the bundle was written or used, or -1
// when it has none.
[[nodiscard]] absl::StatusOr<int64_t> LatestArchiveUseMs(const Layout& layout,
                                                         std::string_view bundle_id);
// The archive's bytes, mapped. NotFound when it is missing.
[[nodiscard]] absl::StatusOr<std::unique_ptr<MappedFile>> MapArchive(const Layout& layout,
                                                                     std::string_view bundle_id,
                                                                     const Sha1Digest& sha1);
// The archive's bytes, read. NotFound when it is missing; ResourceExhausted when it is over
// max_bytes.
[[nodiscard]] absl::StatusOr<std::string> ReadArchive(const Layout& layout,
                                                      std::string_view bundle_id,
                                                      const Sha1Digest& sha1, uint64_t max_bytes);
// Renews the archive's age (a use: gc measures age from the latest add or use). NotFound when
// it is missing.
[[nodiscard]] absl::Status TouchArchive(const Layout& layout, std::string_view bundle_id,
                                        const Sha1Digest& sha1);
// Deletes everything the store keeps of the bundle: archives, references, hold marker.
[[nodiscard]] absl::Status DeleteBundle(const Layout& layout, std::string_view bundle_id);

[[nodiscard]] absl::StatusOr<bool> IsHeld(const Layout& layout, std::string_view bundle_id);
[[nodiscard]] absl::Status SetHeld(const Layout& layout, std::string_view bundle_id, bool held);

// Stores an upload chunk under the lowercase hex SHA-1 of its bytes, or renews its age when it
// is there already.
[[nodiscard]] absl::Status PutChunk(const Layout& layout, std::string_view sha1_hex,
                                    std::string_view bytes);
[[nodiscard]] absl::StatusOr<bool> ChunkExists(const Layout& layout, std::string_view sha1_hex);
// The chunk's bytes, its age renewed (a use keeps it from gc). NotFound when it is missing;
// ResourceExhausted when it holds more than max_bytes.
[[nodiscard]] absl::StatusOr<std::string> UseChunk(const Layout& layout, std::string_view sha1_hex,
                                                   uint64_t max_bytes);
// Deletes (unless `dry_run`) the chunks older than max_age_ms at `now_ms`; returns how many.
[[nodiscard]] absl::StatusOr<size_t> DeleteOldChunks(const Layout& layout, int64_t max_age_ms,
                                                     int64_t now_ms, bool dry_run);

}  // namespace artidx::store

#endif  // ARTIDX_STORE_ARCHIVES_H_
