// artidx::Indexer's adds, removals, imports and chunked uploads: it reads and checks bundles
// and decides what each operation writes; store/commit.h writes it. Its upkeep (compaction,
// holds, gc, rebuild) is in maintenance.cc.

#include "artidx/indexer.h"

#include <algorithm>
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
#include "format/index_content.h"
#include "format/merge.h"
#include "indexer/internal.h"
#include "simdjson.h"
#include "store/archives.h"
#include "store/commit.h"
#include "store/file_util.h"
#include "store/layout.h"
#include "store/refs.h"

namespace artidx {
namespace {

using indexer::CompactionOptionsOf;
using indexer::NormaliseBundleId;

using format::BundleEntry;
using format::IndexContent;

// One bundle, read and checked, ready to be merged.
struct Prepared {
  AddResult result;
  std::string archive;
  Sha1Digest sha1;
  bundle::Bundle bundle;  // its files, made locators for each index that receives them
};

absl::Status ValidateProjects(const std::vector<std::string>& projects) {
  for (const std::string& project : projects) {
    if (absl::Status s = ValidateProject(project); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ValidateOptions(const AddOptions& options) {
  if (options.projects.empty()) return absl::InvalidArgumentError("no project given");
  if (absl::Status s = ValidateProjects(options.projects); !s.ok()) return s;
  if (!options.release.empty()) {
    if (absl::Status s = ValidateRelease(options.release); !s.ok()) return s;
  }
  if (absl::Status s = ValidateDist(options.dist); !s.ok()) return s;
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
  p.result.bundle_path = name;
  p.result.archive_sha1 = p.sha1.Hex();
  p.result.timestamp_ms = timestamp_ms;
  p.result.files = bundle->files.size();
  p.result.debug_id_files = 0;
  for (const bundle::ManifestFile& f : bundle->files) {
    p.result.debug_id_files += f.debug_id ? 1 : 0;
  }
  if (options.bundle_id) {
    absl::StatusOr<std::string> id = NormaliseBundleId(*options.bundle_id);
    if (!id.ok()) return named(id.status());
    p.result.bundle_id = *id;
  } else {
    p.result.bundle_id = bundle->manifest_debug_id.value_or(p.result.archive_sha1);
  }
  p.bundle = *std::move(bundle);
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
      absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs =
          store::ReadRefs(layout, dir);
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
  absl::StatusOr<std::string> archive = common::ReadFile(path, options.limits.max_archive_bytes);
  if (absl::IsInvalidArgument(archive.status()) || absl::IsResourceExhausted(archive.status())) {
    return WithKind(archive.status(), ErrorKind::kInvalidBundle);  // not a file, or too large
  }
  if (!archive.ok()) return archive.status();
  return Prepare(path, *std::move(archive), options, timestamp_ms);
}

// Steps 3 to 5 of an add (SPEC.md 19.4): the bundles are read and checked.
absl::StatusOr<std::vector<AddResult>> Apply(const store::Layout& layout,
                                             const IndexerOptions& indexer_options,
                                             std::vector<Prepared> prepared,
                                             const AddOptions& options, int64_t timestamp_ms) {
  SetOutcomes(layout, options, timestamp_ms, &prepared);
  store::AddCommit commit;
  for (const Prepared& p : prepared)
    commit.archives.push_back({p.result.bundle_id, p.sha1, p.archive});

  // Every index this add touches, with the entries it receives. A bundle is recorded in an
  // index even when it contributes no file there, so that it supersedes an older entry of its
  // id whatever the order of the operations.
  std::map<std::string, IndexContent>& updates = commit.updates;
  std::vector<std::pair<std::string, store::Ref>>& refs = commit.refs;
  for (const std::string& project : options.projects) {
    for (const Prepared& p : prepared) {
      format::IndexId identity;
      identity.project = project;
      BundleEntry entry{p.result.bundle_id, timestamp_ms, p.sha1, false, {}};
      if (!options.release.empty()) {
        std::vector<format::FileLocator> files;
        files.reserve(p.bundle.files.size());
        for (const bundle::ManifestFile& f : p.bundle.files) files.push_back(f.ToLocator());
        identity.kind = IndexKind::kUrl;
        identity.release = options.release;
        identity.dist = options.dist;
        IndexContent& update =
            updates.try_emplace(layout.IndexDir(identity), format::EmptyIndex(identity))
                .first->second;
        format::MergeBundle(
            &update, BundleEntry{entry.bundle_id, timestamp_ms, p.sha1, false, std::move(files)});
        refs.emplace_back(p.result.bundle_id, store::Ref{false, identity, p.sha1, timestamp_ms});
      }
      identity.kind = IndexKind::kDebugId;
      identity.release.clear();
      identity.dist.clear();
      for (const bundle::ManifestFile& f : p.bundle.files) {
        if (f.debug_id) entry.files.push_back(f.ToLocator());
      }
      IndexContent& update =
          updates.try_emplace(layout.IndexDir(identity), format::EmptyIndex(identity))
              .first->second;
      format::MergeBundle(&update, std::move(entry));
      refs.emplace_back(p.result.bundle_id, store::Ref{false, identity, p.sha1, timestamp_ms});
    }
  }
  if (absl::Status s =
          store::CommitAdd(layout, CompactionOptionsOf(indexer_options), std::move(commit));
      !s.ok()) {
    return s;
  }
  std::vector<AddResult> results;
  for (Prepared& p : prepared) results.push_back(std::move(p.result));
  return results;
}

}  // namespace

namespace indexer {

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

}  // namespace indexer

const char* AddOutcomeName(AddOutcome outcome) {
  static constexpr const char* kNames[] = {"added", "superseded_by_removal", "superseded_by_add",
                                           "replaced_in_this_add"};
  return kNames[static_cast<int>(outcome)];
}

Indexer::Indexer(std::string store_root, IndexerOptions options)
    : root_(std::move(store_root)),
      layout_(std::make_shared<const store::Layout>(
          store::OpenBackendOrFailing(root_, {options.cache.dir, options.cache.max_bytes}))),
      options_(options) {}

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
  return Apply(*layout_, options_, std::move(prepared), options, timestamp_ms);
}

absl::StatusOr<std::string> Indexer::PutChunk(std::string_view bytes) const {
  const std::string hex = Sha1Digest::Of(bytes).Hex();
  if (absl::Status s = store::PutChunk(*layout_, hex, bytes); !s.ok()) return s;
  return hex;
}

absl::StatusOr<std::vector<std::string>> Indexer::MissingChunks(
    const std::vector<std::string>& sha1s) const {
  const store::Layout& layout = *layout_;
  std::vector<std::string> missing;
  std::set<std::string> seen;
  for (const std::string& sha1 : sha1s) {
    if (absl::Status s = store::ValidateSha1Hex("chunk", sha1); !s.ok()) return s;
    std::string hex = absl::AsciiStrToLower(sha1);
    if (!seen.insert(hex).second) continue;
    absl::StatusOr<bool> exists = store::ChunkExists(layout, hex);
    if (!exists.ok()) return exists.status();
    if (!*exists) missing.push_back(std::move(hex));
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
    absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs =
        store::ReadRefs(layout, dir);
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
  const store::Layout& layout = *layout_;
  std::string archive;
  for (const std::string& chunk : chunks) {
    if (absl::Status s = store::ValidateSha1Hex("chunk", chunk); !s.ok()) return s;
    // Using a chunk renews its age, so that gc leaves it to an upload in progress.
    absl::StatusOr<std::string> bytes =
        store::UseChunk(layout, absl::AsciiStrToLower(chunk),
                        max_bytes - std::min<uint64_t>(max_bytes, archive.size()));
    if (absl::IsNotFound(bytes.status())) {
      return absl::NotFoundError(
          StrCat(name, ": chunk ", absl::AsciiStrToLower(chunk), " is missing; upload it first"));
    }
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
      Apply(*layout_, options_, std::move(prepared), options, timestamp_ms);
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
  const store::Layout& layout = *layout_;
  absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs =
      store::ReadRefs(layout, layout.RefDir(bundle_id));
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
  absl::StatusOr<bool> bundle_exists = store::BundleExists(layout, bundle_id);
  if (!bundle_exists.ok()) return bundle_exists.status();
  if (indexes.empty() && kept == 0 && *bundle_exists) {
    // A removal that ended after deleting the references: only the archives are left to go.
    if (absl::Status s = store::DeleteBundle(layout, bundle_id); !s.ok()) return s;
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
  // A tombstone in every index of the removal, superseding the add references and, when none
  // is left, the archives. An index where a newer add keeps the bundle gets its tombstone too
  // (harmless, and right should that add's segment be missing after a crash), but is reported
  // as kept, not as removed from.
  store::RemovalCommit removal{bundle_id, timestamp_ms, indexes, std::move(superseded),
                               /*delete_bundle=*/kept == 0};
  if (absl::Status s = store::CommitRemoval(layout, CompactionOptionsOf(options_), removal);
      !s.ok()) {
    return s;
  }
  for (const auto& [dir, identity] : indexes) {
    if (!newer.contains(dir)) result.indexes.push_back(dir);
  }
  result.archives_deleted = kept == 0;
  return result;
}

absl::StatusOr<std::vector<AddResult>> Indexer::ImportSentryJson(
    std::string_view json, const AddOptions& options, const std::string& bundle_dir) const {
  // One bundle to import: its options, its name, and its digest when the store holds it.
  struct Import {
    AddOptions options;
    std::string archive;
    std::optional<Sha1Digest> stored;
  };
  // Reads the bundle (from the store through its backend, or from a file) and checks it.
  auto ReadImported = [&](const std::string& archive, const std::optional<Sha1Digest>& stored,
                          const AddOptions& add) -> absl::StatusOr<Prepared> {
    if (!stored) return ReadAndPrepare(archive, add, *add.timestamp_ms);
    absl::StatusOr<std::string> bytes =
        store::ReadArchive(*layout_, *add.bundle_id, *stored, add.limits.max_archive_bytes);
    if (absl::IsResourceExhausted(bytes.status())) {
      return WithKind(bytes.status(), ErrorKind::kInvalidBundle);
    }
    if (!bytes.ok()) return bytes.status();
    return Prepare(archive, *std::move(bytes), add, *add.timestamp_ms);
  };
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
  std::vector<Import> adds;
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
    std::optional<Sha1Digest> stored;  // the archive's digest when it is the store's
    if (!bundle_dir.empty()) {
      // DIR/<id>.zip, the id normalised (as the store names it), else as the JSON spells it.
      archive = StrCat(bundle_dir, "/", *normalised, ".zip");
      const std::string as_written = StrCat(bundle_dir, "/", id, ".zip");
      if (!store::FileExists(archive) && as_written != archive && store::FileExists(as_written)) {
        archive = as_written;
      }
      if (!store::FileExists(archive)) {
        return absl::NotFoundError(
            StrCat(where, ": no archive for bundle ", *normalised, ": there is no ", archive,
                   as_written == archive ? "" : StrCat(" nor ", as_written)));
      }
    } else {
      // The archive the exported index held: the one the store's record says was added with
      // the bundle at the JSON's timestamp (a later upload of the id may hold other files).
      const store::Layout& layout = *layout_;
      absl::StatusOr<std::vector<std::pair<std::string, store::Ref>>> refs =
          store::ReadRefs(layout, layout.RefDir(*normalised));
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
      stored = *at_time.begin();
      if (!store::ArchiveExists(layout, *normalised, *stored)) {
        return absl::NotFoundError(StrCat(where, ": the archive of bundle ", *normalised,
                                          " added at ", when, ", ", archive, ", is missing"));
      }
    }
    AddOptions add = options;
    add.timestamp_ms = *ms;
    add.bundle_id = *normalised;
    // Every bundle is read and checked before the first is added.
    if (absl::StatusOr<Prepared> p = ReadImported(archive, stored, add); !p.ok()) {
      return WithMessage(p.status(),
                         StrCat(StdView(p.status().message()), "; nothing was imported"));
    }
    adds.push_back({std::move(add), std::move(archive), stored});
  }
  std::vector<AddResult> results;
  for (const Import& i : adds) {
    absl::StatusOr<Prepared> p = ReadImported(i.archive, i.stored, i.options);
    if (!p.ok()) {
      return WithMessage(p.status(),
                         StrCat(StdView(p.status().message()), "; no bundle was added"));
    }
    std::vector<Prepared> prepared;
    prepared.push_back(*std::move(p));
    absl::StatusOr<std::vector<AddResult>> added =
        Apply(*layout_, options_, std::move(prepared), i.options, *i.options.timestamp_ms);
    if (!added.ok()) return added.status();
    results.insert(results.end(), added->begin(), added->end());
  }
  return results;
}

}  // namespace artidx
