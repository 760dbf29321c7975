// WASI preview1, the part a C/C++ `main` built with wasi-libc needs: args,
// environment, clocks, random, stdio and proc_exit. Guests see no file
// system yet (no preopened directories). Bad guest pointers give EFAULT, never
// a crash. Files and the sandboxed file view come with the Faasm host
// interface.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "wasm/host_registry.h"
#include "wasm/instance.h"

namespace nearfaas::host {

// Per-instance WASI state. An Instance's hostContext must point to a
// WasiContext (or an object whose first base is one) for WASI imports to work.
struct WasiContext {
  std::vector<std::string> args;  // argv, argv[0] included
  std::vector<std::string> env;   // "KEY=VALUE"
  // Where fd 1 and 2 go; called with the fd and the bytes.
  std::function<void(int fd, std::string_view bytes)> output;
  // Source of fd 0: fills up to `len` bytes, returns how many (0 at end).
  std::function<size_t(uint8_t* buf, size_t len)> input;
};

// Writes to the process's own stdout/stderr; reads the process's stdin.
void passThroughStdio(WasiContext& ctx);

inline constexpr const char* kWasiModule = "wasi_snapshot_preview1";

// Adds every WASI function this host implements to `registry`.
void registerWasi(wasm::HostRegistry& registry);

}  // namespace nearfaas::host
