// `nearfaas func` (build, add, run) and `nearfaas obj` (put, get): functions
// and objects in the local node's store, run in process (no server).
#pragma once

#include <CLI/CLI.hpp>

namespace nearfaas::cli {

void addFuncCommands(CLI::App& app, int& exitStatus);

}  // namespace nearfaas::cli
