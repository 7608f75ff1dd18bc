#include "server/reply.h"

#include <microhttpd.h>

#include <algorithm>

#include "common/json_writer.h"
#include "common/strings.h"

namespace artidx::server {

Reply Error(int status, std::string_view detail) {
  Reply r;
  r.status = status;
  JsonWriter json;
  json.BeginObject().Key("detail").String(detail).EndObject();
  r.body = json.Take();
  return r;
}

Reply ErrorFor(const absl::Status& status) {
  const std::string message = StrCat(StdView(status.message()));
  if (absl::IsInvalidArgument(status)) return Error(400, message);
  if (absl::IsNotFound(status)) return Error(404, message);
  return Error(500, message);
}

const char* Header(MHD_Connection* c, const char* name) {
  return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

std::optional<std::string> RequestUrl(MHD_Connection* c, const Target& t) {
  const char* proto = Header(c, "X-Forwarded-Proto");
  const std::string_view scheme =
      proto != nullptr && std::string_view(proto) == "https" ? "https" : "http";
  const char* host_header = Header(c, "Host");
  if (host_header == nullptr || *host_header == '\0') return std::nullopt;
  const std::string_view host = host_header;
  if (host.size() > 255 || !std::all_of(host.begin(), host.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
               ch == '.' || ch == '-' || ch == ':' || ch == '[' || ch == ']' || ch == '_';
      })) {
    return std::nullopt;
  }
  return StrCat(scheme, "://", host, t.raw_path);
}

}  // namespace artidx::server
