#include "ndp/delta_endpoint.h"

#include "base/bytes.h"

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
  return pending_.emplace(callId, Pending{token, std::move(encoded), false, std::nullopt}).second;
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
  auto frame = recvMessage(conn.fd(), {kDeltaFetchMessage}, deadlineIn(settings_.ioTimeout));
  auto fetch =
      frame ? decodeDeltaFetch(*frame) : Result<DeltaFetch>(std::unexpected(frame.error()));
  if (!fetch) {
    refuse("bad delta fetch: " + fetch.error().message);
    return;
  }
  std::shared_ptr<const Bytes> delta;
  std::string why = "no offload " + std::to_string(fetch->callId) + " with that token";
  {
    std::lock_guard l(mutex_);
    auto it = pending_.find(fetch->callId);
    if (it != pending_.end() && constantTimeEqual(it->second.token, fetch->token)) {
      if (it->second.fetched) {
        why = "the memory of offload " + std::to_string(fetch->callId) + " was fetched already";
      } else {
        it->second.fetched = true;
        delta = std::move(it->second.delta);  // this connection's now; forgotten here
      }
    }
  }
  if (!delta) {
    refuse(why);
    return;
  }
  bool sent = static_cast<bool>(sendFrame(conn.fd(), *delta, deadlineIn(settings_.ioTimeout)));
  delta.reset();
  if (!sent) return;
  // The runtime sends the result when the call has run: that may take as
  // long as the call itself, bounded by the runtime's own limits.
  auto resultFrame = recvMessage(conn.fd(), {kResultMessage}, deadlineIn(settings_.resultTimeout));
  auto result = resultFrame ? decodeResult(*resultFrame)
                            : Result<OffloadResult>(std::unexpected(resultFrame.error()));
  std::string notTaken = result ? "result not taken" : "bad result: " + result.error().message;
  if (result) {
    std::lock_guard l(mutex_);
    auto it = pending_.find(result->callId);
    if (it != pending_.end() && result->callId == fetch->callId &&
        constantTimeEqual(it->second.token, result->token)) {
      if (it->second.result) {
        notTaken = "a result of offload " + std::to_string(result->callId) + " came already";
      } else {
        it->second.result = std::move(*result);
        notTaken.clear();
      }
    }
  }
  (void)sendFrame(conn.fd(),
                  encode(notTaken.empty() ? OffloadReply{Verdict::Done, ""}
                                          : OffloadReply{Verdict::Failed, notTaken}),
                  deadlineIn(settings_.ioTimeout));
}

}  // namespace nearfaas::ndp
