// The scheduler's guards between calls: a guest awaits only calls it chained
// itself (by handle), and never past its own deadline; call ids are random;
// the queue, the records and chaining are bounded. Each test runs a node of
// its own (directory store in a temp dir) with test/probe.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "sched/node.h"
#include "state/state_store.h"
#include "test_env.h"

namespace nearfaas {
namespace {

using host::CallOutcome;
using host::CallRequest;
using sched::CallId;

constexpr auto kBound = std::chrono::seconds(30);  // every wait here; healthy runs need far less

std::string text(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

CallRequest request(const std::string& user, const std::string& function,
                    const std::string& input) {
  CallRequest r;
  r.user = user;
  r.function = function;
  r.input.assign(input.begin(), input.end());
  return r;
}
CallRequest probe(const std::string& input) {
  return request("test", "probe", input);
}

// A node with two slots, test/probe and demo/echo; `configure` adjusts the
// settings first.
class SchedulerTest : public ::testing::Test {
 protected:
  void open(const std::function<void(sched::NodeConfig&)>& configure = {}) {
    sched::NodeConfig c;
    c.dataDir = dir_.path();
    c.codeCacheDir = test::testCacheDir();
    c.scheduler.slots = 2;
    c.scheduler.callTimeout = std::chrono::seconds(20);
    c.faaslet.maxMemoryPages = 4096;
    if (configure) configure(c);
    auto n = sched::Node::open(c);
    ASSERT_TRUE(n) << n.error().message;
    node_ = std::move(*n);
    for (const char* f : {"test/probe", "demo/echo"}) {
      auto wasm = readFile(std::filesystem::path(NEARFAAS_FUNC_DIR) / (std::string(f) + ".wasm"));
      ASSERT_TRUE(wasm) << wasm.error().message;
      std::string name(f);
      size_t slash = name.find('/');
      ASSERT_TRUE(node_->functions().add(name.substr(0, slash), name.substr(slash + 1), *wasm));
    }
  }
  sched::Scheduler& s() { return node_->scheduler(); }
  CallOutcome call(CallRequest r) { return s().call(std::move(r)); }

  // The outcomes of calls submitted with collect(), as they finish.
  struct Collected {
    std::mutex m;
    std::condition_variable cv;
    std::vector<CallOutcome> outcomes;
    bool waitFor(size_t n) {
      std::unique_lock l(m);
      return cv.wait_for(l, kBound, [&] { return outcomes.size() >= n; });
    }
  };
  Result<CallId> collect(CallRequest r) {
    return s().submit(std::move(r), [&into = done_](CallId, const CallOutcome& out) {
      std::lock_guard l(into.m);
      into.outcomes.push_back(out);
      into.cv.notify_all();
    });
  }

  // Holds test/probe's state lock "probe_lock": probe "lock" calls block on
  // it (until their deadline) while it is held.
  std::unique_lock<std::shared_mutex> holdProbeLock() {
    auto v = node_->state().value("test", "probe_lock");
    EXPECT_TRUE(v);
    lockValue_ = *v;
    return std::unique_lock(lockValue_->guestLock());
  }
  bool pollLoad(const std::function<bool(const sched::SchedulerLoad&)>& done) {
    auto deadline = std::chrono::steady_clock::now() + kBound;
    while (!done(s().load())) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

  test::TempDir dir_;
  std::shared_ptr<state::StateValue> lockValue_;
  Collected done_;                     // for collect(), also when a test fails early
  std::unique_ptr<sched::Node> node_;  // last: stops before what its calls use
};

// ---- Await: only the caller's own chained calls -----------------------------

// Calls of another tenant (and numbers that name no call of the caller) are
// refused at once, nothing of them is copied, and the refusal is on stderr.
TEST_F(SchedulerTest, AwaitOfAnythingButOwnChainedCallsFails) {
  open();
  // Calls of another user, finished, with outputs a reader must not see.
  std::vector<CallId> foreign;
  for (int i = 0; i < 41; ++i) {
    auto id = s().submit(request("demo", "echo", "secret"));
    ASSERT_TRUE(id) << id.error().message;
    foreign.push_back(*id);
  }
  for (CallId id : foreign)
    ASSERT_TRUE(s().await(id));
  for (CallId id : {foreign.front(), foreign.back()}) {
    auto r = call(probe("await " + std::to_string(static_cast<uint32_t>(id))));
    EXPECT_EQ(r.returnValue, 0) << r.error;
    EXPECT_EQ(text(r.output), "rc=1 out=") << "call " << id;
    EXPECT_TRUE(contains(r.stderrText, "is not a call chained by this call")) << r.stderrText;
  }
  // Small numbers (ids of the first calls, had they counted up from 1), the
  // extremes, the handle after its last chained call; its own child works,
  // and may be awaited twice.
  auto r = call(probe("await_bogus"));
  EXPECT_EQ(r.returnValue, 0) << r.error;
  EXPECT_EQ(text(r.output), "refused=46/46 next=1 own=0:slept again=0");
  EXPECT_TRUE(contains(r.stderrText,
                       "__faasm_await_call_output(0): 0 is not a call chained by "
                       "this call (it chained 0)"))
      << r.stderrText;
  EXPECT_TRUE(contains(r.stderrText,
                       "__faasm_await_call(2): 2 is not a call chained by this "
                       "call (it chained 1)"))
      << r.stderrText;
}

// More calls than slots, all awaiting numbers that are no children of theirs
// (their own ids among them, had ids counted up from 1): each fails at once,
// and the node keeps serving.
TEST_F(SchedulerTest, BogusAwaitsDoNotStopTheNode) {
  open();
  constexpr size_t kCalls = 6;  // three times the pool
  for (size_t i = 0; i < kCalls; ++i)
    ASSERT_TRUE(collect(probe("await_bogus")));
  ASSERT_TRUE(done_.waitFor(kCalls)) << "calls awaiting bogus ids did not finish";
  for (const auto& out : done_.outcomes) {
    EXPECT_EQ(out.returnValue, 0) << out.error;
    EXPECT_EQ(text(out.output), "refused=46/46 next=1 own=0:slept again=0");
  }
  EXPECT_EQ(text(call(request("demo", "echo", "still serving")).output), "still serving");
}

// A caller awaiting a child that runs past the caller's deadline stops
// waiting at its deadline: it ends (timeout) while the child still runs.
TEST_F(SchedulerTest, AwaitEndsAtTheCallersDeadline) {
  open([](sched::NodeConfig& c) { c.scheduler.callTimeout = std::chrono::milliseconds(1500); });
  // chain_late spends 600 ms of its 1500 before it chains flag_sleep, which
  // gets 1500 ms of its own; the caller awaits it once it runs on the other
  // slot. Its wait must end at its deadline, about 600 ms before the child's.
  std::promise<std::pair<CallOutcome, size_t>> result;
  auto id = s().submit(probe("chain_late"), [&](CallId, const CallOutcome& out) {
    result.set_value({out, s().load().running});
  });
  ASSERT_TRUE(id);
  auto f = result.get_future();
  ASSERT_EQ(f.wait_for(kBound), std::future_status::ready);
  auto [out, runningWhenDone] = f.get();
  EXPECT_EQ(out.returnValue, 1);
  EXPECT_TRUE(contains(out.error, "timeout")) << out.error;
  EXPECT_TRUE(contains(out.stderrText, "still running at this call's deadline")) << out.stderrText;
  EXPECT_EQ(runningWhenDone, 1u) << "the child should still run when its caller's wait ends";
}

TEST_F(SchedulerTest, FanOutWiderThanThePoolCompletes) {
  open([](sched::NodeConfig& c) { c.scheduler.slots = 1; });
  auto wasm = readFile(std::filesystem::path(NEARFAAS_FUNC_DIR) / "demo/chain.wasm");
  ASSERT_TRUE(wasm);
  ASSERT_TRUE(node_->functions().add("demo", "chain", *wasm));
  auto r = call(request("demo", "chain", "12"));
  EXPECT_EQ(r.returnValue, 0) << r.error << text(r.output);
  EXPECT_EQ(text(r.output), test::chainOutput(12));
}

// ---- Call ids ------------------------------------------------------------------

TEST_F(SchedulerTest, CallIdsAreRandomAndExactInJson) {
  open();
  std::vector<CallId> ids;
  for (int i = 0; i < 100; ++i) {
    auto id = s().submit(request("demo", "echo", "x"));
    ASSERT_TRUE(id) << id.error().message;
    ids.push_back(*id);
  }
  std::set<CallId> distinct(ids.begin(), ids.end());
  EXPECT_EQ(distinct.size(), ids.size());
  bool anyAbove32Bits = false;
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_GT(ids[i], 0u);
    EXPECT_LE(ids[i], sched::kMaxCallId);  // 2^53 - 1: exact as a JSON number
    anyAbove32Bits |= ids[i] > 0xffffffffull;
    // Odds of a false alarm: 99 in 2^52.
    if (i) {
      EXPECT_NE(ids[i] - ids[i - 1], 1u) << "consecutive ids " << ids[i - 1] << ", " << ids[i];
    }
  }
  EXPECT_TRUE(anyAbove32Bits);  // false for 100 random ids with odds 2^-2100
  for (CallId id : ids) {
    auto o = s().await(id);
    ASSERT_TRUE(o);
    EXPECT_EQ(text(o->output), "x");
  }
  EXPECT_FALSE(s().find(12345));
}

// ---- Bounds ----------------------------------------------------------------

TEST_F(SchedulerTest, QueueBoundRefusesSubmitsAndChains) {
  open([](sched::NodeConfig& c) {
    c.scheduler.slots = 1;
    c.scheduler.maxQueuedCalls = 2;
    c.scheduler.maxQueuedBytes = 100;
  });
  {
    auto held = holdProbeLock();
    ASSERT_TRUE(collect(probe("lock")));  // runs, and waits for the lock
    ASSERT_TRUE(pollLoad([](const auto& l) { return l.running == 1 && l.queued == 0; }));
    // Input bytes: 60 + 41 > 100.
    ASSERT_TRUE(collect(request("demo", "echo", std::string(60, 'a'))));
    auto tooMuch = s().submit(request("demo", "echo", std::string(41, 'b')));
    ASSERT_FALSE(tooMuch);
    EXPECT_TRUE(contains(tooMuch.error().message, "too much input waiting"))
        << tooMuch.error().message;
    ASSERT_TRUE(collect(request("demo", "echo", "second")));
    auto refused = s().submit(request("demo", "echo", "third"));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, "too many calls waiting: 2 queued (limit 2)");
    EXPECT_EQ(s().load().queued, 2u);
  }
  ASSERT_TRUE(done_.waitFor(3));
  for (const auto& out : done_.outcomes)
    EXPECT_EQ(out.returnValue, 0) << out.error;
  // A guest chaining into a full queue traps with the reason. One slot: the
  // caller runs, its first two children wait, the third does not fit.
  auto chain = call(probe("chain_many 3"));
  EXPECT_EQ(chain.returnValue, 1);
  EXPECT_TRUE(contains(chain.error,
                       "__faasm_chain_name: chained call failed: too many calls "
                       "waiting"))
      << chain.error;
  // Its two children still run; then the node serves as before.
  ASSERT_TRUE(pollLoad([](const auto& l) { return l.queued == 0 && l.running == 0; }));
  EXPECT_EQ(text(call(request("demo", "echo", "after")).output), "after");
}

TEST_F(SchedulerTest, RecordBoundDropsOldestResultsThenRefuses) {
  open([](sched::NodeConfig& c) {
    c.scheduler.slots = 1;
    c.scheduler.maxCallRecords = 3;
  });
  std::vector<CallId> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(s().submit(request("demo", "echo", std::to_string(i))).value());
    ASSERT_TRUE(s().await(ids.back()));
  }
  // Full of finished results: a fourth call drops the oldest result.
  ids.push_back(s().submit(request("demo", "echo", "3")).value());
  ASSERT_TRUE(s().await(ids.back()));
  EXPECT_FALSE(s().find(ids[0]));
  for (int i = 1; i < 4; ++i) {
    auto st = s().find(ids[i]);
    ASSERT_TRUE(st) << i;
    EXPECT_EQ(text(st->outcome.output), std::to_string(i));
  }
  // Full of live calls: refused.
  {
    auto held = holdProbeLock();
    ASSERT_TRUE(collect(probe("lock")));
    ASSERT_TRUE(pollLoad([](const auto& l) { return l.running == 1; }));
    ASSERT_TRUE(collect(probe("lock")));
    ASSERT_TRUE(collect(probe("lock")));
    auto refused = s().submit(request("demo", "echo", "over"));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, "too many calls in progress: 3 (limit 3)");
  }
  ASSERT_TRUE(done_.waitFor(3));
  EXPECT_EQ(text(call(request("demo", "echo", "after")).output), "after");
}

