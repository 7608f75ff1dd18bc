#include "indexer/salvage.h"

#include "common/sha1.h"
#include "common/strings.h"
#include "store/archives.h"

namespace artidx::indexer {

absl::Status ApplySalvage(const store::Layout& layout, const store::SalvagePlan& plan,
                          std::string_view stamp, bool dry_run, RebuildResult* result) {
  // A copy in the quarantine before anything replaces or deletes the original; a crash in
  // between leaves the original, and the next rebuild starts over.
  auto set_aside = [&](const store::DamagedFile& file) -> absl::Status {
    std::string to;
    if (!dry_run) {
      absl::StatusOr<std::string> copied = store::SetAside(layout, stamp, file.path);
      if (!copied.ok()) return copied.status();
      to = *std::move(copied);
    }
    result->set_aside.push_back({file.path, std::move(to), file.problem});
    return absl::OkStatus();
  };
  for (const store::SalvagePlan::Recovered& r : plan.recovered) {
    if (absl::Status s = set_aside(r.reference); !s.ok()) return s;
    if (!dry_run) {
      if (absl::Status s = store::RestoreReference(layout, r); !s.ok()) return s;
    }
    result->recovered.push_back(
        {r.reference.path, r.segment, store::DescribeOperation(r.operation)});
  }
  for (const store::SalvagePlan::Lost& l : plan.lost) {
    if (absl::Status s = set_aside(l.reference); !s.ok()) return s;
    if (!dry_run) {
      if (absl::Status s = store::DeleteLostReference(layout, l); !s.ok()) return s;
    }
    result->lost.push_back({l.reference.path,
                            StrCat(l.removal ? "a removal" : "an add", " of bundle ", l.bundle_id,
                                   " (index and timestamp unknown)"),
                            StrCat(l.reference.problem, "; no segment records its operation")});
  }
  // The rebuild deletes them once the new segments are published.
  for (const store::DamagedFile& segment : plan.damaged_segments) {
    if (absl::Status s = set_aside(segment); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<format::BundleEntry> ArchiveEntries::Entry(const store::Operation& op,
                                                          RebuildResult* result) {
  const store::Ref& ref = op.ref;
  format::BundleEntry entry{op.bundle_id, ref.timestamp_ms, {}, true, {}};
  if (ref.removal) return entry;
  const std::string archive = layout_.ArchivePath(op.bundle_id, ref.archive_sha1);
  auto it = bundles_.find({op.bundle_id, ref.archive_sha1});
  if (it == bundles_.end()) {
    absl::StatusOr<std::string> bytes = store::ReadArchive(layout_, op.bundle_id, ref.archive_sha1,
                                                           BundleLimits().max_archive_bytes);
    absl::StatusOr<bundle::Bundle> read = absl::NotFoundError(StrCat(archive, ": missing"));
    if (bytes.ok() && Sha1Digest::Of(*bytes) != ref.archive_sha1) {
      read =
          absl::DataLossError(StrCat(archive, ": damaged: the SHA-1 of its bytes is not its name"));
    } else if (bytes.ok()) {
      read = bundle::ReadBundle(*bytes, BundleLimits());
      if (!read.ok()) {
        read = absl::DataLossError(StrCat(archive, ": ", StdView(read.status().message())));
      }
    } else if (absl::IsResourceExhausted(bytes.status())) {
      read = absl::DataLossError(bytes.status().message());  // add refuses such archives
    } else if (!absl::IsNotFound(bytes.status())) {
      return bytes.status();
    }
    it = bundles_.emplace(std::make_pair(op.bundle_id, ref.archive_sha1), std::move(read)).first;
  }
  if (!it->second.ok()) {
    // As repair on read would: the add is void without its archive.
    result->lost.push_back(
        {archive, store::DescribeOperation(op),
         StrCat(StdView(it->second.status().message()), "; the add counts as removed (`artidx rm ",
                op.bundle_id, "` removes the bundle)")});
    return entry;
  }
  entry.tombstone = false;
  entry.archive_sha1 = ref.archive_sha1;
  for (const bundle::ManifestFile& f : it->second->files) {
    if (ref.identity.kind == IndexKind::kUrl || f.debug_id) entry.files.push_back(f.ToLocator());
  }
  return entry;
}

}  // namespace artidx::indexer
