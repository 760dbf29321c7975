// Access to a calling instance's linear memory from Faasm host functions.
// A pointer or length the guest passes that does not fit its memory stops the
// call with an out-of-bounds trap naming the function; nothing outside the
// memory is ever touched. (WASI functions answer EFAULT instead: wasi.cpp.)
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "wasm/host_registry.h"
#include "wasm/instance.h"

namespace nearfaas::host {

// Longest C string a host function reads from guest memory.
inline constexpr size_t kMaxGuestString = 64 * 1024;

inline uint8_t* guestRange(wasm::Instance& inst, uint64_t ptr, uint64_t len, const char* what) {
  uint8_t* p = inst.memoryRange(ptr, len);
  if (!p)
    throw wasm::HostTrap(wasm::TrapKind::OutOfBounds,
                         std::string(what) + ": guest buffer [" + std::to_string(ptr) + ", +" +
                             std::to_string(len) + ") is outside linear memory");
  return p;
}

inline std::span<uint8_t> guestBytes(wasm::Instance& inst, uint64_t ptr, uint64_t len,
                                     const char* what) {
  return {guestRange(inst, ptr, len, what), static_cast<size_t>(len)};
}

// The NUL-terminated string at ptr.
inline std::string guestString(wasm::Instance& inst, uint32_t ptr, const char* what) {
  wasm_rt_memory_t* mem = inst.memory(0);
  if (!mem || ptr >= mem->size) guestRange(inst, ptr, 1, what);  // throws
  size_t avail = std::min<uint64_t>(mem->size - ptr, kMaxGuestString);
  const char* s = reinterpret_cast<const char*>(mem->data + ptr);
  size_t n = strnlen(s, avail);
  if (n == avail)
    throw wasm::HostTrap(wasm::TrapKind::Host,
                         std::string(what) + ": unterminated string at " + std::to_string(ptr));
  return std::string(s, n);
}

template <typename T>
void guestStore(wasm::Instance& inst, uint32_t ptr, T value, const char* what) {
  std::memcpy(guestRange(inst, ptr, sizeof(T), what), &value, sizeof(T));
}

}  // namespace nearfaas::host
