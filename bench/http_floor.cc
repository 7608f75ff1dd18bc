// http_floor: the HTTP floor for `artidx serve`'s benchmark (bench/serve_bench.py). A bare
// libmicrohttpd server, configured as artidx serve is (epoll thread pool, the same flags and
// limits, the answer queued on the handler's second call), that answers every GET with a fixed
// body of the given size: what any request costs before artidx does anything.
//
//   http_floor BODY_BYTES THREADS   prints "listening on PORT" (a free loopback port), then
//                                   serves until SIGTERM or SIGINT.

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

MHD_Result Answer(void* cls, MHD_Connection* c, const char* url, const char* method,
                  const char* version, const char* upload_data, size_t* upload_data_size,
                  void** con_cls) {
  if (*con_cls == nullptr) {
    *con_cls = c;
    return MHD_YES;
  }
  const std::string& body = *static_cast<const std::string*>(cls);
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_PERSISTENT);
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
  const MHD_Result queued = MHD_queue_response(c, MHD_HTTP_OK, response);
  MHD_destroy_response(response);
  return queued;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: http_floor BODY_BYTES THREADS\n");
    return 2;
  }
  const std::string body(std::strtoul(argv[1], nullptr, 10), 'x');
  const unsigned threads = static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10));
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  sockaddr_in loopback{};
  loopback.sin_family = AF_INET;
  loopback.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  MHD_Daemon* d = MHD_start_daemon(
      MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_TURBO, 0, nullptr,
      nullptr, &Answer, const_cast<std::string*>(&body), MHD_OPTION_SOCK_ADDR,
      reinterpret_cast<sockaddr*>(&loopback), MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_CONNECTION_TIMEOUT, 15u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      static_cast<size_t>(64 * 1024), MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END);
  if (d == nullptr) return 1;
  const MHD_DaemonInfo* info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  std::printf("listening on %u\n", info->port);
  std::fflush(stdout);
  int sig;
  sigwait(&signals, &sig);
  MHD_stop_daemon(d);
  return 0;
}
