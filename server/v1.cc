#include "server/v1.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json_writer.h"
#include "common/strings.h"

namespace artidx::server {
namespace {

// The candidates `t` asks for; *index holds the index they point into.
absl::StatusOr<std::vector<Candidate>> RunLookup(const StoreView& store, const Target& t,
                                                 std::shared_ptr<const Index>* index) {
  std::optional<std::string_view> values[6];
  const char* names[6] = {"project", "release", "dist", "url", "debug_id", "type"};
  for (int i = 0; i < 6; ++i) {
    absl::StatusOr<std::optional<std::string_view>> v = t.Single(names[i]);
    if (!v.ok()) return v.status();
    values[i] = *v;
  }
  absl::StatusOr<std::optional<std::string_view>> stem = t.Single("stem");
  if (!stem.ok()) return stem.status();
  const auto& [project, release, dist, url, debug_id, type] = values;
  std::vector<Candidate> found;
  if ((url.has_value() + debug_id.has_value() + stem->has_value()) != 1) {
    return absl::InvalidArgumentError("give exactly one of url, stem and debug_id");
  }
  if (url || *stem) {
    if (!release)
      return absl::InvalidArgumentError("url and stem need release: URL indexes are per release");
    if (type) return absl::InvalidArgumentError("type goes with debug_id");
    auto opened = store.UrlIndex(*project, *release, dist.value_or(""));
    if (absl::IsNotFound(opened.status())) return found;
    if (!opened.ok()) return opened.status();
    *index = *std::move(opened);
    absl::Status s = url ? (*index)->LookupUrl(*url, &found) : (*index)->LookupStem(**stem, &found);
    if (!s.ok()) return s;
    return found;
  }
  if (release || dist) {
    return absl::InvalidArgumentError(
        "release and dist go with url: debug ids are indexed per project");
  }
  absl::StatusOr<DebugId> id = DebugId::Parse(*debug_id);
  if (!id.ok())
    return absl::InvalidArgumentError(StrCat("invalid debug_id \"", debug_id->substr(0, 80), "\""));
  std::optional<FileType> file_type;
  if (type) {
    file_type = ParseFileType(*type);
    if (!file_type) {
      return absl::InvalidArgumentError(
          StrCat("unknown type \"", type->substr(0, 80),
                 "\": expected source, minified_source, source_map or indexed_ram_bundle"));
    }
  }
  auto opened = store.DebugIdIndex(*project);
  if (absl::IsNotFound(opened.status())) return found;
  if (!opened.ok()) return opened.status();
  *index = *std::move(opened);
  if (absl::Status s = (*index)->LookupDebugId(*id, file_type, &found); !s.ok()) return s;
  return found;
}

}  // namespace

Reply V1Lookup(const StoreView& store, const Target& t) {
  std::shared_ptr<const Index> index;
  absl::StatusOr<std::vector<Candidate>> found = RunLookup(store, t, &index);
  if (!found.ok()) return ErrorFor(found.status());
  JsonWriter json;
  json.BeginObject().Key("candidates").BeginArray();
  for (const Candidate& c : *found) {
    json.BeginObject()
        .Key("bundle_id")
        .String(c.bundle_id)
        .Key("timestamp")
        .Int(c.timestamp_ms)
        .Key("url")
        .String(c.url)
        .Key("path")
        .String(c.path)
        .Key("type")
        .String(FileTypeName(c.type))
        .Key("debug_id");
    if (c.debug_id) {
      json.String(c.debug_id->ToString());
    } else {
      json.Null();
    }
    json.Key("sourcemap").StringOrNull(c.sourcemap).EndObject();
  }
  json.EndArray().EndObject();
  Reply r;
  r.body = json.Take();
  r.body += '\n';
  return r;
}

Reply V1File(const StoreView& store, const Target& t) {
  std::shared_ptr<const Index> index;
  absl::StatusOr<std::vector<Candidate>> found = RunLookup(store, t, &index);
  if (!found.ok()) return ErrorFor(found.status());
  if (found->empty()) return Error(404, "no candidates");
  absl::StatusOr<std::string> bytes = store.store().ReadFile(found->front());
  if (!bytes.ok()) return ErrorFor(bytes.status());
  absl::StatusOr<std::optional<std::string_view>> sourcemap = t.Single("sourcemap");
  if (!sourcemap.ok()) return ErrorFor(sourcemap.status());
  if (*sourcemap && **sourcemap != "0" && **sourcemap != "false") {
    const std::string_view project = *t.Single("project").value();
    const std::string_view release = t.Single("release").value().value_or("");
    const std::string_view dist = t.Single("dist").value().value_or("");
    const std::string_view url = t.Single("url").value().value_or("");
    absl::StatusOr<Store::SourceMap> map =
        store.store().FindSourceMap(project, release, dist, found->front(), *bytes, url);
    if (!map.ok()) return ErrorFor(map.status());
    bytes = std::move(map->bytes);
  }
  Reply r;
  r.content_type = "application/octet-stream";
  r.body = *std::move(bytes);
  r.headers.emplace_back("X-Artidx-Bundle-Id", std::string(found->front().bundle_id));
  return r;
}

}  // namespace artidx::server
