// `artidx serve`: its flags and help; the service itself is server/server.h.

#include <string>
#include <utility>
#include <vector>

#include "cli/command.h"
#include "cli/verbs.h"
#include "server/server.h"
#include "server/upload.h"

namespace artidx::cli {
namespace {

constexpr char kServeHelp[] =
    R"(usage: artidx [--store STORE] serve [--listen HOST:PORT] (--tokens FILE | --no-auth)
                      [--threads N] [--timeout SECONDS] [--log-format text|json]
                      [--chunk-size BYTES] [--max-connections N]
                      [--max-upload-buffer BYTES]

Serves the store over HTTP until SIGTERM or SIGINT (which finish the requests in flight, then
exit 0): Sentry's artifact-lookup API as Symbolicator asks it,
  GET /api/0/projects/ORG/PROJECT/artifact-lookup/?debug_id=ID&release=R&dist=D&url=STEM
  GET /api/0/projects/ORG/PROJECT/artifact-lookup/?download=ID
and GET /v1/lookup, /v1/file (as `artidx lookup --json` and `artidx cat`), /healthz, /metrics.
It also takes uploads from `sentry-cli sourcemaps upload` (SENTRY_URL=http://HOST:PORT):
  GET, POST /api/0/organizations/ORG/chunk-upload/   (upload options; chunks)
  POST /api/0/organizations/ORG/artifactbundle/assemble/
Requests present `Authorization: Bearer TOKEN`; SIGHUP re-reads the tokens file. One access-log
line per request on stderr.

  --listen HOST:PORT  address to listen on (default 127.0.0.1:8080); port 0 picks a free
                      port; the address is printed on stderr once listening
  --tokens FILE       lines "TOKEN PROJECT[,PROJECT...]" or "TOKEN *": who may read what;
                      a line ending in the word "write" lets its token upload to them too
  --no-auth           serve without tokens (reads and uploads): only on a loopback address
  --threads N         worker threads (default: the number of CPUs)
  --timeout SECONDS   close a connection idle or stalled this long (default 15)
  --log-format F      access log as text (default) or json
  --chunk-size BYTES  the upload chunk size offered to sentry-cli (default 8388608)
  --max-connections N
                      connections served at once (default 1024, at least --threads); more
                      wait until one closes
  --max-upload-buffer BYTES
                      upload request bodies (each up to 33 MiB) held at once, over all
                      connections (default 536870912, at least 34603008); a body past it
                      is refused with 503 and Retry-After, which sentry-cli retries
)";

}  // namespace

int Serve(const StoreFlags& at, const std::vector<std::string>& tokens) {
  const std::string& root = at.root;
  const Args args = ParseArgs("serve", kServeHelp,
                              {{"listen", FlagSpec::kValue},
                               {"tokens", FlagSpec::kValue},
                               {"no-auth", FlagSpec::kFlag},
                               {"threads", FlagSpec::kValue},
                               {"timeout", FlagSpec::kValue},
                               {"log-format", FlagSpec::kValue},
                               {"chunk-size", FlagSpec::kValue},
                               {"max-connections", FlagSpec::kValue},
                               {"max-upload-buffer", FlagSpec::kValue}},
                              tokens);
  if (!args.positional.empty()) Fail("serve: unexpected argument " + args.positional[0]);
  server::ServeOptions options;
  options.listen = args.Get("listen", options.listen);
  options.tokens_path = args.Get("tokens");
  options.no_auth = args.Has("no-auth");
  if (args.Has("threads")) options.threads = ParseInt("threads", args.Get("threads"), 1, 1024);
  if (args.Has("timeout")) options.timeout_s = ParseInt("timeout", args.Get("timeout"), 1, 3600);
  if (args.Has("chunk-size")) {
    options.chunk_size =
        ParseInt("chunk-size", args.Get("chunk-size"), 1024, server::Uploads::kMaxRequestSize);
  }
  if (args.Has("max-connections")) {
    options.max_connections = ParseInt("max-connections", args.Get("max-connections"), 1, 65536);
  }
  if (args.Has("max-upload-buffer")) {
    options.max_upload_buffer = ParseInt("max-upload-buffer", args.Get("max-upload-buffer"),
                                         server::Uploads::kMaxBody, int64_t{1} << 40);
  }
  const std::string log_format = args.Get("log-format", "text");
  if (log_format != "text" && log_format != "json") Fail("serve: --log-format takes text or json");
  options.json_log = log_format == "json";
  if (options.max_connections < options.threads) {
    Fail("serve: --max-connections must be at least --threads");
  }
  if (options.no_auth == args.Has("tokens")) {
    Fail(options.no_auth ? "serve: --no-auth and --tokens exclude each other"
                         : "serve: give --tokens FILE (or --no-auth on a loopback address)");
  }
  options.cache = at.cache;
  return server::Serve(root, std::move(options));
}

}  // namespace artidx::cli
