// Copyright artidx authors.
//
// artifact_lookup.h: Sentry's artifact-lookup endpoint, what an unmodified Symbolicator asks
// (SPEC.md section 25):
//   GET /api/0/projects/ORG/PROJECT/artifact-lookup/?debug_id=ID...&release=R&dist=D&url=STEM...
// answers a JSON array of the bundles that hold a file with one of the debug ids (in the
// project's debug-id index) or, with a release, a URL ending in one of the stems (in the URL
// index of (release, dist)): each bundle once, newest first, with the way it was first found
// ("debug-id" or "release") and a download URL that extends the URL the request was sent to,
// so that Symbolicator sends its token with the download too (server/download.h serves it).
// Candidates whose archive is gone are dropped and repaired on read (Store::DropMissing).
//
// Thread safety: a function; safe from any thread (StoreView is).
//
// Usage (server/server.cc routes to it once the token may read the project):
//   return server::ArtifactLookup(store, connection, project, target);

#ifndef ARTIDX_SERVER_ARTIFACT_LOOKUP_H_
#define ARTIDX_SERVER_ARTIFACT_LOOKUP_H_

#include <string_view>

#include "server/query.h"
#include "server/reply.h"
#include "server/store_view.h"

namespace artidx::server {

// The answer for `project` (already validated) to the request `t` on connection `c` (which
// gives the Host header for the download URLs).
Reply ArtifactLookup(const StoreView& store, MHD_Connection* c, std::string_view project,
                     const Target& t);

}  // namespace artidx::server

#endif  // ARTIDX_SERVER_ARTIFACT_LOOKUP_H_
