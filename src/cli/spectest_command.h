// `nearfaas spectest DIR`: WebAssembly spec conformance.
#pragma once

#include <CLI/CLI.hpp>

namespace nearfaas::cli {

void addSpectestCommand(CLI::App& app, int& exitStatus);

}  // namespace nearfaas::cli
