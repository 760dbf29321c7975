// Length-prefixed frames (u64 length, then the bytes) on a stream socket,
// with a deadline for the whole frame: a peer that stops sending or reading
// makes the call fail with a message, never hang. Blocking sockets are fine;
// every wait goes through poll(). A receiver never trusts a length header
// with memory: the buffer grows as the bytes arrive (kFrameChunkBytes, then
// doubling), so a header that promises more than the peer sends costs only
// what was sent.
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

// The first allocation for a frame's payload; it doubles from there as bytes
// arrive, up to the frame's length.
inline constexpr uint64_t kFrameChunkBytes = 1 << 20;

// A frame of at most `maxBytes`; a longer one is refused before anything of
// it is read into memory.
Result<Bytes> recvFrame(int fd, uint64_t maxBytes, Deadline deadline);

// Pieces of a frame, for a reader that places large data itself: the length
// header, then exactly `len` bytes into `to` (a frame's parts in order).
Result<uint64_t> recvFrameLength(int fd, Deadline deadline);
Result<void> recvExact(int fd, uint8_t* to, size_t len, Deadline deadline);
// The rest of a frame of `len` bytes whose first bytes, `start`, were read
// already: the whole payload, grown as it arrives.
Result<Bytes> recvFrameRest(int fd, uint64_t len, Bytes start, Deadline deadline);

}  // namespace nearfaas::ndp
