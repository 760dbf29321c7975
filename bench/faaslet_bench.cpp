// faaslet_bench: what Proto-Faaslets buy, measured side by side with what a
// runtime without snapshots has to do instead, in one process and one run.
//
//   restore  A new Faaslet from the Proto-Faaslet (ProtoFaaslet::newFaaslet:
//            copy-on-write mapping of the snapshot) against a fresh instance
//            of the same module: Linker::instantiate plus the initialisation
//            the Proto-Faaslet ran once (constructors, _faasm_zygote). Also
//            against a plain instantiate, and new-instance-plus-first-call
//            on both sides. Median and p99; the sides alternate per round.
//   idle     Process memory (RSS from /proc/self/smaps_rollup) grown by N
//            idle no-op Faaslets, never run, per Faaslet; against N fresh
//            initialised instances. Also PSS, page tables, and both after
//            one call each.
//   noop     No-op calls per second through the Scheduler (a bounded batch
//            submitted, then every call awaited) against the same no-op on a
//            fresh instance per call, on as many threads as the scheduler
//            has slots; and a single thread running Faaslet::run in a loop
//            against fresh instances on one thread.
//   chain    A function that chains a no-op and awaits it, against calling
//            the no-op directly (both through Scheduler::call): the extra
//            time per chained call, by name and by function pointer. The
//            chaining function writes one page (its stack) where the no-op
//            writes none, so the extra includes one copy-on-write fault and
//            its reset as well as the chaining itself.
//
// Every figure is one line `name: value unit (baseline: value unit, ratio
// X)` with ratio = value / baseline (below 1 is better for times and memory,
// above 1 for rates), and the last line sums up against the goals. Goals are
// reported, never enforced.
//
// Exit status: 0 done (whether or not the goals are met), 1 setup error
// (missing function, node or instance cannot be made), 2 a call gave a wrong
// result (non-zero return, trap, lost call).

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench_temp_dir.h"

#include "base/bytes.h"
#include "faaslet/faaslet.h"
#include "host/call_context.h"
#include "sched/node.h"
#include "wasm/instance.h"
#include "wasm/settings.h"

namespace {

namespace fs = std::filesystem;
using namespace nearfaas;
using host::CallOutcome;
using host::CallRequest;

// Goals of the Faaslet issue.
constexpr double kGoalRestoreUs = 10;
constexpr double kGoalIdleKb = 64;
constexpr double kGoalNoopPerSecond = 40'000;

// A no-op call that takes longer than this is a bug, not a result.
constexpr auto kCallTimeout = std::chrono::seconds(60);

constexpr const char* kUser = "bench";
constexpr const char* kNoop = "noop";
constexpr const char* kChainNoop = "chain_noop";
constexpr const char* kArgv0 = "function.wasm";  // as Faaslets name the program

const std::set<std::string> kParts = {"restore", "idle", "noop", "chain", "delta"};

struct Options {
  bool quick = false;
  unsigned slots = 2;
  unsigned restoreRuns = 2000;
  unsigned idleCount = 1000;
  unsigned calls = 100'000;
  unsigned baselineCalls = 4000;
  unsigned loopCalls = 50'000;
  unsigned chainCalls = 2000;
  unsigned deltaMemoryMiB = 1024;
  std::vector<std::string> parts;
  std::string funcDir = BENCH_FUNC_DIR;
  std::string tmpRoot;
  bool keepData = false;
};

enum Status { kOk = 0, kSetupError = 1, kWrongResult = 2 };

uint64_t nowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

struct Stats {
  double median = 0, p99 = 0;
};

Stats summarize(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  size_t rank = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(n)));
  s.p99 = v[std::clamp<size_t>(rank, 1, n) - 1];
  return s;
}

// One figure, in the format every figure of this benchmark has.
void figure(const std::string& name, double value, double baseline, const char* unit,
            int decimals = 1) {
  double ratio = baseline != 0 ? value / baseline : 0;
  int rd = ratio >= 100 ? 0 : ratio >= 10 ? 1 : ratio >= 0.1 ? 2 : ratio >= 0.001 ? 3 : 5;
  std::printf("%s: %.*f %s (baseline: %.*f %s, ratio %.*f)\n", name.c_str(), decimals, value, unit,
              decimals, baseline, unit, rd, ratio);
  std::fflush(stdout);
}

using bench::BenchTempDir;

// Memory of this process, in KiB: resident, proportional (pages shared with
// other mappings counted in part) and page tables.
struct MemoryUse {
  double rssKb = 0, pssKb = 0, pteKb = 0;
};

