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
// Thread safety: Append and Flush from any thread. The destructor writes what is pending, then
// stops the writer.
//
// Usage:
//   server::AccessLog log(STDERR_FILENO);
//   log.Append("2026-12-07T03:00:00.000Z 127.0.0.1 \"GET /healthz HTTP/1.1\" 200 3 0.1ms\n");

#ifndef ARTIDX_SERVER_ACCESS_LOG_H_
#define ARTIDX_SERVER_ACCESS_LOG_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
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

}  // namespace artidx::server

#endif  // ARTIDX_SERVER_ACCESS_LOG_H_
