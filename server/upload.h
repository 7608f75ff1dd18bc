// Copyright artidx authors.
//
// upload.h: the upload half of `artidx serve`, Sentry's chunked-upload routes as sentry-cli
// speaks them (SPEC.md section 25):
//   GET  /api/0/organizations/ORG/chunk-upload/          the upload options (Options below)
//   POST /api/0/organizations/ORG/chunk-upload/          multipart chunks, gzip or plain
//   POST /api/0/organizations/ORG/artifactbundle/assemble/  join chunks into a bundle, add it
// The bodies are decoded by server/upload_request.h. Chunks go to the store through
// Indexer::PutChunk once every chunk of the request is checked (size, SHA-1); an assemble
// whose chunks are all stored runs Indexer::Assemble on a small pool of worker threads, never on
// the request thread, and later polls of the same request (checksum, projects, version, dist)
// answer "assembling", then "ok" or "error". Finished states are kept a bounded time and
// number; a poll for a forgotten one runs the (idempotent) assemble again.
//
// Thread safety: every method may be called from any thread. The destructor waits for the
// assembles queued or running.
//
// Usage (server/server.cc):
//   server::Uploads uploads(store_root, {.chunk_size = 8 << 20});
//   Uploads::Answer a = uploads.PutChunks(content_type, body);

#ifndef ARTIDX_SERVER_UPLOAD_H_
#define ARTIDX_SERVER_UPLOAD_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "artidx/indexer.h"
#include "server/upload_request.h"

namespace artidx::server {

class Uploads {
 public:
  struct Options {
    size_t chunk_size = size_t{8} << 20;  // the largest chunk accepted (uncompressed)
    unsigned workers = 2;                 // threads running assembles
    // Called by an assemble's worker once its add is complete (published or failed), before a
    // poll can answer its outcome, with the projects it added to.
    std::function<void(const std::vector<std::string>& projects)> published;
    CacheOptions cache;  // for a store on S3
  };
  static constexpr size_t kMaxRequestSize = size_t{32} << 20;
  // The largest request body read: the chunks plus room for the multipart framing.
  static constexpr size_t kMaxBody = kMaxRequestSize + (size_t{1} << 20);

  Uploads(const std::string& store_root, Options options);
  ~Uploads();
  Uploads(const Uploads&) = delete;
  Uploads& operator=(const Uploads&) = delete;

  struct Answer {
    int status = 200;
    std::string body;  // JSON
  };
  // `url`: the absolute URL of the chunk-upload endpoint, where chunks are to be posted.
  Answer ChunkOptions(std::string_view url) const;
  // A multipart/form-data body of chunks; `content_type` gives the boundary. Nothing is stored
  // unless every part is valid.
  Answer PutChunks(std::string_view content_type, std::string_view body) const;
  // An assemble request. `may_write(projects)` says whether the caller may upload to all of
  // them; it is asked before anything else is done (403 when it says no).
  Answer Assemble(std::string_view body,
                  const std::function<bool(const std::vector<std::string>&)>& may_write);

 private:
  struct Job {
    std::string key;
    std::string checksum;
    std::vector<std::string> chunks;
    AddOptions options;
  };
  struct State {
    bool done = false;
    bool ok = false;
    std::string detail;
    std::chrono::steady_clock::time_point finished;
  };
  void Work();
  void ForgetOld();  // requires mu_

  const Options options_;
  const Indexer indexer_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                // guarded by mu_
  std::deque<Job> queue_;                // guarded by mu_
  std::map<std::string, State> states_;  // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace artidx::server

#endif  // ARTIDX_SERVER_UPLOAD_H_
