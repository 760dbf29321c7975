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
//
// What it trusts: only requests that come over its unix socket (mode 0660:
// the OSD's user) as a ClassRequest, in which the object class vouches for
// the object the RADOS exec ran on and for the address of the RADOS client
// that sent it. A request must name that object, and its origin (where the
// runtime connects) must be a unicast IPv4:port that is the client's address
// (unless the operator allows otherwise) and lies in the operator's caller
// networks. An admitted call holds the OSD's operation thread (the class
// waits for the verdict): after maxOffloadTime the runtime gives it back.
//
// Functions it has not loaded are loaded by one loader thread, from a
// bounded queue; failed loads are remembered (bounded, for a while), so a
// stream of unknown functions or code costs neither threads nor memory.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "ndp/socket_server.h"
#include "ndp/sockets.h"
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
  // How long one offload may hold the OSD's operation thread, from the
  // request's arrival to the verdict: a call that has not finished by then
  // is given back (ProcessLocally) and runs on the caller.
  std::chrono::milliseconds maxOffloadTime{10'000};

  // Where the runtime may connect to fetch a caller's memory (a request's
  // origin). Empty: any unicast address (never 0.0.0.0/8, link-local
  // 169.254.0.0/16, multicast or reserved 224.0.0.0/3).
  std::vector<Ipv4Network> callerNetworks;
  // The origin's address must be the address of the RADOS client that sent
  // the exec, as the OSD knows it.
  bool originMustBeClient = true;

  unsigned loadQueue = 16;       // function loads waiting; more are refused (ProcessLocally)
  size_t maxLoadFailures = 256;  // failed loads remembered; the oldest is forgotten first
  std::chrono::milliseconds loadFailureMemory{10'000};  // a failed load is tried again after this
};

struct StorageRuntimeStats {
  uint64_t received = 0, refused = 0, failed = 0, done = 0;
  uint64_t loadsQueued = 0;           // function loads taken into the queue
  uint64_t loadsRefused = 0;          // ... refused because the queue was full
  size_t loadFailuresRemembered = 0;  // now
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

  // Waits until no function load is queued or running; false if `timeout`
  // passed first.
  bool waitForLoads(std::chrono::milliseconds timeout);
  // Waits until `count` requests have had their verdict (stats().received);
  // false if `timeout` passed first.
  bool waitForVerdicts(uint64_t count, std::chrono::milliseconds timeout);

 private:
  using Clock = std::chrono::steady_clock;
  StorageRuntime(sched::Node& node, StorageRuntimeSettings settings);
  void serve(Socket conn);
  // `hold`: when the verdict must be on its way to the class. `ran`: how
  // long the Faaslet ran the function (zero if it did not).
  OffloadReply handle(int classFd, const ClassRequest& forwarded, Deadline hold,
                      Clock::duration& ran);
  // Why the runtime will not serve this request at all (nullopt: it may).
  std::optional<std::string> untrusted(const ClassRequest& forwarded) const;
  // Queues a load of the request's function (once per function and code);
  // why the request is refused meanwhile.
  std::string loadInBackground(const OffloadRequest& request);
  void loaderLoop();
  // Callers hold mutex_.
  std::optional<std::string> rememberedFailure(const std::string& key);
  void rememberFailure(const std::string& key, std::string why);

  sched::Node& node_;
  StorageRuntimeSettings settings_;

  mutable std::mutex mutex_;
  unsigned running_ = 0;  // admitted offloads
  StorageRuntimeStats stats_;

  // The loader: one thread, loading what loadQueue_ holds in order.
  struct Load {
    std::string key;  // "user/function@hash"
    std::string user, function, codeHash;
  };
  std::deque<Load> loadQueue_;
  std::set<std::string> loading_;  // keys queued or being loaded
  bool loaderBusy_ = false, stopping_ = false;
  std::condition_variable loadWork_, loadsIdle_, verdicts_;
  struct Failure {
    std::string key, why;
    Clock::time_point at;
  };
  std::list<Failure> failures_;  // oldest first
  std::map<std::string, std::list<Failure>::iterator> failureIndex_;
  std::thread loader_;

  std::unique_ptr<SocketServer> server_;  // last: stops before what it uses goes
};

}  // namespace nearfaas::ndp
