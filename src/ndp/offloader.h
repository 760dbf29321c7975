// The compute worker's side of near-data processing: decides whether a
// storage call is worth offloading, and if so sends it to the object's OSD
// with a RADOS exec (class "nearfaas"), serves the caller's memory to the
// storage runtime through its DeltaEndpoint, and applies the result to the
// calling Faaslet. Docs: docs/ndp.md.
//
// A storage call that writes its object (__faasmndp_put of its own key) goes
// as a read-write offload (method offload_rw): the OSD applies the write only
// if the whole call is done there. The offloader learns which functions
// write: the first such call, sent read-only, comes back with the verdict
// "writes its object" and is sent again at once as a read-write offload, and
// that function's later calls go read-write from the start.
//
// Invariant: offload() either returns fn's value with the caller updated
// exactly as a local run would have left it, or returns nullopt with the
// caller untouched (the host function then runs fn itself). Every nullopt
// other than the cost model's "not worth it" is logged with its reason.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "ndp/delta_endpoint.h"
#include "sched/offload.h"
#include "storage/object_store.h"

namespace nearfaas::ndp {

// What the offloader needs of the object store: an object's size, and a
// method of an object class run on the storage node that holds the object.
// In a worker, RADOS (RadosClassStore, ndp/rados_class_store.h); a test may
// play the object class in process instead.
class ObjectClassStore {
 public:
  virtual ~ObjectClassStore() = default;
  virtual storage::StoreResult<storage::ObjectInfo> stat(std::string_view bucket,
                                                         std::string_view key) = 0;
  // Runs `method` of class `cls` on the object with `input`: its output. As
  // storage::RadosStore::execClass: waits until `deadline`, polling
  // `abandon`; a missing object is NotFound, giving up or a failed method Io.
  virtual storage::StoreResult<Bytes> execClass(std::string_view bucket, std::string_view key,
                                                const char* cls, const char* method,
                                                std::span<const uint8_t> input,
                                                std::chrono::steady_clock::time_point deadline,
                                                const std::function<bool()>& abandon) = 0;
};

// Bytes a memory delta (or a result's) moves over the link, as the cost
// model counts them.
uint64_t deltaLinkBytes(const faaslet::MemoryDelta& delta);

// The cost model. Offloading saves moving the object over the link from the
// storage nodes; it costs a fixed overhead (exec round trip, restoring a
// Faaslet, connection set-up), moving the caller's memory delta there, and
// moving what the call changed back (its result: for the first offload of a
// function estimated as the delta's size, then the size of that function's
// last result). A call is offloaded iff
//     object bytes >= fixedCost * link rate + delta bytes + result bytes
// (or `forceOffload` is set) and the storage side has not refused for load
// (or lacked a runtime) within `refusalBackoff`.
struct CostModel {
  double linkBitsPerSecond = 1e9;  // compute <-> storage link
  // Fixed overhead of an offload. scripts/bench-ndp.sh measures where
  // offloading starts to pay at each rate; this default sits in the ranges it
  // found here (docs/ndp.md, "Cost model").
  std::chrono::microseconds fixedCost{10'000};
  // After the storage side refused for load (or had no runtime), run
  // locally this long.
  std::chrono::milliseconds refusalBackoff{1000};
  // Offload every storage call on an object that exists, whatever its size
  // (`serve --ndp-force-offload`): for measuring where offloading pays
  // (scripts/bench-ndp.sh). Refusals and failures still run locally, and
  // the back-off after a refusal still applies.
  bool forceOffload = false;

  // Smallest object worth offloading with a delta of `deltaBytes` and an
  // expected result of `resultBytes`.
  uint64_t minObjectBytes(uint64_t deltaBytes, uint64_t resultBytes) const;
  // Whether a call on an object of `objectBytes` is offloaded.
  bool offloads(uint64_t objectBytes, uint64_t deltaBytes, uint64_t resultBytes) const;
};

struct OffloaderSettings {
  CostModel cost;
  DeltaEndpointSettings endpoint;  // where the storage runtime fetches deltas
  // Longest wait for the storage side (beyond it the call runs locally); the
  // calling call's own deadline also ends the wait.
  std::chrono::milliseconds execTimeout{130'000};
};

struct OffloaderStats {
  uint64_t offloaded = 0;  // ran near the data
  uint64_t small = 0;      // the cost model kept it local
  uint64_t backoff = 0;    // kept local after a recent refusal for load
  uint64_t refused = 0;    // the storage side answered process-locally
  uint64_t failed = 0;     // anything else on the way failed; ran locally
};

class Offloader final : public sched::StorageOffloader {
 public:
  // `objects`: the node's objects (RADOS in a worker).
  static Result<std::unique_ptr<Offloader>> start(std::unique_ptr<ObjectClassStore> objects,
                                                  OffloaderSettings settings);
  ~Offloader() override;

  std::optional<int32_t> offload(faaslet::Faaslet& caller, const host::CallRequest& request,
                                 const host::CallServices::StorageCall& call) override;

  OffloaderStats stats() const;
  const std::string& endpointAddress() const { return endpoint_->address(); }

 private:
  Offloader(std::unique_ptr<ObjectClassStore> objects, OffloaderSettings settings,
            std::unique_ptr<DeltaEndpoint> endpoint);
  // Runs the exchange once the decision is made; nullopt with the reason.
  std::optional<int32_t> exchange(faaslet::Faaslet& caller, const host::CallRequest& request,
                                  const host::CallServices::StorageCall& call,
                                  faaslet::MemoryDelta delta, bool readWrite, std::string& whyNot,
                                  bool& refusedForLoad, uint64_t& resultSize);

  std::unique_ptr<ObjectClassStore> store_;
  OffloaderSettings settings_;
  std::unique_ptr<DeltaEndpoint> endpoint_;
  std::atomic<uint64_t> nextCallId_{1};
  std::atomic<int64_t> backoffUntilNs_{0};  // steady clock

  mutable std::mutex statsMutex_;
  OffloaderStats stats_;
  // Bytes of the last result per "user/function" (guarded by statsMutex_).
  std::map<std::string, uint64_t> resultBytes_;
  // The "user/function"s whose storage calls write their object (guarded by
  // statsMutex_; at most one entry per function the node runs).
  std::set<std::string> writers_;
};

}  // namespace nearfaas::ndp
