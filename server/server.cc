#include "server/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "artidx/lookup.h"
#include "common/errors.h"
#include "common/names.h"
#include "common/strings.h"
#include "common/text.h"
#include "server/access_log.h"
#include "server/query.h"
#include "server/tokens.h"
#include "server/upload.h"

namespace artidx::server {
namespace {

constexpr size_t kMemoryLimit = 64 * 1024;  // per connection: request line, headers, buffers

// --- metrics ------------------------------------------------------------------------------------

enum Endpoint {
  kArtifactLookup,
  kDownload,
  kV1Lookup,
  kV1File,
  kHealthz,
  kMetrics,
  kChunkUpload,
  kAssemble,
  kOther,
  kEndpoints
};
constexpr const char* kEndpointNames[kEndpoints] = {
    "artifact_lookup", "artifact_download", "v1_lookup", "v1_file", "healthz",
    "metrics",         "chunk_upload",      "assemble",  "other"};
constexpr int kStatuses[] = {200, 206, 304, 400, 401, 403, 404, 405, 413, 416, 500, 503};
constexpr int kStatusSlots = std::size(kStatuses) + 1;  // + "other"
constexpr double kBuckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                               0.01,   0.025,   0.05,   0.1,   0.5,    1.0};
constexpr int kBucketCount = std::size(kBuckets);

int StatusSlot(int status) {
  for (int i = 0; i < static_cast<int>(std::size(kStatuses)); ++i) {
    if (kStatuses[i] == status) return i;
  }
  return kStatusSlots - 1;
}

// The counters, in shards of their own cache lines: each worker thread counts in its own
// shard (threads beyond kShards share), so that requests on several CPUs do not contend for
// the same lines; /metrics adds the shards up.
class Metrics {
 public:
  struct Totals {
    uint64_t requests[kEndpoints][kStatusSlots] = {};
    uint64_t buckets[kBucketCount + 1] = {};  // + Inf; not cumulative
    uint64_t duration_ns = 0;
    uint64_t count = 0;
  };

  void Record(Endpoint e, int status, std::chrono::nanoseconds d) {
    Shard& shard = shards_[ThisShard()];
    shard.requests[e][StatusSlot(status)].fetch_add(1, std::memory_order_relaxed);
    const double seconds = std::chrono::duration<double>(d).count();
    int b = 0;
    while (b < kBucketCount && seconds > kBuckets[b]) ++b;
    shard.buckets[b].fetch_add(1, std::memory_order_relaxed);
    shard.duration_ns.fetch_add(static_cast<uint64_t>(d.count()), std::memory_order_relaxed);
  }

  Totals Sum() const {
    Totals t;
    for (const Shard& shard : shards_) {
      for (int e = 0; e < kEndpoints; ++e) {
        for (int s = 0; s < kStatusSlots; ++s) {
          t.requests[e][s] += shard.requests[e][s].load(std::memory_order_relaxed);
        }
      }
      for (int b = 0; b <= kBucketCount; ++b) {
        const uint64_t n = shard.buckets[b].load(std::memory_order_relaxed);
        t.buckets[b] += n;
        t.count += n;
      }
      t.duration_ns += shard.duration_ns.load(std::memory_order_relaxed);
    }
    return t;
  }

 private:
  static constexpr int kShards = 16;
  struct alignas(64) Shard {
    std::atomic<uint64_t> requests[kEndpoints][kStatusSlots] = {};
    std::atomic<uint64_t> buckets[kBucketCount + 1] = {};
    std::atomic<uint64_t> duration_ns{0};
  };
  static int ThisShard() {
    static std::atomic<int> next{0};
    thread_local const int shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
    return shard;
  }
  Shard shards_[kShards];
};

// --- requests -----------------------------------------------------------------------------------

struct Request {
  std::string target;  // as sent
  std::string remote;
  std::string method;  // empty until the headers arrived
  std::string version;
  std::chrono::steady_clock::time_point start;
  Endpoint endpoint = kOther;
  int status = 0;
  uint64_t bytes = 0;
  bool keep_body = false;       // a POST to an upload route with a token that may upload
  std::string body;             // then its body, up to Uploads::kMaxBody
  bool body_too_large = false;  // the body went past that: discarded, answered 413
};

// Whether `path` is one of the upload routes: /api/0/organizations/{org}/chunk-upload/ (false
// in *assemble) or .../artifactbundle/assemble/ (true).
bool IsUploadPath(std::string_view path, bool* assemble) {
  constexpr std::string_view kPrefix = "/api/0/organizations/";
  if (!path.starts_with(kPrefix)) return false;
  std::string_view rest = path.substr(kPrefix.size());
  const size_t slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos) return false;
  rest.remove_prefix(slash);
  if (rest.ends_with("/")) rest.remove_suffix(1);
  *assemble = rest == "/artifactbundle/assemble";
  return *assemble || rest == "/chunk-upload";
}

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  int fd = -1;  // when >= 0: send `length` bytes of fd from `offset` instead of body
  uint64_t offset = 0, length = 0;
};

