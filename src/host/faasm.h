// The Faasm host interface: the `env.__faasm_*` and `env.__faasmndp_*`
// imports of functions built against Faasm's API (and this project's SDK),
// plus the libc-level `env` functions Faasm's toolchain expects. One source
// file per family: faasm_io.cpp (input, output, configuration), faasm_chain.cpp
// (chaining and awaiting), faasm_state.cpp (state), faasm_ndp.cpp (NDP
// objects and storage calls), faasm_memory.cpp (sbrk, mmap, munmap).
//
// Host functions find their CallContext through Instance::hostContext(); a
// call without one traps.
#pragma once

#include "host/call_context.h"
#include "wasm/host_registry.h"

namespace nearfaas::host {

inline constexpr const char* kFaasmModule = "env";

// Adds WASI and every Faasm family to `registry`.
void registerFaasmHost(wasm::HostRegistry& registry);

// The families, for registries that want only some of them.
void registerFaasmIo(wasm::HostRegistry& registry);
void registerFaasmChaining(wasm::HostRegistry& registry);
void registerFaasmState(wasm::HostRegistry& registry);
void registerFaasmNdp(wasm::HostRegistry& registry);
void registerFaasmMemory(wasm::HostRegistry& registry);

// The running call's context, or a trap if the instance has none.
CallContext& callContext(wasm::Instance& inst);

// Grows memory 0 of `inst` by enough pages for `bytes` and returns the
// address of the new region; traps (MemoryLimit) if it cannot grow.
uint32_t growForRegion(wasm::Instance& inst, uint64_t bytes, const char* what);

}  // namespace nearfaas::host
