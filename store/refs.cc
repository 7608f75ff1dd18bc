#include "store/refs.h"

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "store/file_util.h"
#include "store/layout.h"

namespace artidx::store {
namespace {

constexpr std::string_view kRefSuffix = ".ref";
constexpr uint64_t kMaxRefBytes = 4096;  // the longest valid one is under 500 bytes

}  // namespace

std::string EncodeRef(const Ref& ref) {
  return StrCat("op=", ref.removal ? "remove" : "add",
                "\nkind=", ref.identity.kind == IndexKind::kUrl ? "url" : "debug-id",
                "\nproject=", ref.identity.project, "\nrelease=", ref.identity.release,
                "\ndist=", ref.identity.dist,
                "\narchive=", ref.removal ? "" : ref.archive_sha1.Hex(),
                "\ntimestamp=", ref.timestamp_ms, "\n");
}

absl::StatusOr<Ref> DecodeRef(const std::string& path, std::string_view text) {
  const std::string_view original = text;
  std::map<std::string, std::string, std::less<>> fields;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos || end == std::string_view::npos) {
      return absl::DataLossError(StrCat(path, ": invalid reference: malformed line"));
    }
    fields[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    text.remove_prefix(end + 1);
  }
  Ref ref;
  const std::string& op = fields["op"];
  const std::string& kind = fields["kind"];
  ref.removal = op == "remove";
  ref.identity.kind = kind == "url" ? IndexKind::kUrl : IndexKind::kDebugId;
  ref.identity.project = fields["project"];
  ref.identity.release = fields["release"];
  ref.identity.dist = fields["dist"];
  const std::optional<Sha1Digest> archive = Sha1Digest::FromHex(fields["archive"]);
  if (archive) ref.archive_sha1 = *archive;
  const bool url = ref.identity.kind == IndexKind::kUrl;
  const bool valid =
      (op == "add" || op == "remove") && (kind == "url" || kind == "debug-id") &&
      ValidateProject(ref.identity.project).ok() &&
      absl::SimpleAtoi(fields["timestamp"], &ref.timestamp_ms) &&
      (url ? ValidateRelease(ref.identity.release).ok() && ValidateDist(ref.identity.dist).ok()
           : ref.identity.release.empty() && ref.identity.dist.empty()) &&
      (ref.removal ? fields["archive"].empty() : archive.has_value());
  // Exactly the canonical text: no unknown, repeated or reordered lines.
  if (!valid || EncodeRef(ref) != original) {
    return absl::DataLossError(StrCat(path, ": invalid reference"));
  }
  return ref;
}

absl::Status WriteRef(const Layout& layout, const std::string& dir, const Ref& ref, Sync sync) {
  const std::string text = EncodeRef(ref);
  const std::string key = StrCat(layout.PrefixOf(dir), Sha1Digest::Of(text).Hex(), kRefSuffix);
  absl::StatusOr<Backend::KeyInfo> there = layout.backend().Stat(key);
  if (there.ok()) return absl::OkStatus();
  if (!absl::IsNotFound(there.status())) return there.status();
  return layout.backend().Write(key, text, sync);
}

absl::StatusOr<RefScan> ScanRefs(const Layout& layout, const std::string& dir) {
  RefScan scan;
  absl::StatusOr<std::vector<std::string>> names = layout.List(dir);
  if (!names.ok()) return names.status();
  for (std::string& path : *names) {
    if (!path.ends_with(kRefSuffix)) continue;
    absl::StatusOr<std::string> text = layout.backend().Read(layout.KeyOf(path), kMaxRefBytes);
    if (absl::IsNotFound(text.status())) continue;  // removed meanwhile
    if (absl::IsResourceExhausted(text.status())) {
      scan.damaged.emplace_back(
          path, absl::DataLossError(
                    StrCat(path, ": invalid reference: longer than ", kMaxRefBytes, " bytes")));
      continue;
    }
    if (!text.ok()) return text.status();
    absl::StatusOr<Ref> ref = DecodeRef(path, *text);
    if (ref.ok() && std::string_view(path).substr(path.rfind('/') + 1) !=
                        StrCat(Sha1Digest::Of(*text).Hex(), kRefSuffix)) {
      ref = absl::DataLossError(
          StrCat(path, ": invalid reference: its name is not the SHA-1 of its bytes"));
    }
    if (!ref.ok()) {
      scan.damaged.emplace_back(std::move(path), ref.status());
      continue;
    }
    scan.refs.emplace_back(std::move(path), *std::move(ref));
  }
  return scan;
}

absl::StatusOr<std::vector<std::pair<std::string, Ref>>> ReadRefs(const Layout& layout,
                                                                  const std::string& dir) {
  absl::StatusOr<RefScan> scan = ScanRefs(layout, dir);
  if (!scan.ok()) return scan.status();
  if (!scan->damaged.empty()) return scan->damaged.front().second;
  return std::move(scan->refs);
}

RefWalk::RefWalk(const Layout& layout, Of of) : layout_(layout), of_(of) {
  absl::StatusOr<std::vector<std::string>> ids =
      of == Of::kAdds ? layout.BundleIds() : layout.RemovalIds();
  if (ids.ok()) {
    ids_ = *std::move(ids);
  } else {
    status_ = ids.status();
  }
}

bool RefWalk::Next() {
  if (next_ >= ids_.size()) return false;
  const std::string& id = ids_[next_++];
  dir_ = of_ == Of::kAdds ? layout_.RefDir(id) : layout_.RemovalDir(id);
  return true;
}

absl::StatusOr<std::vector<std::pair<std::string, Ref>>> RefWalk::Refs() const {
  return ReadRefs(layout_, dir_);
}

absl::StatusOr<RefScan> RefWalk::Scan() const { return ScanRefs(layout_, dir_); }

}  // namespace artidx::store
