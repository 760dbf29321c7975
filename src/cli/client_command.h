// Commands that talk to a running server over its HTTP API (NearFaaS's or
// Faasm's): `func upload`, `func invoke`, `func status` (added to the `func`
// command, which must exist already), `state set`, `state get`, and
// `token create|list|revoke` (with the admin token).
#pragma once

#include <CLI/CLI.hpp>

namespace nearfaas::cli {

void addClientCommands(CLI::App& app, int& exitStatus);

}  // namespace nearfaas::cli
