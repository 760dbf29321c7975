// `nearfaas func` (build, add, run) and `nearfaas obj` (put, get): functions
// in the local node's store, run in process (no server); objects in the
// local store, or on a server when --host is given.
#pragma once

#include <CLI/CLI.hpp>

namespace nearfaas::cli {

void addFuncCommands(CLI::App& app, int& exitStatus);

}  // namespace nearfaas::cli
