#include "sched/scheduler.h"

#include <pthread.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "wasm/runtime.h"
#include "wasm/settings.h"

namespace nearfaas::sched {

using host::CallOutcome;
using host::CallRequest;

namespace {

// 53 random bits from the kernel's CSPRNG, or an error.
Result<CallId> randomId() {
  uint64_t v = 0;
  auto* p = reinterpret_cast<uint8_t*>(&v);
  size_t done = 0;
  while (done < sizeof v) {
    ssize_t n = getrandom(p + done, sizeof v - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("cannot draw a call id: getrandom: ", std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return v & kMaxCallId;
}

// What a finished call's record holds (the rest is small and bounded).
size_t heldBytes(const CallRequest& r, const CallOutcome& o) {
  return r.input.size() + o.output.size() + o.stdoutText.size() + o.stderrText.size() +
         o.error.size();
}

}  // namespace

std::string callFailedOutput(int32_t returnValue) {
  return "Call failed (return value=" + std::to_string(returnValue) + ")";
}

// The services of one running call. Chaining goes through the scheduler; the
// calls this call chained are known here by handle (1, 2, ... in chaining
// order), which is all the guest sees, and they are the only calls it may
// await.
class Scheduler::Services : public host::CallServices {
 public:
  Services(Scheduler& s, faaslet::Faaslet& faaslet, const CallRequest& request)
      : s_(s), faaslet_(faaslet), request_(request) {}
  // The call has ended: it holds its children's results no more.
  ~Services() {
    if (!results_) return;
    std::lock_guard l(s_.mutex_);
    s_.chainedResultBytes_ -= results_->held;
    results_->held = 0;
    results_->callerDone = true;
  }

  Result<uint32_t> chain(CallRequest request) override {
    if (auto v = validateFunctionName(request.user, request.function); !v)
      return std::unexpected(v.error());
    const SchedulerSettings& limits = s_.settings_;
    if (children_.size() >= limits.maxChainedCallsPerCall)
      return fail("this call has chained ", children_.size(), " calls, the limit");
    if (request.input.size() > limits.maxChainedInputBytes)
      return fail("input of ", request.input.size(), " bytes, over the limit of ",
                  limits.maxChainedInputBytes, " bytes");
    // The result is kept for this call only: nobody else knows the id.
    if (!results_) results_ = std::make_shared<ChainedResults>();
    auto child = s_.enqueue(std::move(request), {}, ResultRetention::DropAfterCallback, results_);
    if (!child) return std::unexpected(child.error());
    children_.push_back(std::move(*child));
    return static_cast<uint32_t>(children_.size());
  }

  Result<CallOutcome> await(uint32_t handle) override {
    if (handle == 0 || handle > children_.size())
      return fail(handle, " is not a call chained by this call (it chained ", children_.size(),
                  ")");
    const auto& [id, record] = children_[handle - 1];
    // The guest thread's current deadline: this call's, or an earlier one of
    // a call that runs this one inline.
    return s_.awaitChild(id, record, wasm::currentDeadlineNs());
  }

  size_t maxChainedInputBytes() const override { return s_.settings_.maxChainedInputBytes; }
  state::StateStore& state() override { return s_.state_; }
  storage::ObjectStore& objects() override { return s_.objects_; }
  host::LocalSharedFiles* localSharedFiles() override { return s_.localShared_; }
  std::optional<int32_t> offloadStorageCall(const StorageCall& call) override {
    StorageOffloader* offloader = s_.offloader_.load(std::memory_order_acquire);
    if (!offloader) return std::nullopt;
    return offloader->offload(faaslet_, request_, call);
  }

 private:
  Scheduler& s_;
  faaslet::Faaslet& faaslet_;
  const CallRequest& request_;
  std::vector<std::pair<CallId, std::shared_ptr<Record>>> children_;  // handle - 1
  std::shared_ptr<ChainedResults> results_;  // what children_ hold, once one is chained
};

Scheduler::Scheduler(FunctionStore& functions, state::StateStore& state,
                     storage::ObjectStore& objects, SchedulerSettings settings,
                     host::LocalSharedFiles* localShared)
    : functions_(functions),
      state_(state),
      objects_(objects),
      settings_(settings),
      localShared_(localShared) {
  unsigned n =
      settings_.slots ? settings_.slots : std::max(1u, std::thread::hardware_concurrency());
  if (!settings_.maxIdleFaasletsPerFunction) settings_.maxIdleFaasletsPerFunction = n;
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
  std::vector<std::pair<CallId, std::shared_ptr<Record>>> dropped;
  {
    std::lock_guard l(mutex_);
    stopping_ = true;
    while (!queue_.empty()) {
      auto [id, r] = popLocked();
      CallOutcome out;
      out.returnValue = 1;
      out.error = "the executor is shutting down";
      finishLocked(id, *r, std::move(out));
      dropped.emplace_back(id, std::move(r));
    }
  }
  for (auto& [id, r] : dropped)
    complete(id, *r, std::exchange(r->onDone, {}));
  workReady_.notify_all();
  callDone_.notify_all();
  for (pthread_t t : nativeThreads_)
    pthread_join(t, nullptr);
}

Result<CallId> Scheduler::submit(CallRequest request, CompletionCallback onDone,
                                 ResultRetention retention) {
  auto r = enqueue(std::move(request), std::move(onDone), retention);
  if (!r) return std::unexpected(r.error());
  return r->first;
}

Result<std::pair<CallId, std::shared_ptr<Scheduler::Record>>> Scheduler::enqueue(
    CallRequest request, CompletionCallback onDone, ResultRetention retention,
    std::shared_ptr<ChainedResults> caller) {
  auto record = std::make_shared<Record>();
  record->request = std::move(request);
  record->onDone = std::move(onDone);
  record->retention = retention;
  record->caller = std::move(caller);
  record->submittedAt = std::chrono::system_clock::now();
  const size_t bytes = record->request.input.size();
  CallId id;
  {
    std::lock_guard l(mutex_);
    if (stopping_) return fail("the executor is shutting down");
    expireLocked();
    if (queue_.size() >= settings_.maxQueuedCalls)
      return fail("too many calls waiting: ", queue_.size(), " queued (limit ",
                  settings_.maxQueuedCalls, ")");
    if (bytes > settings_.maxQueuedBytes - std::min(queuedBytes_, settings_.maxQueuedBytes))
      return fail("too much input waiting: ", queuedBytes_, " bytes queued and this call has ",
                  bytes, " (limit ", settings_.maxQueuedBytes, ")");
    // Full: finished results go first, oldest first.
    while (records_.size() >= settings_.maxCallRecords && !finishedOrder_.empty())
      dropOldestLocked();
    if (records_.size() >= settings_.maxCallRecords)
      return fail("too many calls in progress: ", records_.size(), " (limit ",
                  settings_.maxCallRecords, ")");
    auto fresh = newIdLocked();
    if (!fresh) return std::unexpected(fresh.error());
    id = *fresh;
    records_.emplace(id, record);
    queue_.push_back(id);
    queuedBytes_ += bytes;
  }
  workReady_.notify_one();
  return std::pair{id, std::move(record)};
}

Result<CallId> Scheduler::newIdLocked() {
  for (;;) {
    auto id = randomId();
    if (!id) return id;
    if (*id != 0 && !records_.count(*id)) return id;
  }
}

std::pair<CallId, std::shared_ptr<Scheduler::Record>> Scheduler::popLocked() {
  CallId id = queue_.front();
  queue_.pop_front();
  std::shared_ptr<Record> r = records_.at(id);
  queuedBytes_ -= r->request.input.size();
  return {id, std::move(r)};
}

Result<CallOutcome> Scheduler::await(CallId id) {
  std::unique_lock l(mutex_);
  auto it = records_.find(id);
  if (it == records_.end()) return fail("no call with id ", id);
  std::shared_ptr<Record> r = it->second;  // stays valid if the record is dropped
  callDone_.wait(l, [&] { return r->state == CallState::Done; });
  return r->outcome;
}

Result<CallOutcome> Scheduler::awaitChild(CallId id, const std::shared_ptr<Record>& r,
                                          uint64_t deadlineNs) {
  std::unique_lock l(mutex_);
  for (;;) {
    if (r->state == CallState::Done) {
      if (!r->dropped.empty()) return fail(r->dropped);
      return r->outcome;
    }
    if (r->state == CallState::Queued) {
      // Run it here rather than wait for a slot that may never come. A
      // queued record is in the queue (the destructor finishes it otherwise).
      auto at = std::find(queue_.begin(), queue_.end(), id);
      if (at != queue_.end()) {
        queue_.erase(at);
        queuedBytes_ -= r->request.input.size();
      }
      r->state = CallState::Running;
      ++running_;
      l.unlock();
      execute(id, *r);
      l.lock();
      continue;
    }
    if (deadlineNs == 0) {
      callDone_.wait(l);
      continue;
    }
    uint64_t now = wasm::monotonicNowNs();
    if (now >= deadlineNs)
      return fail("the chained call was still running at this call's deadline");
    callDone_.wait_for(l, std::chrono::nanoseconds(deadlineNs - now));
  }
}

CallOutcome Scheduler::call(CallRequest request) {
  // Waits on the record itself: its result may be dropped from the registry
  // (a bound) before a lookup by id would find it.
  auto r = enqueue(std::move(request), {}, ResultRetention::UntilExpiry);
  if (!r) {
    CallOutcome out;
    out.returnValue = 1;
    out.error = r.error().message;
    return out;
  }
  const std::shared_ptr<Record>& record = r->second;
  std::unique_lock l(mutex_);
  callDone_.wait(l, [&] { return record->state == CallState::Done; });
  return record->outcome;
}

std::optional<CallState> Scheduler::state(CallId id) {
  std::lock_guard l(mutex_);
  auto it = records_.find(id);
  if (it == records_.end() || expired(*it->second, std::chrono::steady_clock::now()))
    return std::nullopt;
  return it->second->state;
}

std::optional<CallStatus> Scheduler::find(CallId id) {
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

SchedulerLoad Scheduler::load() {
  std::lock_guard l(mutex_);
  return {.queued = queue_.size(),
          .running = running_,
          .records = records_.size(),
          .queuedBytes = queuedBytes_,
          .keptResultBytes = keptBytes_,
          .chainedResultBytes = chainedResultBytes_};
}

void Scheduler::workerLoop() {
  std::unique_lock l(mutex_);
  for (;;) {
    workReady_.wait(l, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping
    auto [id, r] = popLocked();
    r->state = CallState::Running;
    ++running_;
    l.unlock();
    execute(id, *r);
    l.lock();
  }
}

void Scheduler::execute(CallId id, Record& record) {
  CallOutcome out = runOnFaaslet(id, record.request);
  if (out.returnValue != 0) {
    std::string text = callFailedOutput(out.returnValue);
    out.output.assign(text.begin(), text.end());
  }
  CompletionCallback onDone;
  {
    std::lock_guard l(mutex_);
    --running_;
    finishLocked(id, record, std::move(out));
    onDone = std::exchange(record.onDone, {});
  }
  callDone_.notify_all();
  complete(id, record, std::move(onDone));
}

void Scheduler::complete(CallId id, Record& record, CompletionCallback onDone) {
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

void Scheduler::finishLocked(CallId id, Record& record, CallOutcome outcome) {
  record.outcome = std::move(outcome);
  record.state = CallState::Done;
  record.finished = std::chrono::steady_clock::now();
  record.finishedAt = std::chrono::system_clock::now();
  if (record.caller) {
    // Only the caller can read it now, and it needs no input any more.
    Bytes().swap(record.request.input);
    ChainedResults& held = *record.caller;
    if (held.callerDone) {
      record.outcome = {};
      return;
    }
    size_t bytes = heldBytes(record.request, record.outcome);
    size_t limit = settings_.maxChainedResultBytes;
    if (bytes > limit - std::min(held.held, limit)) {
      record.dropped = "its result of " + std::to_string(bytes) +
                       " bytes was dropped: this call holds " + std::to_string(held.held) +
                       " bytes of results of calls it chained (limit " + std::to_string(limit) +
                       ")";
      record.outcome = {};
      return;
    }
    held.held += bytes;
    chainedResultBytes_ += bytes;
    return;
  }
  if (record.retention != ResultRetention::UntilExpiry) return;
  size_t bytes = heldBytes(record.request, record.outcome);
  if (bytes > settings_.maxKeptResultBytes) {
    // Larger than the whole budget: not kept, and no other result goes for it.
    record.retention = ResultRetention::DropAfterCallback;
    return;
  }
  record.heldBytes = bytes;
  keptBytes_ += bytes;
  finishedOrder_.push_back(id);
  while (keptBytes_ > settings_.maxKeptResultBytes)
    dropOldestLocked();
}

void Scheduler::dropOldestLocked() {
  if (auto it = records_.find(finishedOrder_.front()); it != records_.end()) {
    keptBytes_ -= it->second->heldBytes;
    records_.erase(it);
  }
  finishedOrder_.pop_front();
}

CallOutcome Scheduler::runOnFaaslet(CallId id, const CallRequest& request) {
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
  // Finished in order, so the expired ones are at the front.
  auto now = std::chrono::steady_clock::now();
  while (!finishedOrder_.empty()) {
    auto it = records_.find(finishedOrder_.front());
    if (it != records_.end() && !expired(*it->second, now)) break;
    dropOldestLocked();
  }
}

bool Scheduler::expired(const Record& r, std::chrono::steady_clock::time_point now) const {
  return r.state == CallState::Done && now - r.finished > settings_.resultTtl;
}

}  // namespace nearfaas::sched
