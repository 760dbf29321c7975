// Execution in process: a pool of executor threads (slots) running calls on
// Faaslets, call ids, and chained calls.
//
// Every call gets an id and a record that holds its result until it expires.
// Calls queue FIFO for the slots. Deadlock freedom with a full pool: a call
// that awaits a chained call which has not started yet takes it off the
// queue and runs it itself, on its own thread; a chained call that already
// runs is waited for, and it makes progress by the same rule. So fan-out
// wider than the pool completes.
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

struct SchedulerSettings {
  unsigned slots = 0;  // executor threads; 0 = number of cores
  std::chrono::milliseconds callTimeout{60'000};
  size_t maxIdleFaasletsPerFunction = 0;  // 0 = slots
  std::chrono::seconds resultTtl{600};    // finished calls' results are kept this long
};

enum class CallState { Queued, Running, Done };

// Called once when a call is done (ran, failed, or was dropped at shutdown).
// Runs on an executor thread, or in submit() itself if the scheduler is
// stopping; it must not block for long, and may submit further calls.
using CompletionCallback = std::function<void(uint32_t id, const host::CallOutcome& outcome)>;

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

// Output of a call whose function returned non-zero, as Faasm reports it.
std::string callFailedOutput(int32_t returnValue);

class Scheduler {
 public:
  Scheduler(FunctionStore& functions, state::StateStore& state, storage::ObjectStore& objects,
            SchedulerSettings settings = {});
  ~Scheduler();  // queued calls fail ("shutting down"); running ones finish
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a call; its id (> 0). `onDone`, if set, runs once when it is done.
  uint32_t submit(host::CallRequest request, CompletionCallback onDone = {},
                  ResultRetention retention = ResultRetention::UntilExpiry);
  // Waits for call `id`; fails for an unknown or expired id.
  Result<host::CallOutcome> await(uint32_t id);
  // submit + await.
  host::CallOutcome call(host::CallRequest request);
  // State of a call, without waiting; nullopt if unknown or expired.
  std::optional<CallState> state(uint32_t id);
  // State, request and (when done) outcome of a call, without waiting or
  // consuming anything; nullopt if unknown or expired.
  std::optional<CallStatus> find(uint32_t id);

  unsigned slots() const { return static_cast<unsigned>(nativeThreads_.size()); }

  // Storage calls of later calls go to `offloader` (nullptr: all run locally).
  // Not owned; it must outlive the scheduler or be unset first.
  void setOffloader(StorageOffloader* offloader) {
    offloader_.store(offloader, std::memory_order_release);
  }

 private:
  struct Record {
    host::CallRequest request;
    CallState state = CallState::Queued;
    host::CallOutcome outcome;
    std::chrono::steady_clock::time_point finished;
    std::chrono::system_clock::time_point submittedAt, finishedAt;  // for reports
    CompletionCallback onDone;  // taken (and so run once) when the call is done
    ResultRetention retention = ResultRetention::UntilExpiry;
  };
  class Services;

  void workerLoop();
  void execute(uint32_t id, Record& record);
  // Stores the outcome and marks the record Done; mutex_ held.
  void finishLocked(Record& record, host::CallOutcome outcome);
  host::CallOutcome runOnFaaslet(uint32_t id, const host::CallRequest& request);
  std::unique_ptr<faaslet::Faaslet> acquire(const std::string& key,
                                            const faaslet::ProtoFaaslet& proto);
  void release(const std::string& key, std::unique_ptr<faaslet::Faaslet> f);
  void expireLocked();
  // Runs the record's callback (if any) and applies its retention; no lock held.
  void complete(uint32_t id, Record& record, CompletionCallback onDone);
  bool expired(const Record& r, std::chrono::steady_clock::time_point now) const;

  FunctionStore& functions_;
  state::StateStore& state_;
  storage::ObjectStore& objects_;
  SchedulerSettings settings_;
  std::atomic<StorageOffloader*> offloader_{nullptr};

  std::mutex mutex_;
  std::condition_variable workReady_, callDone_;
  std::deque<uint32_t> queue_;
  std::unordered_map<uint32_t, std::shared_ptr<Record>> records_;
  uint32_t nextId_ = 1;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point lastExpiry_;

  std::mutex idleMutex_;
  std::map<std::string, std::vector<std::unique_ptr<faaslet::Faaslet>>> idle_;

  // Executors are pthreads: guest code needs a stack size std::thread cannot set.
  std::vector<pthread_t> nativeThreads_;
};

}  // namespace nearfaas::sched
