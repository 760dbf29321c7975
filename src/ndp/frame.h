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
// One frame whose payload is `parts` in order (large data sent from where it
// lies, without joining it first).
Result<void> sendFrameParts(int fd, std::span<const std::span<const uint8_t>> parts,
                            Deadline deadline);

// A frame of at most `maxBytes`; a longer one is refused before anything of
// it is read into memory.
Result<Bytes> recvFrame(int fd, uint64_t maxBytes, Deadline deadline);

// Pieces of a frame, for a reader that places large data itself: the length
// header, then exactly `len` bytes into `to` (a frame's parts in order).
Result<uint64_t> recvFrameLength(int fd, Deadline deadline);
Result<void> recvExact(int fd, uint8_t* to, size_t len, Deadline deadline);

}  // namespace nearfaas::ndp
