#include "ndp/sockets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace nearfaas::ndp {

Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

void Socket::shutdown() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

Result<uint32_t> parseIpv4Address(std::string_view text) {
  in_addr a{};
  if (text.size() > 15 || inet_pton(AF_INET, std::string(text).c_str(), &a) != 1)
    return fail("'", text, "' is not an IPv4 address");
  return ntohl(a.s_addr);
}

Result<Ipv4Endpoint> parseIpv4Endpoint(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return fail("address '", text, "' has no port");
  auto address = parseIpv4Address(text.substr(0, colon));
  if (!address) return fail("address '", text, "' is not IPv4:port");
  uint16_t port = 0;
  auto portText = text.substr(colon + 1);
  auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
  if (ec != std::errc() || end != portText.data() + portText.size() || port == 0)
    return fail("address '", text, "' has no valid port");
  return Ipv4Endpoint{*address, port};
}

Result<Ipv4Network> parseIpv4Network(std::string_view text) {
  size_t slash = text.find('/');
  auto address = parseIpv4Address(text.substr(0, slash));
  if (!address) return fail("network '", text, "' is not a.b.c.d/len");
  unsigned bits = 32;
  if (slash != std::string_view::npos) {
    auto bitsText = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(bitsText.data(), bitsText.data() + bitsText.size(), bits);
    if (ec != std::errc() || end != bitsText.data() + bitsText.size() || bits > 32)
      return fail("network '", text, "' has no valid prefix length");
  }
  uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return Ipv4Network{*address & mask, bits};
}

std::string ipv4Text(uint32_t address) {
  in_addr a{htonl(address)};
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, text, sizeof text);
  return text;
}

namespace {

Result<sockaddr_un> unixAddress(const std::string& path) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return fail("unix socket path '", path, "' is empty or too long");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

Result<sockaddr_in> tcpAddress(std::string_view address) {
  auto endpoint = parseIpv4Endpoint(address);
  if (!endpoint) return std::unexpected(endpoint.error());
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(endpoint->port);
  addr.sin_addr.s_addr = htonl(endpoint->address);
  return addr;
}

}  // namespace

Result<Socket> connectUnix(const std::string& path) {
  auto addr = unixAddress(path);
  if (!addr) return std::unexpected(addr.error());
  Socket s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return fail("socket: ", std::strerror(errno));
  if (::connect(s.fd(), reinterpret_cast<sockaddr*>(&*addr), sizeof *addr) != 0)
    return fail("cannot connect to ", path, ": ", std::strerror(errno));
  return s;
}

Result<Socket> connectTcp(std::string_view address, Deadline deadline) {
  auto addr = tcpAddress(address);
  if (!addr) return std::unexpected(addr.error());
  Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s) return fail("socket: ", std::strerror(errno));
  if (::connect(s.fd(), reinterpret_cast<sockaddr*>(&*addr), sizeof *addr) != 0) {
    if (errno != EINPROGRESS)
      return fail("cannot connect to ", address, ": ", std::strerror(errno));
    for (;;) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return fail("cannot connect to ", address, ": timed out");
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
      pollfd p{s.fd(), POLLOUT, 0};
      int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1'000'000)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail("poll: ", std::strerror(errno));
      if (n > 0) break;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) return fail("cannot connect to ", address, ": ", std::strerror(err));
  }
  int one = 1;
  ::setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return s;
}

Result<Socket> listenUnix(const std::string& path) {
  auto addr = unixAddress(path);
  if (!addr) return std::unexpected(addr.error());
  // A socket file left by a process that died: nobody accepts on it.
  if (auto probe = connectUnix(path); !probe)
    ::unlink(path.c_str());
  else
    return fail("another process listens on ", path);
  Socket s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return fail("socket: ", std::strerror(errno));
  if (::bind(s.fd(), reinterpret_cast<sockaddr*>(&*addr), sizeof *addr) != 0)
    return fail("cannot bind ", path, ": ", std::strerror(errno));
  if (::listen(s.fd(), 64) != 0) return fail("listen: ", std::strerror(errno));
  return s;
}

Result<Socket> listenTcp(const std::string& host, uint16_t port) {
  auto addr = tcpAddress(host + ":1");
  if (!addr) return std::unexpected(addr.error());
  addr->sin_port = htons(port);
  Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return fail("socket: ", std::strerror(errno));
  int one = 1;
  ::setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(s.fd(), reinterpret_cast<sockaddr*>(&*addr), sizeof *addr) != 0)
    return fail("cannot bind ", host, ":", port, ": ", std::strerror(errno));
  if (::listen(s.fd(), 64) != 0) return fail("listen: ", std::strerror(errno));
  return s;
}

Result<std::string> boundAddress(const Socket& s) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(s.fd(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return fail("getsockname: ", std::strerror(errno));
  char host[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &addr.sin_addr, host, sizeof host);
  return std::string(host) + ":" + std::to_string(ntohs(addr.sin_port));
}

}  // namespace nearfaas::ndp
