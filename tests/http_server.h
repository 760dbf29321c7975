// Test helpers for the HTTP endpoints: a Node and its NodeServer on
// ephemeral loopback ports, requests through the client, raw sockets for
// what a well-behaved client would never send, and bounded polling.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "base/bytes.h"
#include "http/client.h"
#include "http/node_server.h"
#include "sched/node.h"
#include "storage/directory_store.h"
#include "test_env.h"

namespace nearfaas::test {

inline std::filesystem::path functionWasm(const std::string& user, const std::string& name) {
  return std::filesystem::path(NEARFAAS_FUNC_DIR) / user / (name + ".wasm");
}

inline std::string fileText(const std::filesystem::path& p) {
  auto b = readFile(p);
  if (!b) ADD_FAILURE() << b.error().message;
  return b ? std::string(b->begin(), b->end()) : std::string();
}

// A response, or status 0 and the client's error as the body.
inline http::Response fetchOrFail(const http::Endpoint& to, const http::Request& request) {
  auto r = http::fetch(to, request, std::chrono::seconds(60));
  if (r) return *r;
  http::Response failed;
  failed.status = 0;
  failed.body = r.error().message;
  return failed;
}

struct TestServerOptions {
  std::filesystem::path dataDir;  // empty: a fresh temporary directory
  unsigned slots = 2;
  std::chrono::milliseconds callTimeout{20'000};
  std::chrono::seconds resultTtl{600};
  state::StateLimits state;
  std::string clusterUrl;      // the global state tier's Redis, or none
  storage::StoreLimits store;  // of the node's directory store
  size_t maxQueuedCalls = sched::SchedulerSettings{}.maxQueuedCalls;
  http::NodeServerSettings http = [] {
    http::NodeServerSettings s;
    s.uploadPort = 0;
    s.invokePort = 0;
    s.httpThreads = 1;  // one I/O thread: nothing may block it
    s.maxBodyBytes = 4 << 20;
    s.readTimeout = std::chrono::seconds(3);
    s.shutdownGrace = std::chrono::seconds(2);
    return s;
  }();
};

// A node in a data directory and its HTTP endpoints.
class TestServer {
 public:
  explicit TestServer(TestServerOptions o = {}) : options_(std::move(o)) {
    if (options_.dataDir.empty()) {
      tmp_ = std::make_unique<TempDir>();
      options_.dataDir = tmp_->path();
    }
    sched::NodeConfig c;
    c.dataDir = options_.dataDir;
    c.codeCacheDir = testCacheDir();
    c.scheduler.slots = options_.slots;
    c.scheduler.callTimeout = options_.callTimeout;
    c.scheduler.resultTtl = options_.resultTtl;
    c.scheduler.maxQueuedCalls = options_.maxQueuedCalls;
    c.faaslet.maxMemoryPages = 4096;
    c.state = options_.state;
    c.clusterUrl = options_.clusterUrl;
    auto store = storage::DirectoryStore::open(options_.dataDir / "store", {options_.store});
    if (!store) {
      ADD_FAILURE() << store.error().message;
      return;
    }
    auto n = sched::Node::open(c, std::move(*store));
    if (!n) {
      ADD_FAILURE() << n.error().message;
      return;
    }
    node_ = std::move(*n);
    auto s = http::NodeServer::start(*node_, options_.http);
    if (!s) {
      ADD_FAILURE() << s.error().message;
      return;
    }
    server_ = std::move(*s);
  }
  ~TestServer() {
    server_.reset();
    node_.reset();
  }

  bool ok() const { return server_ != nullptr; }
  sched::Node& node() { return *node_; }
  http::NodeServer& server() { return *server_; }
  http::Endpoint uploadEndpoint() const { return {"127.0.0.1", server_->uploadPort()}; }
  http::Endpoint invokeEndpoint() const { return {"127.0.0.1", server_->invokePort()}; }

  http::Response upload(const std::string& method, const std::string& target, std::string body = {},
                        http::Headers headers = {}) {
    return fetchOrFail(uploadEndpoint(), {method, target, std::move(headers), std::move(body)});
  }
  http::Response invokeRaw(std::string body) {
    return fetchOrFail(invokeEndpoint(), {"POST", "/", {}, std::move(body)});
  }
  http::Response invoke(const nlohmann::json& message) { return invokeRaw(message.dump()); }
  http::Response call(const std::string& user, const std::string& function,
                      const std::string& input = {}, bool forbidNdp = false) {
    nlohmann::json m = {{"user", user}, {"function", function}, {"input_data", input}};
    if (forbidNdp) m["forbid_ndp"] = true;
    return invoke(m);
  }
  // An async call's id (0 if the server refused it).
  uint64_t callAsync(const std::string& user, const std::string& function,
                     const std::string& input = {}, bool forbidNdp = false) {
    auto r = invoke({{"user", user},
                     {"function", function},
                     {"input_data", input},
                     {"async", true},
                     {"forbid_ndp", forbidNdp}});
    EXPECT_EQ(r.status, 200u) << r.body;
    return r.status == 200 ? std::stoull(r.body) : 0;
  }
  http::Response status(uint64_t id) { return invoke({{"status", true}, {"id", id}}); }
  // Polls the status of call `id` until it is no longer RUNNING.
  http::Response awaitStatus(uint64_t id) {
    http::Response last;
    bool done = pollUntil([&] {
      last = status(id);
      return !(last.status == 200 && last.body == "RUNNING");
    });
    EXPECT_TRUE(done) << "call " << id << " still running";
    return last;
  }

  void addFunction(const std::string& user, const std::string& name) {
    auto r = upload("PUT", "/f/" + user + "/" + name, fileText(functionWasm(user, name)));
    EXPECT_EQ(r.status, 200u) << user << "/" << name << ": " << r.body;
    EXPECT_EQ(r.body, "Function upload complete\n");
  }

 private:
  TestServerOptions options_;
  std::unique_ptr<TempDir> tmp_;
  std::unique_ptr<sched::Node> node_;
  std::unique_ptr<http::NodeServer> server_;
};

// A plain TCP connection to 127.0.0.1:port, for partial or hand-made requests.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ADD_FAILURE() << "connect: " << strerror(errno);
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads until `text` has arrived (true), or the peer closed or `bound`
  // passed (false). Everything read is kept in received().
  bool receiveUntil(std::string_view text, std::chrono::milliseconds bound = kWaitBound) {
    auto deadline = Clock::now() + bound;
    while (received_.find(text) == std::string::npos) {
      if (!readSome(deadline)) return false;
    }
    return true;
  }
  // True once the peer has closed the connection, false if `bound` passed first.
  bool awaitClosed(std::chrono::milliseconds bound) {
    auto deadline = Clock::now() + bound;
    while (readSome(deadline)) {
    }
    return closed_;
  }
  // True if the peer has not closed the connection (looks without waiting).
  bool open() {
    readSome(Clock::now());
    return !closed_;
  }
  const std::string& received() const { return received_; }
  void clearReceived() { received_.clear(); }

 private:
  // One read if data comes before the deadline; false on close or timeout.
  bool readSome(Clock::time_point deadline) {
    if (closed_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0))) <= 0) return false;
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    received_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool closed_ = false;
  std::string received_;
};

}  // namespace nearfaas::test
