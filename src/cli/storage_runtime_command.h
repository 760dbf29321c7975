// `nearfaas storage-runtime`: the worker mode that runs beside a Ceph OSD and
// executes the storage calls the OSD's object class forwards to it (NDP),
// until SIGINT or SIGTERM.
#pragma once

#include <CLI/CLI.hpp>

namespace nearfaas::cli {

void addStorageRuntimeCommand(CLI::App& app, int& exitStatus);

}  // namespace nearfaas::cli
