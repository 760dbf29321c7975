#include "sched/scheduler.h"

#include <pthread.h>

#include "wasm/settings.h"

namespace nearfaas::sched {

using host::CallOutcome;
using host::CallRequest;

namespace {
thread_local bool tIsExecutor = false;

CallOutcome shutdownOutcome() {
  CallOutcome out;
  out.returnValue = 1;
  out.error = "the executor is shutting down";
  return out;
}
constexpr auto kExpirySweepInterval = std::chrono::seconds(1);
}  // namespace

std::string callFailedOutput(int32_t returnValue) {
  return "Call failed (return value=" + std::to_string(returnValue) + ")";
}

// The services of one running call: chaining goes through the scheduler.
class Scheduler::Services : public host::CallServices {
 public:
  Services(Scheduler& s, faaslet::Faaslet& faaslet, const CallRequest& request)
      : s_(s), faaslet_(faaslet), request_(request) {}
  Result<uint32_t> chain(CallRequest request) override {
    if (auto v = validateFunctionName(request.user, request.function); !v)
      return std::unexpected(v.error());
    return s_.submit(std::move(request));
  }
  Result<CallOutcome> await(uint32_t id) override { return s_.await(id); }
  state::StateStore& state() override { return s_.state_; }
  storage::ObjectStore& objects() override { return s_.objects_; }
  std::optional<int32_t> offloadStorageCall(const StorageCall& call) override {
    StorageOffloader* offloader = s_.offloader_.load(std::memory_order_acquire);
    if (!offloader) return std::nullopt;
    return offloader->offload(faaslet_, request_, call);
  }

 private:
  Scheduler& s_;
  faaslet::Faaslet& faaslet_;
  const CallRequest& request_;
};

Scheduler::Scheduler(FunctionStore& functions, state::StateStore& state,
                     storage::ObjectStore& objects, SchedulerSettings settings)
    : functions_(functions), state_(state), objects_(objects), settings_(settings) {
  unsigned n =
      settings_.slots ? settings_.slots : std::max(1u, std::thread::hardware_concurrency());
  if (!settings_.maxIdleFaasletsPerFunction) settings_.maxIdleFaasletsPerFunction = n;
  lastExpiry_ = std::chrono::steady_clock::now();
  for (unsigned i = 0; i < n; ++i) {
    // Guest code runs on these threads: give them the stack size the runtime
    // expects (std::thread cannot set it).
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, wasm::kGuestThreadStackBytes);
    pthread_t tid;
    auto* self = this;
    int rc = pthread_create(
        &tid, &attr,
        [](void* p) -> void* {
          static_cast<Scheduler*>(p)->workerLoop();
          return nullptr;
        },
        self);
    pthread_attr_destroy(&attr);
    if (rc != 0) continue;
    nativeThreads_.push_back(tid);
  }
}

Scheduler::~Scheduler() {
  // Queued calls fail now; their callbacks run after the lock is released.
  std::vector<std::pair<uint32_t, std::shared_ptr<Record>>> dropped;
  {
    std::lock_guard l(mutex_);
    stopping_ = true;
    for (uint32_t id : queue_) {
      auto& r = records_[id];
      finishLocked(*r, shutdownOutcome());
      dropped.emplace_back(id, r);
    }
    queue_.clear();
  }
  for (auto& [id, r] : dropped)
    complete(id, *r, std::exchange(r->onDone, {}));
  workReady_.notify_all();
  callDone_.notify_all();
  for (pthread_t t : nativeThreads_)
    pthread_join(t, nullptr);
}

uint32_t Scheduler::submit(CallRequest request, CompletionCallback onDone,
                           ResultRetention retention) {
  auto record = std::make_shared<Record>();
  record->request = std::move(request);
  record->onDone = std::move(onDone);
  record->retention = retention;
  record->submittedAt = std::chrono::system_clock::now();
  uint32_t id;
  bool refused;
  {
    std::lock_guard l(mutex_);
    expireLocked();
    do {
      id = nextId_++;
      if (nextId_ > static_cast<uint32_t>(INT32_MAX)) nextId_ = 1;
    } while (records_.count(id));
    records_.emplace(id, record);
    if (stopping_)
      finishLocked(*record, shutdownOutcome());
    else
      queue_.push_back(id);
    refused = stopping_;
  }
  if (refused) {
    // Done before any executor saw it: the callback is ours to run.
    complete(id, *record, std::exchange(record->onDone, {}));
    return id;
  }
  workReady_.notify_one();
  return id;
}

Result<CallOutcome> Scheduler::await(uint32_t id) {
  std::unique_lock l(mutex_);
  for (;;) {
    auto it = records_.find(id);
    if (it == records_.end()) return fail("no call with id ", id);
    std::shared_ptr<Record> r = it->second;
    if (r->state == CallState::Done) return r->outcome;
    if (r->state == CallState::Queued && tIsExecutor) {
      // Run it here rather than wait for a slot that may never come.
      std::erase(queue_, id);
      r->state = CallState::Running;
      l.unlock();
      execute(id, *r);
      l.lock();
      continue;
    }
    callDone_.wait(l);
  }
}