// Results kept for status requests are bounded in bytes (input + output
// here): the oldest go first, and one larger than the whole budget is not
// kept (its caller still gets it) and pushes out nothing.
TEST_F(SchedulerTest, KeptResultBytesDropOldestFirst) {
  open([](sched::NodeConfig& c) {
    c.scheduler.slots = 1;
    c.scheduler.maxKeptResultBytes = 10'000;
  });
  std::vector<CallId> ids;
  for (int i = 0; i < 3; ++i) {
    auto id = collect(request("demo", "echo", std::string(2000, static_cast<char>('a' + i))));
    ASSERT_TRUE(id) << id.error().message;
    ids.push_back(*id);
    ASSERT_TRUE(done_.waitFor(ids.size()));
  }
  // 3 * 4000 bytes > 10000: the first result is gone.
  EXPECT_FALSE(s().find(ids[0]));
  for (int i = 1; i < 3; ++i) {
    auto st = s().find(ids[i]);
    ASSERT_TRUE(st) << i;
    EXPECT_EQ(text(st->outcome.output), std::string(2000, static_cast<char>('a' + i)));
  }
  EXPECT_EQ(s().load().keptResultBytes, 8000u);
  auto big = collect(request("demo", "echo", std::string(6000, 'z')));
  ASSERT_TRUE(big);
  ASSERT_TRUE(done_.waitFor(4));
  EXPECT_EQ(done_.outcomes.back().output.size(), 6000u);
  EXPECT_FALSE(s().find(*big));
  EXPECT_TRUE(s().find(ids[1]));
  EXPECT_TRUE(s().find(ids[2]));
  EXPECT_EQ(s().load().keptResultBytes, 8000u);
  EXPECT_EQ(text(call(request("demo", "echo", "after")).output), "after");
}

