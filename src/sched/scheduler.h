// Execution in process: a pool of executor threads (slots) running calls on
// Faaslets, call ids, and chained calls.
//
// Every call gets an id and a record that holds its result until it expires.
// Ids are random (CSPRNG), positive, below 2^53 (exact in JSON) and unique
// among the records kept, so knowing one id tells nothing about another.
// Calls queue FIFO for the slots.
//
// Chained calls: a running call sees the calls it chained as handles local
// to it (1, 2, 3, ... in chaining order), never as ids, and may await only
// those. Awaits so only ever go from a call to its own children: no call can
// await itself, an ancestor or another tenant's call, so waits form no cycle.
// Every await ends by the awaiting call's deadline. Deadlock freedom with a
// full pool: a call that awaits a child which has not started yet takes it
// off the queue and runs it itself, on its own thread; a child that already
// runs is waited for, and it makes progress by the same rule. So fan-out
// wider than the pool completes. A child's result is kept for its caller
// only (it leaves the registry when done, and its input is let go).
//
// Bounds (SchedulerSettings): calls queued and their input bytes, records
// kept, chained calls per call and their input size. A submit beyond them is
// refused with a message (HTTP answers 503; a chaining guest traps); when the
// records are full, the oldest finished results are dropped first. Bytes of
// results are bounded too: those kept for status requests by a node-wide
// budget (the oldest finished go first, as for the record bound), and those
// a running call holds of its chained calls by a budget per call (a child
// whose result does not fit keeps none, and awaiting it fails with why).
//
// Warm Faaslets are kept per function (reset, ready to run) up to a bound;
// others are restored from the Proto-Faaslet when needed.
//
// A caller that must not block (an HTTP server's I/O thread) passes a
// completion callback to submit(); it runs exactly once per call, on the
// thread that finished the call, with no scheduler lock held.
#pragma once

#include <pthread.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "host/call_context.h"
#include "sched/function_store.h"
#include "sched/offload.h"
#include "state/state_store.h"
#include "storage/object_store.h"

namespace nearfaas::sched {

// Call ids: positive and below 2^53, so that they stay exact in JSON numbers.
using CallId = uint64_t;
inline constexpr CallId kMaxCallId = (CallId{1} << 53) - 1;

struct SchedulerSettings {
  unsigned slots = 0;  // executor threads; 0 = number of cores
  std::chrono::milliseconds callTimeout{60'000};
  size_t maxIdleFaasletsPerFunction = 0;  // 0 = slots
  std::chrono::seconds resultTtl{600};    // finished calls' results are kept this long
  // Calls waiting for a slot, and the bytes of their inputs; a submit beyond
  // either is refused.
  size_t maxQueuedCalls = 10'000;
  size_t maxQueuedBytes = size_t{1} << 30;
  // Calls known to the registry (queued, running, and finished ones kept for
  // status requests). When full, the oldest finished results are dropped
  // before their TTL; if every record is a live call, a submit is refused.
  size_t maxCallRecords = 100'000;
  // Bytes of the finished results kept for status requests (input, output,
  // captured stdio, error). Past it the oldest finished go first; a result
  // larger than all of it is not kept.
  size_t maxKeptResultBytes = size_t{1} << 30;
  // Per running call: how many calls it may chain, and the largest input of one.
  size_t maxChainedCallsPerCall = 1'000;
  size_t maxChainedInputBytes = size_t{64} << 20;
  // Per running call: bytes of its chained calls' results (output, captured
  // stdio, error) it holds, each counted when that call finishes. A result
  // that does not fit is dropped: awaiting it fails and says why.
  size_t maxChainedResultBytes = size_t{256} << 20;
};

enum class CallState { Queued, Running, Done };

// Called once when a call is done (ran, failed, or was dropped at shutdown).
// Runs on an executor thread, or in the scheduler's destructor for a call
// still queued; it must not block for long, and may submit further calls.
using CompletionCallback = std::function<void(CallId id, const host::CallOutcome& outcome)>;

// Whether a finished call's record stays for find()/await() until it expires
// (SchedulerSettings::resultTtl), or goes when its callback runs: a caller
// that takes the outcome from the callback and never asks again (an HTTP
// server answering a synchronous call) should not fill memory with results
// nobody will read.
enum class ResultRetention { UntilExpiry, DropAfterCallback };

// What find() knows about a call: a copy, taken at one moment.
struct CallStatus {
  CallState state = CallState::Queued;
  host::CallRequest request;
  host::CallOutcome outcome;                                  // valid when state == Done
  std::chrono::system_clock::time_point submitted, finished;  // finished: when Done
};

// How many calls are in each state, at one moment.
struct SchedulerLoad {
  size_t queued = 0, running = 0, records = 0;
  size_t queuedBytes = 0;         // input bytes of the queued calls
  size_t keptResultBytes = 0;     // bytes of the results kept for status requests
  size_t chainedResultBytes = 0;  // bytes of chained calls' results their callers hold
};

// Output of a call whose function returned non-zero, as Faasm reports it.
std::string callFailedOutput(int32_t returnValue);

class Scheduler {
 public:
  // `localShared`: the node's local copies of shared files, which its calls
  // may change (not owned); null = shared files are read-only.
  Scheduler(FunctionStore& functions, state::StateStore& state, storage::ObjectStore& objects,
            SchedulerSettings settings = {}, host::LocalSharedFiles* localShared = nullptr);
  ~Scheduler();  // queued calls fail ("shutting down"); running ones finish
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a call; its id. `onDone`, if set, runs once when it is done.
  // Fails, with nothing queued and `onDone` not run, when a bound of
  // SchedulerSettings would be exceeded or the scheduler is stopping.
  Result<CallId> submit(host::CallRequest request, CompletionCallback onDone = {},
                        ResultRetention retention = ResultRetention::UntilExpiry);
  // Waits for call `id` (never runs it on the calling thread); fails for an
  // unknown or expired id.
  Result<host::CallOutcome> await(CallId id);
  // submit + await.
  host::CallOutcome call(host::CallRequest request);
  // State of a call, without waiting; nullopt if unknown or expired.
  std::optional<CallState> state(CallId id);
  // State, request and (when done) outcome of a call, without waiting or
  // consuming anything; nullopt if unknown or expired.
  std::optional<CallStatus> find(CallId id);
  SchedulerLoad load();

