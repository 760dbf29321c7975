// State: named byte arrays shared between Faaslets, scoped by user.
//
// This is the local tier: each value lives in a memfd, so the host reads and
// writes it through one shared mapping and a Faaslet can map the same
// physical pages into its linear memory (Faaslets on one host share them).
// With a single host the global tier is this same store, so push and pull
// have nothing to do. Every value carries a reader/writer lock that guests
// take and release explicitly (faasmLockStateRead/Write) and an append-only
// list of elements, separate from its bytes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace nearfaas::state {

struct StateLimits {
  size_t maxKeyLength = 1024;          // bytes
  uint64_t maxValueSize = 1ull << 30;  // bytes per value
  size_t maxAppendedElements = 1 << 20;
};

// Keys are non-empty, at most maxKeyLength bytes, without NUL bytes.
Result<void> validateStateKey(std::string_view key, const StateLimits& limits = {});

// One state value. Thread-safe. Its memfd only grows, so a mapping of any
// earlier size stays valid.
class StateValue {
 public:
  ~StateValue();
  StateValue(const StateValue&) = delete;
  StateValue& operator=(const StateValue&) = delete;

  uint64_t size() const;
  // Copies [offset, offset + out.size()) into out; bytes past the end read 0.
  void read(uint64_t offset, std::span<uint8_t> out) const;
  Bytes readAll() const;
  // Writes data at offset, growing the value if needed.
  Result<void> write(uint64_t offset, std::span<const uint8_t> data);
  // Replaces the value: its size becomes data.size().
  Result<void> set(std::span<const uint8_t> data);
  // Makes the value at least `size` bytes long (zero-filled).
  Result<void> ensureSize(uint64_t size);

  Result<void> append(std::span<const uint8_t> element);
  // The first n appended elements, concatenated; fails if there are fewer.
  Result<Bytes> readAppended(size_t n) const;
  void clearAppended();

  // The memfd behind the bytes (for mapping into linear memory); its length
  // is a multiple of the page size and at least size().
  int fd() const { return fd_; }

  // The guest-visible lock.
  std::shared_mutex& guestLock() { return guestLock_; }

 private:
  friend class StateStore;
  StateValue(int fd, const StateLimits& limits) : fd_(fd), limits_(limits) {}
  Result<void> reserve(uint64_t bytes);  // callers hold mutex_ exclusively

  mutable std::shared_mutex mutex_;  // guards size_, capacity_, view_, appended_
  int fd_;
  const StateLimits& limits_;
  uint64_t size_ = 0;
  uint64_t capacity_ = 0;  // memfd length and view_ size
  uint8_t* view_ = nullptr;
  std::vector<Bytes> appended_;
  std::shared_mutex guestLock_;
};

class StateStore {
 public:
  explicit StateStore(StateLimits limits = {}) : limits_(limits) {}

  // The value of user/key, created empty if absent.
  Result<std::shared_ptr<StateValue>> value(std::string_view user, std::string_view key);
  // The value if it exists.
  std::shared_ptr<StateValue> find(std::string_view user, std::string_view key) const;
  const StateLimits& limits() const { return limits_; }

 private:
  StateLimits limits_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<StateValue>, std::less<>> values_;  // "user\0key"
};

}  // namespace nearfaas::state
