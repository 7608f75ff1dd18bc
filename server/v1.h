// Copyright artidx authors.
//
// v1.h: artidx's own lookup endpoints, the HTTP form of `artidx lookup --json` and `artidx cat`:
//   GET /v1/lookup?project=P&(release=R&[dist=D]&(url=U|stem=S) | debug_id=ID[&type=T])
//       {"candidates":[{bundle_id, timestamp, url, path, type, debug_id, sourcemap}, ...]}
//       newest first (an index that does not exist has none)
//   GET /v1/file?...the same...[&sourcemap=1]
//       the bytes of the first candidate's file (or of its source map), 404 without one
// Parameters are checked as the CLI checks its flags: exactly one of url, stem and debug_id;
// release with url and stem only; type with debug_id only.
//
// Thread safety: functions; safe from any thread.
//
// Usage (server/server.cc, once the token may read `project`):
//   return server::V1Lookup(store, target);

#ifndef ARTIDX_SERVER_V1_H_
#define ARTIDX_SERVER_V1_H_

#include "server/query.h"
#include "server/reply.h"
#include "server/store_view.h"

namespace artidx::server {

// The answers to `t`, whose "project" parameter is present and valid.
Reply V1Lookup(const StoreView& store, const Target& t);
Reply V1File(const StoreView& store, const Target& t);

}  // namespace artidx::server

#endif  // ARTIDX_SERVER_V1_H_
