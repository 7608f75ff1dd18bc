// Copyright artidx authors.
//
// reply.h: what a route of `artidx serve` answers. A Reply is a status, headers and a body held
// in memory, or a byte range of an open file (a download); the MHD glue in server/server.cc
// turns it into a libmicrohttpd response. Errors are answered as Sentry answers them, a JSON
// object {"detail": "..."} that sentry-cli and Symbolicator print. RequestUrl rebuilds the
// absolute URL a request was sent to, from which the answers that hand out URLs (downloads,
// the chunk-upload URL) extend.
//
// Thread safety: functions only; a Reply is a plain value.
//
// Usage:
//   if (!found) return server::Error(404, "no candidates");

#ifndef ARTIDX_SERVER_REPLY_H_
#define ARTIDX_SERVER_REPLY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "server/query.h"

struct MHD_Connection;

namespace artidx::server {

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is `data` instead (a range of a mapped archive), valid while `owner`
  // lives.
  std::shared_ptr<const void> owner;
  std::string_view data;
};

// A JSON error: {"detail":DETAIL} with `status`.
Reply Error(int status, std::string_view detail);

// A status from the lookup library: InvalidArgument is the client's fault (400), NotFound is
// nothing to be found (404), anything else the server's (500).
Reply ErrorFor(const absl::Status& status);

// The value of request header `name`, or nullptr when absent.
const char* Header(MHD_Connection* c, const char* name);

// The absolute URL (without query) the request was sent to: the scheme from X-Forwarded-Proto,
// the host from the Host header; nullopt when that header is missing or invalid.
std::optional<std::string> RequestUrl(MHD_Connection* c, const Target& t);

}  // namespace artidx::server

#endif  // ARTIDX_SERVER_REPLY_H_
