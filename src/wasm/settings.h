// Named limits of the engine. Per-instance settings (memory limit, deadline)
// are fields of InstanceOptions and CallOptions; these are their defaults and
// the hard bounds of the runtime ABI.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nearfaas::wasm {

inline constexpr uint64_t kWasmPageSize = 64 * 1024;

// wasm_rt_memory_t::size is 32 bits wide, so a memory can hold at most 65535
// pages (4 GiB - 64 KiB); memory.grow beyond that fails.
inline constexpr uint32_t kMaxMemoryPages = 65535;

// Default per-instance memory limit: the most the ABI allows.
inline constexpr uint32_t kDefaultMaxMemoryPages = kMaxMemoryPages;

// Address space reserved per linear memory. Generated code performs no bounds
// checks: an access is base + 32-bit address + 32-bit offset, so everything up
// to 8 GiB past the base must be either mapped memory or a guard that faults.
inline constexpr uint64_t kMemoryReservationBytes = (8ull << 30) + kWasmPageSize;

// Most linear memories alive at once in one process (reservations are 8 GiB
// of address space each; x86-64 user space is 128 TiB).
inline constexpr size_t kMaxLiveMemories = 14000;

// Largest table, in elements, an instance may create or grow to.
inline constexpr uint32_t kMaxTableElements = 10'000'000;

// Size of the alternate signal stack on which faults (including stack
// exhaustion) are handled, per thread that runs guest code.
inline constexpr size_t kSignalStackBytes = 64 * 1024;

// A host function is not entered with less than this much thread stack left;
// the call traps as stack exhaustion instead, so host code never overflows.
inline constexpr size_t kHostStackReserve = 128 * 1024;

// Stack size of threads the runtime creates to run guest code.
inline constexpr size_t kGuestThreadStackBytes = 8 * 1024 * 1024;

}  // namespace nearfaas::wasm
