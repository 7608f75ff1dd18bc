#include "artidx/indexer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "bundle/bundle_reader.h"
#include "common/clock.h"
#include "common/errors.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "common/text.h"
#include "format/index_encoder.h"
#include "format/index_reader.h"
#include "indexer/merge.h"
#include "simdjson.h"
#include "store/file_util.h"
#include "store/layout.h"
#include "store/refs.h"
#include "store/segments.h"

namespace artidx {
namespace {

using format::BundleEntry;
using format::IndexContent;

using store::kCoversSuffix;
// Segments at most this large are level 0; each level above holds segments 4 times larger.
constexpr uint64_t kLevelZeroBytes = 64 << 10;
// An index whose segments add up to at most this is merged whole after every write: it stays
// one segment, whose bytes depend only on the operations applied, not on their order.
// Larger indexes merge by level, so that an add costs O(log n) rewrites of a byte, not O(n).
constexpr uint64_t kMergeWholeBytes = 1 << 20;

// One bundle, read and checked, ready to be merged.
struct Prepared {
  AddResult result;
  std::string archive;
  Sha1Digest sha1;
  std::vector<format::FileLocator> files;
};

// The bundle id a user may give: a SHA-1 (40 hex digits, the id of a bundle without a manifest
// debug_id), a debug id in any form (normalised like a manifest's: appendix dropped), or any
// other id that ValidateBundleId accepts, kept as it is.
absl::StatusOr<std::string> NormaliseBundleId(std::string_view id) {
  const bool sha1 =
      id.size() == 40 && id.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
  if (sha1) return absl::AsciiStrToLower(std::string(id));
  if (absl::StatusOr<DebugId> parsed = DebugId::Parse(id); parsed.ok()) {
    parsed->appendix = 0;
    return parsed->ToString();
  }
  if (absl::Status s = store::ValidateBundleId(id); !s.ok()) return s;
  return std::string(id);
}

absl::Status ValidateProjects(const std::vector<std::string>& projects) {
  for (const std::string& project : projects) {
    if (absl::Status s = store::ValidateProject(project); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ValidateOptions(const AddOptions& options) {
  if (options.projects.empty()) return absl::InvalidArgumentError("no project given");
  if (absl::Status s = ValidateProjects(options.projects); !s.ok()) return s;
  if (!options.release.empty()) {
    if (absl::Status s = store::ValidateRelease(options.release); !s.ok()) return s;
  }
  if (absl::Status s = store::ValidateDist(options.dist); !s.ok()) return s;
  if (options.release.empty() && !options.dist.empty()) {
    return absl::InvalidArgumentError("a dist needs a release");
  }
  return absl::OkStatus();
}

// Checks the archive `name` holds, as an add of it with `options` would.
absl::StatusOr<Prepared> Prepare(const std::string& name, std::string archive,
                                 const AddOptions& options, int64_t timestamp_ms) {
  Prepared p;
  // Errors name the bundle once (those of reading a file, in ReadAndPrepare, already do).
  const auto named = [&name](const absl::Status& s) {
    return WithMessage(s, StrCat(name, ": ", StdView(s.message())));
  };
  absl::StatusOr<bundle::Bundle> bundle = bundle::ReadBundle(archive, options.limits);
  if (!bundle.ok()) return WithKind(named(bundle.status()), ErrorKind::kInvalidBundle);
  p.sha1 = Sha1Digest::Of(archive);
  p.archive = std::move(archive);
  p.files = std::move(bundle->files);
  p.result.bundle_path = name;
  p.result.archive_sha1 = p.sha1.Hex();
  p.result.timestamp_ms = timestamp_ms;
  p.result.files = p.files.size();
  p.result.debug_id_files = 0;
  for (const format::FileLocator& f : p.files) p.result.debug_id_files += f.debug_id ? 1 : 0;
  if (options.bundle_id) {
    absl::StatusOr<std::string> id = NormaliseBundleId(*options.bundle_id);
    if (!id.ok()) return named(id.status());
    p.result.bundle_id = *id;
  } else {
    p.result.bundle_id = bundle->manifest_debug_id.value_or(p.result.archive_sha1);
  }
  if (options.release.empty() && p.result.debug_id_files == 0) {
    return named(absl::InvalidArgumentError(
        "bundle has no debug ids and no release was given: it would be in no index"));
  }
  return p;
}

// The index directories an add with these options touches.
std::set<std::string> AddedIndexDirs(const store::Layout& layout, const AddOptions& options) {
  std::set<std::string> dirs;
  for (const std::string& project : options.projects) {
    dirs.insert(layout.DebugIdIndexDir(project));
    if (!options.release.empty()) {
      dirs.insert(layout.UrlIndexDir(project, options.release, options.dist));
    }
  }
  return dirs;
}

// How each bundle of an add fares (AddResult::outcome): another archive of its id in the same
// add can replace it (the greater SHA-1 wins a tie), and the store's record of the id's adds
// and removals in the same indexes can supersede it (a greater timestamp; a removal wins a tie).
// A record that cannot be read only leaves the outcome unknown to this report, which says
// "added".
void SetOutcomes(const store::Layout& layout, const AddOptions& options, int64_t timestamp_ms,
                 std::vector<Prepared>* prepared) {
  const std::set<std::string> dirs = AddedIndexDirs(layout, options);
  for (Prepared& p : *prepared) {
    const Prepared* winner = &p;
    for (const Prepared& q : *prepared) {
      if (q.result.bundle_id == p.result.bundle_id && q.sha1 > winner->sha1) winner = &q;
    }
    if (winner != &p) {
      p.result.outcome = AddOutcome::kReplacedInThisAdd;
      p.result.replaced_by = winner->result.bundle_path;
      continue;
    }
    const store::Ref* best = nullptr;
    std::vector<std::pair<std::string, store::Ref>> records;
    for (const std::string& dir :
         {layout.RefDir(p.result.bundle_id), layout.RemovalDir(p.result.bundle_id)}) {
      absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs = store::ReadRefs(dir);
      if (refs.ok()) records.insert(records.end(), refs->begin(), refs->end());
    }
    const auto rank = [](const store::Ref& r) {
      return std::tie(r.timestamp_ms, r.removal, r.archive_sha1);
    };
    const store::Ref mine{false, {}, p.sha1, timestamp_ms};
    for (const auto& [path, ref] : records) {
      if (!dirs.contains(layout.IndexDir(ref.identity)) || rank(ref) <= rank(mine)) continue;
      if (best == nullptr || rank(ref) > rank(*best)) best = &ref;
    }
    if (best != nullptr) {
      p.result.outcome =
          best->removal ? AddOutcome::kSupersededByRemoval : AddOutcome::kSupersededByAdd;
      p.result.superseded_at_ms = best->timestamp_ms;
    }
  }
}

// Reads the bundle at `path` and checks it as Prepare does.
absl::StatusOr<Prepared> ReadAndPrepare(const std::string& path, const AddOptions& options,
                                        int64_t timestamp_ms) {
  absl::StatusOr<std::string> archive = store::ReadFile(path, options.limits.max_archive_bytes);
  if (absl::IsInvalidArgument(archive.status()) || absl::IsResourceExhausted(archive.status())) {
    return WithKind(archive.status(), ErrorKind::kInvalidBundle);  // not a file, or too large
  }
  if (!archive.ok()) return archive.status();
  return Prepare(path, *std::move(archive), options, timestamp_ms);
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

int64_t FileAgeMs(const std::string& path, int64_t now_ms) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return now_ms - (int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000);
}

int Level(uint64_t bytes) {
  int level = 0;
  for (uint64_t limit = kLevelZeroBytes; bytes > limit; limit *= 4) ++level;
  return level;
}

// The write path of one index directory, shared by add, remove, compact, gc and rebuild.
class IndexWriter {
 public:
  IndexWriter(const IndexerOptions& options, std::string dir)
      : options_(options), dir_(std::move(dir)) {}

  // Publishes `content` as a new segment, then merges segments as the policy above says.
  absl::Status Publish(IndexContent content) {
    absl::StatusOr<std::string> bytes = format::EncodeIndex(std::move(content));
    if (!bytes.ok())
      return absl::InvalidArgumentError(StrCat(dir_, ": ", StdView(bytes.status().message())));
    if (absl::Status s = store::PublishSegment(dir_, *bytes).status(); !s.ok()) return s;
    return Compact(/*full=*/false);
  }

  // Merges segments: all of them when `full` (and then drops expired tombstones), else all of
  // a small index or the lowest levels once `compaction_fan_in` of them have accumulated.
  //
  // One compactor per index at a time, elected by a flock on the index directory: writers that
  // publish at the same moment would otherwise all see the same level full and merge the same
  // segments into the same bytes, repeating the work. A writer that finds the lock held returns
  // at once (its segment is published) and leaves its segment to the holder, which lists the
  // directory again after releasing the lock: the loser published before it tried the lock, so
  // before that release. A requested (`full`) compaction waits for the lock instead.
  //
  // The holder repeats until the policy chooses nothing more (a small index is then one
  // segment, whatever the interleaving), at most kCompactionRounds times: a compaction that
  // listed too early misses a segment published meanwhile, and one whose input was covered
  // meanwhile (by a compaction that ran without the lock, below) must start over.
  absl::Status Compact(bool full) {
    constexpr int kCompactionRounds = 16;
    for (int round = 0; round < kCompactionRounds;) {
      std::unique_ptr<store::FileLock> lock;
      absl::StatusOr<std::unique_ptr<store::FileLock>> got =
          full && round == 0 ? store::FileLock::Acquire(dir_) : store::FileLock::TryAcquire(dir_);
      if (got.ok() && *got == nullptr) return absl::OkStatus();  // another compactor holds it
      // A file system without flock (or any error of the lock) costs only the election:
      // compactions that run at once stay correct, as they write the same bytes.
      if (got.ok()) lock = *std::move(got);
      bool more = true;
      for (; more && round < kCompactionRounds; ++round) {
        absl::StatusOr<bool> merged = CompactOnce(full && round == 0);
        if (!merged.ok()) return merged.status();
        more = *merged;
      }
      lock.reset();
      if (more) return absl::OkStatus();  // out of rounds; the next write goes on
      absl::StatusOr<std::vector<std::string>> names = store::ListSegments(dir_);
      if (!names.ok()) return names.status();
      if (ChooseInputs(*names).size() < 2) return absl::OkStatus();
    }
    return absl::OkStatus();
  }

  // One round of Compact; false when there was nothing to merge.
  absl::StatusOr<bool> CompactOnce(bool full) {
    const int64_t now = NowMs();
    if (absl::Status s = DeleteCovered(now); !s.ok()) return s;
    absl::StatusOr<std::vector<std::string>> names = store::ListSegments(dir_);
    if (!names.ok()) return names.status();
    std::vector<std::string> inputs = full ? *names : ChooseInputs(*names);
    if (inputs.empty() || (!full && inputs.size() < 2)) return false;

    absl::StatusOr<IndexContent> read = Merge(inputs);
    // Another compaction covered and deleted an input: its content is in that one's output,
    // which the next round lists.
    if (absl::IsNotFound(read.status())) return true;
    if (!read.ok()) return read.status();
    IndexContent merged = *std::move(read);
    if (full) indexer::DropTombstonesBefore(&merged, now - options_.tombstone_retention_ms);
    absl::StatusOr<std::string> bytes = format::EncodeIndex(std::move(merged));
    if (!bytes.ok())
      return absl::InvalidArgumentError(StrCat(dir_, ": ", StdView(bytes.status().message())));
    absl::StatusOr<std::string> output = store::PublishSegment(dir_, *bytes);
    if (!output.ok()) return output.status();
    std::erase(inputs, *output);
    if (inputs.empty()) return false;
    // The covered inputs are deleted once the output has been visible for the grace period.
    // Safe whatever other compactions do meanwhile, with no check of other covers files: an
    // output comes strictly after each of its other inputs in the order (horizon, merge order)
    // (merge.h), so the covers files ever written form no cycle, and every deleted segment's
    // content is in a segment that no covers file names, which is never deleted.
    const std::string covers = absl::StrJoin(inputs, "\n") + "\n";
    const std::string covers_path =
        StrCat(dir_, "/", output->substr(0, 32), "-", Sha1Digest::Of(covers).Hex().substr(0, 16),
               kCoversSuffix);
    if (absl::Status s = store::WriteFileAtomically(covers_path, covers); !s.ok()) return s;
    if (options_.grace_ms <= 0) {
      if (absl::Status s = DeleteCovered(now); !s.ok()) return s;
    }
    return true;
  }

  // The merged content of these segments (all live ones when `names` is empty).
  absl::StatusOr<IndexContent> Merge(std::vector<std::string> names) const {
    if (names.empty()) {
      absl::StatusOr<std::vector<std::string>> live = store::ListSegments(dir_);
      if (!live.ok()) return live.status();
      names = *std::move(live);
    }
    IndexContent merged;
    bool first = true;
    for (const std::string& name : names) {
      const std::string path = StrCat(dir_, "/", name);
      absl::StatusOr<std::unique_ptr<store::MappedFile>> file = store::MappedFile::Open(path);
      if (!file.ok()) return file.status();
      // Verified in full: a corrupt segment merged into a compaction's output would pass for
      // valid from then on.
      absl::StatusOr<format::IndexReader> reader = format::IndexReader::Open((*file)->data());
      absl::Status valid = reader.ok() ? reader->Verify() : reader.status();
      absl::StatusOr<IndexContent> content =
          valid.ok() ? reader->Decode() : absl::StatusOr<IndexContent>(valid);
      if (!content.ok()) {
        return absl::DataLossError(StrCat(path, ": ", StdView(content.status().message())));
      }
      if (!first && (content->kind != merged.kind || content->project != merged.project ||
                     content->release != merged.release || content->dist != merged.dist)) {
        return absl::DataLossError(StrCat(path, ": belongs to another index than ", names[0]));
      }
      if (first) {
        merged = *std::move(content);
        first = false;
      } else {
        indexer::MergeIndex(&merged, *std::move(content));
      }
    }
    return merged;
  }

 private:
  std::vector<std::string> ChooseInputs(const std::vector<std::string>& names) const {
    std::vector<std::pair<int, std::string>> levelled;
    uint64_t total = 0;
    for (const std::string& name : names) {
      const uint64_t size = FileSize(StrCat(dir_, "/", name));
      total += size;
      levelled.emplace_back(Level(size), name);
    }
    if (total <= kMergeWholeBytes) return names;
    std::sort(levelled.begin(), levelled.end());
    // The lowest level with two segments or more at which, counting every level below it,
    // enough segments accumulated. A segment is merged with peers and smaller ones, never
    // alone into smaller ones: a big segment rewritten for a few small ones would make every
    // add cost the size of the index, where this rewrites a byte once per level.
    size_t peers = 0;
    for (size_t i = 0; i < levelled.size(); ++i) {
      peers = i > 0 && levelled[i - 1].first == levelled[i].first ? peers + 1 : 1;
      const bool level_ends =
          i + 1 == levelled.size() || levelled[i + 1].first != levelled[i].first;
      if (level_ends && peers >= 2 && static_cast<int>(i + 1) >= options_.compaction_fan_in) {
        std::vector<std::string> inputs;
        for (size_t j = 0; j <= i; ++j) inputs.push_back(levelled[j].second);
        return inputs;
      }
    }
    return {};
  }

  // Deletes the segments that covers files older than the grace period name, then those
  // files, and temporary files that crashed writers left behind.
  absl::Status DeleteCovered(int64_t now) {
    for (const store::Covers& covers : store::ReadCovers(dir_)) {
      if (options_.grace_ms > 0 && FileAgeMs(covers.path, now) < options_.grace_ms) continue;
      for (const std::string& segment : covers.segments) {
        if (absl::Status s = store::RemoveFile(StrCat(dir_, "/", segment)); !s.ok()) return s;
      }
      if (absl::Status s = store::RemoveFile(covers.path); !s.ok()) return s;
    }
    std::error_code ec;
    std::vector<std::string> temps;
    for (auto it = std::filesystem::directory_iterator(dir_, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (it->path().filename().string().find(".tmp.") != std::string::npos) {
        temps.push_back(it->path().string());
      }
    }
    // A writer's temporary lives for one write; an hour-old one belongs to a dead writer.
    for (const std::string& path : temps) {
      if (FileAgeMs(path, now) <= 3600 * 1000) continue;
      if (absl::Status s = store::RemoveFile(path); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  const IndexerOptions& options_;
  std::string dir_;
};

// gc removes bundles this many at a time, with one durable step per batch.
constexpr size_t kGcBatch = 1024;

// Removes bundles at `now` as Indexer::Remove does, given each one's add references (all of
// them no newer than `now`), a batch at a time, in Remove's order of steps but with one durable
// step per batch instead of several per bundle and index: the removal references of the whole
// batch are written and then made durable at once (store::SyncFileSystem); each index the batch
// touches gets one segment holding its tombstones (left uncompacted: gc compacts every index
// last); then the add references and bundle directories go, many bundles' at once
// (store::RemoveGroups: a deletion can wait for the disk). A gc killed at any point thus
// leaves each bundle of the batch as an interrupted Remove would, and the next gc completes it.
absl::Status RemoveBatched(
    const std::string& root,
    const std::vector<std::pair<std::string, std::vector<std::pair<std::string, store::Ref>>>>&
        bundles,
    int64_t now) {
  const store::Layout layout(root);
  for (size_t first = 0; first < bundles.size(); first += kGcBatch) {
    std::map<std::string, IndexContent> tombstones;  // index directory -> the batch's
    // Per bundle, what goes: its superseded references, then its directory if nothing is kept.
    std::vector<std::vector<std::string>> deletions;
    for (size_t i = first; i < std::min(bundles.size(), first + kGcBatch); ++i) {
      const auto& [id, refs] = bundles[i];
      std::vector<std::string>& superseded = deletions.emplace_back();
      bool kept = false;
      for (const auto& [path, ref] : refs) {
        if (ref.timestamp_ms > now) {  // an add newer than the removal wins, as in Remove
          kept = true;
          continue;
        }
        IndexContent& index =
            tombstones.try_emplace(layout.IndexDir(ref.identity), EmptyIndex(ref.identity))
                .first->second;
        indexer::MergeBundle(&index, BundleEntry{id, now, {}, true, {}});
        if (absl::Status s =
                store::WriteRef(layout.RemovalDir(id), store::Ref{true, ref.identity, {}, now},
                                store::Sync::kDeferred);
            !s.ok()) {
          return s;
        }
        superseded.push_back(path);
      }
      if (kept) continue;
      // Then its archives, its refs directory and itself, each then empty unless something
      // else is there (store::RemoveGroups deletes that too).
      std::set<std::string> archives;
      for (const auto& [path, ref] : refs)
        archives.insert(layout.ArchivePath(id, ref.archive_sha1));
      superseded.insert(superseded.end(), archives.begin(), archives.end());
      superseded.push_back(layout.RefDir(id));
      superseded.push_back(layout.BundleDir(id));
    }
    if (absl::Status s = store::SyncFileSystem(root); !s.ok()) return s;
    for (auto& [dir, content] : tombstones) {
      absl::StatusOr<std::string> bytes = format::EncodeIndex(std::move(content));
      if (!bytes.ok()) return bytes.status();
      if (absl::Status s = store::PublishSegment(dir, *bytes).status(); !s.ok()) return s;
    }
    if (absl::Status s = store::RemoveGroups(deletions); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Steps 3 to 5 of an add (SPEC.md 19.4): the bundles are read and checked.
absl::StatusOr<std::vector<AddResult>> Apply(const std::string& root,
                                             const IndexerOptions& indexer_options,
                                             std::vector<Prepared> prepared,
                                             const AddOptions& options, int64_t timestamp_ms) {
  // Archives first, so that no index ever names an archive the store lacks.
  store::Layout layout(root);
  SetOutcomes(layout, options, timestamp_ms, &prepared);
  for (const Prepared& p : prepared) {
    const std::string archive_path = layout.ArchivePath(p.result.bundle_id, p.sha1);
    std::error_code ec;
    if (std::filesystem::exists(archive_path, ec)) continue;
    if (absl::Status s = store::WriteFileAtomically(archive_path, p.archive); !s.ok()) {
      return absl::Status(s.code(), StrCat(StdView(s.message()), "; no index was changed"));
    }
  }

  // Every index this add touches, with the entries it receives. A bundle is recorded in an
  // index even when it contributes no file there, so that it supersedes an older entry of its
  // id whatever the order of the operations.
  std::map<std::string, IndexContent> updates;
  std::vector<std::pair<std::string, store::Ref>> refs;  // (bundle id, reference)
  for (const std::string& project : options.projects) {
    for (const Prepared& p : prepared) {
      format::IndexId identity;
      identity.project = project;
      BundleEntry entry{p.result.bundle_id, timestamp_ms, p.sha1, false, {}};
      if (!options.release.empty()) {
        identity.kind = IndexKind::kUrl;
        identity.release = options.release;
        identity.dist = options.dist;
        IndexContent& update =
            updates.try_emplace(layout.IndexDir(identity), EmptyIndex(identity)).first->second;
        indexer::MergeBundle(&update,
                             BundleEntry{entry.bundle_id, timestamp_ms, p.sha1, false, p.files});
        refs.emplace_back(p.result.bundle_id, store::Ref{false, identity, p.sha1, timestamp_ms});
      }
      identity.kind = IndexKind::kDebugId;
      identity.release.clear();
      identity.dist.clear();
      for (const format::FileLocator& f : p.files) {
        if (f.debug_id) entry.files.push_back(f);
      }
      IndexContent& update =
          updates.try_emplace(layout.IndexDir(identity), EmptyIndex(identity)).first->second;
      indexer::MergeBundle(&update, std::move(entry));
      refs.emplace_back(p.result.bundle_id, store::Ref{false, identity, p.sha1, timestamp_ms});
    }
  }
  // References before segments: a reference without its segment (after a crash) only makes a
  // later `rm` publish a needless tombstone, while a segment without its reference would keep
  // `rm` from finding the index.
  for (const auto& [bundle_id, ref] : refs) {
    if (absl::Status s = store::WriteRef(layout.RefDir(bundle_id), ref); !s.ok()) {
      return absl::Status(s.code(), StrCat(StdView(s.message()), "; no index was changed"));
    }
  }
  size_t done = 0;
  for (auto& [dir, content] : updates) {
    if (absl::Status s = IndexWriter(indexer_options, dir).Publish(std::move(content)); !s.ok()) {
      return absl::Status(s.code(), StrCat(StdView(s.message()), "; the add is incomplete: ",
                                           updates.size() - done, " of ", updates.size(),
                                           " indexes not updated; repeat the add to complete it"));
    }
    ++done;
  }
  std::vector<AddResult> results;
  for (Prepared& p : prepared) results.push_back(std::move(p.result));
  return results;
}

}  // namespace

const char* AddOutcomeName(AddOutcome outcome) {
  static constexpr const char* kNames[] = {"added", "superseded_by_removal", "superseded_by_add",
                                           "replaced_in_this_add"};
  return kNames[static_cast<int>(outcome)];
}

Indexer::Indexer(std::string store_root, IndexerOptions options)
    : root_(std::move(store_root)), options_(options) {}

absl::StatusOr<std::vector<AddResult>> Indexer::Add(const std::vector<std::string>& bundle_paths,
                                                    const AddOptions& options) const {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  if (bundle_paths.empty()) return absl::InvalidArgumentError("no bundle given");
  if (options.bundle_id && bundle_paths.size() > 1) {
    return absl::InvalidArgumentError("a bundle id can be given for one bundle only");
  }
  const int64_t timestamp_ms = options.timestamp_ms.value_or(NowMs());
  std::vector<Prepared> prepared;
  for (const std::string& path : bundle_paths) {
    absl::StatusOr<Prepared> p = ReadAndPrepare(path, options, timestamp_ms);
    if (!p.ok()) {
      return WithMessage(p.status(),
                         StrCat(StdView(p.status().message()), "; no bundle was added"));
    }
    prepared.push_back(*std::move(p));
  }
  return Apply(root_, options_, std::move(prepared), options, timestamp_ms);
}

absl::StatusOr<std::string> Indexer::PutChunk(std::string_view bytes) const {
  const std::string hex = Sha1Digest::Of(bytes).Hex();
  const std::string path = store::Layout(root_).ChunkPath(hex);
  // Content-addressed: a chunk already there holds these bytes; storing it again renews its age.
  absl::Status s = store::TouchFile(path);
  if (absl::IsNotFound(s)) s = store::WriteFileAtomically(path, bytes);
  if (!s.ok()) return s;
  return hex;
}

absl::StatusOr<std::vector<std::string>> Indexer::MissingChunks(
    const std::vector<std::string>& sha1s) const {
  store::Layout layout(root_);
  std::vector<std::string> missing;
  std::set<std::string> seen;
  for (const std::string& sha1 : sha1s) {
    if (absl::Status s = store::ValidateSha1Hex("chunk", sha1); !s.ok()) return s;
    std::string hex = absl::AsciiStrToLower(sha1);
    std::error_code ec;
    if (seen.insert(hex).second && !std::filesystem::exists(layout.ChunkPath(hex), ec)) {
      missing.push_back(std::move(hex));
    }
  }
  return missing;
}

namespace {

// The timestamp of the add that `p` repeats, when the store holds p's archive as the newest
// operation (19.3) of p's bundle in every index an add of it with `options` touches.
absl::StatusOr<std::optional<int64_t>> CurrentAdd(const store::Layout& layout, const Prepared& p,
                                                  const AddOptions& options) {
  // The winning operation per index: (timestamp, tombstone, archive).
  std::map<format::IndexId, std::tuple<int64_t, bool, Sha1Digest>> newest;
  for (const std::string& dir :
       {layout.RefDir(p.result.bundle_id), layout.RemovalDir(p.result.bundle_id)}) {
    absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs = store::ReadRefs(dir);
    if (!refs.ok()) return refs.status();
    for (const auto& [path, ref] : *refs) {
      std::tuple<int64_t, bool, Sha1Digest> op{ref.timestamp_ms, ref.removal, ref.archive_sha1};
      auto [it, inserted] = newest.try_emplace(ref.identity, op);
      if (!inserted && it->second < op) it->second = op;
    }
  }
  int64_t timestamp_ms = 0;
  for (const std::string& project : options.projects) {
    std::vector<format::IndexId> ids = {{IndexKind::kDebugId, project, "", ""}};
    if (!options.release.empty()) {
      ids.push_back({IndexKind::kUrl, project, options.release, options.dist});
    }
    for (const format::IndexId& id : ids) {
      auto it = newest.find(id);
      if (it == newest.end() || std::get<1>(it->second) || std::get<2>(it->second) != p.sha1) {
        return std::nullopt;
      }
      timestamp_ms = std::max(timestamp_ms, std::get<0>(it->second));
    }
  }
  return timestamp_ms;
}

}  // namespace

absl::StatusOr<AssembleResult> Indexer::Assemble(std::string_view checksum,
                                                 const std::vector<std::string>& chunks,
                                                 const AddOptions& options) const {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  if (absl::Status s = store::ValidateSha1Hex("checksum", checksum); !s.ok()) return s;
  const std::string name = absl::AsciiStrToLower(std::string(checksum));
  const uint64_t max_bytes = options.limits.max_archive_bytes;
  store::Layout layout(root_);
  std::string archive;
  for (const std::string& chunk : chunks) {
    if (absl::Status s = store::ValidateSha1Hex("chunk", chunk); !s.ok()) return s;
    const std::string path = layout.ChunkPath(absl::AsciiStrToLower(chunk));
    // Using a chunk renews its age, so that gc leaves it to an upload in progress.
    if (absl::Status s = store::TouchFile(path); !s.ok()) {
      if (!absl::IsNotFound(s)) return s;
      return absl::NotFoundError(
          StrCat(name, ": chunk ", absl::AsciiStrToLower(chunk), " is missing; upload it first"));
    }
    absl::StatusOr<std::string> bytes =
        store::ReadFile(path, max_bytes - std::min<uint64_t>(max_bytes, archive.size()));
    if (absl::IsResourceExhausted(bytes.status())) {
      return absl::InvalidArgumentError(StrCat(name, ": the chunks add up to more than ", max_bytes,
                                               " bytes; no bundle was added"));
    }
    if (!bytes.ok()) return bytes.status();
    archive += *bytes;
  }
  if (const std::string got = Sha1Digest::Of(archive).Hex(); got != name) {
    return absl::InvalidArgumentError(
        StrCat(name, ": the chunks' SHA-1 is ", got, ", not the checksum; no bundle was added"));
  }
  const int64_t timestamp_ms = options.timestamp_ms.value_or(NowMs());
  absl::StatusOr<Prepared> p = Prepare(name, std::move(archive), options, timestamp_ms);
  if (!p.ok()) {
    return WithMessage(p.status(), StrCat(StdView(p.status().message()), "; no bundle was added"));
  }
  absl::StatusOr<std::optional<int64_t>> current = CurrentAdd(layout, *p, options);
  if (!current.ok()) return current.status();
  if (*current) {
    p->result.timestamp_ms = **current;
    return AssembleResult{std::move(p->result), true};
  }
  std::vector<Prepared> prepared;
  prepared.push_back(*std::move(p));
  absl::StatusOr<std::vector<AddResult>> added =
      Apply(root_, options_, std::move(prepared), options, timestamp_ms);
  if (!added.ok()) return added.status();
  return AssembleResult{std::move(added->front()), false};
}

absl::StatusOr<RemoveResult> Indexer::Remove(std::string_view given_id,
                                             const RemoveOptions& options) const {
  absl::StatusOr<std::string> normalised = NormaliseBundleId(given_id);
  if (!normalised.ok()) return normalised.status();
  const std::string& bundle_id = *normalised;
  if (absl::Status s = ValidateProjects(options.projects); !s.ok()) return s;
  const int64_t timestamp_ms = options.timestamp_ms.value_or(NowMs());
  store::Layout layout(root_);
  absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs =
      store::ReadRefs(layout.RefDir(bundle_id));
  if (!refs.ok()) return refs.status();

  std::map<std::string, format::IndexId> indexes;
  std::map<std::string, int64_t> newer;  // index directory -> its newest add after the removal
  std::vector<std::string> superseded;
  size_t kept = 0;
  for (const auto& [path, ref] : *refs) {
    const bool selected =
        options.projects.empty() || std::find(options.projects.begin(), options.projects.end(),
                                              ref.identity.project) != options.projects.end();
    // An add later than this removal wins over it and keeps its reference and archive.
    if (!selected || ref.timestamp_ms > timestamp_ms) {
      ++kept;
      if (selected) {
        int64_t& t = newer[layout.IndexDir(ref.identity)];
        t = std::max(t, ref.timestamp_ms);
      }
      continue;
    }
    indexes.try_emplace(layout.IndexDir(ref.identity), ref.identity);
    superseded.push_back(path);
  }
  RemoveResult result;
  result.bundle_id = bundle_id;
  for (const auto& [dir, t] : newer) result.kept.push_back({dir, t});
  std::error_code ec;
  if (indexes.empty() && kept == 0 && std::filesystem::exists(layout.BundleDir(bundle_id), ec)) {
    // A removal that ended after deleting the references: only the archives are left to go.
    if (absl::Status s = store::RemoveTree(layout.BundleDir(bundle_id)); !s.ok()) return s;
    result.archives_deleted = true;
    return result;
  }
  if (indexes.empty() && !newer.empty()) {
    int64_t newest = 0;
    for (const auto& [dir, t] : newer) newest = std::max(newest, t);
    return absl::FailedPreconditionError(StrCat(
        "bundle ", bundle_id, " not removed: its add at ", FormatIso8601(newest), " (", newest,
        ") is newer than the removal at ", FormatIso8601(timestamp_ms), " (", timestamp_ms, ")"));
  }
  if (indexes.empty()) {
    return absl::NotFoundError(StrCat("the store has no record of bundle ", bundle_id,
                                      options.projects.empty() ? "" : " in those projects"));
  }
  // The record of the removal first (rebuild replays it), then the tombstones, then what they
  // supersede: the add references and, when none is left, the archives. An index where a newer
  // add keeps the bundle gets its tombstone too (harmless, and right should that add's segment
  // be missing after a crash), but is reported as kept, not as removed from.
  for (const auto& [dir, identity] : indexes) {
    if (absl::Status s = store::WriteRef(layout.RemovalDir(bundle_id),
                                         store::Ref{true, identity, {}, timestamp_ms});
        !s.ok()) {
      return s;
    }
  }
  for (const auto& [dir, identity] : indexes) {
    IndexContent tombstone = EmptyIndex(identity);
    tombstone.bundles.push_back(BundleEntry{std::string(bundle_id), timestamp_ms, {}, true, {}});
    if (absl::Status s = IndexWriter(options_, dir).Publish(std::move(tombstone)); !s.ok()) {
      return absl::Status(
          s.code(),
          StrCat(StdView(s.message()), "; the removal is incomplete: repeat it to complete it"));
    }
    if (!newer.contains(dir)) result.indexes.push_back(dir);
  }
  for (const std::string& path : superseded) {
    if (absl::Status s = store::RemoveFile(path); !s.ok()) return s;
  }
  if (kept == 0) {
    if (absl::Status s = store::RemoveTree(layout.BundleDir(bundle_id)); !s.ok()) return s;
    result.archives_deleted = true;
  }
  return result;
}

absl::StatusOr<std::vector<AddResult>> Indexer::ImportSentryJson(
    std::string_view json, const AddOptions& options, const std::string& bundle_dir) const {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(simdjson::padded_string(json)).get(root); error) {
    return absl::InvalidArgumentError(StrCat("not JSON: ", simdjson::error_message(error)));
  }
  simdjson::dom::array bundles;
  if (root["bundles"].get_array().get(bundles) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("no \"bundles\" array");
  }
  std::vector<std::pair<AddOptions, std::string>> adds;  // (options, archive) per bundle
  size_t n = 0;
  for (simdjson::dom::element bundle : bundles) {
    const std::string where = StrCat("bundles[", n++, "]");
    std::string_view id, time;
    if (bundle["bundle_id"].get_string().get(id) != simdjson::SUCCESS ||
        bundle["timestamp"].get_string().get(time) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(StrCat(where, ": needs string bundle_id and timestamp"));
    }
    if (id.starts_with("artifact_bundle/")) id.remove_prefix(16);
    absl::StatusOr<std::string> normalised = NormaliseBundleId(id);
    if (!normalised.ok()) return normalised.status();
    std::optional<int64_t> ms = ParseIso8601(time);
    if (!ms)
      return absl::InvalidArgumentError(
          StrCat(where, ": timestamp \"", time, "\" is not ISO 8601"));
    std::string archive;
    std::error_code ec;
    if (!bundle_dir.empty()) {
      // DIR/<id>.zip, the id normalised (as the store names it), else as the JSON spells it.
      archive = StrCat(bundle_dir, "/", *normalised, ".zip");
      const std::string as_written = StrCat(bundle_dir, "/", id, ".zip");
      if (!std::filesystem::exists(archive, ec) && as_written != archive &&
          std::filesystem::exists(as_written, ec)) {
        archive = as_written;
      }
      if (!std::filesystem::exists(archive, ec)) {
        return absl::NotFoundError(
            StrCat(where, ": no archive for bundle ", *normalised, ": there is no ", archive,
                   as_written == archive ? "" : StrCat(" nor ", as_written)));
      }
    } else {
      // The archive the exported index held: the one the store's record says was added with
      // the bundle at the JSON's timestamp (a later upload of the id may hold other files).
      const store::Layout layout(root_);
      absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs =
          store::ReadRefs(layout.RefDir(*normalised));
      if (!refs.ok()) return refs.status();
      std::set<Sha1Digest> at_time, others;
      for (const auto& [path, ref] : *refs) {
        (ref.timestamp_ms == *ms ? at_time : others).insert(ref.archive_sha1);
      }
      const std::string when = StrCat(FormatIso8601(*ms), " (", *ms, ")");
      if (at_time.size() > 1) {
        return absl::FailedPreconditionError(StrCat(
            where, ": ambiguous: the store holds ", at_time.size(), " archives of bundle ",
            *normalised, " added at ", when, " (",
            absl::StrJoin(at_time, ", ",
                          [](std::string* out, const Sha1Digest& d) { out->append(d.Hex()); }),
            "); give --bundles DIR with the one to import"));
      }
      if (at_time.empty()) {
        return absl::NotFoundError(StrCat(
            where, ": the store holds no archive of bundle ", *normalised, " added at ", when,
            others.empty() ? "" : StrCat(" (it holds ", others.size(), " added at other times)"),
            "; give --bundles DIR"));
      }
      archive = layout.ArchivePath(*normalised, *at_time.begin());
      if (!std::filesystem::exists(archive, ec)) {
        return absl::NotFoundError(StrCat(where, ": the archive of bundle ", *normalised,
                                          " added at ", when, ", ", archive, ", is missing"));
      }
    }
    AddOptions add = options;
    add.timestamp_ms = *ms;
    add.bundle_id = *normalised;
    // Every bundle is read and checked before the first is added.
    if (absl::StatusOr<Prepared> p = ReadAndPrepare(archive, add, *ms); !p.ok()) {
      return WithMessage(p.status(),
                         StrCat(StdView(p.status().message()), "; nothing was imported"));
    }
    adds.emplace_back(std::move(add), std::move(archive));
  }
  std::vector<AddResult> results;
  for (const auto& [add, archive] : adds) {
    absl::StatusOr<std::vector<AddResult>> added = Add({archive}, add);
    if (!added.ok()) return added.status();
    results.insert(results.end(), added->begin(), added->end());
  }
  return results;
}

absl::Status Indexer::Compact(std::string_view project) const {
  if (!project.empty()) {
    if (absl::Status s = store::ValidateProject(project); !s.ok()) return s;
  }
  for (const std::string& dir : store::Layout(root_).IndexDirs(project)) {
    if (absl::Status s = IndexWriter(options_, dir).Compact(/*full=*/true); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Indexer::Hold(std::string_view given_id, bool hold) const {
  absl::StatusOr<std::string> bundle_id = NormaliseBundleId(given_id);
  if (!bundle_id.ok()) return bundle_id.status();
  const std::string dir = store::Layout(root_).BundleDir(*bundle_id);
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    return absl::NotFoundError(StrCat("the store has no bundle ", *bundle_id));
  }
  const std::string marker = dir + "/hold";
  return hold ? store::WriteFileAtomically(marker, "") : store::RemoveFile(marker);
}

absl::StatusOr<GcResult> Indexer::Gc(const GcOptions& options) const {
  const int64_t now = NowMs();
  // The keep_newest newest bundles of every index are kept whatever their age.
  std::set<std::string> newest;
  for (const std::string& dir : store::Layout(root_).IndexDirs("")) {
    if (options.keep_newest == 0) break;
    absl::StatusOr<IndexContent> content = IndexWriter(options_, dir).Merge({});
    if (absl::IsNotFound(content.status())) continue;
    if (!content.ok()) return content.status();
    std::erase_if(content->bundles, [](const BundleEntry& b) { return b.tombstone; });
    std::sort(content->bundles.begin(), content->bundles.end(), format::NewerFirst);
    for (size_t i = 0; i < content->bundles.size() && i < options.keep_newest; ++i) {
      newest.insert(content->bundles[i].bundle_id);
    }
  }
  GcResult result;
  // The bundles to remove, with their add references.
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, store::Ref>>>> expired;
  for (const std::string& bundle_dir : store::ListDirectories(root_ + "/bundles")) {
    const std::string id = std::filesystem::path(bundle_dir).filename().string();
    int64_t last_active = -1;  // the latest add timestamp or archive write or use
    absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs =
        store::ReadRefs(bundle_dir + "/refs");
    if (!refs.ok()) return refs.status();
    for (const auto& [path, ref] : *refs) last_active = std::max(last_active, ref.timestamp_ms);
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(bundle_dir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (it->path().extension() == ".zip") {
        last_active = std::max(last_active, now - FileAgeMs(it->path().string(), now));
      }
    }
    // No reference: a crash came between writing the archive and its references, or a
    // removal between deleting references and the archive. An hour is past any live add.
    if (refs->empty()) {
      if (now - last_active > 3600 * 1000) {
        result.orphans.push_back(bundle_dir);
        if (options.dry_run) continue;
        if (absl::Status s = store::RemoveTree(bundle_dir); !s.ok()) return s;
      }
      continue;
    }
    // last_active >= every reference's timestamp: gc never removes an add newer than now.
    if (std::filesystem::exists(bundle_dir + "/hold", ec) || newest.contains(id) ||
        now - last_active < options.max_age_ms) {
      continue;
    }
    result.removed.push_back(id);
    expired.emplace_back(id, *std::move(refs));
  }
  // Chunks of uploads that no assemble has used for chunk_max_age_ms (with the temporary files
  // of chunk writes that crashed).
  for (const std::string& dir : store::ListDirectories(store::Layout(root_).ChunksDir())) {
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      const std::string path = it->path().string();
      if (FileAgeMs(path, now) <= options.chunk_max_age_ms) continue;
      ++result.chunks;
      if (options.dry_run) continue;
      if (absl::Status s = store::RemoveFile(path); !s.ok()) return s;
    }
  }
  if (options.dry_run) return result;
  // Removal records last as long as the tombstones they replay; aged before this gc's removals,
  // whose records (at now) it need not read.
  for (const std::string& dir : store::ListDirectories(root_ + "/removals")) {
    absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs = store::ReadRefs(dir);
    if (!refs.ok()) return refs.status();
    size_t left = refs->size();
    for (const auto& [path, ref] : *refs) {
      if (now - ref.timestamp_ms <= options_.tombstone_retention_ms) continue;
      if (absl::Status s = store::RemoveFile(path); !s.ok()) return s;
      --left;
    }
    if (left == 0) {
      if (absl::Status s = store::RemoveTree(dir); !s.ok()) return s;
    }
  }
  if (absl::Status s = RemoveBatched(root_, expired, now); !s.ok()) return s;
  if (absl::Status s = Compact(""); !s.ok()) return s;
  return result;
}

absl::StatusOr<RebuildResult> Indexer::Rebuild() const {
  store::Layout layout(root_);
  // The files the rebuilt indexes replace, listed before the references are read: an operation
  // that runs alongside publishes its reference before its segment, so a segment missing from
  // this list belongs to an operation the rebuild may not have seen, and stays.
  std::map<std::string, std::vector<std::string>> replaced;
  for (const std::string& dir : layout.IndexDirs("")) {
    std::vector<std::string>& files = replaced[dir];
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      files.push_back(it->path().filename().string());
    }
  }
  // Every index's content, replayed from the references and the archives they name.
  std::map<std::string, IndexContent> indexes;
  RebuildResult result;
  auto merge = [&](const format::IndexId& identity, BundleEntry entry) {
    IndexContent& index =
        indexes.try_emplace(layout.IndexDir(identity), EmptyIndex(identity)).first->second;
    indexer::MergeBundle(&index, std::move(entry));
  };
  for (const std::string& bundle_dir : store::ListDirectories(root_ + "/bundles")) {
    const std::string id = std::filesystem::path(bundle_dir).filename().string();
    absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs =
        store::ReadRefs(bundle_dir + "/refs");
    if (!refs.ok()) return refs.status();
    std::map<Sha1Digest, absl::StatusOr<bundle::Bundle>> bundles;  // by archive
    for (const auto& [path, ref] : *refs) {
      auto it = bundles.find(ref.archive_sha1);
      if (it == bundles.end()) {
        const std::string archive = StrCat(bundle_dir, "/", ref.archive_sha1.Hex(), ".zip");
        absl::StatusOr<std::string> bytes =
            store::ReadFile(archive, BundleLimits().max_archive_bytes);
        absl::StatusOr<bundle::Bundle> bundle =
            bytes.ok() ? bundle::ReadBundle(*bytes, BundleLimits()) : bytes.status();
        it = bundles.emplace(ref.archive_sha1, std::move(bundle)).first;
        if (!it->second.ok()) {
          result.problems.push_back(StrCat(archive, ": ", StdView(it->second.status().message())));
        }
      }
      BundleEntry entry{id, ref.timestamp_ms, {}, false, {}};
      if (!it->second.ok()) {
        // As repair on read would: the add is void without its archive.
        entry.tombstone = true;
      } else {
        entry.archive_sha1 = ref.archive_sha1;
        for (const format::FileLocator& f : it->second->files) {
          if (ref.identity.kind == IndexKind::kUrl || f.debug_id) entry.files.push_back(f);
        }
      }
      merge(ref.identity, std::move(entry));
    }
  }
  for (const std::string& dir : store::ListDirectories(root_ + "/removals")) {
    absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs = store::ReadRefs(dir);
    if (!refs.ok()) return refs.status();
    const std::string id = std::filesystem::path(dir).filename().string();
    for (const auto& [path, ref] : *refs) {
      merge(ref.identity, BundleEntry{id, ref.timestamp_ms, {}, true, {}});
    }
  }
  // Publish each index as one segment, then delete the files it replaces; the files of an
  // index directory that no reference names go too.
  for (auto& [dir, content] : indexes) {
    absl::StatusOr<std::string> bytes = format::EncodeIndex(std::move(content));
    if (!bytes.ok()) return bytes.status();
    // Written even when a file of that name exists: it may be the corrupted copy.
    const std::string name = store::SegmentName(*bytes);
    if (absl::Status s = store::WriteFileAtomically(StrCat(dir, "/", name), *bytes); !s.ok()) {
      return s;
    }
    for (const std::string& file : replaced[dir]) {
      if (file == name) continue;
      if (absl::Status s = store::RemoveFile(StrCat(dir, "/", file)); !s.ok()) return s;
      result.deleted.push_back(StrCat(dir, "/", file));
    }
    result.indexes.push_back(dir);
  }
  for (const auto& [dir, files] : replaced) {
    if (indexes.contains(dir)) continue;
    for (const std::string& file : files) {
      if (absl::Status s = store::RemoveFile(StrCat(dir, "/", file)); !s.ok()) return s;
    }
    std::error_code ec;
    std::filesystem::remove(dir, ec);  // only if nothing arrived meanwhile
    result.deleted.push_back(dir);
  }
  return result;
}

}  // namespace artidx
