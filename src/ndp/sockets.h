// Connecting and listening for the NDP transports: unix sockets (object class
// <-> storage runtime) and TCP (storage runtime <-> compute worker). Every
// returned descriptor is owned by a Socket, closed when it goes away.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "base/result.h"
#include "ndp/frame.h"

namespace nearfaas::ndp {

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket();
  Socket(Socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Socket& operator=(Socket&& o) noexcept;
  int fd() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  // Unblocks a thread waiting on this socket (accept, recv) without closing.
  void shutdown();

 private:
  int fd_ = -1;
};

// An IPv4 address and port, parsed from "a.b.c.d:port" (dotted decimal
// only, no names: nothing is looked up).
struct Ipv4Endpoint {
  uint32_t address = 0;  // host byte order
  uint16_t port = 0;     // never 0
};
Result<Ipv4Endpoint> parseIpv4Endpoint(std::string_view text);
Result<uint32_t> parseIpv4Address(std::string_view text);  // host byte order

// An IPv4 network, "a.b.c.d/len" (a bare address is a /32).
struct Ipv4Network {
  uint32_t address = 0;  // host byte order, host bits zero
  unsigned prefixBits = 32;
  bool contains(uint32_t a) const {
    return prefixBits == 0 || (a >> (32 - prefixBits)) == (address >> (32 - prefixBits));
  }
  bool operator==(const Ipv4Network&) const = default;
};
Result<Ipv4Network> parseIpv4Network(std::string_view text);
std::string ipv4Text(uint32_t address);

Result<Socket> connectUnix(const std::string& path);
// `address` is "IPv4:port"; the connection must be made before `deadline`.
Result<Socket> connectTcp(std::string_view address, Deadline deadline);

// Listening sockets. listenUnix replaces a stale socket file at `path`.
Result<Socket> listenUnix(const std::string& path);
// Port 0 picks a free port; boundAddress says which.
Result<Socket> listenTcp(const std::string& host, uint16_t port);
Result<std::string> boundAddress(const Socket& s);

}  // namespace nearfaas::ndp
