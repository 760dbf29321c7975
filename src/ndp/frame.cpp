#include "ndp/frame.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace nearfaas::ndp {

namespace {

// Waits until `fd` is ready for `events` or the deadline passes.
Result<void> waitFor(int fd, short events, Deadline deadline) {
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return fail("timed out");
    // Rounded up: a wait that times out ends after the deadline, not before.
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
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

// Reads what is there, at most `len` bytes (at least one); how many.
Result<size_t> recvSome(int fd, uint8_t* p, size_t len, Deadline deadline) {
  for (;;) {
    if (auto w = waitFor(fd, POLLIN, deadline); !w) return fail("receiving: ", w.error().message);
    ssize_t n = ::recv(fd, p, len, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return fail("receiving: ", std::strerror(errno));
    if (n == 0) return fail("receiving: the peer closed the connection");
    return static_cast<size_t>(n);
  }
}

Result<void> recvAll(int fd, uint8_t* p, size_t len, Deadline deadline) {
  while (len) {
    auto n = recvSome(fd, p, len, deadline);
    if (!n) return std::unexpected(n.error());
    p += *n;
    len -= *n;
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

Result<Bytes> recvFrameRest(int fd, uint64_t len, Bytes start, Deadline deadline) {
  if (len > SIZE_MAX || start.size() > len) return fail("frame of ", len, " bytes is malformed");
  Bytes out = std::move(start);
  size_t got = out.size();
  while (got < len) {
    if (got == out.size())  // full: grow by what has arrived, never by what was announced
      out.resize(std::min<uint64_t>(len, std::max<uint64_t>(got * 2, got + kFrameChunkBytes)));
    auto n = recvSome(fd, out.data() + got, out.size() - got, deadline);
    if (!n)
      return fail("truncated frame: ", got, " of its ", len, " bytes came (", n.error().message,
                  ")");
    got += *n;
  }
  return out;
}

Result<Bytes> recvFrame(int fd, uint64_t maxBytes, Deadline deadline) {
  auto length = recvFrameLength(fd, deadline);
  if (!length) return std::unexpected(length.error());
  uint64_t len = *length;
  if (len > maxBytes) return fail("frame of ", len, " bytes exceeds the limit of ", maxBytes);
  return recvFrameRest(fd, len, {}, deadline);
}

}  // namespace nearfaas::ndp
