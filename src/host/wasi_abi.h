// Private to the WASI implementation (wasi.cpp, wasi_files.cpp): access to
// the calling instance's memory and context at the WASI boundary. A bad guest
// pointer becomes EFAULT, never a trap or a crash.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "host/file_system.h"
#include "host/wasi.h"
#include "wasm/host_registry.h"
#include "wasm/instance.h"

namespace nearfaas::host::wasi_abi {

// Thrown by the memory helpers; turned into EFAULT by guarded().
struct BadPointer {};

inline uint32_t code(WasiErrno e) {
  return static_cast<uint32_t>(e);
}

inline WasiContext& context(wasm::Instance& inst) {
  auto* ctx = static_cast<WasiContext*>(inst.hostContext());
  if (!ctx)
    throw wasm::HostTrap(wasm::TrapKind::Host, "WASI called on an instance without a host context");
  return *ctx;
}

inline uint8_t* range(wasm::Instance& inst, uint64_t ptr, uint64_t len) {
  uint8_t* p = inst.memoryRange(ptr, len);
  if (!p) throw BadPointer{};
  return p;
}

inline std::string_view text(wasm::Instance& inst, uint32_t ptr, uint32_t len) {
  return {reinterpret_cast<const char*>(range(inst, ptr, len)), len};
}

template <typename T>
void store(wasm::Instance& inst, uint32_t ptr, T value) {
  std::memcpy(range(inst, ptr, sizeof(T)), &value, sizeof(T));
}

template <typename T>
T load(wasm::Instance& inst, uint32_t ptr) {
  T value;
  std::memcpy(&value, range(inst, ptr, sizeof(T)), sizeof(T));
  return value;
}

// Runs `body` (returning a WASI errno as uint32_t), mapping a bad guest
// pointer to EFAULT.
template <typename Body>
uint32_t guarded(Body&& body) {
  try {
    return body();
  } catch (const BadPointer&) {
    return code(WasiErrno::Fault);
  }
}

void registerWasiFiles(wasm::HostRegistry& registry);

}  // namespace nearfaas::host::wasi_abi
