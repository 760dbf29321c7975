#include "ndp/socket_server.h"

#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace nearfaas::ndp {

namespace {
// After accept failed for lack of descriptors or memory, wait this long.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(50);
}  // namespace

std::unique_ptr<SocketServer> SocketServer::start(Socket listener, Handler handler,
                                                  SocketServerSettings settings) {
  std::unique_ptr<SocketServer> s(
      new SocketServer(std::move(listener), std::move(handler), settings));
  s->acceptor_ = std::thread([p = s.get()] { p->acceptLoop(); });
  return s;
}

SocketServer::~SocketServer() {
  {
    std::lock_guard l(mutex_);
    stopping_ = true;
  }
  idle_.notify_all();
  listener_.shutdown();
  if (acceptor_.joinable()) acceptor_.join();
  std::unique_lock l(mutex_);
  idle_.wait(l, [&] { return connections_ == 0; });
}

void SocketServer::acceptLoop() {
  for (;;) {
    int fd = ::accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    std::unique_lock l(mutex_);
    if (stopping_) {
      if (fd >= 0) ::close(fd);
      return;
    }
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EMFILE && errno != ENFILE && errno != ENOBUFS && errno != ENOMEM) return;
      l.unlock();
      std::this_thread::sleep_for(kAcceptRetryDelay);
      continue;
    }
    if (settings_.maxConnections)
      idle_.wait(l, [&] { return connections_ < settings_.maxConnections || stopping_; });
    ++connections_;
    l.unlock();
    if (!spawn(fd)) {
      ::close(fd);
      finished();
    }
  }
}

bool SocketServer::spawn(int fd) {
  struct Start {
    SocketServer* self;
    int fd;
  };
  auto* start = new Start{this, fd};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  if (settings_.threadStackBytes) pthread_attr_setstacksize(&attr, settings_.threadStackBytes);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t tid;
  int rc = pthread_create(
      &tid, &attr,
      [](void* p) -> void* {
        std::unique_ptr<Start> s(static_cast<Start*>(p));
        s->self->handler_(Socket(s->fd));
        s->self->finished();
        return nullptr;
      },
      start);
  pthread_attr_destroy(&attr);
  if (rc != 0) delete start;
  return rc == 0;
}

void SocketServer::finished() {
  std::lock_guard l(mutex_);
  --connections_;
  idle_.notify_all();
}

}  // namespace nearfaas::ndp