double fieldKb(const char* file, const char* field) {
  std::ifstream in(file);
  std::string line;
  size_t n = std::strlen(field);
  while (std::getline(in, line))
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':')
      return std::strtod(line.c_str() + n + 1, nullptr);
  return 0;
}

MemoryUse memoryUse() {
  MemoryUse m;
  m.rssKb = fieldKb("/proc/self/smaps_rollup", "Rss");
  m.pssKb = fieldKb("/proc/self/smaps_rollup", "Pss");
  m.pteKb = fieldKb("/proc/self/status", "VmPTE");
  return m;
}

// Freed heap goes back to the system, so that a measurement of memory growth
// starts from a heap without room left over by the previous one.
MemoryUse settledMemoryUse() {
  malloc_trim(0);
  return memoryUse();
}

// Runs fn(i) for i in [0, n) on n threads with the stack size the runtime
// gives threads that run guest code (as the scheduler's executors have), and
// waits for all of them.
bool onGuestThreads(unsigned n, const std::function<void(unsigned)>& fn) {
  struct Arg {
    const std::function<void(unsigned)>* fn;
    unsigned index;
  };
  std::vector<Arg> args(n);
  std::vector<pthread_t> threads;
  bool ok = true;
  for (unsigned i = 0; i < n; ++i) {
    args[i] = {&fn, i};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, wasm::kGuestThreadStackBytes);
    pthread_t t;
    int rc = pthread_create(
        &t, &attr,
        [](void* p) -> void* {
          auto* a = static_cast<Arg*>(p);
          (*a->fn)(a->index);
          return nullptr;
        },
        &args[i]);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
      ok = false;
      break;
    }
    threads.push_back(t);
  }
  for (pthread_t t : threads)
    pthread_join(t, nullptr);
  return ok;
}

// The baseline of every figure: what a runtime without snapshots does for
// each new instance. It instantiates the module and runs the initialisation
// that ProtoFaaslet::create runs once (the constructors, which the SDK's
// `_start` leaves to the runtime, then `_faasm_zygote`), with a host context
// of its own, as a Faaslet has.
struct FreshInstance {
  std::unique_ptr<host::CallContext> context;  // outlives the instance
  wasm::InstanceHandle instance;
};

class FreshInstances {
 public:
  FreshInstances(wasm::ModuleHandle module, const wasm::HostRegistry& host,
                 const faaslet::FaasletSettings& settings)
      : module_(std::move(module)), settings_(settings) {
    linker_.addHost(host);
    const auto& info = module_->info();
    auto isFunc = [&](const char* name) {
      const wasm::ExportDesc* e = info.findExport(name);
      return e && e->kind == wasm::ExternKind::Func;
    };
    hasCtors_ = isFunc("__wasm_call_ctors");
    hasZygote_ = isFunc("_faasm_zygote");
  }

  // Instantiated, not initialised.
  Result<FreshInstance> instantiate() const {
    FreshInstance f;
    f.context = std::make_unique<host::CallContext>();
    host::CallContext* ctx = f.context.get();
    ctx->captureStdio(settings_.maxStdioBytes);
    ctx->args = {kArgv0};
    wasm::InstanceOptions io;
    io.maxMemoryPages = settings_.maxMemoryPages;
    io.startTimeout = settings_.initTimeout;
    io.hostContext = ctx;
    auto inst = linker_.instantiate(module_, io);
    if (!inst) return fail("instantiate: ", inst.error().message);
    f.instance = std::move(*inst);
    return f;
  }

  Result<void> initialise(FreshInstance& f) const {
    wasm::CallOptions co;
    co.timeout = settings_.initTimeout;
    if (hasCtors_)
      if (auto r = f.instance->call("__wasm_call_ctors", {}, co); !r)
        return fail("constructors: ", r.error().describe());
    if (hasZygote_) {
      auto r = f.instance->call("_faasm_zygote", {}, co);
      if (!r) return fail("zygote: ", r.error().describe());
      if (!r->empty() && r->at(0).i32 != 0) return fail("zygote returned non-zero");
    }
    return {};
  }

  Result<FreshInstance> create() const {
    auto f = instantiate();
    if (!f) return f;
    if (auto r = initialise(*f); !r) return std::unexpected(r.error());
    return f;
  }

