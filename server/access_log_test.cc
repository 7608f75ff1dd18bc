// Unit tests of server::AccessLog (server/access_log.h): every line appended reaches the file
// descriptor, whole and in order per thread, by Flush, by the interval, and at destruction.

#include "server/access_log.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "common/strings.h"
#include "gtest/gtest.h"

namespace artidx::server {
namespace {

// The pieces of text between separators (an empty last piece kept).
std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> out(1);
  for (char c : text) {
    if (c == separator) {
      out.emplace_back();
    } else {
      out.back().push_back(c);
    }
  }
  return out;
}

// A temporary file the log writes to, read back whole.
class LogFile {
 public:
  LogFile() {
    char path[] = "/tmp/artidx-access-log-XXXXXX";
    fd_ = mkstemp(path);
    path_ = path;
  }
  ~LogFile() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  std::string Read() const {
    std::string out;
    char buf[65536];
    for (off_t at = 0;;) {
      const ssize_t n = ::pread(fd_, buf, sizeof buf, at);
      if (n <= 0) return out;
      out.append(buf, static_cast<size_t>(n));
      at += n;
    }
  }

 private:
  int fd_;
  std::string path_;
};

TEST(AccessLogTest, FlushWritesWhatWasAppended) {
  LogFile file;
  AccessLog log(file.fd());
  log.Append("one\n");
  log.Append("two\nthree\n");
  log.Flush();
  EXPECT_EQ(file.Read(), "one\ntwo\nthree\n");
  log.Flush();  // nothing pending: returns at once
  EXPECT_EQ(file.Read(), "one\ntwo\nthree\n");
}

TEST(AccessLogTest, WritesWithinTheIntervalWithoutFlush) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    AccessLog log(fds[1]);
    log.Append("line\n");
    // The writer writes on its own: the pipe's reader wakes when it does (bounded, so that a
    // writer that never writes fails the test instead of hanging it).
    pollfd ready{fds[0], POLLIN, 0};
    EXPECT_EQ(::poll(&ready, 1, 10'000), 1);
    char buffer[16];
    const ssize_t n = ready.revents & POLLIN ? ::read(fds[0], buffer, sizeof buffer) : 0;
    EXPECT_EQ(std::string(buffer, n > 0 ? n : 0), "line\n");
  }
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(AccessLogTest, DestructorWritesEverythingPending) {
  LogFile file;
  {
    AccessLog log(file.fd());
    for (int i = 0; i < 1000; ++i) log.Append(StrCat("line ", i, "\n"));
  }
  const std::vector<std::string> lines = Split(file.Read(), '\n');
  ASSERT_EQ(lines.size(), 1001u);  // the last is empty: the text ends with '\n'
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(lines[i], StrCat("line ", i));
}

// Many threads, past kMaxPendingBytes in all (so appenders wait for the writer): every line
// arrives whole, and each thread's lines in the order it appended them.
TEST(AccessLogTest, ConcurrentAppendersLoseNothing) {
  LogFile file;
  constexpr int kThreads = 4, kLines = 20000;
  const std::string padding(100, 'x');
  {
    AccessLog log(file.fd());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kLines; ++i) log.Append(StrCat(t, " ", i, " ", padding, "\n"));
      });
    }
    for (std::thread& t : threads) t.join();
  }
  int next[kThreads] = {};
  int total = 0;
  std::vector<std::string> lines = Split(file.Read(), '\n');
  ASSERT_EQ(lines.back(), "");
  lines.pop_back();
  for (const std::string& line : lines) {
    const std::vector<std::string> f = Split(line, ' ');
    ASSERT_EQ(f.size(), 3u) << line;
    ASSERT_EQ(f[2], padding);
    const int t = std::stoi(f[0]);
    ASSERT_GE(t, 0);
    ASSERT_LT(t, kThreads);
    EXPECT_EQ(std::stoi(f[1]), next[t]++);
    ++total;
  }
  EXPECT_EQ(total, kThreads * kLines);
  static_assert(kThreads * kLines * 110 > AccessLog::kMaxPendingBytes);
}

}  // namespace
}  // namespace artidx::server
