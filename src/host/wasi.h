// WASI preview1: args, environment, clocks, random, poll, stdio, proc_exit
// (wasi.cpp) and descriptors and paths (wasi_files.cpp). Files exist only in a
// FileSystem (file_system.h: a Faaslet's FileView, or the host directories of
// `nearfaas run --dir`) the context points to; without one a guest sees no
// file system at all. Sockets are not provided (every descriptor answers "not
// a socket"). Bad guest pointers give EFAULT, never a crash.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "host/file_system.h"
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
  // Descriptors from 3 up and every path; null = none. Not owned.
  FileSystem* files = nullptr;
  // Whether fd 0, 1, 2 are terminals: fd_fdstat_get answers "character
  // device" (what wasi-libc's isatty tests, and what makes its stdout line
  // buffered) for those, "unknown" for the others. Functions see terminals, so
  // their output reaches the call's output line by line.
  std::array<bool, 3> stdioIsTerminal{true, true, true};
};

// Writes to the process's own stdout/stderr; reads the process's stdin.
void passThroughStdio(WasiContext& ctx);

inline constexpr const char* kWasiModule = "wasi_snapshot_preview1";

// Adds every WASI function this host implements to `registry`.
void registerWasi(wasm::HostRegistry& registry);

}  // namespace nearfaas::host
