// Copyright artidx authors.
//
// download.h: the download half of Sentry's artifact-lookup endpoint,
//   GET /api/0/projects/ORG/PROJECT/artifact-lookup/?download=BUNDLE_ID/ARCHIVE_SHA1
// the URL server/artifact_lookup.h hands out: the stored archive, sent from its file
// descriptor (no copy in memory), only when a reference records it added to an index of the
// project (Store::ProjectArchivePath), with an ETag (the archive's SHA-1, so If-None-Match
// answers 304), and one byte range when asked (Range, If-Range; RFC 9110: several ranges, or a
// range that does not parse, get the whole file; one past the end gets 416).
//
// Thread safety: a function; safe from any thread.
//
// Usage (server/server.cc, once the token may read the project):
//   return server::Download(store, connection, project, id);

#ifndef ARTIDX_SERVER_DOWNLOAD_H_
#define ARTIDX_SERVER_DOWNLOAD_H_

#include <string_view>

#include "artidx/lookup.h"
#include "server/reply.h"

namespace artidx::server {

// The archive `id` ("BUNDLE_ID/ARCHIVE_SHA1") of `project`, as the headers of the request on
// `c` ask for it. A Reply with fd >= 0 owns that descriptor.
Reply Download(const Store& store, MHD_Connection* c, std::string_view project,
               std::string_view id);

}  // namespace artidx::server

#endif  // ARTIDX_SERVER_DOWNLOAD_H_
