#include "store/salvage.h"

#include <algorithm>
#include <map>
#include <memory>

#include "common/sha1.h"
#include "common/strings.h"
#include "common/text.h"
#include "format/index_reader.h"
#include "format/index_salvage.h"
#include "store/file_util.h"
#include "store/segments.h"

namespace artidx::store {
namespace {

constexpr std::string_view kQuarantineDir = "quarantine";

// The damaged references of the walk's bundle id, and its intact ones into `plan`.
absl::Status Scan(const RefWalk& walk, bool removals, SalvagePlan* plan,
                  std::vector<SalvagePlan::Lost>* damaged) {
  absl::StatusOr<RefScan> scan = walk.Scan();
  if (!scan.ok()) return scan.status();
  for (auto& [path, ref] : scan->refs)
    plan->operations.push_back({walk.bundle_id(), std::move(ref)});
  for (auto& [path, status] : scan->damaged) {
    damaged->push_back(
        {{path, std::string(StdView(status.message()))}, walk.bundle_id(), removals});
  }
  return absl::OkStatus();
}

}  // namespace

std::string DescribeOperation(const Operation& op) {
  const format::IndexId& index = op.ref.identity;
  return StrCat(op.ref.removal ? "removal" : "add", " of bundle ", op.bundle_id, " at ",
                FormatIso8601(op.ref.timestamp_ms), " (", op.ref.timestamp_ms, ") ",
                op.ref.removal ? "from" : "to",
                index.kind == IndexKind::kUrl
                    ? StrCat(" the URL index of project ", index.project, ", release ",
                             JsonString(index.release), ", dist ", JsonString(index.dist))
                    : StrCat(" the debug-id index of project ", index.project));
}

absl::StatusOr<SalvagePlan> PlanSalvage(const Layout& layout) {
  SalvagePlan plan;
  std::vector<SalvagePlan::Lost> damaged;
  for (RefWalk::Of of : {RefWalk::Of::kAdds, RefWalk::Of::kRemovals}) {
    RefWalk walk(layout, of);
    while (walk.Next()) {
      if (absl::Status s = Scan(walk, of == RefWalk::Of::kRemovals, &plan, &damaged); !s.ok()) {
        return s;
      }
    }
    if (!walk.status().ok()) return walk.status();
  }
  plan.from_references = plan.operations.size();

  // A damaged reference is known by its name: the SHA-1 of the bytes it should hold.
  std::map<std::string, size_t> by_name;  // "<sha1>.ref" -> index in `damaged`
  for (size_t i = 0; i < damaged.size(); ++i) {
    const std::string& path = damaged[i].reference.path;
    by_name.emplace(path.substr(path.rfind('/') + 1), i);
  }
  std::map<size_t, SalvagePlan::Recovered> found;  // index in `damaged` -> its recovery
  absl::StatusOr<std::vector<std::string>> dirs = layout.IndexDirs("");
  if (!dirs.ok()) return dirs.status();
  for (const std::string& dir : *dirs) {
    absl::StatusOr<std::vector<std::string>> names = layout.List(dir);
    if (!names.ok()) return names.status();
    for (const std::string& path : *names) {
      if (!path.ends_with(kSegmentSuffix)) continue;
      absl::StatusOr<std::unique_ptr<MappedFile>> file =
          layout.backend().Map(layout.KeyOf(path), UINT64_MAX);
      if (absl::IsNotFound(file.status())) continue;  // a compaction deleted it meanwhile
      if (!file.ok()) return file.status();
      const std::string_view bytes = (*file)->data();
      const absl::Status valid = CheckSegment(path, bytes).status();
      if (!valid.ok())
        plan.damaged_segments.push_back({path, std::string(StdView(valid.message()))});
      if (by_name.empty()) continue;
      absl::StatusOr<format::SalvagedIndex> salvaged = format::SalvageIndex(bytes);
      if (!salvaged.ok()) continue;
      for (const format::SalvagedBundle& b : salvaged->bundles) {
        const Ref ref{b.tombstone, salvaged->id, b.tombstone ? Sha1Digest{} : b.archive_sha1,
                      b.timestamp_ms};
        std::string text = EncodeRef(ref);
        auto it = by_name.find(StrCat(Sha1Digest::Of(text).Hex(), ".ref"));
        if (it == by_name.end()) continue;
        const SalvagePlan::Lost& d = damaged[it->second];
        // The name fixes the bytes, and the bytes all but the bundle: that is the directory's.
        if (d.bundle_id != b.bundle_id || d.removal != b.tombstone) continue;
        // Prefer a segment that verifies as the one named in reports.
        if (found.contains(it->second) && !valid.ok()) continue;
        found[it->second] = {d.reference, path, {b.bundle_id, ref}, std::move(text)};
      }
    }
  }
  for (size_t i = 0; i < damaged.size(); ++i) {
    auto it = found.find(i);
    if (it == found.end()) {
      plan.lost.push_back(std::move(damaged[i]));
      continue;
    }
    plan.operations.push_back(it->second.operation);
    plan.recovered.push_back(std::move(it->second));
  }
  std::stable_sort(
      plan.operations.begin(), plan.operations.end(),
      [](const Operation& a, const Operation& b) { return a.bundle_id < b.bundle_id; });
  return plan;
}

std::string QuarantinePath(const Layout& layout, std::string_view stamp, std::string_view path) {
  return layout.NameOf(StrCat(kQuarantineDir, "/", stamp, "/", layout.KeyOf(path)));
}

absl::StatusOr<std::string> SetAside(const Layout& layout, std::string_view stamp,
                                     const std::string& path) {
  absl::StatusOr<std::unique_ptr<MappedFile>> file =
      layout.backend().Map(layout.KeyOf(path), UINT64_MAX);
  if (!file.ok()) return file.status();
  std::string to = QuarantinePath(layout, stamp, path);
  if (absl::Status s = layout.backend().Write(layout.KeyOf(to), (*file)->data()); !s.ok()) {
    return s;
  }
  return to;
}

absl::Status RestoreReference(const Layout& layout, const SalvagePlan::Recovered& recovered) {
  return layout.backend().Write(layout.KeyOf(recovered.reference.path), recovered.bytes);
}

absl::Status DeleteLostReference(const Layout& layout, const SalvagePlan::Lost& lost) {
  return layout.backend().Delete(layout.KeyOf(lost.reference.path));
}

}  // namespace artidx::store
