// Command-line options shared by every subcommand that runs the engine.
#pragma once

#include <CLI/CLI.hpp>

#include "wasm/engine.h"

namespace nearfaas::cli {

struct EngineOptions {
  std::string cacheDir;
  std::string cc;
  unsigned jobs = 0;

  void addTo(CLI::App& app) {
    app.add_option(
        "--cache-dir", cacheDir,
        "directory of compiled modules (default: $NEARFAAS_CACHE_DIR or ~/.cache/nearfaas/code)");
    app.add_option("--cc", cc,
                   "C compiler for generated code (default: " + wasm::CompilerSettings{}.cc + ")");
    app.add_option("-j,--jobs", jobs, "parallel compilers (default: number of cores)");
  }

  wasm::EngineConfig config() const {
    wasm::EngineConfig c;
    if (!cacheDir.empty()) c.cacheDir = cacheDir;
    if (!cc.empty()) c.compiler.cc = cc;
    c.compileJobs = jobs;
    return c;
  }
};

}  // namespace nearfaas::cli
