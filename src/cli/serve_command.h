// `nearfaas serve`: the upload and invoke endpoints and the executors of one
// node in one process, over the embedded store, until SIGINT or SIGTERM.
#pragma once

#include <CLI/CLI.hpp>

namespace nearfaas::cli {

void addServeCommand(CLI::App& app, int& exitStatus);

}  // namespace nearfaas::cli