  // One call of `_start`, as Faaslet::run makes it; the return value.
  Result<int32_t> run(FreshInstance& f, const CallRequest& request) const {
    f.context->callId = 1;
    f.context->request = &request;
    wasm::CallOptions co;
    co.timeout = kCallTimeout;
    auto r = f.instance->call("_start", {}, co);
    f.context->clearCall();
    if (r) return 0;
    if (r.error().kind == wasm::TrapKind::Exit) return r.error().exitCode;
    return fail("_start: ", r.error().describe());
  }

  // A whole call on an instance of its own: create, run, drop.
  Result<int32_t> callOnce(const CallRequest& request) const {
    auto f = create();
    if (!f) return std::unexpected(f.error());
    return run(*f, request);
  }

 private:
  wasm::ModuleHandle module_;
  faaslet::FaasletSettings settings_;
  wasm::Linker linker_;
  bool hasCtors_ = false, hasZygote_ = false;
};

void destroy(std::unique_ptr<faaslet::Faaslet>& f) {
  f.reset();
}
void destroy(FreshInstance& f) {
  f.instance.reset();
  f.context.reset();
}

// A call outcome that is not a clean no-op return.
std::optional<std::string> wrongOutcome(const CallOutcome& o) {
  if (o.returnValue != 0 || !o.error.empty())
    return "returned " + std::to_string(o.returnValue) + (o.error.empty() ? "" : ": " + o.error);
  if (!o.output.empty())
    return "unexpected output of " + std::to_string(o.output.size()) + " bytes";
  return std::nullopt;
}

struct Results {
  std::optional<double> restoreUs, idleKb, noopPerSecond, chainUs, deltaMs;
};

class Bench {
 public:
  Bench(const Options& o, sched::Node& node, std::shared_ptr<faaslet::ProtoFaaslet> proto)
      : o_(o),
        node_(node),
        proto_(std::move(proto)),
        fresh_(proto_->snapshot().module(), node.functions().host(), proto_->settings()) {
    noopRequest_.user = kUser;
    noopRequest_.function = kNoop;
  }

  Status restore(Results& out);
  Status idle(Results& out);
  Status noop(Results& out);
  Status chain(Results& out);
  Status delta(Results& out);

 private:
  Status setupError(const std::string& what, const Error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s: %s\n", what.c_str(), e.message.c_str());
    return kSetupError;
  }
  Status wrongResult(const std::string& what, const std::string& why) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s: %s\n", what.c_str(), why.c_str());
    return kWrongResult;
  }

  const Options& o_;
  sched::Node& node_;
  std::shared_ptr<faaslet::ProtoFaaslet> proto_;
  FreshInstances fresh_;
  CallRequest noopRequest_;
};

Status Bench::restore(Results& out) {
  std::printf(
      "\n== restore: new Faaslet from the Proto-Faaslet vs a fresh instance (%u rounds)\n"
      "   baseline: Linker::instantiate + __wasm_call_ctors + _faasm_zygote of the same "
      "module\n",
      o_.restoreRuns);
  std::fflush(stdout);
  std::vector<double> restoreUs, destroyUs, coldUs, freshUs, freshDestroyUs, plainUs, freshColdUs;
  const unsigned warmUp = std::max(10u, o_.restoreRuns / 20);
  for (unsigned round = 0; round < warmUp + o_.restoreRuns; ++round) {
    bool counted = round >= warmUp;
    auto restoreSide = [&]() -> Status {
      uint64_t t0 = nowNs();
      auto f = proto_->newFaaslet();
      uint64_t t1 = nowNs();
      if (!f) return setupError("new Faaslet", f.error());
      destroy(*f);
      uint64_t t2 = nowNs();
      auto g = proto_->newFaaslet();
      if (!g) return setupError("new Faaslet", g.error());
      auto r = (*g)->run(1, noopRequest_, nullptr, kCallTimeout);
      if (!r) return setupError("Faaslet::run", r.error());
      destroy(*g);
      uint64_t t3 = nowNs();
      if (auto why = wrongOutcome(*r)) return wrongResult("no-op on a new Faaslet", *why);
      if (counted) {
        restoreUs.push_back((t1 - t0) / 1e3);
        destroyUs.push_back((t2 - t1) / 1e3);
        coldUs.push_back((t3 - t2) / 1e3);
      }
      return kOk;
    };
    auto freshSide = [&]() -> Status {
      uint64_t t0 = nowNs();
      auto f = fresh_.create();
      uint64_t t1 = nowNs();
      if (!f) return setupError("fresh instance", f.error());
      destroy(*f);
      uint64_t t2 = nowNs();
      auto p = fresh_.instantiate();
      uint64_t t3 = nowNs();
      if (!p) return setupError("fresh instance", p.error());
      destroy(*p);
      uint64_t t4 = nowNs();
      auto rv = fresh_.callOnce(noopRequest_);
      uint64_t t5 = nowNs();
      if (!rv) return setupError("no-op on a fresh instance", rv.error());
      if (*rv != 0)
        return wrongResult("no-op on a fresh instance", "returned " + std::to_string(*rv));
      if (counted) {
        freshUs.push_back((t1 - t0) / 1e3);
        freshDestroyUs.push_back((t2 - t1) / 1e3);
        plainUs.push_back((t3 - t2) / 1e3);
        freshColdUs.push_back((t5 - t4) / 1e3);
      }
      return kOk;
    };
    bool restoreFirst = round % 2 == 0;
    for (int side = 0; side < 2; ++side) {
      Status s = (side == 0) == restoreFirst ? restoreSide() : freshSide();
      if (s != kOk) return s;
    }
  }
  Stats restore = summarize(restoreUs), fresh = summarize(freshUs), plain = summarize(plainUs);
  Stats destroy = summarize(destroyUs), freshDestroy = summarize(freshDestroyUs);
  Stats cold = summarize(coldUs), freshCold = summarize(freshColdUs);
  figure("restore median", restore.median, fresh.median, "us", 2);
  figure("restore p99", restore.p99, fresh.p99, "us", 2);
  figure("restore median vs plain instantiate (no init)", restore.median, plain.median, "us", 2);
  figure("destroy median", destroy.median, freshDestroy.median, "us", 2);
  figure("new instance + first no-op call + destroy, median", cold.median, freshCold.median, "us",
         2);
  figure("new instance + first no-op call + destroy, p99", cold.p99, freshCold.p99, "us", 2);
  out.restoreUs = restore.median;
  return kOk;
}

