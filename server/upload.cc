#include "server/upload.h"

#include <libdeflate.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <variant>

#include "common/names.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "common/text.h"
#include "simdjson.h"

namespace artidx::server {
namespace {

constexpr size_t kMaxAssembleBody = size_t{1} << 20;  // 1 MiB of JSON: ~20,000 chunks
constexpr size_t kMaxStates = 4096;                   // assembles remembered
constexpr auto kKeepFinished = std::chrono::minutes(10);

Uploads::Answer Fail(int status, std::string_view detail) {
  return {status, StrCat("{\"detail\":", JsonString(detail), "}")};
}

bool IsSha1Hex(std::string_view s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The value of parameter `name` in a header such as `form-data; name="file"; filename="x"` or
// `multipart/form-data; boundary=XYZ` (quoted or not); "" when absent.
std::string_view Param(std::string_view header, std::string_view name) {
  for (size_t i = header.find(';'); i != std::string_view::npos; i = header.find(';', i + 1)) {
    std::string_view rest = header.substr(i + 1);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    if (rest.size() <= name.size() || rest[name.size()] != '=') continue;
    bool same = true;
    for (size_t k = 0; k < name.size(); ++k) {
      const char c = rest[k];
      if ((c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c) != name[k]) same = false;
    }
    if (!same) continue;
    rest.remove_prefix(name.size() + 1);
    if (!rest.empty() && rest.front() == '"') {
      const size_t end = rest.find('"', 1);
      return end == std::string_view::npos ? std::string_view() : rest.substr(1, end - 1);
    }
    return rest.substr(0, std::min(rest.find(';'), rest.size()));
  }
  return {};
}

struct Part {
  std::string_view name, filename, data;
};

// The parts of a multipart/form-data body (RFC 7578), or false when it is malformed.
bool ParseMultipart(std::string_view boundary, std::string_view body, std::vector<Part>* parts) {
  if (boundary.empty() || boundary.size() > 200) return false;
  const std::string delimiter = StrCat("--", boundary);
  const std::string next = StrCat("\r\n", delimiter);
  if (!body.starts_with(delimiter)) return false;
  body.remove_prefix(delimiter.size());
  for (;;) {
    if (body.starts_with("--")) return true;  // the close delimiter (an epilogue is ignored)
    if (!body.starts_with("\r\n")) return false;
    body.remove_prefix(2);
    const size_t head_end = body.find("\r\n\r\n");
    if (head_end == std::string_view::npos) return false;
    Part part;
    bool disposition = false;
    std::string_view headers = body.substr(0, head_end);
    while (!headers.empty()) {
      const size_t eol = std::min(headers.find("\r\n"), headers.size());
      const std::string_view line = headers.substr(0, eol);
      headers.remove_prefix(std::min(eol + 2, headers.size()));
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) return false;
      std::string field(line.substr(0, colon));
      for (char& c : field) c = (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
      if (field == "content-disposition") {
        const std::string_view value = line.substr(colon + 1);
        disposition = true;
        part.name = Param(value, "name");
        part.filename = Param(value, "filename");
      }
    }
    if (!disposition) return false;
    body.remove_prefix(head_end + 4);
    const size_t end = body.find(next);
    if (end == std::string_view::npos) return false;
    part.data = body.substr(0, end);
    parts->push_back(part);
    body.remove_prefix(end + next.size());
  }
}

}  // namespace

Uploads::Uploads(const std::string& store_root, Options options)
    : options_(options), indexer_(store_root) {
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
  return {200, StrCat("{\"url\":", JsonString(url), ",\"chunkSize\":", options_.chunk_size,
                      ",\"chunksPerRequest\":", kChunksPerRequest, ",\"maxRequestSize\":",
                      kMaxRequestSize, ",\"maxFileSize\":", BundleLimits().max_archive_bytes,
                      ",\"concurrency\":4,\"hashAlgorithm\":\"sha1\",\"compression\":[\"gzip\"],"
                      "\"accept\":[\"artifact_bundles\",\"artifact_bundles_v2\"]}")};
}

Uploads::Answer Uploads::PutChunks(std::string_view content_type, std::string_view body) const {
  if (!content_type.starts_with("multipart/form-data")) {
    return Fail(400, "expected a multipart/form-data body of chunks");
  }
  if (body.size() > kMaxBody) return Fail(413, "request body too large");
  std::vector<Part> parts;
  if (!ParseMultipart(Param(content_type, "boundary"), body, &parts)) {
    return Fail(400, "malformed multipart/form-data body");
  }
  if (parts.size() > kChunksPerRequest) {
    return Fail(400, StrCat("more than ", kChunksPerRequest, " chunks in one request"));
  }
  // Every chunk is decoded and checked before any is stored, then decoded again to be stored:
  // memory stays one chunk (the buffer), however many chunks a request holds.
  std::unique_ptr<libdeflate_decompressor, void (*)(libdeflate_decompressor*)> inflater(
      libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
  if (inflater == nullptr) return Fail(500, "out of memory");
  std::string buffer;
  // The uncompressed bytes of `part` (a view of `buffer` or of the body), or the error answer.
  auto decode = [&](const Part& part) -> std::variant<std::string_view, Answer> {
    const std::string_view name = part.filename.substr(0, 80);
    if (!IsSha1Hex(part.filename)) {
      return Fail(400, StrCat("chunk \"", name, "\": the filename must be its SHA-1 in hex"));
    }
    std::string_view bytes;
    if (part.name == "file_gzip") {
      buffer.resize(options_.chunk_size);
      size_t n = 0;
      const libdeflate_result r = libdeflate_gzip_decompress(
          inflater.get(), part.data.data(), part.data.size(), buffer.data(), buffer.size(), &n);
      if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
        return Fail(413,
                    StrCat("chunk ", name, " inflates past the chunk size ", options_.chunk_size));
      }
      if (r != LIBDEFLATE_SUCCESS) return Fail(400, StrCat("chunk ", name, ": invalid gzip data"));
      bytes = std::string_view(buffer).substr(0, n);
    } else if (part.name == "file") {
      if (part.data.size() > options_.chunk_size) {
        return Fail(413,
                    StrCat("chunk ", name, " is larger than the chunk size ", options_.chunk_size));
      }
      bytes = part.data;
    } else {
      return Fail(400, StrCat("unexpected form field \"", part.name.substr(0, 80),
                              "\": expected file or file_gzip"));
    }
    if (Sha1Digest::Of(bytes).Hex() != part.filename) {
      return Fail(400, StrCat("chunk ", name, ": its SHA-1 differs from its name"));
    }
    return bytes;
  };
  for (const Part& part : parts) {
    if (auto decoded = decode(part); std::holds_alternative<Answer>(decoded)) {
      return std::get<Answer>(std::move(decoded));
    }
  }
  for (const Part& part : parts) {
    const std::string_view bytes = std::get<std::string_view>(decode(part));
    absl::StatusOr<std::string> stored = indexer_.PutChunk(bytes);
    if (!stored.ok()) return Fail(500, StdView(stored.status().message()));
  }
  return {200, "{}"};
}

Uploads::Answer Uploads::Assemble(
    std::string_view body, const std::function<bool(const std::vector<std::string>&)>& may_write) {
  if (body.size() > kMaxAssembleBody) return Fail(413, "assemble request too large");
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(simdjson::padded_string(body)).get(root) != simdjson::SUCCESS) {
    return Fail(400, "the assemble request is not a JSON object");
  }
  Job job;
  std::string_view text;
  if (root["checksum"].get(text) != simdjson::SUCCESS || !IsSha1Hex(text)) {
    return Fail(400, "\"checksum\" must be a SHA-1 in lowercase hex");
  }
  job.checksum = std::string(text);
  simdjson::dom::array array;
  if (root["chunks"].get(array) != simdjson::SUCCESS) return Fail(400, "\"chunks\" must be a list");
  for (simdjson::dom::element e : array) {
    if (e.get(text) != simdjson::SUCCESS || !IsSha1Hex(text)) {
      return Fail(400, "\"chunks\" must list SHA-1s in lowercase hex");
    }
    job.chunks.emplace_back(text);
  }
  if (root["projects"].get(array) != simdjson::SUCCESS || array.size() == 0) {
    return Fail(400, "\"projects\" must be a non-empty list");
  }
  for (simdjson::dom::element e : array) {
    if (e.get(text) != simdjson::SUCCESS) return Fail(400, "\"projects\" must list strings");
    if (absl::Status s = ValidateProject(text); !s.ok()) {
      return Fail(400, StdView(s.message()));
    }
    job.options.projects.emplace_back(text);
  }
  for (auto [field, out] :
       {std::pair{"version", &job.options.release}, std::pair{"dist", &job.options.dist}}) {
    simdjson::dom::element e;
    if (root[field].get(e) != simdjson::SUCCESS || e.is_null()) continue;
    if (e.get(text) != simdjson::SUCCESS)
      return Fail(400, StrCat("\"", field, "\" must be a string"));
    *out = std::string(text);
  }
  if (!job.options.release.empty()) {
    if (absl::Status s = ValidateRelease(job.options.release); !s.ok()) {
      return Fail(400, StdView(s.message()));
    }
  }
  if (!job.options.dist.empty()) {
    if (job.options.release.empty()) return Fail(400, "\"dist\" needs \"version\"");
    if (absl::Status s = ValidateDist(job.options.dist); !s.ok()) {
      return Fail(400, StdView(s.message()));
    }
  }
  if (!may_write(job.options.projects)) {
    return Fail(403, "this token may not upload to every project of the request");
  }
  job.key = StrCat(job.checksum, "\n", job.options.release, "\n", job.options.dist);
  for (const std::string& p : job.options.projects) StrAppend(&job.key, "\n", p);

  auto answer = [](std::string_view state, std::string_view detail,
                   const std::vector<std::string>& missing) {
    std::string out = StrCat("{\"state\":\"", state, "\",\"missingChunks\":[");
    for (size_t i = 0; i < missing.size(); ++i) {
      StrAppend(&out, i ? "," : "", "\"", missing[i], "\"");
    }
    StrAppend(&out, "]", detail.empty() ? "" : StrCat(",\"detail\":", JsonString(detail)), "}");
    return Answer{200, std::move(out)};
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
    std::lock_guard lock(mu_);
    State& state = states_[job.key];
    state.done = true;
    state.ok = result.ok();
    state.detail = result.ok() ? "" : std::string(StdView(result.status().message()));
    state.finished = std::chrono::steady_clock::now();
  }
}

}  // namespace artidx::server
