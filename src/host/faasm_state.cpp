// State: key/value byte arrays of the caller's user, read and written by copy
// or mapped into linear memory (the same physical pages for every Faaslet on
// this host), with guest-held reader/writer locks.
//
// In a cluster (the store has a global tier) push and pull move bytes to and
// from the global copy: whole values, dirty ranges, masked bytes, or the
// chunk an offset read covers; sizes and appended elements are the global
// ones; faasmLockStateGlobal* locks a key across hosts. On a single host the
// local copy is the global one and none of that has anything to do.
//
// Errors trap with the store's message, since the Faasm state functions have
// no error result: an invalid key, a value beyond the size limit, a user or
// the whole node at its limit of keys or bytes (StateLimits), and a global
// tier that fails (Redis down) all end the call, which fails with that
// message. Calls that only read (size, value, appended elements) or push,
// pull or flag a key create nothing: a missing key reads as empty.
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

#include "host/faasm.h"
#include "host/guest_memory.h"
#include "state/state_store.h"
#include "state/state_sync.h"
#include "storage/object_store.h"
#include "wasm/runtime.h"
#include "wasm/settings.h"

namespace nearfaas::host {

using wasm::HostTrap;
using wasm::Instance;
using wasm::TrapKind;

uint32_t growForRegion(Instance& inst, uint64_t bytes, const char* what) {
  wasm_rt_memory_t* mem = inst.memory(0);
  if (!mem) throw HostTrap(TrapKind::Host, std::string(what) + ": the module has no memory");
  uint64_t pages = std::max<uint64_t>(1, (bytes + wasm::kWasmPageSize - 1) / wasm::kWasmPageSize);
  uint32_t old =
      pages > UINT32_MAX ? UINT32_MAX : wasm_rt_grow_memory(mem, static_cast<uint32_t>(pages));
  if (old == UINT32_MAX)
    throw HostTrap(TrapKind::MemoryLimit, std::string(what) + ": cannot grow memory by " +
                                              std::to_string(pages) + " pages (limit " +
                                              std::to_string(mem->max_pages) + " pages)");
  return static_cast<uint32_t>(uint64_t{old} * wasm::kWasmPageSize);
}

namespace {

struct KeyedValue {
  CallContext& ctx;
  std::string key;
  std::shared_ptr<state::StateValue> value;
};

KeyedValue stateValue(Instance& inst, uint32_t keyPtr, const char* what) {
  CallContext& ctx = callContext(inst);
  if (!ctx.services) throw HostTrap(TrapKind::Host, std::string(what) + ": no state here");
  std::string key = guestString(inst, keyPtr, what);
  auto v = ctx.services->state().value(ctx.request->user, key);
  if (!v) throw HostTrap(TrapKind::Host, std::string(what) + ": " + v.error().message);
  return {ctx, std::move(key), std::move(*v)};
}

// The value of the caller's user/key if it exists, else null (the key is
// checked either way).
std::shared_ptr<state::StateValue> existingValue(Instance& inst, uint32_t keyPtr,
                                                 const char* what) {
  CallContext& ctx = callContext(inst);
  if (!ctx.services) throw HostTrap(TrapKind::Host, std::string(what) + ": no state here");
  std::string key = guestString(inst, keyPtr, what);
  state::StateStore& store = ctx.services->state();
  if (auto v = state::validateStateKey(key, store.limits()); !v)
    throw HostTrap(TrapKind::Host, std::string(what) + ": " + v.error().message);
  return store.find(ctx.request->user, key);
}

void check(const Result<void>& r, const char* what) {
  if (!r) throw HostTrap(TrapKind::Host, std::string(what) + ": " + r.error().message);
}

state::GlobalStateTier* globalTier(Instance& inst) {
  CallContext& ctx = callContext(inst);
  return ctx.services ? ctx.services->state().globalTier() : nullptr;
}

// In a cluster: the whole global value, once per host copy (as Faasm pulls
// on first read); faasmPullState pulls again.
void pullOnce(Instance& inst, const std::string& key, state::StateValue& value, const char* what) {
  state::GlobalStateTier* tier = globalTier(inst);
  if (!tier || value.pulled()) return;
  check(state::pullAll(*tier, callContext(inst).request->user, key, value), what);
}

// With bufferLen 0: the value's size. Otherwise copies bufferLen bytes (zero
// past the value's end) and returns the value's size.
uint32_t readState(Instance& inst, uint32_t keyPtr, uint32_t buffer, uint32_t bufferLen) {
  auto value = existingValue(inst, keyPtr, "__faasm_read_state");
  if (state::GlobalStateTier* tier = globalTier(inst)) {
    const char* what = "__faasm_read_state";
    std::string key = guestString(inst, keyPtr, what);
    const std::string& user = callContext(inst).request->user;
    if (!bufferLen) {
      auto size = tier->size(user, key);
      if (!size) throw HostTrap(TrapKind::Host, std::string(what) + ": " + size.error().message);
      return static_cast<uint32_t>(*size);
    }
    // Without a local copy the global bytes go straight to the guest.
    if (!value) {
      auto bytes = tier->get(user, key);
      if (!bytes) throw HostTrap(TrapKind::Host, std::string(what) + ": " + bytes.error().message);
      auto out = guestBytes(inst, buffer, bufferLen, what);
      size_t n = std::min(out.size(), bytes->size());
      std::memcpy(out.data(), bytes->data(), n);
      std::fill(out.begin() + n, out.end(), 0);
      return static_cast<uint32_t>(bytes->size());
    }
    pullOnce(inst, key, *value, what);
  }
  if (bufferLen) {
    auto out = guestBytes(inst, buffer, bufferLen, "__faasm_read_state");
    if (value)
      value->read(0, out);
    else
      std::fill(out.begin(), out.end(), 0);
  }
  return value ? static_cast<uint32_t>(value->size()) : 0;
}

void readStateOffset(Instance& inst, uint32_t keyPtr, uint32_t totalLen, uint32_t offset,
                     uint32_t buffer, uint32_t len) {
  auto kv = stateValue(inst, keyPtr, "__faasm_read_state_offset");
  check(kv.value->ensureSize(totalLen), "__faasm_read_state_offset");
  if (state::GlobalStateTier* tier = globalTier(inst))
    check(state::pullRange(*tier, kv.ctx.request->user, kv.key, *kv.value, offset, len),
          "__faasm_read_state_offset");
  kv.value->read(offset, guestBytes(inst, buffer, len, "__faasm_read_state_offset"));
}

// Maps the whole value (at least totalLen bytes) into fresh pages at the top
// of linear memory, shared with the host copy. One mapping per key and call.
// In a cluster, pulls the whole value (once) or only the chunk [offset,
// offset + len) if `len` is given.
uint32_t mapState(Instance& inst, uint32_t keyPtr, uint32_t totalLen, const char* what,
                  uint32_t offset = 0, std::optional<uint32_t> len = std::nullopt) {
  auto kv = stateValue(inst, keyPtr, what);
  if (!len)
    pullOnce(inst, kv.key, *kv.value, what);
  else if (state::GlobalStateTier* tier = globalTier(inst))
    check(state::pullRange(*tier, kv.ctx.request->user, kv.key, *kv.value, offset, *len), what);
  check(kv.value->ensureSize(totalLen), what);
  if (auto it = kv.ctx.stateMappings.find(kv.key); it != kv.ctx.stateMappings.end())
    return it->second;
  uint64_t bytes = std::max<uint64_t>(kv.value->size(), 1);
  uint32_t at = growForRegion(inst, bytes, what);
  uint64_t mapped = (bytes + wasm::kWasmPageSize - 1) / wasm::kWasmPageSize * wasm::kWasmPageSize;
  uint8_t* dst = inst.memory(0)->data + at;
  if (mmap(dst, mapped, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, kv.value->fd(), 0) ==
      MAP_FAILED)
    throw HostTrap(TrapKind::Host,
                   std::string(what) + ": cannot map state: " + std::strerror(errno));
  kv.ctx.stateMappings.emplace(kv.key, at);
  return at;
}

uint32_t readStatePtr(Instance& inst, uint32_t keyPtr, uint32_t totalLen) {
  return mapState(inst, keyPtr, totalLen, "__faasm_read_state_ptr");
}

uint32_t readStateOffsetPtr(Instance& inst, uint32_t keyPtr, uint32_t totalLen, uint32_t offset,
                            uint32_t len) {
  if (uint64_t{offset} + len > totalLen)
    throw HostTrap(TrapKind::Host, "__faasm_read_state_offset_ptr: chunk beyond totalLen");
  return mapState(inst, keyPtr, totalLen, "__faasm_read_state_offset_ptr", offset, len) + offset;
}

void writeState(Instance& inst, uint32_t keyPtr, uint32_t data, uint32_t len) {
  auto kv = stateValue(inst, keyPtr, "__faasm_write_state");
  check(kv.value->set(guestBytes(inst, data, len, "__faasm_write_state")), "__faasm_write_state");
}

void writeStateOffset(Instance& inst, uint32_t keyPtr, uint32_t totalLen, uint32_t offset,
                      uint32_t data, uint32_t len) {
  auto kv = stateValue(inst, keyPtr, "__faasm_write_state_offset");
  check(kv.value->ensureSize(totalLen), "__faasm_write_state_offset");
  check(kv.value->write(offset, guestBytes(inst, data, len, "__faasm_write_state_offset")),
        "__faasm_write_state_offset");
}

// Reads a file of the Faaslet's file view (a shared file as "/shared/<path>"
// or "faasm://<path>", or a scratch file the call wrote) into the value;
// returns its length.
uint32_t writeStateFromFile(Instance& inst, uint32_t keyPtr, uint32_t pathPtr) {
  auto kv = stateValue(inst, keyPtr, "__faasm_write_state_from_file");
  std::string path = guestString(inst, pathPtr, "__faasm_write_state_from_file");
  auto bytes = kv.ctx.fileView.readFile(path);
  if (!bytes)
    throw HostTrap(TrapKind::Host, "__faasm_write_state_from_file: cannot read '" + path +
                                       "' (WASI errno " +
                                       std::to_string(static_cast<int>(bytes.error())) + ")");
  check(kv.value->set(*bytes), "__faasm_write_state_from_file");
  return static_cast<uint32_t>(bytes->size());
}

void appendState(Instance& inst, uint32_t keyPtr, uint32_t data, uint32_t len) {
  if (state::GlobalStateTier* tier = globalTier(inst)) {
    const char* what = "__faasm_append_state";
    existingValue(inst, keyPtr, what);  // checks the key
    const auto& limits = callContext(inst).services->state().limits();
    if (len > limits.maxValueSize)
      throw HostTrap(TrapKind::Host, std::string(what) + ": an element of " + std::to_string(len) +
                                         " bytes exceeds the limit of " +
                                         std::to_string(limits.maxValueSize));
    check(tier->append(callContext(inst).request->user, guestString(inst, keyPtr, what),
                       guestBytes(inst, data, len, what), limits.maxAppendedElements),
          what);
    return;
  }
  auto kv = stateValue(inst, keyPtr, "__faasm_append_state");
  check(kv.value->append(guestBytes(inst, data, len, "__faasm_append_state")),
        "__faasm_append_state");
}

void readAppendedState(Instance& inst, uint32_t keyPtr, uint32_t buffer, uint32_t bufferLen,
                       uint32_t n) {
  auto value = existingValue(inst, keyPtr, "__faasm_read_appended_state");
  Result<Bytes> bytes = Bytes{};
  if (state::GlobalStateTier* tier = globalTier(inst))
    bytes = tier->readAppended(callContext(inst).request->user,
                               guestString(inst, keyPtr, "__faasm_read_appended_state"), n);
  else if (value)
    bytes = value->readAppended(n);
  else if (n)
    bytes = fail("state: ", n, " appended elements requested, 0 present");
  if (!bytes)
    throw HostTrap(TrapKind::Host, "__faasm_read_appended_state: " + bytes.error().message);
  auto dst = guestBytes(inst, buffer, bufferLen, "__faasm_read_appended_state");
  size_t copied = std::min(dst.size(), bytes->size());
  std::memcpy(dst.data(), bytes->data(), copied);
  std::fill(dst.begin() + copied, dst.end(), 0);
}

void clearAppendedState(Instance& inst, uint32_t keyPtr) {
  if (state::GlobalStateTier* tier = globalTier(inst)) {
    const char* what = "__faasm_clear_appended_state";
    existingValue(inst, keyPtr, what);  // checks the key
    check(tier->clearAppended(callContext(inst).request->user, guestString(inst, keyPtr, what)),
          what);
    return;
  }
  if (auto value = existingValue(inst, keyPtr, "__faasm_clear_appended_state"))
    value->clearAppended();
}

// On one host the local copy is the global copy: pushing, pulling and dirty
// flags have nothing to do beyond checking the key. In a cluster a push of a
// key this host holds no copy of has nothing to send either.
void flagDirty(Instance& inst, uint32_t keyPtr, uint32_t totalLen) {
  if (auto value = existingValue(inst, keyPtr, "__faasm_flag_state_dirty"))
    value->flagDirty(0, std::max<uint64_t>(totalLen, value->size()));
}
void flagOffsetDirty(Instance& inst, uint32_t keyPtr, uint32_t, uint32_t offset, uint32_t len) {
  if (auto value = existingValue(inst, keyPtr, "__faasm_flag_state_offset_dirty"))
    value->flagDirty(offset, len);
}
template <bool Partial>
void pushState(Instance& inst, uint32_t keyPtr) {
  const char* what = Partial ? "__faasm_push_state_partial" : "__faasm_push_state";
  auto value = existingValue(inst, keyPtr, what);
  state::GlobalStateTier* tier = globalTier(inst);
  if (!tier || !value) return;
  std::string key = guestString(inst, keyPtr, what);
  const std::string& user = callContext(inst).request->user;
  check(Partial ? state::pushDirty(*tier, user, key, *value)
                : state::pushAll(*tier, user, key, *value),
        what);
}
void pushPartialMask(Instance& inst, uint32_t keyPtr, uint32_t maskKeyPtr) {
  const char* what = "__faasm_push_state_partial_mask";
  auto value = existingValue(inst, keyPtr, what);
  auto mask = existingValue(inst, maskKeyPtr, what);
  state::GlobalStateTier* tier = globalTier(inst);
  if (!tier || !value || !mask) return;
  check(state::pushMasked(*tier, callContext(inst).request->user, guestString(inst, keyPtr, what),
                          *value, *mask),
        what);
}
void pullState(Instance& inst, uint32_t keyPtr, uint32_t len) {
  const char* what = "__faasm_pull_state";
  state::GlobalStateTier* tier = globalTier(inst);
  if (!tier) {
    existingValue(inst, keyPtr, what);
    return;
  }
  auto kv = stateValue(inst, keyPtr, what);
  check(state::pullAll(*tier, kv.ctx.request->user, kv.key, *kv.value), what);
  check(kv.value->ensureSize(len), what);
}

// How often a waiting lock checks the call's deadline.
constexpr auto kLockPoll = std::chrono::microseconds(200);

template <bool Exclusive>
void lockState(Instance& inst, uint32_t keyPtr) {
  auto kv =
      stateValue(inst, keyPtr, Exclusive ? "__faasm_lock_state_write" : "__faasm_lock_state_read");
  auto& lock = kv.value->guestLock();
  for (;;) {
    bool got = Exclusive ? lock.try_lock() : lock.try_lock_shared();
    if (got) break;
    if (wasm::deadlinePassed()) return;  // the timeout trap follows on return
    std::this_thread::sleep_for(kLockPoll);
  }
  kv.ctx.heldLocks.emplace_back(kv.value, Exclusive);
}

template <bool Exclusive>
void unlockState(Instance& inst, uint32_t keyPtr) {
  auto kv = stateValue(inst, keyPtr,
                       Exclusive ? "__faasm_unlock_state_write" : "__faasm_unlock_state_read");
  auto& held = kv.ctx.heldLocks;
  auto it = std::find_if(held.begin(), held.end(), [&](const auto& h) {
    return h.first == kv.value && h.second == Exclusive;
  });
  if (it == held.end())
    throw HostTrap(TrapKind::Host, "unlock of state '" + kv.key + "' that this call does not hold");
  if (Exclusive)
    kv.value->guestLock().unlock();
  else
    kv.value->guestLock().unlock_shared();
  held.erase(it);
}

// A write lock on the key across hosts (an extension: older Faasm's
// faasmLockStateGlobal; the Read variants lock exclusively too). Held until
// unlocked or the call ends; waiting stops at the call's deadline.
void lockGlobal(Instance& inst, uint32_t keyPtr) {
  const char* what = "__faasm_lock_state_global";
  auto kv = stateValue(inst, keyPtr, what);
  for (const auto& g : kv.ctx.heldGlobalLocks)
    if (g.key == kv.key)
      throw HostTrap(TrapKind::Host,
                     "global lock of state '" + kv.key + "' that this call holds already");
  CallContext::GlobalLock held{globalTier(inst), nullptr, kv.ctx.request->user, kv.key, {}};
  if (held.tier) {
    auto token =
        held.tier->lockWrite(held.user, held.key, kv.ctx.services->state().limits().globalLockLease,
                             [] { return wasm::deadlinePassed(); });
    if (!token) {
      if (wasm::deadlinePassed()) return;  // the timeout trap follows on return
      throw HostTrap(TrapKind::Host, std::string(what) + ": " + token.error().message);
    }
    held.token = std::move(*token);
  } else {
    while (!kv.value->globalLock().try_lock_for(std::chrono::milliseconds(1)))
      if (wasm::deadlinePassed()) return;
    held.local = kv.value;
  }
  kv.ctx.heldGlobalLocks.push_back(std::move(held));
}

void unlockGlobal(Instance& inst, uint32_t keyPtr) {
  auto kv = stateValue(inst, keyPtr, "__faasm_unlock_state_global");
  auto& held = kv.ctx.heldGlobalLocks;
  auto it = std::find_if(held.begin(), held.end(), [&](const auto& g) { return g.key == kv.key; });
  if (it == held.end())
    throw HostTrap(TrapKind::Host,
                   "global unlock of state '" + kv.key + "' that this call does not hold");
  CallContext::GlobalLock g = std::move(*it);
  held.erase(it);
  if (g.tier)
    check(g.tier->unlockWrite(g.user, g.key, g.token), "__faasm_unlock_state_global");
  else
    g.local->globalLock().unlock();
}

}  // namespace

void registerFaasmState(wasm::HostRegistry& r) {
  const std::string m = kFaasmModule;
  r.add<&readState>(m, "__faasm_read_state");
  r.add<&readStatePtr>(m, "__faasm_read_state_ptr");
  r.add<&readStateOffset>(m, "__faasm_read_state_offset");
  r.add<&readStateOffsetPtr>(m, "__faasm_read_state_offset_ptr");
  r.add<&writeState>(m, "__faasm_write_state");
  r.add<&writeStateOffset>(m, "__faasm_write_state_offset");
  r.add<&writeStateFromFile>(m, "__faasm_write_state_from_file");
  r.add<&appendState>(m, "__faasm_append_state");
  r.add<&readAppendedState>(m, "__faasm_read_appended_state");
  r.add<&clearAppendedState>(m, "__faasm_clear_appended_state");
  r.add<&flagDirty>(m, "__faasm_flag_state_dirty");
  r.add<&flagOffsetDirty>(m, "__faasm_flag_state_offset_dirty");
  r.add<&pushState<false>>(m, "__faasm_push_state");
  r.add<&pushState<true>>(m, "__faasm_push_state_partial");
  r.add<&pushPartialMask>(m, "__faasm_push_state_partial_mask");
  r.add<&pullState>(m, "__faasm_pull_state");
  r.add<&lockState<false>>(m, "__faasm_lock_state_read");
  r.add<&unlockState<false>>(m, "__faasm_unlock_state_read");
  r.add<&lockState<true>>(m, "__faasm_lock_state_write");
  r.add<&unlockState<true>>(m, "__faasm_unlock_state_write");
  // Cross-host write lock (extension, docs/faasm-differences.md): older
  // Faasm's names and the documented read/write ones, all exclusive.
  for (const char* lock : {"__faasm_lock_state_global", "__faasm_lock_state_global_write",
                           "__faasm_lock_state_global_read"})
    r.add<&lockGlobal>(m, lock);
  for (const char* unlock : {"__faasm_unlock_state_global", "__faasm_unlock_state_global_write",
                             "__faasm_unlock_state_global_read"})
    r.add<&unlockGlobal>(m, unlock);
}

}  // namespace nearfaas::host