Status Bench::idle(Results& out) {
  const unsigned n = o_.idleCount;
  std::printf(
      "\n== idle: memory per idle no-op Faaslet vs per fresh instance (%u of each)\n"
      "   process memory grown by creating them (never run, nothing touched), divided "
      "by %u\n",
      n, n);
  std::fflush(stdout);
  MemoryUse f0, f1, f2, b0, b1, b2;
  {
    std::vector<std::unique_ptr<faaslet::Faaslet>> faaslets;
    faaslets.reserve(n);
    f0 = settledMemoryUse();
    for (unsigned i = 0; i < n; ++i) {
      auto f = proto_->newFaaslet();
      if (!f) return setupError("new Faaslet " + std::to_string(i), f.error());
      faaslets.push_back(std::move(*f));
    }
    f1 = memoryUse();
    // Each one works, and then sits in the state an idle Faaslet of the
    // scheduler's pool is in: run once and reset.
    for (auto& f : faaslets) {
      auto r = f->run(1, noopRequest_, nullptr, kCallTimeout);
      if (!r) return setupError("Faaslet::run", r.error());
      if (auto why = wrongOutcome(*r)) return wrongResult("no-op on an idle Faaslet", *why);
    }
    f2 = memoryUse();
  }
  {
    std::vector<FreshInstance> instances;
    instances.reserve(n);
    b0 = settledMemoryUse();
    for (unsigned i = 0; i < n; ++i) {
      auto f = fresh_.create();
      if (!f) return setupError("fresh instance " + std::to_string(i), f.error());
      instances.push_back(std::move(*f));
    }
    b1 = memoryUse();
    for (auto& f : instances) {
      auto rv = fresh_.run(f, noopRequest_);
      if (!rv) return setupError("no-op on a fresh instance", rv.error());
      if (*rv != 0)
        return wrongResult("no-op on a fresh instance", "returned " + std::to_string(*rv));
    }
    b2 = memoryUse();
  }
  settledMemoryUse();
  auto per = [n](double after, double before) { return (after - before) / n; };
  figure("idle faaslet memory (RSS)", per(f1.rssKb, f0.rssKb), per(b1.rssKb, b0.rssKb), "KB");
  figure("idle faaslet memory (PSS)", per(f1.pssKb, f0.pssKb), per(b1.pssKb, b0.pssKb), "KB");
  figure("idle faaslet page tables", per(f1.pteKb, f0.pteKb), per(b1.pteKb, b0.pteKb), "KB", 2);
  figure("faaslet memory after one call (RSS)", per(f2.rssKb, f0.rssKb), per(b2.rssKb, b0.rssKb),
         "KB");
  figure("faaslet memory after one call (PSS)", per(f2.pssKb, f0.pssKb), per(b2.pssKb, b0.pssKb),
         "KB");
  out.idleKb = per(f1.rssKb, f0.rssKb);
  return kOk;
}

