#include "server/artifact_lookup.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "common/json_writer.h"
#include "common/names.h"
#include "common/strings.h"
#include "server/access_log.h"

namespace artidx::server {
namespace {

// The hex of raw bytes into out[0..size), which must hold 2 per byte (a SHA-1: 40).
std::string_view HexTo(std::string_view raw, char* out, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t n = 0;
  for (unsigned char c : raw) {
    if (n + 2 > size) break;
    out[n++] = kHex[c >> 4];
    out[n++] = kHex[c & 15];
  }
  return std::string_view(out, n);
}

}  // namespace

Reply ArtifactLookup(const StoreView& store, MHD_Connection* c, std::string_view project,
                     const Target& t) {
  std::vector<DebugId> ids;
  for (std::string_view text : t.All("debug_id")) {
    absl::StatusOr<DebugId> id = DebugId::Parse(text);
    if (!id.ok()) return Error(400, StrCat("invalid debug_id \"", text.substr(0, 80), "\""));
    ids.push_back(*id);
  }
  const std::vector<std::string_view> stems = t.All("url");
  for (std::string_view stem : stems) {
    if (stem.empty()) return Error(400, "empty url parameter");
  }
  absl::StatusOr<std::optional<std::string_view>> release = t.Single("release");
  if (!release.ok()) return ErrorFor(release.status());
  absl::StatusOr<std::optional<std::string_view>> dist = t.Single("dist");
  if (!dist.ok()) return ErrorFor(dist.status());
  if (*release) {
    if (absl::Status s = ValidateRelease(**release); !s.ok()) return ErrorFor(s);
    if (*dist) {
      if (absl::Status s = ValidateDist(**dist); !s.ok()) return ErrorFor(s);
    }
  }

  // Every bundle (id and archive) found, with how; the first way found wins. The views point
  // into the two indexes, held until the answer is written.
  struct Found {
    std::string_view bundle_id;
    std::string_view archive_sha1;  // raw
    int64_t timestamp_ms;
    const char* resolved_with;
  };
  std::vector<Found> found;
  absl::flat_hash_set<std::pair<std::string_view, std::string_view>> seen;
  std::vector<Candidate> candidates;
  auto add = [&](const Index& index, const char* how) {
    if (absl::Status s = store.store().DropMissing(index, &candidates); !s.ok()) {
      // The candidates are filtered even when the tombstone could not be published.
      LogLine(StrCat("repair of ", index.dir(), ": ", StdView(s.message())));
    }
    for (const Candidate& cand : candidates) {
      if (seen.emplace(cand.bundle_id, cand.archive_sha1).second) {
        found.push_back(Found{cand.bundle_id, cand.archive_sha1, cand.timestamp_ms, how});
      }
    }
  };
  std::shared_ptr<const Index> debug_id_index, url_index;
  if (!ids.empty()) {
    absl::StatusOr<std::shared_ptr<const Index>> index = store.DebugIdIndex(project);
    if (!index.ok() && !absl::IsNotFound(index.status())) return ErrorFor(index.status());
    if (index.ok()) debug_id_index = *std::move(index);
    for (size_t i = 0; debug_id_index != nullptr && i < ids.size(); ++i) {
      candidates.clear();
      if (absl::Status s = debug_id_index->LookupDebugId(ids[i], std::nullopt, &candidates);
          !s.ok()) {
        return ErrorFor(s);
      }
      add(*debug_id_index, "debug-id");
    }
  }
  if (*release && !stems.empty()) {
    absl::StatusOr<std::shared_ptr<const Index>> index =
        store.UrlIndex(project, **release, dist->value_or(""));
    if (!index.ok() && !absl::IsNotFound(index.status())) return ErrorFor(index.status());
    if (index.ok()) url_index = *std::move(index);
    for (size_t i = 0; url_index != nullptr && i < stems.size(); ++i) {
      candidates.clear();
      if (absl::Status s = url_index->LookupStem(stems[i], &candidates); !s.ok()) {
        return ErrorFor(s);
      }
      add(*url_index, "release");
    }
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return std::tie(a.timestamp_ms, a.bundle_id) > std::tie(b.timestamp_ms, b.bundle_id);
  });

  // The download URLs extend the URL this request was sent to, so that Symbolicator, which
  // sends its token only to URLs under its source's URL, authenticates the downloads.
  std::optional<std::string> url = RequestUrl(c, t);
  if (!url) return Error(400, "a valid Host header is needed for the download URLs");
  JsonWriter json;
  json.BeginArray();
  std::string id;
  char sha1_hex[40];
  for (const Found& f : found) {
    id.assign(f.bundle_id);
    id += '/';
    id += HexTo(f.archive_sha1, sha1_hex, sizeof sha1_hex);
    json.BeginObject()
        .Key("id")
        .String(id)
        .Key("type")
        .String("bundle")
        .Key("url")
        .String(StrCat(*url, "?download=", id))
        .Key("resolved_with")
        .String(f.resolved_with)
        .EndObject();
  }
  json.EndArray();
  Reply reply;
  reply.body = json.Take();
  return reply;
}

}  // namespace artidx::server
