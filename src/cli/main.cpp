// The `nearfaas` command.
#include <CLI/CLI.hpp>

#include "cli/client_command.h"
#include "cli/func_command.h"
#include "cli/run_command.h"
#include "cli/serve_command.h"
#include "cli/spectest_command.h"
#include "cli/storage_runtime_command.h"

int main(int argc, char** argv) {
  CLI::App app{"NearFaaS: a stateful serverless runtime for WebAssembly functions"};
  app.require_subcommand(1);
  int exitStatus = 0;
  nearfaas::cli::addRunCommands(app, exitStatus);
  nearfaas::cli::addSpectestCommand(app, exitStatus);
  nearfaas::cli::addFuncCommands(app, exitStatus);
  nearfaas::cli::addClientCommands(app, exitStatus);
  nearfaas::cli::addServeCommand(app, exitStatus);
  nearfaas::cli::addStorageRuntimeCommand(app, exitStatus);
  CLI11_PARSE(app, argc, argv);
  return exitStatus;
}