Status Bench::noop(Results& out) {
  sched::Scheduler& s = node_.scheduler();
  const unsigned slots = s.slots();
  std::printf(
      "\n== noop: no-op calls per second\n"
      "   scheduler: %u calls submitted, then all awaited, %u slots; baseline: a fresh "
      "instance per call (%u calls on %u threads)\n",
      o_.calls, slots, o_.baselineCalls, slots);
  std::fflush(stdout);

  // Warm-up: the scheduler's idle pool filled, code and heap warm.
  for (unsigned i = 0; i < 20 * slots; ++i)
    if (auto why = wrongOutcome(s.call(noopRequest_))) return wrongResult("no-op call", *why);

  std::vector<sched::CallId> ids;
  ids.reserve(o_.calls);
  uint64_t t0 = nowNs();
  for (unsigned i = 0; i < o_.calls; ++i) {
    auto id = s.submit(noopRequest_);
    if (!id) return wrongResult("submit", id.error().message);
    ids.push_back(*id);
  }
  uint64_t submitted = nowNs();
  size_t completed = 0;
  std::optional<std::string> firstWrong;
  for (sched::CallId id : ids) {
    auto o = s.await(id);
    if (!o) {
      if (!firstWrong) firstWrong = "call " + std::to_string(id) + ": " + o.error().message;
      continue;
    }
    if (auto why = wrongOutcome(*o)) {
      if (!firstWrong) firstWrong = "call " + std::to_string(id) + " " + *why;
      continue;
    }
    ++completed;
  }
  uint64_t t1 = nowNs();
  if (completed != o_.calls)
    return wrongResult("scheduler",
                       std::to_string(completed) + " of " + std::to_string(o_.calls) +
                           " calls completed cleanly; first failure: " + firstWrong.value_or("?"));
  double schedRate = o_.calls / ((t1 - t0) / 1e9);
  std::printf("   (submitting took %.1f ms of %.1f ms)\n", (submitted - t0) / 1e6, (t1 - t0) / 1e6);

  // Baseline on as many threads as slots.
  auto freshRate = [&](unsigned threads, double& rate) -> Status {
    std::atomic<unsigned> done{0};
    std::string firstError;
    std::atomic<bool> failed{false};
    unsigned perThread = std::max(1u, o_.baselineCalls / threads);
    uint64_t b0 = nowNs();
    bool started = onGuestThreads(threads, [&](unsigned) {
      for (unsigned i = 0; i < perThread && !failed; ++i) {
        auto rv = fresh_.callOnce(noopRequest_);
        if (!rv || *rv != 0) {
          if (!failed.exchange(true))
            firstError = !rv ? rv.error().message : "returned " + std::to_string(*rv);
          return;
        }
        done.fetch_add(1, std::memory_order_relaxed);
      }
    });
    uint64_t b1 = nowNs();
    if (!started) return setupError("baseline", Error{"cannot start threads"});
    if (failed) return wrongResult("no-op on a fresh instance", firstError);
    if (done != perThread * threads)
      return wrongResult("baseline", std::to_string(done.load()) + " calls completed of " +
                                         std::to_string(perThread * threads));
    rate = done / ((b1 - b0) / 1e9);
    return kOk;
  };
  double baseRate = 0;
  if (Status st = freshRate(slots, baseRate); st != kOk) return st;
  figure("noop throughput (scheduler, " + std::to_string(slots) + " slots)", schedRate, baseRate,
         "calls/s", 0);

  // One thread, one Faaslet, Faaslet::run in a loop: the per-call cost of
  // the Faaslet itself, without queues and threads.
  auto f = proto_->newFaaslet();
  if (!f) return setupError("new Faaslet", f.error());
  for (unsigned i = 0; i < 100; ++i)
    (*f)->run(1, noopRequest_, nullptr, kCallTimeout);
  uint64_t l0 = nowNs();
  for (unsigned i = 0; i < o_.loopCalls; ++i) {
    auto r = (*f)->run(i + 1, noopRequest_, nullptr, kCallTimeout);
    if (!r) return setupError("Faaslet::run", r.error());
    if (auto why = wrongOutcome(*r)) return wrongResult("Faaslet::run loop", *why);
  }
  uint64_t l1 = nowNs();
  double loopRate = o_.loopCalls / ((l1 - l0) / 1e9);
  double baseRate1 = 0;
  if (Status st = freshRate(1, baseRate1); st != kOk) return st;
  figure("noop throughput (Faaslet::run loop, 1 thread)", loopRate, baseRate1, "calls/s", 0);
  out.noopPerSecond = schedRate;
  return kOk;
}

