#include "store/refs.h"

#include <algorithm>
#include <filesystem>
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

absl::Status WriteRef(const std::string& dir, const Ref& ref, Sync sync) {
  const std::string text = EncodeRef(ref);
  const std::string path = StrCat(dir, "/", Sha1Digest::Of(text).Hex(), kRefSuffix);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return absl::OkStatus();
  return WriteFileAtomically(path, text, sync);
}

absl::StatusOr<RefScan> ScanRefs(const std::string& dir) {
  RefScan scan;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string path = it->path().string();
    if (!path.ends_with(kRefSuffix)) continue;
    absl::StatusOr<std::string> text = common::ReadFile(path, kMaxRefBytes);
    if (absl::IsNotFound(text.status())) continue;  // removed meanwhile
    if (absl::IsResourceExhausted(text.status())) {
      scan.damaged.emplace_back(
          path, absl::DataLossError(
                    StrCat(path, ": invalid reference: longer than ", kMaxRefBytes, " bytes")));
      continue;
    }
    if (!text.ok()) return text.status();
    absl::StatusOr<Ref> ref = DecodeRef(path, *text);
    if (ref.ok() &&
        it->path().filename().string() != StrCat(Sha1Digest::Of(*text).Hex(), kRefSuffix)) {
      ref = absl::DataLossError(
          StrCat(path, ": invalid reference: its name is not the SHA-1 of its bytes"));
    }
    if (!ref.ok()) {
      scan.damaged.emplace_back(std::move(path), ref.status());
      continue;
    }
    scan.refs.emplace_back(std::move(path), *std::move(ref));
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return absl::InternalError(StrCat(dir, ": cannot list: ", ec.message()));
  }
  const auto by_path = [](const auto& a, const auto& b) { return a.first < b.first; };
  std::sort(scan.refs.begin(), scan.refs.end(), by_path);
  std::sort(scan.damaged.begin(), scan.damaged.end(), by_path);
  return scan;
}

absl::StatusOr<std::vector<std::pair<std::string, Ref>>> ReadRefs(const std::string& dir) {
  absl::StatusOr<RefScan> scan = ScanRefs(dir);
  if (!scan.ok()) return scan.status();
  if (!scan->damaged.empty()) return scan->damaged.front().second;
  return std::move(scan->refs);
}

RefWalk::RefWalk(const Layout& layout, Of of)
    : layout_(layout), of_(of), ids_(of == Of::kAdds ? layout.BundleIds() : layout.RemovalIds()) {}

bool RefWalk::Next() {
  if (next_ >= ids_.size()) return false;
  const std::string& id = ids_[next_++];
  dir_ = of_ == Of::kAdds ? layout_.RefDir(id) : layout_.RemovalDir(id);
  return true;
}

absl::StatusOr<std::vector<std::pair<std::string, Ref>>> RefWalk::Refs() const {
  return ReadRefs(dir_);
}

absl::StatusOr<RefScan> RefWalk::Scan() const { return ScanRefs(dir_); }

}  // namespace artidx::store