Reply Error(int status, std::string_view detail) {
  Reply r;
  r.status = status;
  r.body = StrCat("{\"detail\":", JsonString(detail), "}");
  return r;
}

// A status from the lookup library: InvalidArgument is the client's fault, NotFound is nothing
// to be found, anything else the server's.
Reply ErrorFor(const absl::Status& status) {
  const std::string message = StrCat(StdView(status.message()));
  if (absl::IsInvalidArgument(status)) return Error(400, message);
  if (absl::IsNotFound(status)) return Error(404, message);
  return Error(500, message);
}

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

// Appends s to a JSON string being written (between its quotes), escaped as JsonString does.
void AppendJsonText(std::string* out, std::string_view s) {
  size_t plain = 0;
  while (plain < s.size() && static_cast<unsigned char>(s[plain]) >= 0x20 && s[plain] != '"' &&
         s[plain] != '\\') {
    ++plain;
  }
  if (plain == s.size()) {
    out->append(s);
    return;
  }
  const std::string quoted = JsonString(s);
  out->append(quoted, 1, quoted.size() - 2);
}

// The request target for the access log: printable, quotes and backslashes escaped, bounded.
std::string LogSafe(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 4096)) {
    if (c < 0x20 || c == 0x7F || c == '"' || c == '\\') {
      StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// One line on stderr, in one write so that the lines of several threads do not interleave.
void LogLine(std::string_view message) {
  std::string line = StrCat("artidx serve: ", message);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  line += "\n";
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

bool IsLoopback(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) {
    return (ntohl(reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr) >> 24) == 127;
  }
  const in6_addr& v6 = reinterpret_cast<const sockaddr_in6&>(a).sin6_addr;
  return IN6_IS_ADDR_LOOPBACK(&v6);
}

// "HOST:PORT" with HOST an IPv4 address, "[IPv6]" or "localhost".
bool ParseListen(std::string_view text, sockaddr_storage* out) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string host(text.substr(0, colon));
  uint32_t port;
  if (!absl::SimpleAtoi(strings_internal::Arg(text.substr(colon + 1)), &port) || port > 65535)
    return false;
  std::memset(out, 0, sizeof *out);
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    auto& v6 = reinterpret_cast<sockaddr_in6&>(*out);
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(static_cast<uint16_t>(port));
    return inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &v6.sin6_addr) == 1;
  }
  auto& v4 = reinterpret_cast<sockaddr_in&>(*out);
  v4.sin_family = AF_INET;
  v4.sin_port = htons(static_cast<uint16_t>(port));
  return inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1;
}

std::string FormatAddress(const sockaddr* a) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (a->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a)->sin_addr, text, sizeof text);
    return text;
  }
  if (a->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr, text, sizeof text);
    return StrCat("[", text, "]");
  }
  return text;
}

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

