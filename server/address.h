// Copyright artidx authors.
//
// address.h: the socket addresses of `artidx serve`: --listen parsed ("HOST:PORT", HOST an
// IPv4 address, "[IPv6]" or "localhost"), whether an address is loopback (--no-auth serves
// only those), and an address as the access log and the start-up line print it.
//
// Thread safety: functions only.
//
// Usage:
//   sockaddr_storage a;
//   if (!server::ParseListen("127.0.0.1:8080", &a)) ...;

#ifndef ARTIDX_SERVER_ADDRESS_H_
#define ARTIDX_SERVER_ADDRESS_H_

#include <sys/socket.h>

#include <string>
#include <string_view>

namespace artidx::server {

// "HOST:PORT" into *out; false when it does not parse.
bool ParseListen(std::string_view text, sockaddr_storage* out);

bool IsLoopback(const sockaddr_storage& a);

// "1.2.3.4" or "[::1]" (no port); "?" for another family.
std::string FormatAddress(const sockaddr* a);

}  // namespace artidx::server

#endif  // ARTIDX_SERVER_ADDRESS_H_
