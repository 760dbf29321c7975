// State: named byte arrays shared between Faaslets, scoped by user.
//
// This is the local tier: each value lives in a memfd, so the host reads and
// writes it through one shared mapping and a Faaslet can map the same
// physical pages into its linear memory (Faaslets on one host share them).
// With a single host the global tier is this same store, so push and pull
// have nothing to do; in a cluster the store holds a GlobalStateTier
// (global_tier.h) and state_sync.h moves bytes between the tiers, pushing the
// ranges a value records as dirty. Every value carries a reader/writer lock that guests
// take and release explicitly (faasmLockStateRead/Write) and an append-only
// list of elements, separate from its bytes.
//
// State is bounded (StateLimits) per user and for the whole node: the number
// of keys, and the bytes the values hold (memfd lengths plus appended
// elements). A value, once created, lives as long as the store, so these caps
// are what keeps one user (a guest creating keys in a loop, or an HTTP
// client) from exhausting the host's memory and file descriptors; other users
// are not affected by one user reaching its caps. User names are free-form,
// so the node-wide caps are what bounds a client that spreads keys over many
// users. The store knows a user only once it holds a key, so its per-user
// bookkeeping is bounded by the node's keys. Reading a key that does not
// exist creates nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
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
#include "state/global_tier.h"

namespace nearfaas::state {

struct StateLimits {
  size_t maxKeyLength = 1024;          // bytes
  uint64_t maxValueSize = 1ull << 30;  // bytes per value
  size_t maxAppendedElements = 1 << 20;
  // Per user: keys (each holds a memfd, so also a file descriptor), and
  // bytes: the values' memfd lengths (64 KiB multiples) plus appended bytes.
  size_t maxKeysPerUser = 4096;
  uint64_t maxBytesPerUser = 4ull << 30;
  // The same for all users together. Keys stay well below the process's
  // descriptor limit, which the node's sockets and files share.
  size_t maxKeys = 10'000;
  uint64_t maxBytes = 16ull << 30;
  // Dirty ranges a value records for a partial push; past this many it keeps
  // one range from the first to the last dirty byte (a superset).
  size_t maxDirtyRanges = 4096;
  // How long a global write lock holds if its host never releases it.
  std::chrono::milliseconds globalLockLease{60'000};
};

// Why a state operation failed, for callers that answer differently (an HTTP
// server: 400, 413, 507 or 500). Being an Error, it converts to Result<T>.
struct StateError : Error {
  enum Kind {
    InvalidKey,  // breaks validateStateKey
    TooLarge,    // a value beyond maxValueSize, too many appended elements
    UserLimit,   // the user has maxKeysPerUser keys or maxBytesPerUser bytes
    NodeLimit,   // all users together have maxKeys keys or maxBytes bytes
    System,      // the host failed (memfd, mmap)
  } kind = System;
};
template <typename T>
using StateResult = std::expected<T, StateError>;

// Keys are non-empty, at most maxKeyLength bytes, without NUL bytes.
Result<void> validateStateKey(std::string_view key, const StateLimits& limits = {});

// What one user's (or the node's) state holds; shared by the store and the
// values it counts.
struct StateUsage {
  size_t keys = 0;  // guarded by the store's mutex
  std::atomic<uint64_t> bytes{0};
};

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
  // Writes data at offset, growing the value if needed, and flags the range
  // dirty unless `markDirty` is false (a pull).
  StateResult<void> write(uint64_t offset, std::span<const uint8_t> data, bool markDirty = true);
  // Replaces the value: its size becomes data.size(); all of it is dirty
  // unless `markDirty` is false (a pull).
  StateResult<void> set(std::span<const uint8_t> data, bool markDirty = true);
  // Makes the value at least `size` bytes long (zero-filled).
  StateResult<void> ensureSize(uint64_t size);

  StateResult<void> append(std::span<const uint8_t> element);
  // The first n appended elements, concatenated; fails if there are fewer.
  Result<Bytes> readAppended(size_t n) const;
  void clearAppended();