// The absolute URL (without query) the request was sent to: the scheme from X-Forwarded-Proto,
// the host from the Host header; nullopt when that header is missing or invalid.
std::optional<std::string> RequestUrl(MHD_Connection* c, const Target& t) {
  const char* proto = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-Proto");
  const std::string_view scheme =
      proto != nullptr && std::string_view(proto) == "https" ? "https" : "http";
  const char* host_header = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
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

class Server {
 public:
  Server(const std::string& root, ServeOptions options)
      : root_(root),
        options_(std::move(options)),
        store_(root),
        uploads_(std::make_unique<Uploads>(root, Uploads::Options{options_.chunk_size, 2})) {}

  int Run();

 private:
  // libmicrohttpd's callbacks.
  static void* OnUri(void* cls, const char* uri, MHD_Connection* c);
  static MHD_Result OnRequest(void* cls, MHD_Connection* c, const char* url, const char* method,
                              const char* version, const char* upload_data,
                              size_t* upload_data_size, void** con_cls);
  static void OnCompleted(void* cls, MHD_Connection* c, void** con_cls,
                          MHD_RequestTerminationCode toe);
  static void OnError(void* cls, const char* format, va_list ap);

  Reply Route(MHD_Connection* c, Request* r);
  std::optional<Reply> Authorize(MHD_Connection* c, std::string_view project);
  // Whether a request to `target` goes to an upload route with a token that may upload to some
  // project: whether its body is worth keeping.
  bool MayUpload(MHD_Connection* c, const std::string& target);
  Reply Upload(MHD_Connection* c, Request* r, const Target& t, bool assemble);
  Reply ArtifactLookup(MHD_Connection* c, std::string_view project, const Target& t);
  Reply Download(MHD_Connection* c, std::string_view project, std::string_view id);
  absl::StatusOr<std::vector<Candidate>> RunLookup(const Target& t,
                                                   std::shared_ptr<const Index>* index);
  Reply V1Lookup(const Target& t);
  Reply V1File(const Target& t);
  Reply MetricsText();
  void Log(const Request& r);
  bool ReloadTokens();

  const std::string root_;
  const ServeOptions options_;
  Store store_;
  Metrics metrics_;
  std::unique_ptr<Uploads> uploads_;  // reset after the daemon stops: finishes its assembles
  // The access log (stderr); reset after the daemon stops, which writes what is pending.
  std::unique_ptr<AccessLog> access_log_ = std::make_unique<AccessLog>(STDERR_FILENO);

  std::mutex tokens_mu_;
  std::shared_ptr<const Tokens> tokens_;  // guarded by tokens_mu_

  // Requests in flight. A request counts without a lock; once draining_ is set (at shutdown),
  // the last one to finish wakes the waiter, under flight_mu_.
  std::atomic<int> in_flight_{0};
  std::atomic<bool> draining_{false};
  std::mutex flight_mu_;
  std::condition_variable flight_cv_;
};

void* Server::OnUri(void* cls, const char* uri, MHD_Connection* c) {
  Server* s = static_cast<Server*>(cls);
  auto* r = new Request;
  r->start = std::chrono::steady_clock::now();
  r->target = uri == nullptr ? "" : uri;
  const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  r->remote =
      info != nullptr && info->client_addr != nullptr ? FormatAddress(info->client_addr) : "-";
  s->in_flight_.fetch_add(1);
  return r;
}

void Server::OnCompleted(void* cls, MHD_Connection* c, void** con_cls,
                         MHD_RequestTerminationCode toe) {
  Server* s = static_cast<Server*>(cls);
  std::unique_ptr<Request> r(static_cast<Request*>(*con_cls));
  *con_cls = nullptr;
  if (r == nullptr) return;
  s->metrics_.Record(r->endpoint, r->status, std::chrono::steady_clock::now() - r->start);
  s->Log(*r);
  if (s->in_flight_.fetch_sub(1) == 1 && s->draining_.load()) {
    std::lock_guard lock(s->flight_mu_);
    s->flight_cv_.notify_all();
  }
}

void Server::OnError(void* cls, const char* format, va_list ap) {
  char text[512];
  vsnprintf(text, sizeof text, format, ap);
  LogLine(text);
}

void Server::Log(const Request& r) {
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - r.start).count();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  char duration[32];
  snprintf(duration, sizeof duration, "%.3f", ms);
  const std::string method = r.method.empty() ? "-" : LogSafe(r.method.substr(0, 32));
  std::string line;
  if (options_.json_log) {
    line = StrCat(
        "{\"time\":", JsonString(FormatIso8601(now_ms)), ",\"remote\":", JsonString(r.remote),
        ",\"method\":", JsonString(method), ",\"target\":", JsonString(LogSafe(r.target)),
        ",\"endpoint\":", JsonString(kEndpointNames[r.endpoint]), ",\"status\":", r.status,
        ",\"bytes\":", r.bytes, ",\"duration_ms\":", duration, "}\n");
  } else {
    line = StrCat(FormatIso8601(now_ms), " ", r.remote, " \"", method, " ", LogSafe(r.target),
                  r.version.empty() ? "" : " ", LogSafe(r.version.substr(0, 16)), "\" ", r.status,
                  " ", r.bytes, " ", duration, "ms\n");
  }
  access_log_->Append(line);
}

