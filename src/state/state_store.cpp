#include "state/state_store.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace nearfaas::state {

namespace {
constexpr uint64_t kPage = 64 * 1024;  // a wasm page: values map into linear memory

uint64_t roundUp(uint64_t n) {
  return (n + kPage - 1) / kPage * kPage;
}

std::string mapKey(std::string_view user, std::string_view key) {
  std::string k(user);
  k.push_back('\0');
  k.append(key);
  return k;
}

template <typename... Parts>
std::unexpected<StateError> stateFail(StateError::Kind kind, Parts&&... parts) {
  StateError e;
  e.kind = kind;
  e.message = fail(std::forward<Parts>(parts)...).error().message;
  return std::unexpected(std::move(e));
}

// Adds `bytes` to `held` unless the sum would pass `limit`; `before` is what
// it held when it decided.
bool tryAdd(std::atomic<uint64_t>& held, uint64_t limit, uint64_t bytes, uint64_t& before) {
  before = held.load();
  do {
    if (bytes > limit || before > limit - bytes) return false;
  } while (!held.compare_exchange_weak(before, before + bytes));
  return true;
}
}  // namespace

Result<void> validateStateKey(std::string_view key, const StateLimits& limits) {
  if (key.empty()) return fail("invalid state key: empty");
  if (key.size() > limits.maxKeyLength)
    return fail("invalid state key: ", key.size(), " bytes, the limit is ", limits.maxKeyLength);
  if (key.find('\0') != std::string_view::npos) return fail("invalid state key: contains NUL");
  return {};
}

StateValue::~StateValue() {
  if (view_) munmap(view_, capacity_);
  close(fd_);
  uncharge(capacity_ + appendedBytes_);
}

StateResult<void> StateValue::charge(uint64_t bytes) {
  uint64_t held = 0;
  if (!tryAdd(usage_->bytes, limits_.maxBytesPerUser, bytes, held))
    return stateFail(StateError::UserLimit, "state: user ", user_, " would hold ", held + bytes,
                     " bytes of state, beyond the limit of ", limits_.maxBytesPerUser,
                     " bytes per user");
  if (!tryAdd(node_->bytes, limits_.maxBytes, bytes, held)) {
    usage_->bytes -= bytes;
    return stateFail(StateError::NodeLimit, "state: the node would hold ", held + bytes,
                     " bytes of state, beyond the node-wide limit of ", limits_.maxBytes,
                     " bytes (all users together)");
  }
  return {};
}

void StateValue::uncharge(uint64_t bytes) {
  usage_->bytes -= bytes;
  node_->bytes -= bytes;
}

