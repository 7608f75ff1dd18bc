// server.cc: the service itself: libmicrohttpd's daemon and callbacks (a request's life from
// its request line to its access-log line), routing to the endpoints, authorization by token,
// the upload routes' request bodies (each bounded, and all together by --max-upload-buffer),
// and start-up and shutdown (signals, draining). What each endpoint answers lives beside it:
// server/artifact_lookup.h, server/download.h, server/v1.h, server/metrics.h,
// server/upload.h; replies and their JSON errors in server/reply.h.
//
// Thread safety: a Server is shared by libmicrohttpd's worker threads; what they share is
// either thread-safe itself (the StoreView, Uploads, Metrics, the AccessLog) or guarded (the
// tokens by tokens_mu_; the requests in flight and the bytes of bodies held by atomics).

#include "server/server.h"

#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "artidx/lookup.h"
#include "common/names.h"
#include "common/strings.h"
#include "common/text.h"
#include "server/access_log.h"
#include "server/address.h"
#include "server/artifact_lookup.h"
#include "server/download.h"
#include "server/metrics.h"
#include "server/query.h"
#include "server/reply.h"
#include "server/store_view.h"
#include "server/tokens.h"
#include "server/upload.h"
#include "server/v1.h"

namespace artidx::server {
namespace {

constexpr size_t kMemoryLimit = 64 * 1024;  // per connection: request line, headers, buffers

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
  size_t reserved = 0;          // bytes of the upload budget this request holds for its body
  bool over_budget = false;     // the budget could not hold it: discarded, answered 503
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

class Server {
 public:
  Server(const std::string& root, ServeOptions options)
      : root_(root),
        options_(std::move(options)),
        store_(root, options_.cache),
        uploads_(std::make_unique<Uploads>(
            root, Uploads::Options{.chunk_size = options_.chunk_size,
                                   .workers = 2,
                                   .published =
                                       [this](const std::vector<std::string>& projects) {
                                         store_.Published(projects);
                                       },
                                   .cache = options_.cache})) {}

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
  void Log(const Request& r);
  bool ReloadTokens();
  // Takes `n` more bytes of the upload budget for r's body; false (taking none) when the
  // bodies held would then exceed --max-upload-buffer.
  bool Reserve(Request* r, size_t n);
  // Drops r's body and gives its bytes back to the budget.
  void DropBody(Request* r);

  const std::string root_;
  const ServeOptions options_;
  StoreView store_;  // before uploads_, whose assembles publish through it
  Metrics metrics_;
  std::unique_ptr<Uploads> uploads_;  // reset after the daemon stops: finishes its assembles
  // The access log (stderr); reset after the daemon stops, which writes what is pending.
  std::unique_ptr<AccessLog> access_log_ = std::make_unique<AccessLog>(STDERR_FILENO);

  std::mutex tokens_mu_;
  std::shared_ptr<const Tokens> tokens_;  // guarded by tokens_mu_

