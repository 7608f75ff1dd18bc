#include "store/s3_client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <random>
#include <thread>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/strings/numbers.h"
#include "common/strings.h"
#include "store/s3_xml.h"

namespace artidx::store {
namespace {

// The most of an error response's body kept (for its <Code> and <Message>).
constexpr uint64_t kMaxErrorBodyBytes = 64 << 10;

std::string GetEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// RFC 3986 percent-encoding of everything but the unreserved characters (and '/' when
// keep_slash), as SigV4's canonical form wants: '+' becomes %2B, ' ' %20, '~' stays.
std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Up to 200 bytes of untrusted text, fit for a one-line message.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200)) out += (c >= 0x20 && c != 0x7F) ? c : ' ';
  return out;
}

// Whether a failed try may succeed if repeated.
bool RetryableCurlError(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

bool RetryableStatus(long status) {
  return status == 500 || status == 502 || status == 503 || status == 504;
}

// Collects a response body, capped: a 2xx body over `max_body` stops the transfer; an error
// body is kept up to kMaxErrorBodyBytes and the rest dropped.
struct BodySink {
  CURL* curl;
  std::string* body;
  uint64_t max_body;
  bool over_limit = false;

  static size_t Write(char* data, size_t size, size_t n, void* user) {
    auto* sink = static_cast<BodySink*>(user);
    const size_t bytes = size * n;
    long status = 0;
    curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &status);
    const bool success = status >= 200 && status < 300;
    const uint64_t cap = success ? sink->max_body : kMaxErrorBodyBytes;
    if (sink->body->size() + bytes > cap) {
      if (success) {
        sink->over_limit = true;
        return 0;  // ends the transfer with CURLE_WRITE_ERROR
      }
      sink->body->append(data, static_cast<size_t>(cap - sink->body->size()));
      return bytes;
    }
    sink->body->append(data, bytes);
    return bytes;
  }
};

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

absl::StatusOr<S3Config> S3ConfigFromEnvironment() {
  S3Config config;
  config.endpoint = GetEnv("AWS_ENDPOINT_URL");
  while (!config.endpoint.empty() && config.endpoint.back() == '/') config.endpoint.pop_back();
  if (!config.endpoint.empty() && config.endpoint.rfind("http://", 0) != 0 &&
      config.endpoint.rfind("https://", 0) != 0) {
    return absl::InvalidArgumentError(StrCat("AWS_ENDPOINT_URL \"", Printable(config.endpoint),
                                             "\" is not an http:// or https:// URL"));
  }
  config.access_key_id = GetEnv("AWS_ACCESS_KEY_ID");
  config.secret_access_key = GetEnv("AWS_SECRET_ACCESS_KEY");
  if (config.access_key_id.empty() || config.secret_access_key.empty()) {
    return absl::InvalidArgumentError(
        "S3 credentials missing: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  config.session_token = GetEnv("AWS_SESSION_TOKEN");
  config.region = GetEnv("AWS_REGION");
  if (config.region.empty()) config.region = GetEnv("AWS_DEFAULT_REGION");
  if (config.region.empty()) config.region = "us-east-1";
  config.ca_bundle = GetEnv("AWS_CA_BUNDLE");
  // The retry bounds: AWS_MAX_ATTEMPTS (as the AWS SDKs read it) and a total deadline.
  auto whole_number = [](const char* name, int64_t most, int64_t* out) -> absl::Status {
    const std::string text = GetEnv(name);
    if (text.empty()) return absl::OkStatus();
    if (!absl::SimpleAtoi(text, out) || *out < 1 || *out > most) {
      return absl::InvalidArgumentError(
          StrCat(name, " \"", Printable(text), "\" is not a whole number from 1 to ", most));
    }
    return absl::OkStatus();
  };
  int64_t attempts = config.max_attempts, deadline_s = config.deadline_ms / 1000;
  if (absl::Status s = whole_number("AWS_MAX_ATTEMPTS", 100, &attempts); !s.ok()) return s;
  if (absl::Status s = whole_number("ARTIDX_S3_DEADLINE_S", 86400, &deadline_s); !s.ok()) return s;
  config.max_attempts = static_cast<int>(attempts);
  config.deadline_ms = deadline_s * 1000;
  return config;
}

absl::StatusOr<S3ListPage> ParseListObjectsV2(std::string_view xml) {
  S3ListPage page;
  bool root_ok = false;
  bool field_ok = true;
  const bool well_formed =
      WalkXml(xml, [&](const std::vector<std::string>& path, const std::string& text) {
        if (path.size() == 1) root_ok = path[0] == "ListBucketResult";
        if (PathIs(path, {"ListBucketResult", "Contents", "Key"})) {
          page.keys.push_back(text);
        } else if (PathIs(path, {"ListBucketResult", "CommonPrefixes", "Prefix"})) {
          page.common_prefixes.push_back(text);
        } else if (PathIs(path, {"ListBucketResult", "IsTruncated"})) {
          if (text != "true" && text != "false") field_ok = false;
          page.truncated = text == "true";
        } else if (PathIs(path, {"ListBucketResult", "NextContinuationToken"})) {
          page.next_continuation_token = text;
        }
      });
  if (!well_formed) return absl::DataLossError("malformed ListObjectsV2 response: not XML");
  if (!root_ok) {
    return absl::DataLossError("malformed ListObjectsV2 response: no ListBucketResult");
  }
  if (!field_ok) return absl::DataLossError("malformed ListObjectsV2 response: bad IsTruncated");
  if (page.truncated && page.next_continuation_token.empty()) {
    return absl::DataLossError(
        "malformed ListObjectsV2 response: truncated without a NextContinuationToken");
  }
  return page;
}

struct S3Client::Request {
  Request(const char* method, std::string_view key, uint64_t max_body)
      : method(method), key(key), max_body(max_body) {}
  const char* method;
  std::string_view key;   // empty: the bucket itself
  std::string_view what;  // what an error names, when not the key (a listing's query)
  std::vector<std::pair<std::string, std::string>> query;
  std::string_view body;
  std::string range;  // a Range header's value, or empty
  uint64_t max_body;

  Request&& WithBody(std::string_view data) && {
    body = data;
    return std::move(*this);
  }
  Request&& WithRange(std::string value) && {
    range = std::move(value);
    return std::move(*this);
  }
};

struct S3Client::Response {
  long status = 0;
  std::string body;
  bool over_limit = false;  // a 2xx body over the request's max_body; the transfer stopped
  int64_t content_length = -1;
  int64_t modified_s = -1;  // Last-Modified, when asked (HEAD) and given
  int attempts = 0;
};

S3Client::S3Client(S3Config config, std::string bucket)
    : config_(std::move(config)), bucket_(std::move(bucket)) {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)init;
}

S3Client::~S3Client() {
  for (void* curl : idle_) curl_easy_cleanup(static_cast<CURL*>(curl));
}

uint64_t S3Client::requests_sent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_sent_;
}

