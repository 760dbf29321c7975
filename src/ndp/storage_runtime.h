// The storage runtime: the worker mode that runs beside a Ceph OSD. It
// listens on a unix socket for offload requests forwarded by the object class
// (libcls_nearfaas.so), admits or refuses each by load, and runs an admitted
// one: it fetches the caller's memory delta from the compute worker (TCP, the
// request's origin), restores a Faaslet of the function from its
// Proto-Faaslet, applies the delta, runs the function pointer with the object
// served by the class from the OSD's copy, and sends the return value and
// what the call changed in memory straight back to the compute worker. The
// class then gets the verdict. Docs: docs/ndp.md.
//
// Nothing here can make the caller's result wrong: any failure answers
// ProcessLocally or Failed, and the compute worker runs the work itself.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "base/result.h"
#include "ndp/socket_server.h"
#include "ndp/wire.h"
#include "sched/node.h"

namespace nearfaas::ndp {

struct StorageRuntimeSettings {
  std::string socketPath = "/run/nearfaas/ndp.sock";
  unsigned maxConcurrent = 0;                     // offloads running at once; 0 = cores
  double maxLoadPerCore = 4.0;                    // refuse above this 1-minute load per core
  uint64_t minAvailableMemory = 256ull << 20;     // refuse below this MemAvailable
  std::chrono::milliseconds ioTimeout{30'000};    // each exchange with the class or the caller
  std::chrono::milliseconds callTimeout{60'000};  // the offloaded function itself
};

struct StorageRuntimeStats {
  uint64_t received = 0, refused = 0, failed = 0, done = 0;
};

class StorageRuntime {
 public:
  // Listens on settings.socketPath; `node` provides functions, state and the
  // store for objects other than the offloaded one. `node` outlives this.
  static Result<std::unique_ptr<StorageRuntime>> start(sched::Node& node,
                                                       StorageRuntimeSettings settings);
  // Stops accepting and waits for the offloads in progress.
  ~StorageRuntime();

  StorageRuntimeStats stats() const;

  // Why a request would be refused now (nullopt: it would be admitted).
  std::optional<std::string> refusal() const;

 private:
  StorageRuntime(sched::Node& node, StorageRuntimeSettings settings);
  void serve(Socket conn);
  OffloadReply handle(int classFd, const OffloadRequest& request);
  // Starts loading the request's function (once at a time per function and
  // code); why the request is refused meanwhile.
  std::string loadInBackground(const OffloadRequest& request);

  sched::Node& node_;
  StorageRuntimeSettings settings_;

  mutable std::mutex mutex_;
  std::condition_variable loadersDone_;
  unsigned loaders_ = 0;  // background function loads
  unsigned running_ = 0;  // admitted offloads
  StorageRuntimeStats stats_;
  std::set<std::string> loading_;                    // "user/function@hash" being loaded
  std::map<std::string, std::string> loadFailures_;  // ... whose load failed: why
  std::unique_ptr<SocketServer> server_;             // last: stops before what it uses goes
};

}  // namespace nearfaas::ndp
