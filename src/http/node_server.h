// NearFaaS's HTTP front of one node: the upload endpoint and the invoke
// endpoint (Faasm-compatible, see docs/http-api.md), each an http::Server,
// over a sched::Node that the caller owns. `nearfaas serve` is this plus
// signal handling; the tests start it on ephemeral ports.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "auth/tokens.h"
#include "base/result.h"
#include "sched/node.h"

namespace nearfaas::http {

// Faasm's ports.
inline constexpr uint16_t kDefaultUploadPort = 8002;
inline constexpr uint16_t kDefaultInvokePort = 8080;

struct NodeServerSettings {
  std::string address = "127.0.0.1";              // both endpoints listen here
  uint16_t uploadPort = kDefaultUploadPort;       // 0 = any free port
  uint16_t invokePort = kDefaultInvokePort;       // 0 = any free port
  unsigned httpThreads = 4;                       // I/O threads per endpoint
  unsigned uploadWorkers = 2;                     // threads for store work and code generation
  size_t maxBodyBytes = 64ull << 20;              // larger requests get 413
  std::chrono::milliseconds readTimeout{30'000};  // per request (and keep-alive idle time)
  // How long shutdown() lets synchronous calls and uploads in progress finish.
  std::chrono::milliseconds shutdownGrace{10'000};
  // Web origins whose pages may use both endpoints (ServerSettings::
  // allowedOrigins); empty: requests from any web page are refused.
  std::vector<std::string> allowedOrigins;
  // Host names clients use to reach the endpoints (ServerSettings::
  // allowedHosts, against DNS rebinding).
  std::vector<std::string> allowedHosts;
  // API tokens (auth/tokens.h, http/access.h): with Auto they are required
  // when `address` is not loopback. When required, `adminToken` must be set
  // (the token that manages user tokens and may do everything).
  auth::AuthMode authMode = auth::AuthMode::Auto;
  std::string adminToken;
  auth::TokenSettings tokens;
};

class NodeServer {
 public:
  // Listens on both ports (a port in use fails here) and starts serving.
  // `node` must outlive the returned server.
  static Result<std::unique_ptr<NodeServer>> start(sched::Node& node,
                                                   const NodeServerSettings& settings);
  ~NodeServer();  // shutdown()
  NodeServer(const NodeServer&) = delete;
  NodeServer& operator=(const NodeServer&) = delete;

  uint16_t uploadPort() const;  // the bound ports
  uint16_t invokePort() const;
  bool authRequired() const;  // whether requests need a token

  // Stops accepting, lets synchronous calls and uploads in progress finish
  // for up to shutdownGrace, answers calls still waiting with 503 "server
  // shutting down", and stops the endpoints. Calls already running go on
  // until they end or reach their deadline (the node's scheduler waits for
  // them when it is destroyed). Idempotent.
  void shutdown();

 private:
  struct Parts;
  explicit NodeServer(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace nearfaas::http