void* S3Client::AcquireHandle() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_sent_;
    if (!idle_.empty()) {
      void* curl = idle_.back();
      idle_.pop_back();
      return curl;
    }
  }
  return curl_easy_init();
}

void S3Client::ReleaseHandle(void* curl) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(curl);
}

std::string S3Client::Describe(std::string_view key) const {
  return StrCat("s3://", bucket_, "/", key);
}

std::string S3Client::Url(const Request& request) const {
  std::string url;
  if (config_.endpoint.empty()) {
    url = StrCat("https://", bucket_, ".s3.", config_.region, ".amazonaws.com/",
                 UriEncode(request.key, true));
  } else {
    url = StrCat(config_.endpoint, "/", bucket_);
    if (!request.key.empty()) StrAppend(&url, "/", UriEncode(request.key, true));
  }
  // SigV4's canonical query string, which libcurl signs as given: parameters sorted, each
  // "name=value" (also when the value is empty), both encoded.
  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [name, value] : request.query) {
    query.emplace_back(UriEncode(name, false), UriEncode(value, false));
  }
  std::sort(query.begin(), query.end());
  for (size_t i = 0; i < query.size(); ++i) {
    StrAppend(&url, i == 0 ? "?" : "&", query[i].first, "=", query[i].second);
  }
  return url;
}