  // Requests in flight. A request counts without a lock; once draining_ is set (at shutdown),
  // the last one to finish wakes the waiter, under flight_mu_.
  std::atomic<int> in_flight_{0};
  // Bytes of upload bodies held (reserved) by the requests in flight, at most
  // options_.max_upload_buffer.
  std::atomic<size_t> buffered_{0};
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
  s->DropBody(r.get());
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
  AccessRecord record;
  record.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  record.remote = r.remote;
  record.method = r.method;
  record.target = r.target;
  record.version = r.version;
  record.endpoint = kEndpointNames[r.endpoint];
  record.status = r.status;
  record.bytes = r.bytes;
  record.duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - r.start).count();
  access_log_->Append(AccessLine(record, options_.json_log));
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
    // A body announced whole is refused or budgeted whole before any of it arrives, so that
    // concurrent uploads do not each get part of the budget and all fail.
    uint64_t length = 0;
    const char* announced = Header(c, "Content-Length");
    if (r->keep_body && announced != nullptr &&
        absl::SimpleAtoi(strings_internal::Arg(std::string_view(announced)), &length)) {
      if (length > Uploads::kMaxBody) {
        r->body_too_large = true;
      } else if (!s->Reserve(r, length)) {
        r->over_budget = true;
      }
    }
    return MHD_YES;
  }
  if (*upload_data_size != 0) {
    // Only uploads take a body, and only from a token that may upload (any other is answered
    // 401, 403 or 404 from the headers alone): it is kept up to a bound, else skipped.
    if (r->keep_body && !r->body_too_large && !r->over_budget) {
      const size_t size = r->body.size() + *upload_data_size;
      if (size > Uploads::kMaxBody) {
        r->body_too_large = true;
        s->DropBody(r);
      } else if (size > r->reserved && !s->Reserve(r, size - r->reserved)) {
        r->over_budget = true;
        s->DropBody(r);
      } else {
        if (r->body.empty()) r->body.reserve(r->reserved);  // once, as the first bytes arrive
        r->body.append(upload_data, *upload_data_size);
      }
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  Reply reply = s->Route(c, r);
  s->DropBody(r);  // answered: its budget is free before the client sees the answer
  r->status = reply.status;
  MHD_Response* response;
  if (reply.owner != nullptr) {
    // The response keeps the mapping alive until libmicrohttpd is done with it.
    auto* owner = new std::shared_ptr<const void>(std::move(reply.owner));
    response = MHD_create_response_from_buffer_with_free_callback_cls(
        reply.data.size(), const_cast<char*>(reply.data.data()),
        [](void* cls) { delete static_cast<std::shared_ptr<const void>*>(cls); }, owner);
    if (response == nullptr) delete owner;
    r->bytes = reply.data.size();
  } else {
    response = MHD_create_response_from_buffer(reply.body.size(), reply.body.data(),
                                               MHD_RESPMEM_MUST_COPY);
    r->bytes = reply.body.size();
  }
  if (response == nullptr) return MHD_NO;
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
  const char* header = Header(c, "Authorization");
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
  const char* header = Header(c, "Authorization");
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
    Reply reply;
    reply.body = MetricsText(metrics_.Sum(), store_.GetStats(), in_flight_.load());
    reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return reply;
  }
  if (path == "/v1/lookup" || path == "/v1/file") {
    r->endpoint = path == "/v1/lookup" ? kV1Lookup : kV1File;
    absl::StatusOr<std::optional<std::string_view>> project = t->Single("project");
    if (!project.ok()) return ErrorFor(project.status());
    if (!*project) return Error(400, "parameter \"project\" is required");
    if (absl::Status s = ValidateProject(**project); !s.ok()) return ErrorFor(s);
    if (std::optional<Reply> denied = Authorize(c, **project)) return *denied;
    return r->endpoint == kV1Lookup ? V1Lookup(store_, *t) : V1File(store_, *t);
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
    if (*download) return Download(store_.store(), c, project, **download);
    return ArtifactLookup(store_, c, project, *t);
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
  const char* header = Header(c, "Authorization");
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
  if (r->over_budget) {
    // sentry-cli retries a 503 (not a 413 or 429) with backoff.
    Reply reply = Error(503, "too many upload bodies held at once (--max-upload-buffer); retry");
    reply.headers.emplace_back("Retry-After", "1");
    return reply;
  }
  Uploads::Answer answer;
  if (get) {
    std::optional<std::string> url = RequestUrl(c, t);
    if (!url) return Error(400, "a valid Host header is needed for the upload URL");
    answer = uploads_->ChunkOptions(*url);
  } else if (!assemble) {
    const char* type = Header(c, "Content-Type");
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

bool Server::Reserve(Request* r, size_t n) {
  size_t held = buffered_.load(std::memory_order_relaxed);
  do {
    if (n > options_.max_upload_buffer - std::min(held, options_.max_upload_buffer)) return false;
  } while (!buffered_.compare_exchange_weak(held, held + n, std::memory_order_relaxed));
  r->reserved += n;
  return true;
}

void Server::DropBody(Request* r) {
  buffered_.fetch_sub(r->reserved, std::memory_order_relaxed);
  r->reserved = 0;
  r->body = std::string();
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
  if (absl::Status s = store_.store().CheckLocation(); !s.ok()) {
    // Named as given: an object store's error names the request that failed instead.
    std::string why = OneLine(StdView(s.message()));
    if (!why.starts_with(root_)) why = StrCat(root_, ": ", why);
    std::cerr << "artidx serve: store " << why << "\n";
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
