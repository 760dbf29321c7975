// Connecting and listening for the NDP transports: unix sockets (object class
// <-> storage runtime) and TCP (storage runtime <-> compute worker). Every
// returned descriptor is owned by a Socket, closed when it goes away.
#pragma once

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

Result<Socket> connectUnix(const std::string& path);
// `address` is "IPv4:port"; the connection must be made before `deadline`.
Result<Socket> connectTcp(std::string_view address, Deadline deadline);

// Listening sockets. listenUnix replaces a stale socket file at `path`.
Result<Socket> listenUnix(const std::string& path);
// Port 0 picks a free port; boundAddress says which.
Result<Socket> listenTcp(const std::string& host, uint16_t port);
Result<std::string> boundAddress(const Socket& s);

}  // namespace nearfaas::ndp