absl::StatusOr<S3Client::Response> S3Client::PerformOnce(void* handle, const Request& request) {
  CURL* curl = static_cast<CURL*>(handle);
  curl_easy_reset(curl);  // keeps the connection cache
  Response response;
  BodySink sink{curl, &response.body, request.max_body};
  char error_buffer[CURL_ERROR_SIZE] = "";
  const std::string url = Url(request);
  const std::string sigv4 = StrCat("aws:amz:", config_.region, ":s3");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(config_.stall_timeout_s));
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(curl, CURLOPT_USERNAME, config_.access_key_id.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, config_.secret_access_key.c_str());
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "artidx");
  // Connections are not inherited by processes this one starts (close-on-exec).
  curl_easy_setopt(
      curl, CURLOPT_SOCKOPTFUNCTION, +[](void*, curl_socket_t fd, curlsocktype) {
        return fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC) == 0 ? CURL_SOCKOPT_OK
                                                                        : CURL_SOCKOPT_ERROR;
      });
  if (!config_.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, config_.ca_bundle.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &BodySink::Write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);

  // libcurl signs the headers given here but does not add x-amz-content-sha256, which S3
  // requires.
  struct curl_slist* headers = nullptr;
  const std::string content_sha = StrCat("x-amz-content-sha256: ", Sha256Hex(request.body));
  headers = curl_slist_append(headers, content_sha.c_str());
  std::string token, range;
  if (!config_.session_token.empty()) {
    token = StrCat("x-amz-security-token: ", config_.session_token);
    headers = curl_slist_append(headers, token.c_str());
  }
  if (!request.range.empty()) {
    range = StrCat("Range: ", request.range);
    headers = curl_slist_append(headers, range.c_str());
  }
  const std::string_view method = request.method;
  if (method == "PUT") {
    // The body as POSTFIELDS (which libcurl hashes into the signature too), sent as a PUT; an
    // explicit Content-Type keeps libcurl from adding a form's.
    headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
  } else if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(curl, CURLOPT_FILETIME, 1L);
  } else if (method == "DELETE") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  if (rc == CURLE_WRITE_ERROR && sink.over_limit) {
    response.over_limit = true;
    return response;
  }
  if (rc != CURLE_OK) {
    std::string message = StrCat(Describe(request.what.empty() ? request.key : request.what), ": ",
                                 method, ": ", curl_easy_strerror(rc));
    if (error_buffer[0] != '\0') StrAppend(&message, " (", Printable(error_buffer), ")");
    return RetryableCurlError(rc) ? absl::UnavailableError(message) : absl::InternalError(message);
  }
  curl_off_t length = -1;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  response.content_length = length;
  if (method == "HEAD") {
    curl_off_t filetime = -1;
    curl_easy_getinfo(curl, CURLINFO_FILETIME_T, &filetime);
    response.modified_s = filetime;
    curl_easy_setopt(curl, CURLOPT_FILETIME, 0L);  // the handle is reused
  }
  return response;
}

absl::StatusOr<S3Client::Response> S3Client::Perform(const Request& request) {
  thread_local std::mt19937_64 random(std::random_device{}());
  const auto start = std::chrono::steady_clock::now();
  for (int attempt = 1;; ++attempt) {
    void* curl = AcquireHandle();
    if (curl == nullptr) return absl::ResourceExhaustedError("curl_easy_init failed");
    absl::StatusOr<Response> response = PerformOnce(curl, request);
    ReleaseHandle(curl);
    const bool retry =
        response.ok() ? RetryableStatus(response->status) : absl::IsUnavailable(response.status());
    if (response.ok()) response->attempts = attempt;
    if (!retry || attempt >= config_.max_attempts) {
      if (!response.ok() && retry) {
        return absl::UnavailableError(
            StrCat(response.status().message(), " (after ", attempt, " attempts)"));
      }
      return response;
    }
    const int64_t ceiling = std::min<int64_t>(
        config_.max_backoff_ms, config_.initial_backoff_ms << std::min(attempt - 1, 20));
    const auto delay = std::chrono::milliseconds(
        std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(ceiling, 0))(random));
    if (std::chrono::steady_clock::now() + delay - start >
        std::chrono::milliseconds(config_.deadline_ms)) {
      if (!response.ok()) {
        return absl::UnavailableError(StrCat(response.status().message(), " (after ", attempt,
                                             " attempts, deadline reached)"));
      }
      return response;
    }
    std::this_thread::sleep_for(delay);
  }
}

absl::Status S3Client::Error(std::string_view method, std::string_view key,
                             const Response& response, int attempts) const {
  std::string code, text;
  WalkXml(response.body, [&](const std::vector<std::string>& path, const std::string& value) {
    if (PathIs(path, {"Error", "Code"})) code = value;
    if (PathIs(path, {"Error", "Message"})) text = value;
  });
  std::string message = StrCat(Describe(key), ": ", method, ": HTTP ", response.status);
  if (!code.empty()) StrAppend(&message, " ", Printable(code));
  if (!text.empty()) StrAppend(&message, ": ", Printable(text));
  if (attempts > 1) StrAppend(&message, " (after ", attempts, " attempts)");
  if (code == "NoSuchBucket") return absl::FailedPreconditionError(message);
  switch (response.status) {
    case 400:  // a request the store refuses: its failure, not the caller's argument
      return absl::FailedPreconditionError(message);
    case 401:
    case 403:
      return absl::PermissionDeniedError(message);
    case 404:
      return absl::NotFoundError(message);
    case 416:
      return absl::OutOfRangeError(message);
    case 501:
      return absl::UnimplementedError(message);
    default:
      return response.status >= 500 ? absl::UnavailableError(message) : absl::UnknownError(message);
  }
}

