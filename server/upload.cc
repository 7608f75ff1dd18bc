#include "server/upload.h"

#include <algorithm>
#include <utility>

#include "common/json_writer.h"
#include "common/strings.h"

namespace artidx::server {
namespace {

constexpr size_t kMaxStates = 4096;  // assembles remembered
constexpr auto kKeepFinished = std::chrono::minutes(10);

Uploads::Answer Fail(int status, std::string_view detail) {
  JsonWriter json;
  json.BeginObject().Key("detail").String(detail).EndObject();
  return {status, json.Take()};
}

Uploads::Answer Fail(const absl::Status& status) {
  return Fail(HttpStatus(status), StdView(status.message()));
}

}  // namespace

Uploads::Uploads(const std::string& store_root, Options options)
    : options_(options), indexer_(store_root, {.cache = options.cache}) {
  for (unsigned i = 0; i < std::max(1u, options_.workers); ++i) {
    threads_.emplace_back([this] { Work(); });
  }
}

Uploads::~Uploads() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

Uploads::Answer Uploads::ChunkOptions(std::string_view url) const {
  JsonWriter json;
  json.BeginObject()
      .Key("url")
      .String(url)
      .Key("chunkSize")
      .Uint(options_.chunk_size)
      .Key("chunksPerRequest")
      .Uint(kChunksPerRequest)
      .Key("maxRequestSize")
      .Uint(kMaxRequestSize)
      .Key("maxFileSize")
      .Uint(BundleLimits().max_archive_bytes)
      .Key("concurrency")
      .Int(4)
      .Key("hashAlgorithm")
      .String("sha1")
      .Key("compression")
      .Strings({"gzip"})
      .Key("accept")
      .Strings({"artifact_bundles", "artifact_bundles_v2"})
      .EndObject();
  return {200, json.Take()};
}

Uploads::Answer Uploads::PutChunks(std::string_view content_type, std::string_view body) const {
  if (body.size() > kMaxBody) return Fail(413, "request body too large");
  absl::StatusOr<std::vector<ChunkPart>> parts = ParseChunkUpload(content_type, body);
  if (!parts.ok()) return Fail(parts.status());
  // Every chunk is decoded and checked before any is stored, then decoded again to be stored:
  // memory stays one chunk (the decoder's buffer), however many chunks a request holds.
  ChunkDecoder decoder(options_.chunk_size);
  for (const ChunkPart& part : *parts) {
    if (absl::StatusOr<std::string_view> bytes = decoder.Decode(part); !bytes.ok()) {
      return Fail(bytes.status());
    }
  }
  for (const ChunkPart& part : *parts) {
    absl::StatusOr<std::string_view> bytes = decoder.Decode(part);
    if (!bytes.ok()) return Fail(500, StdView(bytes.status().message()));
    absl::StatusOr<std::string> stored = indexer_.PutChunk(*bytes);
    if (!stored.ok()) return Fail(500, StdView(stored.status().message()));
  }
  return {200, "{}"};
}

Uploads::Answer Uploads::Assemble(
    std::string_view body, const std::function<bool(const std::vector<std::string>&)>& may_write) {
  absl::StatusOr<AssembleRequest> request = ParseAssembleRequest(body);
  if (!request.ok()) return Fail(request.status());
  Job job;
  job.checksum = std::move(request->checksum);
  job.chunks = std::move(request->chunks);
  job.options.projects = std::move(request->projects);
  job.options.release = std::move(request->release);
  job.options.dist = std::move(request->dist);
  if (!may_write(job.options.projects)) {
    return Fail(403, "this token may not upload to every project of the request");
  }
  job.key = StrCat(job.checksum, "\n", job.options.release, "\n", job.options.dist);
  for (const std::string& p : job.options.projects) StrAppend(&job.key, "\n", p);

  auto answer = [](std::string_view state, std::string_view detail,
                   const std::vector<std::string>& missing) {
    JsonWriter json;
    json.BeginObject().Key("state").String(state).Key("missingChunks").Strings(missing);
    if (!detail.empty()) json.Key("detail").String(detail);
    json.EndObject();
    return Answer{200, json.Take()};
  };
  {
    std::lock_guard lock(mu_);
    ForgetOld();
    if (auto it = states_.find(job.key); it != states_.end()) {
      if (!it->second.done) return answer("assembling", "", {});
      return answer(it->second.ok ? "ok" : "error", it->second.detail, {});
    }
  }
  absl::StatusOr<std::vector<std::string>> missing = indexer_.MissingChunks(job.chunks);
  if (!missing.ok()) return Fail(500, StdView(missing.status().message()));
  if (!missing->empty()) return answer("not_found", "", *missing);
  {
    std::lock_guard lock(mu_);
    if (states_.contains(job.key)) return answer("assembling", "", {});  // raced: same request
    if (states_.size() >= kMaxStates) return Fail(503, "too many assembles in progress");
    job.options.timestamp_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
    states_.emplace(job.key, State{});
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
  return answer("created", "", {});
}

void Uploads::ForgetOld() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = states_.begin(); it != states_.end();) {
    if (it->second.done && now - it->second.finished > kKeepFinished) {
      it = states_.erase(it);
    } else {
      ++it;
    }
  }
  // Past the bound, the oldest finished go first.
  while (states_.size() >= kMaxStates) {
    auto oldest = states_.end();
    for (auto it = states_.begin(); it != states_.end(); ++it) {
      if (it->second.done &&
          (oldest == states_.end() || it->second.finished < oldest->second.finished)) {
        oldest = it;
      }
    }
    if (oldest == states_.end()) return;
    states_.erase(oldest);
  }
}

void Uploads::Work() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every queued assemble done
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    absl::StatusOr<AssembleResult> result =
        indexer_.Assemble(job.checksum, job.chunks, job.options);
    if (options_.published) options_.published(job.options.projects);
    std::lock_guard lock(mu_);
    State& state = states_[job.key];
    state.done = true;
    state.ok = result.ok();
    state.detail = result.ok() ? "" : std::string(StdView(result.status().message()));
    state.finished = std::chrono::steady_clock::now();
  }
}

}  // namespace artidx::server
