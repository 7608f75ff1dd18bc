// ls: the bundles of an index newest first, or a project's releases, a page at a time.

#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "artidx/indexer.h"
#include "artidx/lookup.h"
#include "cli/command.h"
#include "cli/verbs.h"
#include "common/json_writer.h"
#include "common/strings.h"
#include "common/text.h"

namespace artidx::cli {

constexpr char kLsHelp[] =
    R"(usage: artidx [--store DIR] ls --project P [--release R [--dist D]] [--since MS] [--until MS]
                        [--limit N] [--cursor C] [--json]
       artidx [--store DIR] ls --project P --releases [--json]

Lists bundles newest first by (timestamp, bundle id): those of one (release, dist) with
--release, counting their files, else those of the project's debug-id index, counting their
files with debug ids. --releases lists the project's (release, dist) pairs that hold bundles
instead, by name. --limit pages the list: the last line (or "next_cursor" in JSON) is the
cursor that resumes after the page. A cursor is a position, not a snapshot: the next page
holds what sorts after the page's last entry when it is read, so every entry present
throughout is listed exactly once, and a bundle added or re-added meanwhile with a newer
timestamp than the page's last is not on later pages (list again from the start to see it).
Exit status: 0 listed, 1 nothing to list (no such index), 2 error.

  --since MS, --until MS   only bundles with timestamps in [MS, MS]
  --limit N                at most N bundles (or releases)
  --cursor C               resume after the page that printed C
  --json                   {"bundles":[{"bundle_id","timestamp","files"}],"next_cursor":..}
                           or {"releases":[{"release","dist","bundles"}],"next_cursor":..}
)";

namespace {

// A --releases cursor is the hex of the page's last "<release>\0<dist>" (neither holds a NUL):
// absl::BytesToHexString writes it, FromHex reads it back.
std::optional<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int v = 0;
    for (char c : hex.substr(i, 2)) {
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return std::nullopt;
      v = v * 16 + d;
    }
    out.push_back(static_cast<char>(v));
  }
  return out;
}

}  // namespace

