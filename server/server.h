// Copyright artidx authors.
//
// server.h: `artidx serve`, the HTTP service over an artidx store. It answers Sentry's
// artifact-lookup API (what an unmodified Symbolicator asks, SPEC.md section 25) and artidx's
// own /v1/lookup and /v1/file, with /healthz and /metrics, on libmicrohttpd's epoll thread
// pool. The server only wires: every answer comes from the lookup library (artidx::Store),
// which keeps indexes mapped and sees new segments within its staleness bound (1 s).
//
// Thread safety: Serve runs the service on the calling thread (signals) and libmicrohttpd's
// worker threads (requests) until SIGTERM or SIGINT, then returns.
//
// Usage (cli/main.cc):
//   if (verb == "serve") return server::Serve(store_root, argc, argv, i + 1);

#ifndef ARTIDX_SERVER_SERVER_H_
#define ARTIDX_SERVER_SERVER_H_

#include <string>

namespace artidx::server {

// Parses the flags of `serve` from argv[first..argc), serves the store at `store_root` until
// SIGTERM or SIGINT (finishing the requests in flight), and returns the exit status: 0 after a
// clean shutdown, 2 on a usage or start-up error (printed on stderr as one line).
int Serve(const std::string& store_root, int argc, char** argv, int first);

}  // namespace artidx::server

#endif  // ARTIDX_SERVER_SERVER_H_