MHD_Result Server::OnRequest(void* cls, MHD_Connection* c, const char* url, const char* method,
                             const char* version, const char* upload_data, size_t* upload_data_size,
                             void** con_cls) {
  Server* s = static_cast<Server*>(cls);
  Request* r = static_cast<Request*>(*con_cls);
  if (r == nullptr) return MHD_NO;  // OnUri always runs first
  if (r->method.empty()) {
    // The first call comes with the headers; answering only in the next one lets
    // libmicrohttpd keep the connection alive.
    r->method = method;
    r->version = version;
    r->keep_body = r->method == "POST" && s->MayUpload(c, r->target);
    return MHD_YES;
  }
  if (*upload_data_size != 0) {
    // Only uploads take a body, and only from a token that may upload (any other is answered
    // 401, 403 or 404 from the headers alone): it is kept up to a bound, else skipped.
    if (r->keep_body && !r->body_too_large) {
      if (r->body.size() + *upload_data_size > Uploads::kMaxBody) {
        r->body_too_large = true;
        r->body = std::string();
      } else {
        r->body.append(upload_data, *upload_data_size);
      }
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  Reply reply = s->Route(c, r);
  r->status = reply.status;
  MHD_Response* response;
  if (reply.fd >= 0) {
    response = MHD_create_response_from_fd_at_offset64(reply.length, reply.fd, reply.offset);
    r->bytes = reply.length;
  } else {
    response = MHD_create_response_from_buffer(reply.body.size(), reply.body.data(),
                                               MHD_RESPMEM_MUST_COPY);
    r->bytes = reply.body.size();
  }
  if (response == nullptr) {
    if (reply.fd >= 0) ::close(reply.fd);
    return MHD_NO;
  }
  if (std::string_view(method) == "HEAD") r->bytes = 0;
  if (reply.status != 304) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type.c_str());
  }
  for (const auto& [name, value] : reply.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  const MHD_Result queued = MHD_queue_response(c, static_cast<unsigned>(reply.status), response);
  MHD_destroy_response(response);
  return queued;
}

std::optional<Reply> Server::Authorize(MHD_Connection* c, std::string_view project) {
  if (options_.no_auth) return std::nullopt;
  std::shared_ptr<const Tokens> tokens;
  {
    std::lock_guard lock(tokens_mu_);
    tokens = tokens_;
  }
  const char* header = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
  switch (tokens->Check(header == nullptr ? "" : header, project)) {
    case Tokens::Access::kAllowed:
      return std::nullopt;
    case Tokens::Access::kForbidden:
      return Error(403, StrCat("this token may not read project ", project));
    case Tokens::Access::kUnauthenticated:
      break;
  }
  Reply r = Error(401, "authentication required: Authorization: Bearer TOKEN");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

bool Server::MayUpload(MHD_Connection* c, const std::string& target) {
  absl::StatusOr<Target> t = ParseTarget(target);
  if (bool assemble; !t.ok() || !IsUploadPath(t->path, &assemble)) return false;
  if (options_.no_auth) return true;
  const char* header = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
  std::shared_ptr<const Tokens> tokens;
  {
    std::lock_guard lock(tokens_mu_);
    tokens = tokens_;
  }
  return tokens->CheckWrite(header == nullptr ? "" : header, {}) == Tokens::Access::kAllowed;
}

Reply Server::Route(MHD_Connection* c, Request* r) {
  const std::string_view method = r->method;
  absl::StatusOr<Target> t = ParseTarget(r->target);
  if (!t.ok()) return ErrorFor(t.status());
  const std::string& path = t->path;
  if (bool assemble; IsUploadPath(path, &assemble)) return Upload(c, r, *t, assemble);
  if (method != "GET" && method != "HEAD") {
    Reply reply = Error(405, StrCat("method ", LogSafe(method.substr(0, 32)), " not allowed"));
    reply.headers.emplace_back("Allow", "GET, HEAD");
    return reply;
  }
  if (path == "/healthz") {
    r->endpoint = kHealthz;
    Reply reply;
    reply.body = "ok\n";
    reply.content_type = "text/plain; charset=utf-8";
    return reply;
  }
  if (path == "/metrics") {
    r->endpoint = kMetrics;
    return MetricsText();
  }
  if (path == "/v1/lookup" || path == "/v1/file") {
    r->endpoint = path == "/v1/lookup" ? kV1Lookup : kV1File;
    absl::StatusOr<std::optional<std::string_view>> project = t->Single("project");
    if (!project.ok()) return ErrorFor(project.status());
    if (!*project) return Error(400, "parameter \"project\" is required");
    if (absl::Status s = ValidateProject(**project); !s.ok()) return ErrorFor(s);
    if (std::optional<Reply> denied = Authorize(c, **project)) return *denied;
    return r->endpoint == kV1Lookup ? V1Lookup(*t) : V1File(*t);
  }
  // /api/0/projects/{org}/{project}/artifact-lookup/ (the trailing slash optional)
  std::vector<std::string_view> parts;
  for (size_t i = 1; i <= path.size();) {
    size_t end = path.find('/', i);
    if (end == std::string::npos) end = path.size();
    parts.push_back(std::string_view(path).substr(i, end - i));
    i = end + 1;
  }
  if (!parts.empty() && parts.back().empty()) parts.pop_back();
  if (parts.size() == 6 && parts[0] == "api" && parts[1] == "0" && parts[2] == "projects" &&
      !parts[3].empty() && parts[5] == "artifact-lookup") {
    // parts[3] is the organization: only the project names indexes.
    const std::string_view project = parts[4];
    absl::StatusOr<std::optional<std::string_view>> download = t->Single("download");
    r->endpoint = download.ok() && *download ? kDownload : kArtifactLookup;
    if (absl::Status s = ValidateProject(project); !s.ok()) return ErrorFor(s);
    if (std::optional<Reply> denied = Authorize(c, project)) return *denied;
    if (!download.ok()) return ErrorFor(download.status());
    if (*download) return Download(c, project, **download);
    return ArtifactLookup(c, project, *t);
  }
  return Error(404, "no such endpoint");
}

Reply Server::Upload(MHD_Connection* c, Request* r, const Target& t, bool assemble) {
  r->endpoint = assemble ? kAssemble : kChunkUpload;
  const std::string_view method = r->method;
  const bool get = !assemble && (method == "GET" || method == "HEAD");
  if (method != "POST" && !get) {
    Reply reply = Error(405, StrCat("method ", LogSafe(method.substr(0, 32)), " not allowed"));
    reply.headers.emplace_back("Allow", assemble ? "POST" : "GET, HEAD, POST");
    return reply;
  }
  const char* header = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
  const std::string_view authorization = header == nullptr ? "" : header;
  std::shared_ptr<const Tokens> tokens;
  {
    std::lock_guard lock(tokens_mu_);
    tokens = tokens_;
  }
  // Every route needs a token that may upload somewhere; assemble checks its projects too.
  auto access = [&](const std::vector<std::string>& projects) {
    return options_.no_auth ? Tokens::Access::kAllowed
                            : tokens->CheckWrite(authorization, projects);
  };
  const Tokens::Access any = access({});
  if (any == Tokens::Access::kUnauthenticated) {
    Reply reply = Error(401, "authentication required: Authorization: Bearer TOKEN");
    reply.headers.emplace_back("WWW-Authenticate", "Bearer");
    return reply;
  }
  if (any == Tokens::Access::kForbidden) return Error(403, "this token may not upload");
  if (r->body_too_large) return Error(413, "request body too large");
  Uploads::Answer answer;
  if (get) {
    std::optional<std::string> url = RequestUrl(c, t);
    if (!url) return Error(400, "a valid Host header is needed for the upload URL");
    answer = uploads_->ChunkOptions(*url);
  } else if (!assemble) {
    const char* type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    answer = uploads_->PutChunks(type == nullptr ? "" : type, r->body);
  } else {
    answer = uploads_->Assemble(r->body, [&](const std::vector<std::string>& projects) {
      return access(projects) == Tokens::Access::kAllowed;
    });
  }
  Reply reply;
  reply.status = answer.status;
  reply.body = std::move(answer.body);
  return reply;
}

Reply Server::ArtifactLookup(MHD_Connection* c, std::string_view project, const Target& t) {
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
    if (absl::Status s = store_.DropMissing(index, &candidates); !s.ok()) {
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
    absl::StatusOr<std::shared_ptr<const Index>> index = store_.DebugIdIndex(project);
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
        store_.UrlIndex(project, **release, dist->value_or(""));
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
  Reply reply;
  std::string& body = reply.body;
  body.reserve(2 + found.size() * (url->size() + 200));
  body = "[";
  char sha1_hex[40];
  for (size_t i = 0; i < found.size(); ++i) {
    const std::string_view sha1 = HexTo(found[i].archive_sha1, sha1_hex, sizeof sha1_hex);
    body += i ? ",{\"id\":\"" : "{\"id\":\"";
    AppendJsonText(&body, found[i].bundle_id);
    body += '/';
    body += sha1;
    body += "\",\"type\":\"bundle\",\"url\":\"";
    AppendJsonText(&body, *url);
    body += "?download=";
    AppendJsonText(&body, found[i].bundle_id);
    body += '/';
    body += sha1;
    body += "\",\"resolved_with\":\"";
    body += found[i].resolved_with;
    body += "\"}";
  }
  body += ']';
  return reply;
}

Reply Server::Download(MHD_Connection* c, std::string_view project, std::string_view id) {
  const size_t slash = id.rfind('/');
  if (slash == std::string_view::npos) return Error(400, "invalid download id");
  absl::StatusOr<std::string> path =
      store_.ProjectArchivePath(project, id.substr(0, slash), id.substr(slash + 1));
  if (absl::IsInvalidArgument(path.status())) return Error(400, "invalid download id");
  if (!path.ok()) return ErrorFor(path.status());
  const std::string etag = StrCat("\"", id.substr(slash + 1), "\"");
  const char* if_none_match = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
  if (if_none_match != nullptr) {
    const std::string_view inm = if_none_match;
    if (inm == "*" || inm.find(etag) != std::string_view::npos) {
      Reply r;
      r.status = 304;
      r.headers.emplace_back("ETag", etag);
      return r;
    }
  }
  absl::StatusOr<Store::ArchiveFile> archive = store_.OpenArchive(*path);
  if (!archive.ok()) {
    return Error(absl::IsNotFound(archive.status()) ? 404 : 500,
                 StrCat("cannot open the archive of ", id));
  }
  const int fd = archive->fd;
  const uint64_t size = archive->size;
  Reply r;
  r.content_type = "application/octet-stream";
  r.headers = {
      {"ETag", etag},
      {"Accept-Ranges", "bytes"},
      {"Content-Disposition", StrCat("attachment; filename=\"", id.substr(0, slash), ".zip\"")}};
  r.fd = fd;
  r.offset = 0;
  r.length = size;
  const char* range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
  const char* if_range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-Range");
  uint64_t first = 0, last = 0;
  bool unsatisfiable = false;
  if (range != nullptr && (if_range == nullptr || etag == if_range) &&
      ParseRange(range, size, &first, &last, &unsatisfiable)) {
    r.status = 206;
    r.offset = first;
    r.length = last - first + 1;
    r.headers.emplace_back("Content-Range", StrCat("bytes ", first, "-", last, "/", size));
  } else if (unsatisfiable && (if_range == nullptr || etag == if_range)) {
    ::close(fd);
    Reply e = Error(416, "range not satisfiable");
    e.headers.emplace_back("Content-Range", StrCat("bytes */", size));
    return e;
  }
  return r;
}

absl::StatusOr<std::vector<Candidate>> Server::RunLookup(const Target& t,
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
    auto opened = store_.UrlIndex(*project, *release, dist.value_or(""));
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
  auto opened = store_.DebugIdIndex(*project);
  if (absl::IsNotFound(opened.status())) return found;
  if (!opened.ok()) return opened.status();
  *index = *std::move(opened);
  if (absl::Status s = (*index)->LookupDebugId(*id, file_type, &found); !s.ok()) return s;
  return found;
}

Reply Server::V1Lookup(const Target& t) {
  std::shared_ptr<const Index> index;
  absl::StatusOr<std::vector<Candidate>> found = RunLookup(t, &index);
  if (!found.ok()) return ErrorFor(found.status());
  Reply r;
  r.body = "{\"candidates\":[";
  for (size_t i = 0; i < found->size(); ++i) {
    const Candidate& c = (*found)[i];
    StrAppend(&r.body, i ? "," : "", "{\"bundle_id\":", JsonString(c.bundle_id),
              ",\"timestamp\":", c.timestamp_ms, ",\"url\":", JsonString(c.url),
              ",\"path\":", JsonString(c.path), ",\"type\":", JsonString(FileTypeName(c.type)),
              ",\"debug_id\":", c.debug_id ? JsonString(c.debug_id->ToString()) : "null",
              ",\"sourcemap\":", c.sourcemap ? JsonString(*c.sourcemap) : "null", "}");
  }
  r.body += "]}\n";
  return r;
}

Reply Server::V1File(const Target& t) {
  std::shared_ptr<const Index> index;
  absl::StatusOr<std::vector<Candidate>> found = RunLookup(t, &index);
  if (!found.ok()) return ErrorFor(found.status());
  if (found->empty()) return Error(404, "no candidates");
  absl::StatusOr<std::string> bytes = store_.ReadFile(found->front());
  if (!bytes.ok()) return ErrorFor(bytes.status());
  absl::StatusOr<std::optional<std::string_view>> sourcemap = t.Single("sourcemap");
  if (!sourcemap.ok()) return ErrorFor(sourcemap.status());
  if (*sourcemap && **sourcemap != "0" && **sourcemap != "false") {
    const std::string_view project = *t.Single("project").value();
    const std::string_view release = t.Single("release").value().value_or("");
    const std::string_view dist = t.Single("dist").value().value_or("");
    const std::string_view url = t.Single("url").value().value_or("");
    absl::StatusOr<Store::SourceMap> map =
        store_.FindSourceMap(project, release, dist, found->front(), *bytes, url);
    if (!map.ok()) return ErrorFor(map.status());
    bytes = std::move(map->bytes);
  }
  Reply r;
  r.content_type = "application/octet-stream";
  r.body = *std::move(bytes);
  r.headers.emplace_back("X-Artidx-Bundle-Id", std::string(found->front().bundle_id));
  return r;
}

Reply Server::MetricsText() {
  std::string out;
  out +=
      "# HELP artidx_http_requests_total HTTP requests answered, by endpoint and status.\n"
      "# TYPE artidx_http_requests_total counter\n";
  const Metrics::Totals totals = metrics_.Sum();
  for (int e = 0; e < kEndpoints; ++e) {
    for (int s = 0; s < kStatusSlots; ++s) {
      const uint64_t n = totals.requests[e][s];
      if (n == 0) continue;
      StrAppend(&out, "artidx_http_requests_total{endpoint=\"", kEndpointNames[e], "\",status=\"",
                s < kStatusSlots - 1 ? StrCat(kStatuses[s]) : std::string("other"), "\"} ", n,
                "\n");
    }
  }
  out +=
      "# HELP artidx_http_request_duration_seconds Time from request line to response sent.\n"
      "# TYPE artidx_http_request_duration_seconds histogram\n";
  uint64_t cumulative = 0;
  for (int b = 0; b <= kBucketCount; ++b) {
    cumulative += totals.buckets[b];
    char le[32];
    if (b < kBucketCount) {
      snprintf(le, sizeof le, "%g", kBuckets[b]);
    } else {
      snprintf(le, sizeof le, "+Inf");
    }
    StrAppend(&out, "artidx_http_request_duration_seconds_bucket{le=\"", le, "\"} ", cumulative,
              "\n");
  }
  char sum[64];
  snprintf(sum, sizeof sum, "%.9f", static_cast<double>(totals.duration_ns) / 1e9);
  StrAppend(&out, "artidx_http_request_duration_seconds_sum ", sum, "\n",
            "artidx_http_request_duration_seconds_count ", totals.count, "\n");
  const Store::Stats stats = store_.GetStats();
  const int in_flight = in_flight_.load();
  StrAppend(&out,
            "# HELP artidx_index_cache_hits_total Index requests answered by an open index.\n"
            "# TYPE artidx_index_cache_hits_total counter\n"
            "artidx_index_cache_hits_total ",
            stats.index_hits, "\n",
            "# HELP artidx_index_cache_misses_total Index requests that listed an index "
            "directory.\n"
            "# TYPE artidx_index_cache_misses_total counter\n"
            "artidx_index_cache_misses_total ",
            stats.index_misses, "\n",
            "# HELP artidx_indexes_open Indexes open (mapped) now.\n"
            "# TYPE artidx_indexes_open gauge\n"
            "artidx_indexes_open ",
            stats.open_indexes, "\n",
            "# HELP artidx_http_requests_in_flight Requests being answered now.\n"
            "# TYPE artidx_http_requests_in_flight gauge\n"
            "artidx_http_requests_in_flight ",
            in_flight, "\n");
  Reply r;
  r.body = std::move(out);
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return r;
}

bool Server::ReloadTokens() {
  absl::StatusOr<Tokens> tokens = Tokens::Load(options_.tokens_path);
  if (!tokens.ok()) {
    std::cerr << "artidx serve: " << StdView(tokens.status().message())
              << " (keeping the tokens loaded before)\n";
    return false;
  }
  std::lock_guard lock(tokens_mu_);
  tokens_ = std::make_shared<const Tokens>(*std::move(tokens));
  return true;
}

int Server::Run() {
  sockaddr_storage address;
  if (!ParseListen(options_.listen, &address)) {
    std::cerr << "artidx serve: --listen \"" << options_.listen
              << "\": expected HOST:PORT (an IPv4 address, [IPv6] or localhost)\n";
    return 2;
  }
  if (options_.no_auth && !IsLoopback(address)) {
    std::cerr << "artidx serve: --no-auth serves only a loopback address, not " << options_.listen
              << "\n";
    return 2;
  }
  if (!store_.Exists()) {
    std::cerr << "artidx serve: store " << root_ << ": not a directory\n";
    return 2;
  }
  if (!options_.no_auth) {
    absl::StatusOr<Tokens> tokens = Tokens::Load(options_.tokens_path);
    if (!tokens.ok()) {
      std::cerr << "artidx serve: " << StdView(tokens.status().message()) << "\n";
      return 2;
    }
    tokens_ = std::make_shared<const Tokens>(*std::move(tokens));
  }
  // The worker threads inherit this mask: the signals are taken by sigwait below only.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
  if (address.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  MHD_Daemon* daemon = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &Server::OnRequest, this, MHD_OPTION_EXTERNAL_LOGGER,
      &Server::OnError, this, MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&address),
      MHD_OPTION_THREAD_POOL_SIZE, options_.threads, MHD_OPTION_URI_LOG_CALLBACK, &Server::OnUri,
      this, MHD_OPTION_NOTIFY_COMPLETED, &Server::OnCompleted, this, MHD_OPTION_CONNECTION_TIMEOUT,
      options_.timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, kMemoryLimit,
      MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_CONNECTION_LIMIT, options_.max_connections,
      MHD_OPTION_END);
  if (daemon == nullptr) {
    std::cerr << "artidx serve: cannot listen on " << options_.listen << ": "
              << std::strerror(errno) << "\n";
    return 2;
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
  const unsigned port = info != nullptr ? info->port : 0;
  std::cerr << "artidx serve: listening on http://"
            << FormatAddress(reinterpret_cast<sockaddr*>(&address)) << ":" << port << " (store "
            << root_ << ", " << options_.threads << " threads"
            << (options_.no_auth ? ", no authentication" : "") << ")" << std::endl;

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      if (!options_.no_auth && ReloadTokens()) {
        std::cerr << "artidx serve: reloaded " << options_.tokens_path << std::endl;
      }
      continue;
    }
    break;
  }
  // Stop accepting, let the requests in flight finish (bounded), then stop.
  const MHD_socket listener = MHD_quiesce_daemon(daemon);
  if (listener != MHD_INVALID_SOCKET) ::close(listener);
  {
    draining_ = true;
    std::unique_lock lock(flight_mu_);
    flight_cv_.wait_for(lock, std::chrono::seconds(30), [this] { return in_flight_ == 0; });
  }
  MHD_stop_daemon(daemon);
  uploads_.reset();  // waits for the assembles queued or running
  access_log_.reset();
  std::cerr << "artidx serve: stopped" << std::endl;
  return 0;
}

}  // namespace

int Serve(const std::string& store_root, ServeOptions options) {
  return Server(store_root, std::move(options)).Run();
}

}  // namespace artidx::server
