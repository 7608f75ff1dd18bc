#include "store/index_writer.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_join.h"
#include "common/clock.h"
#include "common/errors.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "format/index_encoder.h"
#include "format/index_reader.h"
#include "format/merge.h"
#include "store/file_util.h"
#include "store/segments.h"

namespace artidx::store {
namespace {

using format::IndexContent;

// Segments at most this large are level 0; each level above holds segments 4 times larger.
constexpr uint64_t kLevelZeroBytes = 64 << 10;
// An index whose segments add up to at most this is merged whole after every write: it stays
// one segment, whose bytes depend only on the operations applied, not on their order.
// Larger indexes merge by level, so that an add costs O(log n) rewrites of a byte, not O(n).
constexpr uint64_t kMergeWholeBytes = 1 << 20;

int Level(uint64_t bytes) {
  int level = 0;
  for (uint64_t limit = kLevelZeroBytes; bytes > limit; limit *= 4) ++level;
  return level;
}

}  // namespace

std::string IndexWriter::KeyOf(std::string_view name) const {
  return StrCat(layout_.PrefixOf(dir_), name);
}

absl::StatusOr<std::string> IndexWriter::Encode(IndexContent content) const {
  absl::StatusOr<std::string> bytes = format::EncodeIndex(std::move(content));
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(StrCat(dir_, ": ", StdView(bytes.status().message())));
  }
  return bytes;
}

absl::StatusOr<std::string> IndexWriter::Publish(IndexContent content) const {
  absl::StatusOr<std::string> bytes = Encode(std::move(content));
  if (!bytes.ok()) return bytes.status();
  return PublishSegment(layout_, dir_, *bytes);
}

absl::Status IndexWriter::PublishAndCompact(IndexContent content) const {
  if (absl::Status s = Publish(std::move(content)).status(); !s.ok()) return s;
  return Compact(/*full=*/false);
}

// One compactor per index at a time, elected (Backend::Elect: a flock on a local store's index
// directory) among writers that
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
absl::Status IndexWriter::Compact(bool full) const {
  constexpr int kCompactionRounds = 16;
  for (int round = 0; round < kCompactionRounds;) {
    std::unique_ptr<Backend::Office> lock;
    absl::StatusOr<std::unique_ptr<Backend::Office>> got =
        layout_.backend().Elect(layout_.PrefixOf(dir_), /*wait=*/full && round == 0);
    if (got.ok() && *got == nullptr) return absl::OkStatus();  // another compactor holds it
    // A backend without an election (or any error of it) costs only the election:
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
    absl::StatusOr<std::vector<std::string>> names = ListSegments(layout_, dir_);
    if (!names.ok()) return names.status();
    absl::StatusOr<std::vector<std::string>> inputs = ChooseInputs(*names);
    if (!inputs.ok()) return inputs.status();
    if (inputs->size() < 2) return absl::OkStatus();
  }
  return absl::OkStatus();
}

// One round of Compact; false when there was nothing to merge.
absl::StatusOr<bool> IndexWriter::CompactOnce(bool full) const {
  const int64_t now = NowMs();
  if (absl::Status s = DeleteCovered(now); !s.ok()) return s;
  absl::StatusOr<std::vector<std::string>> names = ListSegments(layout_, dir_);
  if (!names.ok()) return names.status();
  std::vector<std::string> inputs = *names;
  if (!full) {
    absl::StatusOr<std::vector<std::string>> chosen = ChooseInputs(*names);
    if (!chosen.ok()) return chosen.status();
    inputs = *std::move(chosen);
  }
  if (inputs.empty() || (!full && inputs.size() < 2)) return false;

  absl::StatusOr<IndexContent> read = MergeSegments(inputs);
  // Another compaction covered and deleted an input: its content is in that one's output,
  // which the next round lists.
  if (absl::IsNotFound(read.status())) return true;
  if (!read.ok()) return read.status();
  IndexContent merged = *std::move(read);
  if (full) format::DropTombstonesBefore(&merged, now - options_.tombstone_retention_ms);
  absl::StatusOr<std::string> output = Publish(std::move(merged));
  if (!output.ok()) return output.status();
  std::erase(inputs, *output);
  if (inputs.empty()) return false;
  // The covered inputs are deleted once the output has been visible for the grace period.
  // Safe whatever other compactions do meanwhile, with no check of other covers files: an
  // output comes strictly after each of its other inputs in the order (horizon, merge order)
  // (format/merge.h), so the covers files ever written form no cycle, and every deleted
  // segment's content is in a segment that no covers file names, which is never deleted.
  const std::string covers = absl::StrJoin(inputs, "\n") + "\n";
  if (absl::Status s = WriteCovers(layout_, dir_, *output, covers); !s.ok()) return s;
  if (options_.grace_ms <= 0) {
    if (absl::Status s = DeleteCovered(now); !s.ok()) return s;
  }
  return true;
}

