// What CLI commands that talk to a NearFaaS (or Faasm) server share: where
// the server is, and sending one request with errors reported the CLI way.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "http/client.h"
#include "http/node_server.h"

namespace nearfaas::cli {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t uploadPort = http::kDefaultUploadPort;
  uint16_t invokePort = http::kDefaultInvokePort;
  unsigned timeoutS = 300;
  std::string token;  // API token (--token or $NEARFAAS_TOKEN); sent as Authorization: Bearer

  // Adds --host, the port options, --token and --http-timeout; returns --host, so a
  // command that also works without a server (`optional`) can tell whether
  // it was given.
  CLI::Option* addTo(CLI::App& app, const std::string& hostHelp, bool optional = false);

  http::Endpoint upload() const { return {host, uploadPort}; }
  http::Endpoint invoke() const { return {host, invokePort}; }
};

// Sends `request`; returns the response if its status is 2xx. Otherwise
// prints "error: ..." (the server's message, or why no answer came) on
// stderr and returns nullopt.
std::optional<http::Response> send(const ServerOptions& server, const http::Endpoint& to,
                                   const http::Request& request);

}  // namespace nearfaas::cli