  // Dirty ranges (offset, length), merged, for a partial push: flagging
  // adds one, taking returns them in offset order and forgets them.
  void flagDirty(uint64_t offset, uint64_t len);
  std::vector<std::pair<uint64_t, uint64_t>> takeDirty();
  // Whether the whole value was pulled from the global tier since this host
  // created it (reads pull it once, as in Faasm; faasmPullState again), or
  // replaced here with set().
  bool pulled() const { return pulled_.load(); }
  void markPulled();
  // The parts of [offset, offset + len) neither pulled nor written here
  // (offset reads pull only those), and how many such records the value
  // keeps (at most maxDirtyRanges: past that, callers pull the whole value).
  std::vector<std::pair<uint64_t, uint64_t>> unpulled(uint64_t offset, uint64_t len) const;
  void markPulled(uint64_t offset, uint64_t len);
  size_t pulledRanges() const;
  const StateLimits& limits() const { return limits_; }

  // The memfd behind the bytes (for mapping into linear memory); its length
  // is a multiple of the page size and at least size().
  int fd() const { return fd_; }

  // The guest-visible lock.
  std::shared_mutex& guestLock() { return guestLock_; }
  // The guest's global write lock when there is no global tier (one host).
  std::timed_mutex& globalLock() { return globalLock_; }

 private:
  friend class StateStore;
  StateValue(int fd, const StateLimits& limits, std::string_view user,
             std::shared_ptr<StateUsage> usage, std::shared_ptr<StateUsage> node)
      : fd_(fd), limits_(limits), user_(user), usage_(std::move(usage)), node_(std::move(node)) {}
  StateResult<void> reserve(uint64_t bytes);  // callers hold mutex_ exclusively
  // Counts `bytes` more against the user's maxBytesPerUser and the node's
  // maxBytes, or fails with neither changed.
  StateResult<void> charge(uint64_t bytes);
  void uncharge(uint64_t bytes);

  mutable std::shared_mutex mutex_;  // guards size_, capacity_, view_, appended_
  int fd_;
  const StateLimits& limits_;
  const std::string user_;
  const std::shared_ptr<StateUsage> usage_;
  const std::shared_ptr<StateUsage> node_;
  uint64_t size_ = 0;
  uint64_t capacity_ = 0;  // memfd length and view_ size
  uint8_t* view_ = nullptr;
  std::vector<Bytes> appended_;
  uint64_t appendedBytes_ = 0;
  std::map<uint64_t, uint64_t> dirty_;         // offset -> end, disjoint, not adjacent
  std::map<uint64_t, uint64_t> pulledRanges_;  // as dirty_
  std::atomic<bool> pulled_{false};
  bool trackDirty_ = false;  // only with a global tier: pushes read the flags
  std::shared_mutex guestLock_;
  std::timed_mutex globalLock_;
};

class StateStore {
 public:
  explicit StateStore(StateLimits limits = {}) : limits_(limits) {}

  // Only before the first value is created (values keep referring to them).
  void setLimits(const StateLimits& limits) { limits_ = limits; }

  // The value of user/key, created empty if absent (UserLimit if the user
  // has maxKeysPerUser keys already, NodeLimit if the node has maxKeys).
  StateResult<std::shared_ptr<StateValue>> value(std::string_view user, std::string_view key);
  // The value if it exists.
  std::shared_ptr<StateValue> find(std::string_view user, std::string_view key) const;
  const StateLimits& limits() const { return limits_; }

  // The cluster's global tier, or null on a single host (the default). Set
  // once, before the store is used.
  void setGlobalTier(std::shared_ptr<GlobalStateTier> tier) { tier_ = std::move(tier); }
  GlobalStateTier* globalTier() const { return tier_.get(); }

  // What `user`'s state holds now: keys and bytes as the limits count them.
  struct UserUsage {
    size_t keys = 0;
    uint64_t bytes = 0;
  };
  UserUsage usage(std::string_view user) const;
  // The same for all users together.
  UserUsage nodeUsage() const;
  // How many users the store keeps usage of: those holding a key.
  size_t users() const;

 private:
  StateLimits limits_;
  std::shared_ptr<GlobalStateTier> tier_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<StateValue>, std::less<>> values_;  // "user\0key"
  // Only users with a key (keys are never removed), so at most maxKeys.
  std::map<std::string, std::shared_ptr<StateUsage>, std::less<>> users_;
  const std::shared_ptr<StateUsage> node_ = std::make_shared<StateUsage>();
};

}  // namespace nearfaas::state
