#include "server/download.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/numbers.h"
#include "common/strings.h"

namespace artidx::server {
namespace {

// One byte range of a download: "bytes=FIRST-LAST", "bytes=FIRST-" or "bytes=-SUFFIX". Returns
// false to serve the whole file (no Range, several ranges, or one that does not parse, as RFC
// 9110 allows); sets *unsatisfiable when the range lies past the end.
bool ParseRange(std::string_view header, uint64_t size, uint64_t* first, uint64_t* last,
                bool* unsatisfiable) {
  *unsatisfiable = false;
  if (!header.starts_with("bytes=")) return false;
  std::string_view spec = header.substr(6);
  if (spec.find(',') != std::string_view::npos) return false;
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return false;
  std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  uint64_t x = 0, y = 0;
  if (a.empty()) {
    if (!absl::SimpleAtoi(strings_internal::Arg(b), &y) || b.empty() || b.front() == '+')
      return false;
    if (y == 0 || size == 0) {
      *unsatisfiable = true;
      return false;
    }
    *first = size - std::min(y, size);
    *last = size - 1;
    return true;
  }
  if (!absl::SimpleAtoi(strings_internal::Arg(a), &x) || a.front() == '+') return false;
  if (b.empty()) {
    y = UINT64_MAX;
  } else if (!absl::SimpleAtoi(strings_internal::Arg(b), &y) || b.front() == '+' || y < x) {
    return false;
  }
  if (x >= size) {
    *unsatisfiable = true;
    return false;
  }
  *first = x;
  *last = std::min(y, size - 1);
  return true;
}

}  // namespace

Reply Download(const Store& store, MHD_Connection* c, std::string_view project,
               std::string_view id) {
  const size_t slash = id.rfind('/');
  if (slash == std::string_view::npos) return Error(400, "invalid download id");
  absl::StatusOr<std::string> path =
      store.ProjectArchivePath(project, id.substr(0, slash), id.substr(slash + 1));
  if (absl::IsInvalidArgument(path.status())) return Error(400, "invalid download id");
  if (!path.ok()) return ErrorFor(path.status());
  const std::string etag = StrCat("\"", id.substr(slash + 1), "\"");
  const char* if_none_match = Header(c, "If-None-Match");
  if (if_none_match != nullptr) {
    const std::string_view inm = if_none_match;
    if (inm == "*" || inm.find(etag) != std::string_view::npos) {
      Reply r;
      r.status = 304;
      r.headers.emplace_back("ETag", etag);
      return r;
    }
  }
  absl::StatusOr<Store::ArchiveBytes> archive = store.MapArchive(*path);
  if (!archive.ok()) {
    if (absl::IsNotFound(archive.status())) {
      return Error(404, StrCat("no archive ", id));  // gone since it was found
    }
    // Why, as every other endpoint's 500 says it (on S3: the object store's error, or the
    // cache's); the access log has only the status.
    return Error(
        500, StrCat("cannot open the archive of ", id, ": ", StdView(archive.status().message())));
  }
  const uint64_t size = archive->bytes.size();
  Reply r;
  r.content_type = "application/octet-stream";
  r.headers = {
      {"ETag", etag},
      {"Accept-Ranges", "bytes"},
      {"Content-Disposition", StrCat("attachment; filename=\"", id.substr(0, slash), ".zip\"")}};
  r.owner = std::move(archive->owner);
  r.data = archive->bytes;
  const char* range = Header(c, "Range");
  const char* if_range = Header(c, "If-Range");
  uint64_t first = 0, last = 0;
  bool unsatisfiable = false;
  if (range != nullptr && (if_range == nullptr || etag == if_range) &&
      ParseRange(range, size, &first, &last, &unsatisfiable)) {
    r.status = 206;
    r.data = r.data.substr(first, last - first + 1);
    r.headers.emplace_back("Content-Range", StrCat("bytes ", first, "-", last, "/", size));
  } else if (unsatisfiable && (if_range == nullptr || etag == if_range)) {
    Reply e = Error(416, "range not satisfiable");
    e.headers.emplace_back("Content-Range", StrCat("bytes */", size));
    return e;
  }
  return r;
}

}  // namespace artidx::server
