// ScriptedServer: an HTTP/1.1 server on loopback for fault injection. Each connection gets the
// next action of its script (the last one repeats) for one request, then is closed: answer with
// a status, drop the connection, send raw bytes, or relay the request to an upstream server (a
// real S3 server) and its response back, whole, cut in the middle of its body, or not at all.
// A script of forwards with faults among them is a faulty proxy in front of the real server.
//
// Thread-safe: it serves on a thread of its own; requests() and request_lines() may be called
// from any thread.
//
//   ScriptedServer proxy({Drop(), Forward()}, upstream_port);
//   config.endpoint = proxy.endpoint();  // the first request is dropped, then relayed

#ifndef ARTIDX_TESTS_SCRIPTED_SERVER_H_
#define ARTIDX_TESTS_SCRIPTED_SERVER_H_

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace artidx::testing {

class ScriptedServer {
 public:
  struct Action {
    // kForward: relay the request to the upstream server and its response back; kForwardCut:
    // the same, but the response is cut in the middle of its body; kForwardDrop: relay the
    // request, then drop the connection without a response (the server did it, the client
    // cannot know).
    enum Kind { kRespond, kDrop, kRaw, kForward, kForwardCut, kForwardDrop } kind = kRespond;
    int status = 200;
    std::string body;
    std::string raw;  // kRaw: the bytes sent as they are
  };

  explicit ScriptedServer(std::vector<Action> script, int upstream_port = 0);
  ~ScriptedServer();
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_.load(); }
  std::vector<std::string> request_lines();

 private:
  void Serve();
  void Handle(int fd);
  std::string Forward(const std::string& request);

  std::vector<Action> script_;
  int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::vector<std::string> request_lines_;
  std::thread thread_;
};

using Action = ScriptedServer::Action;

inline Action Respond(int status, std::string body) {
  return {Action::kRespond, status, std::move(body), ""};
}
inline Action Drop() { return {Action::kDrop, 0, "", ""}; }
inline Action Forward() { return {Action::kForward, 0, "", ""}; }
inline Action ForwardCut() { return {Action::kForwardCut, 0, "", ""}; }
inline Action ForwardDrop() { return {Action::kForwardDrop, 0, "", ""}; }
inline Action Raw(std::string raw) { return {Action::kRaw, 0, "", std::move(raw)}; }

// The port of $AWS_ENDPOINT_URL when it is a loopback http:// endpoint (the tests' Swift), else 0.
int LoopbackEndpointPort();

}  // namespace artidx::testing

#endif  // ARTIDX_TESTS_SCRIPTED_SERVER_H_
