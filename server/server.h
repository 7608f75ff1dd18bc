// Copyright artidx authors.
//
// server.h: `artidx serve`, the HTTP service over an artidx store. It answers Sentry's
// artifact-lookup API (what an unmodified Symbolicator asks, SPEC.md section 25) and artidx's
// own /v1/lookup and /v1/file, with /healthz and /metrics, on libmicrohttpd's epoll thread
// pool. The server only wires: every answer comes from the lookup library (artidx::Store),
// which keeps indexes mapped and sees new segments within its staleness bound (1 s), and what
// the server's own assembles published at once (server/store_view.h).
//
// Thread safety: Serve runs the service on the calling thread (signals) and libmicrohttpd's
// worker threads (requests) until SIGTERM or SIGINT, then returns.
//
// Usage (cli/serve.cc parses the flags):
//   server::ServeOptions options;
//   options.tokens_path = "/etc/artidx/tokens";
//   return server::Serve(store_root, std::move(options));

#ifndef ARTIDX_SERVER_SERVER_H_
#define ARTIDX_SERVER_SERVER_H_

#include <algorithm>
#include <cstddef>
#include <string>
#include <thread>

#include "artidx/types.h"

namespace artidx::server {

// What `artidx serve`'s flags set (see its --help in cli/serve.cc).
struct ServeOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free one
  std::string tokens_path;                // the tokens file; empty only with no_auth
  bool no_auth = false;                   // serve without tokens, on a loopback address only
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  unsigned timeout_s = 15;              // a connection idle or stalled this long is closed
  bool json_log = false;                // the access log as JSON lines instead of text
  size_t chunk_size = size_t{8} << 20;  // the upload chunk size offered to sentry-cli
  unsigned max_connections = 1024;      // connections served at once (at least `threads`)
  // Bytes of upload request bodies held at once, over all connections; a body past it is
  // refused (503, which sentry-cli retries). At least Uploads::kMaxBody.
  size_t max_upload_buffer = size_t{512} << 20;
  CacheOptions cache;  // for a store on S3: where its segments and archives are copied
};

// Serves the store at `store_root` until SIGTERM or SIGINT (finishing the requests in flight),
// and returns the exit status: 0 after a clean shutdown, 2 on a start-up error (an address it
// cannot listen on, --no-auth off loopback, an unreadable tokens file, a store that cannot be
// listed: no directory, or on S3 missing or wrong credentials or no such bucket; printed on
// stderr as one line).
int Serve(const std::string& store_root, ServeOptions options);

}  // namespace artidx::server

#endif  // ARTIDX_SERVER_SERVER_H_