Status Bench::chain(Results& out) {
  sched::Scheduler& s = node_.scheduler();
  std::printf(
      "\n== chain: chained no-op round trip (%u calls of each, alternating)\n"
      "   chained: bench/chain_noop chains a no-op and awaits it (and writes one stack page, "
      "which the no-op does not); baseline: the no-op called directly; both through "
      "Scheduler::call\n",
      o_.chainCalls);
  std::fflush(stdout);
  CallRequest byName{kUser, kChainNoop, {}};
  CallRequest byPtr{kUser, kChainNoop, Bytes{'p', 't', 'r'}};
  std::vector<double> directUs, nameUs, ptrUs;
  auto timed = [&](const CallRequest& r, std::vector<double>* into) -> std::optional<std::string> {
    uint64_t t0 = nowNs();
    CallOutcome o = s.call(r);
    uint64_t t1 = nowNs();
    if (auto why = wrongOutcome(o))
      return r.function + " (" + std::string(r.input.begin(), r.input.end()) + "): " + *why;
    if (into) into->push_back((t1 - t0) / 1e3);
    return std::nullopt;
  };
  const unsigned warmUp = 50;
  for (unsigned i = 0; i < warmUp + o_.chainCalls; ++i) {
    bool counted = i >= warmUp;
    const CallRequest* order[3] = {&noopRequest_, &byName, &byPtr};
    std::rotate(order, order + i % 3, order + 3);
    for (const CallRequest* r : order) {
      auto* into = !counted             ? nullptr
                   : r == &noopRequest_ ? &directUs
                   : r == &byName       ? &nameUs
                                        : &ptrUs;
      if (auto why = timed(*r, into)) return wrongResult("chain", *why);
    }
  }
  Stats direct = summarize(directUs), name = summarize(nameUs), ptr = summarize(ptrUs);
  figure("chained call by name, median", name.median, direct.median, "us");
  figure("chained call by pointer, median", ptr.median, direct.median, "us");
  figure("chain round trip (extra per chained call, by name)", name.median - direct.median,
         direct.median, "us");
  figure("chain round trip (extra per chained call, by pointer)", ptr.median - direct.median,
         direct.median, "us");
  out.chainUs = name.median - direct.median;
  return kOk;
}

// Memory deltas of a large memory with few written pages: the pagemap scan
// of Faaslet::takeDelta against comparing every page with a pristine copy
// (what finding the written pages costs without the kernel's page tables).
Status Bench::delta(Results& out) {
  constexpr uint32_t kPage = faaslet::MemoryDelta::kPageBytes;
  constexpr unsigned kWritten = 64;  // pages written, spread over the memory
  const unsigned rounds = o_.quick ? 3 : 7;
  std::printf(
      "\n== delta: memory delta of a %u MiB memory with %u written pages (%u rounds, a new "
      "Faaslet each)\n"
      "   baseline: compare every 4 KiB page with a pristine copy of the memory\n",
      o_.deltaMemoryMiB, kWritten, rounds);
  std::fflush(stdout);
  // A Faaslet whose memory is grown to the size asked.
  auto grown = [&]() -> Result<std::unique_ptr<faaslet::Faaslet>> {
    auto f = proto_->newFaaslet();
    if (!f) return f;
    wasm_rt_memory_t* mem = (*f)->instance().memory(0);
    uint64_t want = uint64_t{o_.deltaMemoryMiB} << 20;
    if (want > mem->size &&
        wasm_rt_grow_memory(mem, static_cast<uint32_t>((want - mem->size) / wasm::kWasmPageSize)) ==
            UINT32_MAX)
      return fail("cannot grow the memory to ", o_.deltaMemoryMiB, " MiB");
    return f;
  };
  auto first = grown();
  if (!first) return setupError("delta", first.error());
  wasm_rt_memory_t* m0 = (*first)->instance().memory(0);
  Bytes pristine(m0->data, m0->data + m0->size);
  std::vector<double> scanMs, compareMs;
  for (unsigned round = 0; round < rounds; ++round) {
    auto f = grown();
    if (!f) return setupError("delta", f.error());
    wasm_rt_memory_t* mem = (*f)->instance().memory(0);
    const uint32_t pages = mem->size / kPage;
    for (unsigned i = 0; i < kWritten; ++i)
      mem->data[uint64_t{(pages / kWritten) * i + round} * kPage] ^= 1;
    uint64_t t0 = nowNs();
    auto d = (*f)->takeDelta();
    uint64_t t1 = nowNs();
    if (!d) return setupError("takeDelta", d.error());
    size_t changed = 0;
    for (uint32_t p = 0; p < pages; ++p)
      changed += std::memcmp(mem->data + uint64_t{p} * kPage, pristine.data() + uint64_t{p} * kPage,
                             kPage) != 0;
    uint64_t t2 = nowNs();
    // The delta holds the written pages (and the pages the restore itself
    // wrote, such as the stack): never fewer than changed.
    if (changed != kWritten || d->pages.size() < changed || d->pages.size() > changed + 16)
      return wrongResult("delta", std::to_string(d->pages.size()) + " pages in the delta, " +
                                      std::to_string(changed) + " changed");
    scanMs.push_back((t1 - t0) / 1e6);
    compareMs.push_back((t2 - t1) / 1e6);
  }
  Stats scan = summarize(scanMs), compare = summarize(compareMs);
  figure("delta of a large memory (pagemap scan), median", scan.median, compare.median, "ms", 3);
  out.deltaMs = scan.median;
  return kOk;
}

