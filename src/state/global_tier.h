// The global state tier: the copy of every state value that all hosts of a
// cluster share, behind a narrow interface (a Redis implementation lives in
// redis_tier.h). A host's StateStore keeps its local tier (memfd pages shared
// by the Faaslets of one host); push and pull move bytes between the two
// (state_sync.h). A single-host node has no global tier at all.
//
// Invariants: every operation is keyed by (user, key) and one user's keys never
// reach another's; any key bytes are allowed (the implementation must encode
// them safely); failures are Result values naming the operation and the
// cause, never exceptions. Implementations are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace nearfaas::state {

// A byte range of a value and the bytes to store there.
struct RangeWrite {
  uint64_t offset = 0;
  std::span<const uint8_t> data;
};

class GlobalStateTier {
 public:
  virtual ~GlobalStateTier() = default;

  // The global value's size (0 if absent).
  virtual Result<uint64_t> size(std::string_view user, std::string_view key) = 0;
  // The whole global value (empty if absent).
  virtual Result<Bytes> get(std::string_view user, std::string_view key) = 0;
  // Bytes [offset, offset + len) of the global value, shorter if it ends
  // before (reads past the end are the caller's zeros).
  virtual Result<Bytes> getRange(std::string_view user, std::string_view key, uint64_t offset,
                                 uint64_t len) = 0;
  // Replaces the global value.
  virtual Result<void> set(std::string_view user, std::string_view key,
                           std::span<const uint8_t> data) = 0;
  // Writes the ranges (in one round trip where possible); the value grows
  // (zero-filled) to cover them.
  virtual Result<void> setRanges(std::string_view user, std::string_view key,
                                 std::span<const RangeWrite> ranges) = 0;

  // The value's appended elements: add one (failing if `maxElements` are
  // there already), read the first n concatenated (failing if fewer), drop all.
  virtual Result<void> append(std::string_view user, std::string_view key,
                              std::span<const uint8_t> element, size_t maxElements) = 0;
  virtual Result<Bytes> readAppended(std::string_view user, std::string_view key, size_t n) = 0;
  virtual Result<void> clearAppended(std::string_view user, std::string_view key) = 0;

  // A write lock on the key across hosts. Waits until it is free or until
  // `giveUp()` answers true (then fails); the lock expires after `lease`
  // unless released, so a host that dies holding it blocks others only that
  // long. Returns the holder's token, which unlockWrite needs.
  virtual Result<std::string> lockWrite(std::string_view user, std::string_view key,
                                        std::chrono::milliseconds lease,
                                        const std::function<bool()>& giveUp) = 0;
  // Releases the lock if `token` still holds it (not if its lease expired and
  // another host took it).
  virtual Result<void> unlockWrite(std::string_view user, std::string_view key,
                                   std::string_view token) = 0;
};

}  // namespace nearfaas::state