// A call that chains many calls with large results holds at most its budget
// of them (and none of their inputs), awaited or not; awaiting a dropped one
// fails with the reason.
TEST_F(SchedulerTest, ChainedResultsPerCallAreBounded) {
  constexpr size_t kOut = 10'000, kPad = 4000;
  open([](sched::NodeConfig& c) { c.scheduler.maxChainedResultBytes = 3 * kOut + kOut / 2; });
  {
    auto held = holdProbeLock();
    ASSERT_TRUE(collect(probe("chain_out 6 " + std::to_string(kOut) + " " + std::to_string(kPad))));
    // The caller has chained all six and waits for the lock; its children
    // have all finished in the other slot.
    auto flag = [&] {
      auto v = node_->state().find("test", "probe_flag");
      uint8_t b = 0;
      if (v) v->read(0, {&b, 1});
      return b == 1;
    };
    ASSERT_TRUE(pollLoad([&](const auto& l) { return flag() && l.queued == 0 && l.running == 1; }));
    EXPECT_EQ(s().load().chainedResultBytes, 3 * kOut);  // 3 fit; inputs (kPad) are not held
  }
  ASSERT_TRUE(done_.waitFor(1));
  const CallOutcome& out = done_.outcomes[0];
  EXPECT_EQ(out.returnValue, 0) << out.error;
  EXPECT_EQ(text(out.output), "kept=3 dropped=3");
  EXPECT_TRUE(contains(out.stderrText,
                       "): its result of 10000 bytes was dropped: this call holds "
                       "30000 bytes of results of calls it chained (limit 35000)"))
      << out.stderrText;
  EXPECT_EQ(s().load().chainedResultBytes, 0u);
  // Results of calls that finish after their caller ended are held by nobody.
  auto orphans = call(probe("chain_many 3"));
  EXPECT_EQ(text(orphans.output), "chained 3") << orphans.error;
  ASSERT_TRUE(pollLoad([](const auto& l) { return l.queued == 0 && l.running == 0; }));
  EXPECT_EQ(s().load().chainedResultBytes, 0u);
  EXPECT_EQ(text(call(request("demo", "echo", "after")).output), "after");
}

