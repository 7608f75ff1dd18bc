#include "server/access_log.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

#include "common/json_writer.h"
#include "common/strings.h"
#include "common/text.h"

namespace artidx::server {

AccessLog::AccessLog(int fd) : fd_(fd), writer_([this] { Run(); }) {}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

void AccessLog::Append(std::string_view lines) {
  std::unique_lock lock(mu_);
  written_.wait(lock, [&] { return pending_.size() < kMaxPendingBytes; });
  const bool was_empty = pending_.empty();
  pending_.append(lines);
  appended_ += lines.size();
  // The writer sleeps until the interval ends; wake it early only for a full batch.
  if (pending_.size() >= kFlushBytes && pending_.size() - lines.size() < kFlushBytes) {
    wake_.notify_one();
  } else if (was_empty) {
    wake_.notify_one();  // starts the interval of this batch
  }
}

void AccessLog::Flush() {
  std::unique_lock lock(mu_);
  const uint64_t target = appended_;
  flush_ = true;
  wake_.notify_one();
  written_.wait(lock, [&] { return done_ >= target; });
}

void AccessLog::Run() {
  std::string batch;
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopped, everything written
    // Gather the lines of one interval (or a full batch), unless stopping or flushing.
    wake_.wait_for(lock, kFlushInterval,
                   [&] { return stop_ || flush_ || pending_.size() >= kFlushBytes; });
    flush_ = false;
    batch.swap(pending_);
    pending_.clear();
    lock.unlock();
    written_.notify_all();  // room for appenders held back
    for (size_t at = 0; at < batch.size();) {
      const ssize_t n = ::write(fd_, batch.data() + at, batch.size() - at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // stderr closed or broken: the lines are lost, the server goes on
      at += static_cast<size_t>(n);
    }
    lock.lock();
    done_ += batch.size();
    batch.clear();
    written_.notify_all();
  }
}

std::string AccessLine(const AccessRecord& r, bool json) {
  const std::string time = FormatIso8601(r.time_ms);
  const std::string method = r.method.empty() ? "-" : LogSafe(r.method.substr(0, 32));
  const std::string target = LogSafe(r.target);
  if (json) {
    JsonWriter w;
    w.BeginObject()
        .Key("time")
        .String(time)
        .Key("remote")
        .String(r.remote)
        .Key("method")
        .String(method)
        .Key("target")
        .String(target)
        .Key("endpoint")
        .String(r.endpoint)
        .Key("status")
        .Int(r.status)
        .Key("bytes")
        .Uint(r.bytes)
        .Key("duration_ms")
        .Fixed(r.duration_ms, 3)
        .EndObject();
    std::string line = w.Take();
    line += '\n';
    return line;
  }
  char duration[32];
  snprintf(duration, sizeof duration, "%.3f", r.duration_ms);
  return StrCat(time, " ", r.remote, " \"", method, " ", target, r.version.empty() ? "" : " ",
                LogSafe(r.version.substr(0, 16)), "\" ", r.status, " ", r.bytes, " ", duration,
                "ms\n");
}

std::string LogSafe(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 4096)) {
    if (c < 0x20 || c == 0x7F || c == '"' || c == '\\') {
      StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

void LogLine(std::string_view message) {
  std::string line = StrCat("artidx serve: ", message);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  line += "\n";
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace artidx::server