CallOutcome Scheduler::call(CallRequest request) {
  auto r = await(submit(std::move(request)));
  if (r) return *r;
  CallOutcome out;
  out.returnValue = 1;
  out.error = r.error().message;
  return out;
}

std::optional<CallState> Scheduler::state(uint32_t id) {
  std::lock_guard l(mutex_);
  auto it = records_.find(id);
  if (it == records_.end() || expired(*it->second, std::chrono::steady_clock::now()))
    return std::nullopt;
  return it->second->state;
}

std::optional<CallStatus> Scheduler::find(uint32_t id) {
  std::lock_guard l(mutex_);
  expireLocked();
  auto it = records_.find(id);
  if (it == records_.end() || expired(*it->second, std::chrono::steady_clock::now()))
    return std::nullopt;
  const Record& r = *it->second;
  CallStatus s{r.state, r.request, {}, r.submittedAt, r.finishedAt};
  if (r.state == CallState::Done) s.outcome = r.outcome;
  return s;
}

void Scheduler::workerLoop() {
  tIsExecutor = true;
  std::unique_lock l(mutex_);
  for (;;) {
    workReady_.wait(l, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping
    uint32_t id = queue_.front();
    queue_.pop_front();
    std::shared_ptr<Record> r = records_[id];
    r->state = CallState::Running;
    l.unlock();
    execute(id, *r);
    l.lock();
  }
}

void Scheduler::execute(uint32_t id, Record& record) {
  CallOutcome out = runOnFaaslet(id, record.request);
  if (out.returnValue != 0) {
    std::string text = callFailedOutput(out.returnValue);
    out.output.assign(text.begin(), text.end());
  }
  CompletionCallback onDone;
  {
    std::lock_guard l(mutex_);
    finishLocked(record, std::move(out));
    onDone = std::exchange(record.onDone, {});
  }
  callDone_.notify_all();
  complete(id, record, std::move(onDone));
}

void Scheduler::complete(uint32_t id, Record& record, CompletionCallback onDone) {
  // Dropped before the callback runs, so that whoever the callback tells
  // about the outcome cannot find the record any more. The caller holds a
  // reference to the record.
  if (record.retention == ResultRetention::DropAfterCallback) {
    std::lock_guard l(mutex_);
    records_.erase(id);
  }
  // The outcome no longer changes once Done, so reading it unlocked is safe.
  if (onDone) onDone(id, record.outcome);
}

void Scheduler::finishLocked(Record& record, CallOutcome outcome) {
  record.outcome = std::move(outcome);
  record.state = CallState::Done;
  record.finished = std::chrono::steady_clock::now();
  record.finishedAt = std::chrono::system_clock::now();
}

CallOutcome Scheduler::runOnFaaslet(uint32_t id, const CallRequest& request) {
  CallOutcome failed;
  failed.returnValue = 1;
  auto proto = functions_.proto(request.user, request.function);
  if (!proto) {
    failed.error = proto.error().message;
    return failed;
  }
  std::string key = functionKey(request.user, request.function);
  auto faaslet = acquire(key, **proto);
  if (!faaslet) {
    failed.error = "cannot create a Faaslet for " + request.user + "/" + request.function;
    return failed;
  }
  Services services(*this, *faaslet, request);
  auto out = faaslet->run(id, request, &services, settings_.callTimeout);
  if (!out) {
    // The Faaslet could not be reset: drop it.
    failed.error = out.error().message;
    return failed;
  }
  release(key, std::move(faaslet));
  return std::move(*out);
}

std::unique_ptr<faaslet::Faaslet> Scheduler::acquire(const std::string& key,
                                                     const faaslet::ProtoFaaslet& proto) {
  {
    std::lock_guard l(idleMutex_);
    auto it = idle_.find(key);
    while (it != idle_.end() && !it->second.empty()) {
      auto f = std::move(it->second.back());
      it->second.pop_back();
      // A function replaced since keeps its old Faaslets out of use.
      if (&f->proto() == &proto) return f;
    }
  }
  auto f = proto.newFaaslet();
  return f ? std::move(*f) : nullptr;
}

void Scheduler::release(const std::string& key, std::unique_ptr<faaslet::Faaslet> f) {
  std::lock_guard l(idleMutex_);
  auto& v = idle_[key];
  if (v.size() < settings_.maxIdleFaasletsPerFunction) v.push_back(std::move(f));
}

void Scheduler::expireLocked() {
  auto now = std::chrono::steady_clock::now();
  if (now - lastExpiry_ < kExpirySweepInterval) return;
  lastExpiry_ = now;
  std::erase_if(records_, [&](const auto& kv) { return expired(*kv.second, now); });
}

bool Scheduler::expired(const Record& r, std::chrono::steady_clock::time_point now) const {
  return r.state == CallState::Done && now - r.finished > settings_.resultTtl;
}

}  // namespace nearfaas::sched