int Ls(const StoreFlags& at, const std::vector<std::string>& tokens) {
  const std::string& root = at.root;
  Args args = ParseArgs("ls", kLsHelp,
                        {{"project", FlagSpec::kValue},
                         {"release", FlagSpec::kValue},
                         {"dist", FlagSpec::kValue},
                         {"since", FlagSpec::kValue},
                         {"until", FlagSpec::kValue},
                         {"limit", FlagSpec::kValue},
                         {"cursor", FlagSpec::kValue},
                         {"releases", FlagSpec::kFlag},
                         {"json", FlagSpec::kFlag}},
                        tokens);
  if (!args.positional.empty()) Fail("ls: unexpected argument " + args.positional[0]);
  if (!args.Has("project")) Fail("ls: --project is required (see --help)");
  if (args.Has("dist") && !args.Has("release")) Fail("ls: --dist needs --release");
  Store store(root, {.cache = at.cache});
  const bool json = args.Has("json");
  std::optional<int64_t> since, until;
  if (args.Has("since")) since = ParseInt("since", args.Get("since"), INT64_MIN, INT64_MAX);
  if (args.Has("until")) until = ParseInt("until", args.Get("until"), INT64_MIN, INT64_MAX);
  if (since && until && *since > *until) {
    Fail(StrCat("ls: --since ", *since, " is after --until ", *until, ": nothing can match"));
  }
  size_t limit = 0;
  if (args.Has("limit"))
    limit = static_cast<size_t>(ParseInt("limit", args.Get("limit"), 1, int64_t{1} << 31));
  if (args.Has("releases")) {
    if (args.Has("release")) Fail("ls: --releases lists every release; drop --release");
    if (since || until) Fail("ls: --since and --until list bundles, not releases");
    absl::StatusOr<std::vector<std::string>> dirs = store.UrlIndexDirs(args.Get("project"));
    Check(dirs.status());
    struct Release {
      std::string release, dist;
      size_t bundles;
    };
    std::vector<Release> releases;
    for (const std::string& dir : *dirs) {
      absl::StatusOr<std::shared_ptr<const Index>> index = store.IndexAt(dir);
      if (absl::IsNotFound(index.status())) continue;
      Check(index.status());
      std::vector<Index::BundleInfo> bundles;
      Check((*index)->ListBundles(&bundles));
      // Left with no bundle (every one removed): nothing to list.
      if (bundles.empty()) continue;
      releases.push_back(
          {std::string((*index)->release()), std::string((*index)->dist()), bundles.size()});
    }
    std::sort(releases.begin(), releases.end(), [](const Release& a, const Release& b) {
      return std::tie(a.release, a.dist) < std::tie(b.release, b.dist);
    });
    std::string after;
    if (args.Has("cursor")) {
      std::optional<std::string> decoded = FromHex(args.Get("cursor"));
      if (!decoded || decoded->find('\0') == std::string::npos) {
        Fail(StrCat("ls: invalid cursor \"", args.Get("cursor").substr(0, 80), "\""));
      }
      after = *decoded;
    }
    JsonWriter rows;  // with --json
    rows.BeginObject().Key("releases").BeginArray();
    std::string next_cursor, last;
    size_t listed = 0;
    for (const Release& r : releases) {
      const std::string key = StrCat(r.release, std::string(1, '\0'), r.dist);
      if (!after.empty() && key <= after) continue;
      if (limit > 0 && listed == limit) {
        next_cursor = absl::BytesToHexString(last);
        break;
      }
      ++listed;
      last = key;
      if (json) {
        rows.BeginObject().Key("release").String(r.release).Key("dist").String(r.dist);
        rows.Key("bundles").Uint(r.bundles).EndObject();
      } else {
        std::cout << JsonString(r.release) << "  dist " << JsonString(r.dist) << "  " << r.bundles
                  << " bundles\n";
      }
    }
    if (json) {
      rows.EndArray().Key("next_cursor");
      next_cursor.empty() ? rows.Null() : rows.String(next_cursor);
      std::cout << rows.EndObject().str() << "\n";
    } else if (!next_cursor.empty()) {
      std::cout << "next cursor: " << next_cursor << "\n";
    }
    if (releases.empty()) {
      std::cerr << "artidx: project " << args.Get("project") << " has no release with bundles\n";
    }
    return releases.empty() ? kExitNotFound : 0;
  }
  auto opened = args.Has("release")
                    ? store.UrlIndex(args.Get("project"), args.Get("release"), args.Get("dist"))
                    : store.DebugIdIndex(args.Get("project"));
  Index::ListPage page;
  const bool exists = !absl::IsNotFound(opened.status());
  if (exists) {
    Check(opened.status());
    Index::ListOptions options;
    options.since_ms = since;
    options.until_ms = until;
    options.limit = limit;
    options.cursor = args.Get("cursor");
    absl::StatusOr<Index::ListPage> listed = (*opened)->List(options);
    Check(listed.status());
    page = *std::move(listed);
  }
  if (json) {
    JsonWriter json;
    json.BeginObject().Key("bundles").BeginArray();
    for (const auto& b : page.bundles) {
      json.BeginObject().Key("bundle_id").String(b.bundle_id).Key("timestamp").Int(b.timestamp_ms);
      json.Key("files").Uint(b.files).EndObject();
    }
    json.EndArray().Key("next_cursor");
    page.next_cursor.empty() ? json.Null() : json.String(page.next_cursor);
    std::cout << json.EndObject().str() << "\n";
  } else {
    const char* files = args.Has("release") ? " files\n" : " files with debug ids\n";
    for (const auto& b : page.bundles) {
      std::cout << b.bundle_id << "  " << FormatIso8601(b.timestamp_ms) << " (" << b.timestamp_ms
                << ")  " << b.files << files;
    }
    if (!page.next_cursor.empty()) std::cout << "next cursor: " << page.next_cursor << "\n";
  }
  if (!exists) {
    std::cerr << "artidx: project " << args.Get("project")
              << (args.Has("release")
                      ? StrCat(" has no release ", JsonString(args.Get("release")),
                               args.Get("dist").empty()
                                   ? ""
                                   : StrCat(" with dist ", JsonString(args.Get("dist"))))
                      : std::string(" has no bundles"))
              << "\n";
  }
  return page.bundles.empty() ? kExitNotFound : 0;
}

}  // namespace artidx::cli
