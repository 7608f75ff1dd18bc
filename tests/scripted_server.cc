#include "tests/scripted_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "gtest/gtest.h"

namespace artidx::testing {

ScriptedServer::ScriptedServer(std::vector<Action> script, int upstream_port)
    : script_(std::move(script)), upstream_port_(upstream_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "cannot listen on loopback";
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

ScriptedServer::~ScriptedServer() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  thread_.join();
  ::close(listen_fd_);
}

std::vector<std::string> ScriptedServer::request_lines() {
  std::lock_guard<std::mutex> lock(mu_);
  return request_lines_;
}

void ScriptedServer::Serve() {
  while (!stop_) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) break;
    Handle(fd);
    ::close(fd);
  }
}

void ScriptedServer::Handle(int fd) {
  // The request head, then its body (Content-Length bytes).
  std::string in;
  char buf[4096];
  size_t head_end;
  while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return;
    in.append(buf, static_cast<size_t>(n));
  }
  size_t content_length = 0;
  std::string lower = in.substr(0, head_end);
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (size_t at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
    content_length = std::strtoul(lower.c_str() + at + 17, nullptr, 10);
  }
  while (in.size() < head_end + 4 + content_length) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return;
    in.append(buf, static_cast<size_t>(n));
  }
  const int index = requests_++;
  {
    std::lock_guard<std::mutex> lock(mu_);
    request_lines_.push_back(in.substr(0, in.find("\r\n")));
  }
  const Action& action = script_[std::min<size_t>(index, script_.size() - 1)];
  std::string out;
  if (action.kind == Action::kDrop) return;
  if (action.kind == Action::kForwardDrop) {
    Forward(in);
    return;
  }
  if (action.kind == Action::kRaw) {
    out = action.raw;
  } else if (action.kind == Action::kForward || action.kind == Action::kForwardCut) {
    out = Forward(in);
    // Cut in the middle of the body (a response without a whole head goes as it came).
    if (const size_t head = out.find("\r\n\r\n");
        action.kind == Action::kForwardCut && head != std::string::npos) {
      out.resize(head + 4 + (out.size() - head - 4) / 2);
    }
  } else {
    out = "HTTP/1.1 " + std::to_string(action.status) +
          " X\r\nContent-Length: " + std::to_string(action.body.size()) +
          "\r\nConnection: close\r\n\r\n" + action.body;
  }
  for (size_t done = 0; done < out.size();) {
    const ssize_t n = ::send(fd, out.data() + done, out.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// The upstream's response to the request, read to its end by its Content-Length.
std::string ScriptedServer::Forward(const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(upstream_port_));
  std::string response;
  // A stalled upstream ends the relay (an empty or partial response) instead of the test.
  const timeval timeout{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    const bool head_request = request.rfind("HEAD ", 0) == 0;
    char buf[4096];
    size_t head_end = std::string::npos;
    size_t want = std::string::npos;
    while (want == std::string::npos || response.size() < want) {
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      response.append(buf, static_cast<size_t>(n));
      if (head_end == std::string::npos &&
          (head_end = response.find("\r\n\r\n")) != std::string::npos) {
        std::string lower = response.substr(0, head_end);
        std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
        size_t length = 0;
        if (size_t at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
          length = std::strtoul(lower.c_str() + at + 17, nullptr, 10);
        }
        want = head_end + 4 + (head_request ? 0 : length);
      }
    }
  }
  ::close(fd);
  return response;
}

int LoopbackEndpointPort() {
  const char* endpoint = std::getenv("AWS_ENDPOINT_URL");
  constexpr std::string_view kLoopback = "http://127.0.0.1:";
  if (endpoint == nullptr || std::string_view(endpoint).substr(0, kLoopback.size()) != kLoopback) {
    return 0;
  }
  return std::atoi(endpoint + kLoopback.size());
}

}  // namespace artidx::testing