absl::StatusOr<IndexContent> IndexWriter::Merge() const {
  absl::StatusOr<std::vector<std::string>> live = ListSegments(layout_, dir_);
  if (!live.ok()) return live.status();
  return MergeSegments(*live);
}

absl::StatusOr<IndexContent> IndexWriter::MergeSegments(
    const std::vector<std::string>& names) const {
  IndexContent merged;
  bool first = true;
  for (const std::string& name : names) {
    const std::string path = StrCat(dir_, "/", name);
    absl::StatusOr<std::unique_ptr<MappedFile>> file =
        layout_.backend().Map(KeyOf(name), UINT64_MAX);
    if (!file.ok()) return file.status();
    // Verified in full: a corrupt segment merged into a compaction's output would pass for
    // valid from then on.
    absl::StatusOr<format::IndexReader> reader = CheckSegment(path, (*file)->data());
    if (!reader.ok()) return reader.status();
    absl::StatusOr<IndexContent> content = reader->Decode();
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
      format::MergeIndex(&merged, *std::move(content));
    }
  }
  return merged;
}

absl::StatusOr<std::vector<std::string>> IndexWriter::ChooseInputs(
    const std::vector<std::string>& names) const {
  std::vector<std::pair<int, std::string>> levelled;
  uint64_t total = 0;
  for (const std::string& name : names) {
    absl::StatusOr<Backend::KeyInfo> info = layout_.backend().Stat(KeyOf(name));
    // A segment deleted meanwhile (covered by another compaction) counts as empty.
    if (!info.ok() && !absl::IsNotFound(info.status())) return info.status();
    const uint64_t size = info.ok() ? info->size : 0;
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
    const bool level_ends = i + 1 == levelled.size() || levelled[i + 1].first != levelled[i].first;
    if (level_ends && peers >= 2 && static_cast<int>(i + 1) >= options_.fan_in) {
      std::vector<std::string> inputs;
      for (size_t j = 0; j <= i; ++j) inputs.push_back(levelled[j].second);
      return inputs;
    }
  }
  return std::vector<std::string>();
}

// Deletes the segments that covers files older than the grace period name, then those files.
absl::Status IndexWriter::DeleteCovered(int64_t now) const {
  absl::StatusOr<std::vector<Covers>> all = ReadCovers(layout_, dir_);
  if (!all.ok()) return all.status();
  Backend& backend = layout_.backend();
  for (const Covers& covers : *all) {
    const std::string key(layout_.KeyOf(covers.path));
    if (options_.grace_ms > 0) {
      absl::StatusOr<Backend::KeyInfo> info = backend.Stat(key);
      if (absl::IsNotFound(info.status())) continue;  // deleted meanwhile
      if (!info.ok()) return info.status();
      if (now - info->modified_ms < options_.grace_ms) continue;
    }
    for (const std::string& segment : covers.segments) {
      if (absl::Status s = backend.Delete(KeyOf(segment)); !s.ok()) return s;
    }
    if (absl::Status s = backend.Delete(key); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status IndexWriter::Replace(IndexContent content, const std::vector<std::string>& replaced,
                                  std::vector<std::string>* deleted, bool dry_run) const {
  absl::StatusOr<std::string> bytes = Encode(std::move(content));
  if (!bytes.ok()) return bytes.status();
  const std::string name = SegmentName(*bytes);
  if (!dry_run) {
    if (absl::Status s = layout_.backend().Write(KeyOf(name), *bytes); !s.ok()) return s;
  }
  for (const std::string& file : replaced) {
    if (file == name) continue;
    if (!dry_run) {
      if (absl::Status s = layout_.backend().Delete(KeyOf(file)); !s.ok()) return s;
    }
    deleted->push_back(StrCat(dir_, "/", file));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> IndexWriter::ListFiles() const {
  absl::StatusOr<std::vector<std::string>> names = layout_.List(dir_);
  if (!names.ok()) return names.status();
  std::vector<std::string> files;
  for (const std::string& name : *names) {
    if (!name.ends_with('/')) files.push_back(name.substr(name.rfind('/') + 1));
  }
  return files;
}

absl::Status IndexWriter::Delete(const std::vector<std::string>& files, bool dry_run) const {
  if (dry_run) return absl::OkStatus();
  // The backend removes the directory with its last file, unless something arrived meanwhile.
  for (const std::string& file : files) {
    if (absl::Status s = layout_.backend().Delete(KeyOf(file)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace artidx::store
