// Accepting connections on a listening socket and serving each on its own
// thread: what the storage runtime (unix socket) and the compute worker's
// delta endpoint (TCP) share.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "ndp/sockets.h"

namespace nearfaas::ndp {

struct SocketServerSettings {
  size_t threadStackBytes = 0;  // of each connection's thread; 0 = the default
  unsigned maxConnections = 0;  // served at once (more wait in the backlog); 0 = no bound
};

class SocketServer {
 public:
  using Handler = std::function<void(Socket)>;
  // Serves each accepted connection with `handler` on a thread of its own.
  static std::unique_ptr<SocketServer> start(Socket listener, Handler handler,
                                             SocketServerSettings settings = {});
  // Stops accepting and waits until every handler has returned. The owner
  // destroys this before anything its handler uses.
  ~SocketServer();

  const Socket& listener() const { return listener_; }

 private:
  SocketServer(Socket listener, Handler handler, SocketServerSettings settings)
      : listener_(std::move(listener)), handler_(std::move(handler)), settings_(settings) {}
  void acceptLoop();
  // Runs the handler on a new thread; false if no thread could be made.
  bool spawn(int fd);
  void finished();

  Socket listener_;
  Handler handler_;
  SocketServerSettings settings_;
  std::thread acceptor_;
  std::mutex mutex_;
  std::condition_variable idle_;
  unsigned connections_ = 0;
  bool stopping_ = false;
};

}  // namespace nearfaas::ndp