absl::Status S3Client::Put(std::string_view key, std::string_view data) {
  absl::StatusOr<Response> response =
      Perform(Request("PUT", key, kMaxErrorBodyBytes).WithBody(data));
  if (!response.ok()) return response.status();
  if (response->status != 200) return Error("PUT", key, *response, response->attempts);
  return absl::OkStatus();
}

absl::StatusOr<std::string> S3Client::Get(std::string_view key, uint64_t max_bytes) {
  absl::StatusOr<Response> response = Perform(Request("GET", key, max_bytes));
  if (!response.ok()) return response.status();
  if (response->over_limit) {
    return absl::ResourceExhaustedError(
        StrCat(Describe(key), ": over the limit of ", max_bytes, " bytes"));
  }
  if (response->status != 200) return Error("GET", key, *response, response->attempts);
  return std::move(response->body);
}

absl::StatusOr<std::string> S3Client::GetRange(std::string_view key, uint64_t offset,
                                               uint64_t length) {
  if (length == 0) return absl::InvalidArgumentError(Describe(key) + ": empty range");
  length = std::min(length, std::numeric_limits<uint64_t>::max() - offset);
  absl::StatusOr<Response> response = Perform(
      Request("GET", key, length).WithRange(StrCat("bytes=", offset, "-", offset + length - 1)));
  if (!response.ok()) return response.status();
  if (response->status == 416) return std::string();  // the range starts past the end
  // A server that ignores Range answers 200 with the whole object: usable when it starts at 0
  // and fits.
  const bool whole = response->status == 200 && offset == 0;
  if ((response->status == 206 || whole) && !response->over_limit) {
    return std::move(response->body);
  }
  if (response->status == 200 || response->over_limit) {
    return absl::DataLossError(StrCat(Describe(key), ": GET of bytes ", offset, "-",
                                      offset + length - 1, ": the server ignored the range"));
  }
  return Error("GET", key, *response, response->attempts);
}

absl::StatusOr<S3Client::ObjectInfo> S3Client::Head(std::string_view key) {
  absl::StatusOr<Response> response = Perform(Request("HEAD", key, kMaxErrorBodyBytes));
  if (!response.ok()) return response.status();
  if (response->status != 200) return Error("HEAD", key, *response, response->attempts);
  if (response->content_length < 0) {
    return absl::DataLossError(Describe(key) + ": HEAD: no Content-Length in the response");
  }
  return ObjectInfo{static_cast<uint64_t>(response->content_length),
                    response->modified_s < 0 ? 0 : response->modified_s * 1000};
}

absl::Status S3Client::Delete(std::string_view key) {
  absl::StatusOr<Response> response = Perform(Request("DELETE", key, kMaxErrorBodyBytes));
  if (!response.ok()) return response.status();
  if (response->status == 204 || response->status == 200 || response->status == 404) {
    return absl::OkStatus();
  }
  return Error("DELETE", key, *response, response->attempts);
}

absl::StatusOr<S3ListPage> S3Client::List(std::string_view prefix, std::string_view delimiter,
                                          std::string_view start_after,
                                          std::string_view continuation_token, int max_keys) {
  Request request("GET", "", kMaxListResponseBytes);
  request.query = {{"list-type", "2"},
                   {"max-keys", StrCat(std::clamp(max_keys, 1, 1000))},
                   {"prefix", std::string(prefix)}};
  if (!delimiter.empty()) request.query.emplace_back("delimiter", std::string(delimiter));
  if (!start_after.empty()) request.query.emplace_back("start-after", std::string(start_after));
  if (!continuation_token.empty()) {
    request.query.emplace_back("continuation-token", std::string(continuation_token));
  }
  const std::string what = StrCat("?list-type=2&prefix=", Printable(prefix));
  request.what = what;
  absl::StatusOr<Response> response = Perform(request);
  if (!response.ok()) return response.status();
  if (response->over_limit) {
    return absl::DataLossError(
        StrCat(Describe(what), ": listing response over ", kMaxListResponseBytes, " bytes"));
  }
  if (response->status != 200) return Error("GET", what, *response, response->attempts);
  absl::StatusOr<S3ListPage> page = ParseListObjectsV2(response->body);
  if (!page.ok()) return absl::DataLossError(StrCat(Describe(what), ": ", page.status().message()));
  return page;
}

}  // namespace artidx::store
