// Length-prefixed frames (u64 length, then the bytes) on a stream socket,
// with a deadline for the whole frame: a peer that stops sending or reading
// makes the call fail with a message, never hang. Blocking sockets are fine;
// every wait goes through poll().
#pragma once

#include <chrono>
#include <cstdint>
#include <span>

#include "base/bytes.h"
#include "base/result.h"

namespace nearfaas::ndp {

using Deadline = std::chrono::steady_clock::time_point;

inline Deadline deadlineIn(std::chrono::milliseconds d) {
  return std::chrono::steady_clock::now() + d;
}

Result<void> sendFrame(int fd, std::span<const uint8_t> payload, Deadline deadline);

// A frame of at most `maxBytes`; a longer one is refused before anything of
// it is read into memory.
Result<Bytes> recvFrame(int fd, uint64_t maxBytes, Deadline deadline);

}  // namespace nearfaas::ndp
