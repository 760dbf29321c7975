#include "ndp/delta_endpoint.h"

namespace nearfaas::ndp {

Result<std::unique_ptr<DeltaEndpoint>> DeltaEndpoint::start(DeltaEndpointSettings settings) {
  std::unique_ptr<DeltaEndpoint> e(new DeltaEndpoint(std::move(settings)));
  auto l = listenTcp(e->settings_.host, e->settings_.port);
  if (!l) return fail("delta endpoint: ", l.error().message);
  auto address = boundAddress(*l);
  if (!address) return std::unexpected(address.error());
  e->address_ = *address;
  e->server_ =
      SocketServer::start(std::move(*l), [p = e.get()](Socket conn) { p->serve(std::move(conn)); },
                          {.maxConnections = e->settings_.maxConnections});
  return e;
}

DeltaEndpoint::~DeltaEndpoint() {
  server_.reset();  // first: its connections use the rest
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

void DeltaEndpoint::serve(Socket conn) {
  auto refuse = [&](const std::string& why) {
    (void)sendFrame(conn.fd(), encode(OffloadReply{Verdict::Failed, why}),
                    deadlineIn(settings_.ioTimeout));
  };
  auto frame = recvFrame(conn.fd(), 1 << 20, deadlineIn(settings_.ioTimeout));
  auto fetch =
      frame ? decodeDeltaFetch(*frame) : Result<DeltaFetch>(std::unexpected(frame.error()));
  if (!fetch) {
    refuse("bad delta fetch: " + fetch.error().message);
    return;
  }
  std::shared_ptr<const Bytes> delta;
  {
    std::lock_guard l(mutex_);
    auto it = pending_.find(fetch->callId);
    if (it != pending_.end() && it->second.token == fetch->token) delta = it->second.delta;
  }
  if (!delta) {
    refuse("no offload " + std::to_string(fetch->callId) + " with that token");
    return;
  }
  if (!sendFrame(conn.fd(), *delta, deadlineIn(settings_.ioTimeout))) return;
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
}

}  // namespace nearfaas::ndp
