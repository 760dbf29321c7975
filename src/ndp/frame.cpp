#include "ndp/frame.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace nearfaas::ndp {

namespace {

// Waits until `fd` is ready for `events` or the deadline passes.
Result<void> waitFor(int fd, short events, Deadline deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return fail("timed out");
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1'000'000)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("poll: ", std::strerror(errno));
    if (n > 0) return {};
  }
}

Result<void> sendAll(int fd, const uint8_t* p, size_t len, Deadline deadline) {
  while (len) {
    if (auto w = waitFor(fd, POLLOUT, deadline); !w) return fail("sending: ", w.error().message);
    ssize_t n = ::send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return fail("sending: ", std::strerror(errno));
    p += n;
    len -= static_cast<size_t>(n);
  }
  return {};
}

Result<void> recvAll(int fd, uint8_t* p, size_t len, Deadline deadline) {
  while (len) {
    if (auto w = waitFor(fd, POLLIN, deadline); !w) return fail("receiving: ", w.error().message);
    ssize_t n = ::recv(fd, p, len, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return fail("receiving: ", std::strerror(errno));
    if (n == 0) return fail("receiving: the peer closed the connection");
    p += n;
    len -= static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

Result<void> sendFrame(int fd, std::span<const uint8_t> payload, Deadline deadline) {
  uint64_t len = payload.size();
  uint8_t header[sizeof len];
  std::memcpy(header, &len, sizeof len);
  if (auto r = sendAll(fd, header, sizeof header, deadline); !r) return r;
  return sendAll(fd, payload.data(), payload.size(), deadline);
}

Result<void> sendFrameParts(int fd, std::span<const std::span<const uint8_t>> parts,
                            Deadline deadline) {
  uint64_t len = 0;
  for (const auto& p : parts)
    len += p.size();
  uint8_t header[sizeof len];
  std::memcpy(header, &len, sizeof len);
  if (auto r = sendAll(fd, header, sizeof header, deadline); !r) return r;
  for (const auto& p : parts)
    if (auto r = sendAll(fd, p.data(), p.size(), deadline); !r) return r;
  return {};
}

Result<uint64_t> recvFrameLength(int fd, Deadline deadline) {
  uint8_t header[sizeof(uint64_t)];
  if (auto r = recvAll(fd, header, sizeof header, deadline); !r) return std::unexpected(r.error());
  uint64_t len;
  std::memcpy(&len, header, sizeof len);
  return len;
}

Result<void> recvExact(int fd, uint8_t* to, size_t len, Deadline deadline) {
  return recvAll(fd, to, len, deadline);
}

Result<Bytes> recvFrame(int fd, uint64_t maxBytes, Deadline deadline) {
  auto length = recvFrameLength(fd, deadline);
  if (!length) return std::unexpected(length.error());
  uint64_t len = *length;
  if (len > maxBytes) return fail("frame of ", len, " bytes exceeds the limit of ", maxBytes);
  Bytes out(len);
  if (auto r = recvAll(fd, out.data(), out.size(), deadline); !r) return std::unexpected(r.error());
  return out;
}

}  // namespace nearfaas::ndp
