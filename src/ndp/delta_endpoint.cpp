#include "ndp/delta_endpoint.h"

#include <sys/socket.h>
#include <unistd.h>

namespace nearfaas::ndp {

Result<std::unique_ptr<DeltaEndpoint>> DeltaEndpoint::start(DeltaEndpointSettings settings) {
  std::unique_ptr<DeltaEndpoint> e(new DeltaEndpoint(std::move(settings)));
  auto l = listenTcp(e->settings_.host, e->settings_.port);
  if (!l) return fail("delta endpoint: ", l.error().message);
  e->listener_ = std::move(*l);
  auto address = boundAddress(e->listener_);
  if (!address) return std::unexpected(address.error());
  e->address_ = *address;
  e->acceptor_ = std::thread([p = e.get()] { p->acceptLoop(); });
  return e;
}

DeltaEndpoint::~DeltaEndpoint() {
  {
    std::lock_guard l(mutex_);
    stopping_ = true;
  }
  listener_.shutdown();
  if (acceptor_.joinable()) acceptor_.join();
  std::unique_lock l(mutex_);
  idle_.wait(l, [&] { return connections_ == 0; });
}

bool DeltaEndpoint::expect(uint64_t callId, const std::string& token, faaslet::MemoryDelta delta) {
  auto encoded = std::make_shared<const Bytes>(encode(delta));
  std::lock_guard l(mutex_);
  return pending_.emplace(callId, Pending{token, std::move(encoded), std::nullopt}).second;
}

std::optional<OffloadResult> DeltaEndpoint::finish(uint64_t callId) {
  std::lock_guard l(mutex_);
  auto it = pending_.find(callId);
  if (it == pending_.end()) return std::nullopt;
  auto result = std::move(it->second.result);
  pending_.erase(it);
  return result;
}

void DeltaEndpoint::acceptLoop() {
  for (;;) {
    int fd = ::accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    std::unique_lock l(mutex_);
    if (stopping_) {
      if (fd >= 0) ::close(fd);
      return;
    }
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      l.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // EMFILE and the like
      continue;
    }
    idle_.wait(l, [&] { return connections_ < settings_.maxConnections || stopping_; });
    ++connections_;
    l.unlock();
    std::thread([this, fd] { serve(Socket(fd)); }).detach();
  }
}

void DeltaEndpoint::serve(Socket conn) {
  auto done = [&] {
    std::lock_guard l(mutex_);
    --connections_;
    idle_.notify_all();
  };
  auto refuse = [&](const std::string& why) {
    (void)sendFrame(conn.fd(), encode(OffloadReply{Verdict::Failed, why}),
                    deadlineIn(settings_.ioTimeout));
  };
  auto frame = recvFrame(conn.fd(), 1 << 20, deadlineIn(settings_.ioTimeout));
  auto fetch =
      frame ? decodeDeltaFetch(*frame) : Result<DeltaFetch>(std::unexpected(frame.error()));
  if (!fetch) {
    refuse("bad delta fetch: " + fetch.error().message);
    return done();
  }
  std::shared_ptr<const Bytes> delta;
  {
    std::lock_guard l(mutex_);
    auto it = pending_.find(fetch->callId);
    if (it != pending_.end() && it->second.token == fetch->token) delta = it->second.delta;
  }
  if (!delta) {
    refuse("no offload " + std::to_string(fetch->callId) + " with that token");
    return done();
  }
  if (!sendFrame(conn.fd(), *delta, deadlineIn(settings_.ioTimeout))) return done();
  // The runtime sends the result when the call has run: that may take as
  // long as the call itself, bounded by the runtime's own call timeout.
  auto resultFrame =
      recvFrame(conn.fd(), kMaxDeltaBytes + 4096, deadlineIn(settings_.ioTimeout * 4));
  auto result = resultFrame ? decodeResult(*resultFrame)
                            : Result<OffloadResult>(std::unexpected(resultFrame.error()));
  bool taken = false;
  if (result) {
    std::lock_guard l(mutex_);
    auto it = pending_.find(result->callId);
    if (it != pending_.end() && it->second.token == result->token &&
        result->callId == fetch->callId) {
      it->second.result = std::move(*result);
      taken = true;
    }
  }
  (void)sendFrame(conn.fd(),
                  encode(taken ? OffloadReply{Verdict::Done, ""}
                               : OffloadReply{Verdict::Failed, "result not taken"}),
                  deadlineIn(settings_.ioTimeout));
  done();
}

}  // namespace nearfaas::ndp
