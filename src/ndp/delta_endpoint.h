// The compute worker's side of an offload's memory: a TCP endpoint where the
// storage runtime fetches the caller's memory delta and returns the result.
// The offloading thread registers the call (id, token, delta) before the
// RADOS exec, and after the exec takes the result, if one came. A request
// with an unknown id or a wrong token (compared in constant time) gets a
// refusal, never another call's memory. Each call's delta is handed out
// once (then forgotten), and its result taken once, on the connection that
// fetched the delta.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/result.h"
#include "ndp/messages.h"
#include "ndp/socket_server.h"
#include "ndp/sockets.h"

namespace nearfaas::ndp {

struct DeltaEndpointSettings {
  std::string host = "127.0.0.1";  // address the storage runtime can reach
  uint16_t port = 0;               // 0: any free port
  std::chrono::milliseconds ioTimeout{30'000};
  // From handing out the delta to the result: the offloaded call runs meanwhile.
  std::chrono::milliseconds resultTimeout{120'000};
  unsigned maxConnections = 64;  // served at once; more wait in the backlog
};

class DeltaEndpoint {
 public:
  static Result<std::unique_ptr<DeltaEndpoint>> start(DeltaEndpointSettings settings);
  ~DeltaEndpoint();  // stops accepting; waits for connections being served

  // "host:port", what an OffloadRequest's origin says.
  const std::string& address() const { return address_; }

  // Makes `delta` fetchable for (callId, token); returns false if callId is
  // registered already.
  bool expect(uint64_t callId, const std::string& token, faaslet::MemoryDelta delta);
  // The result for callId if the runtime returned one; forgets the call.
  std::optional<OffloadResult> finish(uint64_t callId);

 private:
  explicit DeltaEndpoint(DeltaEndpointSettings settings) : settings_(std::move(settings)) {}
  void serve(Socket conn);

  struct Pending {
    std::string token;
    std::shared_ptr<const Bytes> delta;  // encoded once; null once fetched
    bool fetched = false;
    std::optional<OffloadResult> result;
  };

  DeltaEndpointSettings settings_;
  std::string address_;
  std::mutex mutex_;
  std::map<uint64_t, Pending> pending_;
  std::unique_ptr<SocketServer> server_;  // last: stops before what it uses goes
};

}  // namespace nearfaas::ndp
