// `nearfaas run`, `inspect` and `compile`: running and examining a .wasm file.
#pragma once

#include <CLI/CLI.hpp>

namespace nearfaas::cli {

// Exit status of `nearfaas run` when the guest traps (its own exit status
// otherwise).
inline constexpr int kTrapExitStatus = 134;

void addRunCommands(CLI::App& app, int& exitStatus);

}  // namespace nearfaas::cli
