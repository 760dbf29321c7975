#include "http/node_server.h"

#include <spdlog/spdlog.h>

#include "http/invoke.h"
#include "http/server.h"
#include "http/upload.h"

namespace nearfaas::http {

namespace {
// After the grace period, how long answers already decided may take to be written.
constexpr auto kFlushTimeout = std::chrono::seconds(2);
constexpr const char* kShuttingDown = "server shutting down";
}  // namespace

// Declaration order is destruction order reversed: the servers (whose
// threads call the services) go before the services.
struct NodeServer::Parts {
  NodeServerSettings settings;
  std::unique_ptr<auth::TokenStore> tokens;  // null: auth off
  std::unique_ptr<UploadService> upload;
  std::unique_ptr<InvokeService> invoke;
  std::unique_ptr<Server> uploadServer, invokeServer;
  bool shutDown = false;
};

NodeServer::NodeServer(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Result<std::unique_ptr<NodeServer>> NodeServer::start(sched::Node& node,
                                                      const NodeServerSettings& settings) {
  auto p = std::make_unique<Parts>();
  p->settings = settings;
  if (auth::authRequired(settings.authMode, settings.address)) {
    if (settings.adminToken.empty())
      return fail("API tokens are required on ", settings.address, " but no admin token is set");
    p->tokens =
        std::make_unique<auth::TokenStore>(node.objects(), settings.adminToken, settings.tokens);
  }
  p->upload = std::make_unique<UploadService>(node, UploadSettings{settings.uploadWorkers},
                                              p->tokens.get());
  p->invoke = std::make_unique<InvokeService>(node, std::string(), p->tokens.get());

  ServerSettings s;
  s.address = settings.address;
  s.threads = settings.httpThreads;
  s.maxBodyBytes = settings.maxBodyBytes;
  s.readTimeout = settings.readTimeout;
  s.allowedOrigins = settings.allowedOrigins;
  s.allowedHosts = settings.allowedHosts;

  s.port = settings.invokePort;
  s.name = "NearFaaS invoke";
  auto* invoke = p->invoke.get();
  auto is = Server::start(s, [invoke](Request r, Responder a) { invoke->handle(std::move(r), a); });
  if (!is) return fail("invoke endpoint: ", is.error().message);
  p->invokeServer = std::move(*is);

  s.port = settings.uploadPort;
  s.name = "NearFaaS upload";
  auto* upload = p->upload.get();
  auto us = Server::start(s, [upload](Request r, Responder a) { upload->handle(std::move(r), a); });
  if (!us) return fail("upload endpoint: ", us.error().message);
  p->uploadServer = std::move(*us);

  spdlog::info("upload endpoint on {}:{}, invoke endpoint on {}:{}", settings.address,
               p->uploadServer->port(), settings.address, p->invokeServer->port());
  if (p->tokens) spdlog::info("API tokens required (Authorization: Bearer) on both endpoints");
  return std::unique_ptr<NodeServer>(new NodeServer(std::move(p)));
}

NodeServer::~NodeServer() {
  shutdown();
}

uint16_t NodeServer::uploadPort() const {
  return parts_->uploadServer->port();
}
uint16_t NodeServer::invokePort() const {
  return parts_->invokeServer->port();
}

bool NodeServer::authRequired() const {
  return parts_->tokens != nullptr;
}

void NodeServer::shutdown() {
  Parts& p = *parts_;
  if (p.shutDown) return;
  p.shutDown = true;
  p.invokeServer->beginShutdown();
  p.uploadServer->beginShutdown();
  auto deadline = std::chrono::steady_clock::now() + p.settings.shutdownGrace;
  if (!p.invoke->waitForCalls(p.settings.shutdownGrace)) {
    spdlog::warn("shutdown: failing synchronous calls still running after {} ms",
                 p.settings.shutdownGrace.count());
    p.invoke->failWaiting(kShuttingDown);
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  p.uploadServer->waitIdle(std::max(left, std::chrono::milliseconds(0)) + kFlushTimeout);
  p.invokeServer->waitIdle(kFlushTimeout);
  p.invokeServer->stop();
  p.uploadServer->stop();
  p.upload.reset();  // waits for uploads in progress
  spdlog::info("HTTP endpoints stopped");
}

}  // namespace nearfaas::http