  unsigned slots() const { return static_cast<unsigned>(nativeThreads_.size()); }

  // Storage calls of later calls go to `offloader` (nullptr: all run locally).
  // Not owned; it must outlive the scheduler or be unset first.
  void setOffloader(StorageOffloader* offloader) {
    offloader_.store(offloader, std::memory_order_release);
  }

 private:
  // What one running call holds of its chained calls' results: each counted
  // when it finishes (maxChainedResultBytes), all given back when the call
  // ends; a result that finishes later is not kept at all. Guarded by mutex_.
  struct ChainedResults {
    size_t held = 0;
    bool callerDone = false;
  };
  struct Record {
    host::CallRequest request;
    CallState state = CallState::Queued;
    host::CallOutcome outcome;
    std::shared_ptr<ChainedResults> caller;  // set for a chained call
    std::string dropped;                     // why a chained call's result was dropped
    size_t heldBytes = 0;                    // counted in keptBytes_ (kept for status)
    std::chrono::steady_clock::time_point finished;
    std::chrono::system_clock::time_point submittedAt, finishedAt;  // for reports
    CompletionCallback onDone;  // taken (and so run once) when the call is done
    ResultRetention retention = ResultRetention::UntilExpiry;
  };
  class Services;

  // Queues a call (see submit) and returns its record too.
  Result<std::pair<CallId, std::shared_ptr<Record>>> enqueue(
      host::CallRequest request, CompletionCallback onDone, ResultRetention retention,
      std::shared_ptr<ChainedResults> caller = nullptr);
  void workerLoop();
  // Takes the call at the front of the queue; mutex_ held, queue not empty.
  std::pair<CallId, std::shared_ptr<Record>> popLocked();
  // Waits for child `id` of the running call (running it here if it has not
  // started) until `deadlineNs` (CLOCK_MONOTONIC, 0 = none).
  Result<host::CallOutcome> awaitChild(CallId id, const std::shared_ptr<Record>& record,
                                       uint64_t deadlineNs);
  void execute(CallId id, Record& record);
  // Stores the outcome, marks the record Done and counts its bytes against
  // the budget that keeps it; mutex_ held.
  void finishLocked(CallId id, Record& record, host::CallOutcome outcome);
  // Drops the oldest finished result kept for status requests; mutex_ held,
  // finishedOrder_ not empty.
  void dropOldestLocked();
  host::CallOutcome runOnFaaslet(CallId id, const host::CallRequest& request);
  std::unique_ptr<faaslet::Faaslet> acquire(const std::string& key,
                                            const faaslet::ProtoFaaslet& proto);
  void release(const std::string& key, std::unique_ptr<faaslet::Faaslet> f);
  // Drops results past their TTL; mutex_ held.
  void expireLocked();
  // A fresh random id, unique among the records; mutex_ held.
  Result<CallId> newIdLocked();
  // Runs the record's callback (if any) and applies its retention; no lock held.
  void complete(CallId id, Record& record, CompletionCallback onDone);
  bool expired(const Record& r, std::chrono::steady_clock::time_point now) const;

  FunctionStore& functions_;
  state::StateStore& state_;
  storage::ObjectStore& objects_;
  SchedulerSettings settings_;
  host::LocalSharedFiles* localShared_;
  std::atomic<StorageOffloader*> offloader_{nullptr};

  std::mutex mutex_;
  std::condition_variable workReady_, callDone_;
  std::deque<CallId> queue_;
  size_t queuedBytes_ = 0;  // input bytes of the calls in queue_
  size_t running_ = 0;
  std::unordered_map<CallId, std::shared_ptr<Record>> records_;
  // Ids of finished records kept until expiry, oldest first (entries whose
  // record is gone already are skipped).
  std::deque<CallId> finishedOrder_;
  size_t keptBytes_ = 0;           // heldBytes of the records in finishedOrder_
  size_t chainedResultBytes_ = 0;  // the sum of held over running calls' ChainedResults
  bool stopping_ = false;

  std::mutex idleMutex_;
  std::map<std::string, std::vector<std::unique_ptr<faaslet::Faaslet>>> idle_;

  // Executors are pthreads: guest code needs a stack size std::thread cannot set.
  std::vector<pthread_t> nativeThreads_;
};

}  // namespace nearfaas::sched