std::string orDash(const std::optional<double>& v, int decimals) {
  if (!v) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", decimals, *v);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "Measures Faaslets against fresh instances side by side: restore time, memory per idle "
      "Faaslet, no-op calls per second through the scheduler, chained-call round trips. Prints "
      "each figure with its baseline and ratio, and a summary against the goals."};
  app.add_flag("--quick", o.quick, "fewer rounds and calls (for CI)");
  app.add_option("--slots", o.slots, "executor threads of the scheduler (default 2)")
      ->check(CLI::Range(1u, 256u));
  app.add_option("--restore-runs", o.restoreRuns,
                 "rounds of restore vs fresh instance (default 2000; 300 with --quick)")
      ->check(CLI::Range(1u, 1'000'000u));
  app.add_option("--idle", o.idleCount,
                 "idle Faaslets and fresh instances (default 1000; 200 with --quick)")
      ->check(CLI::Range(1u, 10'000u));
  app.add_option("--calls", o.calls,
                 "no-op calls through the scheduler (default 100000; 20000 with --quick)")
      ->check(CLI::Range(1u, 10'000'000u));
  app.add_option("--baseline-calls", o.baselineCalls,
                 "no-op calls on fresh instances (default 4000; 500 with --quick)")
      ->check(CLI::Range(1u, 1'000'000u));
  app.add_option("--loop-calls", o.loopCalls,
                 "Faaslet::run calls on one thread (default 50000; 10000 with --quick)")
      ->check(CLI::Range(1u, 10'000'000u));
  app.add_option("--chain-calls", o.chainCalls,
                 "calls of each kind in the chain figure (default 2000; 300 with --quick)")
      ->check(CLI::Range(1u, 1'000'000u));
  app.add_option("--delta-memory", o.deltaMemoryMiB,
                 "memory size of the delta figure in MiB (default 1024; 256 with --quick)")
      ->check(CLI::Range(16u, 4000u));
  app.add_option("--parts", o.parts,
                 "parts to run, comma-separated: restore,idle,noop,chain,delta (default all)")
      ->delimiter(',');
  app.add_option("--func-dir", o.funcDir, "directory of noop.wasm and chain_noop.wasm")
      ->capture_default_str();
  app.add_option("--tmp-dir", o.tmpRoot,
                 "where the temporary data directory (store, code cache) is created (default "
                 "$TMPDIR or /tmp)");
  app.add_flag("--keep-data", o.keepData,
               "keep the data directory (to inspect the generated shared objects)");
  CLI11_PARSE(app, argc, argv);
  if (o.quick) {
    if (app.count("--restore-runs") == 0) o.restoreRuns = 300;
    if (app.count("--idle") == 0) o.idleCount = 200;
    if (app.count("--calls") == 0) o.calls = 20'000;
    if (app.count("--baseline-calls") == 0) o.baselineCalls = 500;
    if (app.count("--loop-calls") == 0) o.loopCalls = 10'000;
    if (app.count("--chain-calls") == 0) o.chainCalls = 300;
    if (app.count("--delta-memory") == 0) o.deltaMemoryMiB = 256;
  }
  std::set<std::string> parts(o.parts.begin(), o.parts.end());
  if (parts.empty()) parts = kParts;
  for (const auto& p : parts) {
    if (!kParts.count(p)) {
      std::fprintf(stderr, "error: no part '%s' (restore, idle, noop, chain, delta)\n", p.c_str());
      return kSetupError;
    }
  }

  uint64_t start = nowNs();
  BenchTempDir dir(o.tmpRoot, "faaslet", o.keepData);
  if (dir.path().empty()) {
    std::fprintf(stderr, "error: cannot create a temporary directory\n");
    return kSetupError;
  }
  sched::NodeConfig config;
  config.dataDir = dir.path();
  config.scheduler.slots = o.slots;
  config.scheduler.callTimeout = kCallTimeout;
  // The throughput figure submits every call before it awaits any.
  config.scheduler.maxQueuedCalls = std::max<size_t>(o.calls, config.scheduler.maxQueuedCalls);
  config.scheduler.maxCallRecords = std::max<size_t>(o.calls, config.scheduler.maxCallRecords);
  auto node = sched::Node::open(config);
  if (!node) {
    std::fprintf(stderr, "error: %s\n", node.error().message.c_str());
    return kSetupError;
  }
  for (const char* name : {kNoop, kChainNoop}) {
    fs::path p = fs::path(o.funcDir) / (std::string(name) + ".wasm");
    auto wasm = readFile(p);
    if (!wasm) {
      std::fprintf(stderr, "error: %s\n", wasm.error().message.c_str());
      return kSetupError;
    }
    if (auto r = (*node)->functions().add(kUser, name, *wasm); !r) {
      std::fprintf(stderr, "error: adding %s: %s\n", p.c_str(), r.error().message.c_str());
      return kSetupError;
    }
  }
  auto proto = (*node)->functions().proto(kUser, kNoop);
  if (!proto) {
    std::fprintf(stderr, "error: %s\n", proto.error().message.c_str());
    return kSetupError;
  }
  std::printf(
      "faaslet_bench: %s sizes, %u scheduler slots, %u cores; functions compiled in %.2f "
      "s\n   noop: %u memory pages (%.0f MiB) in its snapshot\n",
      o.quick ? "quick" : "default", (*node)->scheduler().slots(),
      std::thread::hardware_concurrency(), (nowNs() - start) / 1e9,
      (*proto)->snapshot().memoryPages(),
      (*proto)->snapshot().memoryPages() * double(wasm::kWasmPageSize) / (1 << 20));

  Bench bench(o, **node, *proto);
  Results r;
  using Part = Status (Bench::*)(Results&);
  const std::pair<const char*, Part> order[] = {{"restore", &Bench::restore},
                                                {"idle", &Bench::idle},
                                                {"noop", &Bench::noop},
                                                {"chain", &Bench::chain},
                                                {"delta", &Bench::delta}};
  for (const auto& [name, part] : order) {
    if (!parts.count(name)) continue;
    if (Status s = (bench.*part)(r); s != kOk) return s;
  }

  std::printf(
      "\n== summary (goals: restore < %.0f us, idle Faaslet < %.0f KB, no-op >= %.0f "
      "calls/s; reported, not enforced)\n",
      kGoalRestoreUs, kGoalIdleKb, kGoalNoopPerSecond);
  auto goal = [](const char* what, const std::optional<double>& v, bool met) {
    if (v) std::printf("goal %s: %s\n", what, met ? "met" : "not met");
  };
  goal("restore", r.restoreUs, r.restoreUs && *r.restoreUs < kGoalRestoreUs);
  goal("idle faaslet", r.idleKb, r.idleKb && *r.idleKb < kGoalIdleKb);
  goal("noop throughput", r.noopPerSecond,
       r.noopPerSecond && *r.noopPerSecond >= kGoalNoopPerSecond);
  std::printf("total time: %.1f s\n", (nowNs() - start) / 1e9);
  std::printf(
      "faaslet-bench: restore %s us (goal <%.0f), idle faaslet %s KB (goal <%.0f), noop %s "
      "calls/s (goal >=%.0f), chain round trip %s us, delta of %u MiB %s ms\n",
      orDash(r.restoreUs, 2).c_str(), kGoalRestoreUs, orDash(r.idleKb, 1).c_str(), kGoalIdleKb,
      orDash(r.noopPerSecond, 0).c_str(), kGoalNoopPerSecond, orDash(r.chainUs, 1).c_str(),
      o.deltaMemoryMiB, orDash(r.deltaMs, 2).c_str());
  return kOk;
}
