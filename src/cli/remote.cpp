#include "cli/remote.h"

#include <cstdio>

namespace nearfaas::cli {

CLI::Option* ServerOptions::addTo(CLI::App& app, const std::string& hostHelp, bool optional) {
  auto* h = app.add_option("--host", host, hostHelp);
  if (!optional) h->capture_default_str();
  app.add_option("--upload-port", uploadPort, "port of the server's upload endpoint")
      ->capture_default_str();
  app.add_option("--invoke-port", invokePort, "port of the server's invoke endpoint")
      ->capture_default_str();
  app.add_option("--token", token,
                 "API token for a server that requires one (default: $NEARFAAS_TOKEN)")
      ->envname("NEARFAAS_TOKEN");
  app.add_option("--http-timeout", timeoutS, "seconds to wait for the server's answer")
      ->capture_default_str();
  return h;
}

std::optional<http::Response> send(const ServerOptions& server, const http::Endpoint& to,
                                   const http::Request& request) {
  http::Request withToken = request;
  if (!server.token.empty())
    withToken.headers.emplace_back("Authorization", "Bearer " + server.token);
  auto r = http::fetch(to, withToken, std::chrono::seconds(server.timeoutS));
  if (!r) {
    std::fprintf(stderr, "error: %s\n", r.error().message.c_str());
    return std::nullopt;
  }
  if (r->status < 200 || r->status > 299) {
    std::string body = r->body;
    while (body.ends_with('\n'))
      body.pop_back();
    std::fprintf(stderr, "error: server answered %u: %s\n", r->status, body.c_str());
    return std::nullopt;
  }
  return std::move(*r);
}

}  // namespace nearfaas::cli