StateResult<void> StateValue::reserve(uint64_t bytes) {
  if (bytes <= capacity_) return {};
  if (bytes > limits_.maxValueSize)
    return stateFail(StateError::TooLarge, "state value of ", bytes, " bytes exceeds the limit of ",
                     limits_.maxValueSize);
  uint64_t cap = roundUp(std::max(bytes, capacity_ * 2));
  cap = std::min(cap, roundUp(limits_.maxValueSize));
  // Doubling is only a guess at what comes next: if the user cannot afford
  // it, the value grows to exactly what it needs.
  auto charged = charge(cap - capacity_);
  if (!charged && cap > roundUp(bytes)) {
    cap = roundUp(bytes);
    charged = charge(cap - capacity_);
  }
  if (!charged) return charged;
  auto refund = [&] { uncharge(cap - capacity_); };
  if (ftruncate(fd_, static_cast<off_t>(cap)) != 0) {
    refund();
    return stateFail(StateError::System, "state: cannot grow a value to ", cap,
                     " bytes: ", std::strerror(errno));
  }
  void* view = mmap(nullptr, cap, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (view == MAP_FAILED) {
    // The memfd is longer now, but nothing maps past capacity_; count what
    // the value uses as before.
    refund();
    return stateFail(StateError::System, "state: cannot map a value: ", std::strerror(errno));
  }
  if (view_) munmap(view_, capacity_);
  view_ = static_cast<uint8_t*>(view);
  capacity_ = cap;
  return {};
}

uint64_t StateValue::size() const {
  std::shared_lock l(mutex_);
  return size_;
}

void StateValue::read(uint64_t offset, std::span<uint8_t> out) const {
  std::shared_lock l(mutex_);
  uint64_t avail = offset < size_ ? size_ - offset : 0;
  size_t n = static_cast<size_t>(std::min<uint64_t>(avail, out.size()));
  if (n) std::memcpy(out.data(), view_ + offset, n);
  std::fill(out.begin() + n, out.end(), 0);
}

Bytes StateValue::readAll() const {
  std::shared_lock l(mutex_);
  return Bytes(view_, view_ + size_);
}

StateResult<void> StateValue::write(uint64_t offset, std::span<const uint8_t> data,
                                    bool markDirty) {
  std::unique_lock l(mutex_);
  uint64_t end = offset + data.size();
  if (end < offset)
    return stateFail(StateError::TooLarge, "state write past the end of the address space");
  if (auto r = reserve(end); !r) return r;
  if (!data.empty()) std::memcpy(view_ + offset, data.data(), data.size());
  size_ = std::max(size_, end);
  l.unlock();
  if (markDirty) flagDirty(offset, data.size());
  return {};
}

StateResult<void> StateValue::set(std::span<const uint8_t> data, bool markDirty) {
  std::unique_lock l(mutex_);
  if (auto r = reserve(data.size()); !r) return r;
  if (!data.empty()) std::memcpy(view_, data.data(), data.size());
  // Bytes past the new end read as zero if the value grows again.
  if (size_ > data.size()) std::memset(view_ + data.size(), 0, size_ - data.size());
  size_ = data.size();
  l.unlock();
  if (markDirty && trackDirty_) {
    flagDirty(0, data.size());
    markPulled();  // all of it is this host's now
  }
  return {};
}

StateResult<void> StateValue::ensureSize(uint64_t size) {
  std::unique_lock l(mutex_);
  if (auto r = reserve(size); !r) return r;
  size_ = std::max(size_, size);
  return {};
}

StateResult<void> StateValue::append(std::span<const uint8_t> element) {
  std::unique_lock l(mutex_);
  if (appended_.size() >= limits_.maxAppendedElements)
    return stateFail(StateError::TooLarge, "state: more than ", limits_.maxAppendedElements,
                     " appended elements");
  if (auto r = charge(element.size()); !r) return r;
  appended_.emplace_back(element.begin(), element.end());
  appendedBytes_ += element.size();
  return {};
}

Result<Bytes> StateValue::readAppended(size_t n) const {
  std::shared_lock l(mutex_);
  if (n > appended_.size())
    return fail("state: ", n, " appended elements requested, ", appended_.size(), " present");
  Bytes out;
  for (size_t i = 0; i < n; ++i)
    out.insert(out.end(), appended_[i].begin(), appended_[i].end());
  return out;
}

void StateValue::clearAppended() {
  std::unique_lock l(mutex_);
  appended_.clear();
  uncharge(appendedBytes_);
  appendedBytes_ = 0;
}

namespace {
// Adds [offset, end) to disjoint ranges (offset -> end), merging every range
// it overlaps or touches.
void addRange(std::map<uint64_t, uint64_t>& ranges, uint64_t offset, uint64_t end) {
  auto it = ranges.upper_bound(offset);
  if (it != ranges.begin() && std::prev(it)->second >= offset) --it;
  while (it != ranges.end() && it->first <= end) {
    offset = std::min(offset, it->first);
    end = std::max(end, it->second);
    it = ranges.erase(it);
  }
  ranges.emplace(offset, end);
}
uint64_t endOf(uint64_t offset, uint64_t len) {
  return offset + len < offset ? UINT64_MAX : offset + len;
}
}  // namespace

void StateValue::markPulled() {
  std::unique_lock l(mutex_);
  pulledRanges_.clear();
  pulled_ = true;
}

void StateValue::markPulled(uint64_t offset, uint64_t len) {
  if (len == 0) return;
  std::unique_lock l(mutex_);
  if (!pulled_) addRange(pulledRanges_, offset, endOf(offset, len));
}

size_t StateValue::pulledRanges() const {
  std::shared_lock l(mutex_);
  return pulledRanges_.size();
}

std::vector<std::pair<uint64_t, uint64_t>> StateValue::unpulled(uint64_t offset,
                                                                uint64_t len) const {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  uint64_t end = endOf(offset, len);
  std::shared_lock l(mutex_);
  if (pulled_ || len == 0) return out;
  auto it = pulledRanges_.upper_bound(offset);
  if (it != pulledRanges_.begin() && std::prev(it)->second > offset) --it;
  for (; offset < end; ++it) {
    uint64_t gapEnd = it == pulledRanges_.end() ? end : std::min(end, it->first);
    if (gapEnd > offset) out.emplace_back(offset, gapEnd - offset);
    if (it == pulledRanges_.end()) break;
    offset = std::max(offset, it->second);
  }
  return out;
}

void StateValue::flagDirty(uint64_t offset, uint64_t len) {
  if (len == 0 || !trackDirty_) return;
  std::unique_lock l(mutex_);
  addRange(dirty_, offset, endOf(offset, len));
  // Bytes written here are this host's: offset reads do not pull them.
  if (!pulled_) addRange(pulledRanges_, offset, endOf(offset, len));
  if (dirty_.size() > limits_.maxDirtyRanges) {
    uint64_t first = dirty_.begin()->first, last = dirty_.rbegin()->second;
    dirty_.clear();
    dirty_.emplace(first, last);
  }
}

std::vector<std::pair<uint64_t, uint64_t>> StateValue::takeDirty() {
  std::unique_lock l(mutex_);
  std::vector<std::pair<uint64_t, uint64_t>> out;
  out.reserve(dirty_.size());
  for (auto [from, end] : dirty_)
    out.emplace_back(from, end - from);
  dirty_.clear();
  return out;
}

StateResult<std::shared_ptr<StateValue>> StateStore::value(std::string_view user,
                                                           std::string_view key) {
  if (auto v = validateStateKey(key, limits_); !v)
    return stateFail(StateError::InvalidKey, v.error().message);
  std::string k = mapKey(user, key);
  std::lock_guard l(mutex_);
  if (auto it = values_.find(k); it != values_.end()) return it->second;
  auto u = users_.find(user);
  size_t userKeys = u == users_.end() ? 0 : u->second->keys;
  if (userKeys >= limits_.maxKeysPerUser)
    return stateFail(StateError::UserLimit, "state: user ", std::string(user), " has ", userKeys,
                     " keys, the limit per user");
  if (values_.size() >= limits_.maxKeys)
    return stateFail(StateError::NodeLimit, "state: the node has ", values_.size(),
                     " keys, the node-wide limit (all users together)");
  int fd = memfd_create("nearfaas-state", MFD_CLOEXEC);
  if (fd < 0)
    return stateFail(StateError::System, "state: memfd_create failed: ", std::strerror(errno));
  // A user is known from its first key on (and keys are never removed).
  if (u == users_.end())
    u = users_.emplace(std::string(user), std::make_shared<StateUsage>()).first;
  std::shared_ptr<StateValue> v(new StateValue(fd, limits_, user, u->second, node_));
  v->trackDirty_ = tier_ != nullptr;
  values_.emplace(std::move(k), v);
  u->second->keys++;
  return v;
}

StateStore::UserUsage StateStore::usage(std::string_view user) const {
  std::lock_guard l(mutex_);
  auto u = users_.find(user);
  if (u == users_.end()) return {};
  return {u->second->keys, u->second->bytes.load()};
}

StateStore::UserUsage StateStore::nodeUsage() const {
  std::lock_guard l(mutex_);
  return {values_.size(), node_->bytes.load()};
}

size_t StateStore::users() const {
  std::lock_guard l(mutex_);
  return users_.size();
}

std::shared_ptr<StateValue> StateStore::find(std::string_view user, std::string_view key) const {
  std::lock_guard l(mutex_);
  auto it = values_.find(mapKey(user, key));
  return it == values_.end() ? nullptr : it->second;
}

}  // namespace nearfaas::state