TEST_F(SchedulerTest, ChainedCallsPerCallAreBounded) {
  open([](sched::NodeConfig& c) { c.scheduler.maxChainedCallsPerCall = 3; });
  auto ok = call(probe("chain_many 3"));
  EXPECT_EQ(ok.returnValue, 0) << ok.error;
  EXPECT_EQ(text(ok.output), "chained 3");
  auto over = call(probe("chain_many 4"));
  EXPECT_EQ(over.returnValue, 1);
  EXPECT_TRUE(contains(over.error, "chained call failed: this call has chained 3 calls, the limit"))
      << over.error;
  EXPECT_EQ(text(call(request("demo", "echo", "after")).output), "after");
}

TEST_F(SchedulerTest, ChainedInputIsBounded) {
  open([](sched::NodeConfig& c) { c.scheduler.maxChainedInputBytes = 1000; });
  auto ok = call(probe("chain_big 1000"));
  EXPECT_EQ(ok.returnValue, 0) << ok.error;
  EXPECT_EQ(text(ok.output), "chained");
  auto over = call(probe("chain_big 1001"));
  EXPECT_EQ(over.returnValue, 1);
  EXPECT_TRUE(contains(over.error,
                       "chained call failed: input of 1001 bytes, over the limit of "
                       "1000 bytes"))
      << over.error;
  EXPECT_EQ(text(call(request("demo", "echo", "after")).output), "after");
}

}  // namespace
}  // namespace nearfaas
