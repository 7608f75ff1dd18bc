// Copyright artidx authors.
//
// access_log.h: the access log of `artidx serve`, one line per request. Worker threads append
// lines to a buffer; one writer thread writes them to a file descriptor (stderr) in batches of
// whole lines, in the order appended, at most kFlushInterval after they were appended, and at
// once when kFlushBytes are waiting. A request thus costs an append under a mutex instead of a
// write(2) of its own (at tens of thousands of requests a second, that system call was a large
// part of the server's CPU per request). Lines appended are never dropped: when the buffer
// holds kMaxPendingBytes, Append waits for the writer (back-pressure, as a blocking write would).
//
// AccessLine formats a request's line, as text or as one JSON object; LogLine writes the
// server's other messages (errors) to stderr, one line each.
//
// Thread safety: Append and Flush from any thread. The destructor writes what is pending, then
// stops the writer. The functions are thread-safe.
//
// Usage:
//   server::AccessLog log(STDERR_FILENO);
//   log.Append(server::AccessLine(record, /*json=*/false));
//   // "2026-12-07T03:00:00.000Z 127.0.0.1 \"GET /healthz HTTP/1.1\" 200 3 0.100ms\n"

#ifndef ARTIDX_SERVER_ACCESS_LOG_H_
#define ARTIDX_SERVER_ACCESS_LOG_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace artidx::server {

class AccessLog {
 public:
  static constexpr std::chrono::milliseconds kFlushInterval{20};
  static constexpr size_t kFlushBytes = 64 * 1024;
  static constexpr size_t kMaxPendingBytes = 4 * 1024 * 1024;

  explicit AccessLog(int fd);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Appends whole lines (each ending in '\n').
  void Append(std::string_view lines);
  // Returns once everything appended before the call is written.
  void Flush();

 private:
  void Run();

  const int fd_;
  std::mutex mu_;
  std::condition_variable wake_;     // the writer: work or stop
  std::condition_variable written_;  // Append and Flush: the writer took or wrote a batch
  std::string pending_;              // guarded by mu_
  uint64_t appended_ = 0;            // bytes ever appended; guarded by mu_
  uint64_t done_ = 0;                // bytes ever written (or failed to); guarded by mu_
  bool flush_ = false;               // Flush waits; guarded by mu_
  bool stop_ = false;                // guarded by mu_
  std::thread writer_;
};

// One request as its access-log line shows it. The method, target and version are as the
// client sent them (AccessLine makes them printable); method empty when the request never got
// past its request line.
struct AccessRecord {
  int64_t time_ms = 0;  // when it was answered, ms since the epoch
  std::string_view remote, method, target, version;
  const char* endpoint = "";
  int status = 0;
  uint64_t bytes = 0;
  double duration_ms = 0;
};

// The line for `r`, ending in '\n': with `json`, one JSON object {"time", "remote", "method",
// "target", "endpoint", "status", "bytes", "duration_ms"}; else
// `TIME REMOTE "METHOD TARGET VERSION" STATUS BYTES DURATIONms`.
std::string AccessLine(const AccessRecord& r, bool json);

// Text from a client made printable for a log: bounded (4 KiB), and control characters, DEL,
// quotes and backslashes as %XX.
std::string LogSafe(std::string_view s);

// "artidx serve: MESSAGE" as one line on stderr, in one write so that the lines of several
// threads do not interleave.
void LogLine(std::string_view message);

}  // namespace artidx::server

#endif  // ARTIDX_SERVER_ACCESS_LOG_H_
