// Implementation of wasm-rt.h for NearFaaS; see runtime.h for the design.
#include "wasm/runtime.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <wasm-rt.h>

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "wasm/settings.h"

namespace nearfaas::wasm {

namespace {

// ---- Per-thread execution state -------------------------------------------
//
// GuestTls is read and written by signal handlers, so it is trivially
// constructible and destructible (no TLS guard, no allocation on first use).
struct GuestTls {
  sigjmp_buf* target;             // where a trap unwinds to; null outside runGuarded
  volatile sig_atomic_t inGuest;  // 1 while guest code (not a host function) runs
  volatile sig_atomic_t timeoutPending;
  volatile sig_atomic_t trapKind;    // TrapKind of the trap being raised
  volatile sig_atomic_t hasPending;  // a host function recorded a trap
  uint64_t deadlineNs;               // absolute CLOCK_MONOTONIC; 0 = none
  uint32_t memoryLimitPages;         // for memories allocated by the guest
  uintptr_t stackLow;                // lowest usable address of this thread's stack
  bool setUp;
  bool hasTimer;
  timer_t timer;
  uint64_t armedNs;  // what the timer is armed for; 0 = disarmed
  int exitCode;
  jmp_buf* unwindTarget;  // wasm exceptions (unused: feature disabled)
};
thread_local GuestTls gt;

// Resources that need cleanup at thread exit; touched only outside handlers.
struct ThreadResources {
  void* altStack = nullptr;
  std::string pendingMessage;
  ~ThreadResources() {
    if (gt.hasTimer) timer_delete(gt.timer);
    gt.hasTimer = false;
    if (altStack) {
      stack_t ss{};
      ss.ss_flags = SS_DISABLE;
      sigaltstack(&ss, nullptr);
      munmap(altStack, kSignalStackBytes + 4096);
    }
  }
};
thread_local ThreadResources gres;

int timerSignal() {
  return SIGRTMIN + 3;
}

// ---- Linear memory reservations, visible to the fault handler ---------------
struct Reservation {
  std::atomic<uintptr_t> base{0};
  std::atomic<uintptr_t> end{0};
};
Reservation gReservations[kMaxLiveMemories];
std::atomic<size_t> gReservationsUsed{0};  // slots [0, used) may be occupied
std::mutex gReservationsMutex;             // serialises register/unregister

bool registerReservation(uintptr_t base, uintptr_t end) {
  std::lock_guard lock(gReservationsMutex);
  size_t used = gReservationsUsed.load(std::memory_order_relaxed);
  for (size_t i = 0; i < kMaxLiveMemories; ++i) {
    if (gReservations[i].base.load(std::memory_order_relaxed) != 0) continue;
    gReservations[i].end.store(end, std::memory_order_relaxed);
    gReservations[i].base.store(base, std::memory_order_release);
    if (i >= used) gReservationsUsed.store(i + 1, std::memory_order_release);
    return true;
  }
  return false;
}

void unregisterReservation(uintptr_t base) {
  std::lock_guard lock(gReservationsMutex);
  size_t used = gReservationsUsed.load(std::memory_order_relaxed);
  for (size_t i = 0; i < used; ++i) {
    if (gReservations[i].base.load(std::memory_order_relaxed) == base) {
      gReservations[i].base.store(0, std::memory_order_release);
      return;
    }
  }
}

bool inReservation(uintptr_t addr) {
  size_t used = gReservationsUsed.load(std::memory_order_acquire);
  for (size_t i = 0; i < used; ++i) {
    uintptr_t b = gReservations[i].base.load(std::memory_order_acquire);
    if (b != 0 && addr >= b && addr < gReservations[i].end.load(std::memory_order_relaxed))
      return true;
  }
  return false;
}

// ---- Signals ----------------------------------------------------------------
struct sigaction gPrevSegv, gPrevBus;
std::once_flag gInitOnce;
std::atomic<bool> gInitialized{false};

// A fault this close below (or just above) the lowest usable stack address is
// the guard page being hit: stack exhaustion.
constexpr uintptr_t kStackFaultBelow = 1 << 20;
constexpr uintptr_t kStackFaultAbove = 64 * 1024;

void unblockSignal(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

[[noreturn]] void unwindFromHandler(int sig, TrapKind kind) {
  // The kernel blocked `sig` for the handler; leaving by siglongjmp skips the
  // restore of the mask, so undo it here.
  unblockSignal(sig);
  gt.trapKind = static_cast<sig_atomic_t>(kind);
  gt.inGuest = 0;
  siglongjmp(*gt.target, 1);
}

void chainFault(int sig, siginfo_t* info, void* ctx) {
  const struct sigaction& prev = sig == SIGSEGV ? gPrevSegv : gPrevBus;
  if ((prev.sa_flags & SA_SIGINFO) && prev.sa_sigaction) {
    prev.sa_sigaction(sig, info, ctx);
    return;
  }
  if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN && prev.sa_handler) {
    prev.sa_handler(sig);
    return;
  }
  // Not a guest fault: let it crash the usual way when the access repeats.
  signal(sig, SIG_DFL);
}

void faultHandler(int sig, siginfo_t* info, void* ctx) {
  if (gt.inGuest && gt.target) {
    auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
    if (gt.stackLow && addr + kStackFaultBelow >= gt.stackLow &&
        addr < gt.stackLow + kStackFaultAbove)
      unwindFromHandler(sig, TrapKind::StackExhausted);
    if (inReservation(addr)) unwindFromHandler(sig, TrapKind::OutOfBounds);
  }
  chainFault(sig, info, ctx);
}

void timerHandler(int sig, siginfo_t*, void*) {
  if (!gt.target || gt.deadlineNs == 0) return;
  if (monotonicNowNs() < gt.deadlineNs) return;  // a stale expiry from an earlier call
  if (gt.inGuest) unwindFromHandler(sig, TrapKind::Timeout);
  gt.timeoutPending = 1;  // inside a host function: raised by hostLeave()
}

void installHandlers() {
  struct sigaction sa {};
  sa.sa_sigaction = faultHandler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &gPrevSegv);
  sigaction(SIGBUS, &sa, &gPrevBus);
  struct sigaction ta {};
  ta.sa_sigaction = timerHandler;
  ta.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigemptyset(&ta.sa_mask);
  sigaction(timerSignal(), &ta, nullptr);
}

void ensureThreadSetUp() {
  if (gt.setUp) return;
  gt.memoryLimitPages = kDefaultMaxMemoryPages;
  stack_t old{};
  if (sigaltstack(nullptr, &old) == 0 && (old.ss_flags & SS_DISABLE)) {
    // One guard page below the signal stack.
    void* mem = mmap(nullptr, kSignalStackBytes + 4096, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (mem != MAP_FAILED) {
      mprotect(mem, 4096, PROT_NONE);
      stack_t ss{};
      ss.ss_sp = static_cast<char*>(mem) + 4096;
      ss.ss_size = kSignalStackBytes;
      if (sigaltstack(&ss, nullptr) == 0)
        gres.altStack = mem;
      else
        munmap(mem, kSignalStackBytes + 4096);
    }
  }
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* addr = nullptr;
    size_t size = 0;
    pthread_attr_getstack(&attr, &addr, &size);
    gt.stackLow = reinterpret_cast<uintptr_t>(addr);
    pthread_attr_destroy(&attr);
  }
  gt.setUp = true;
}

void armTimer(uint64_t deadlineNs) {
  if (gt.armedNs == deadlineNs) return;
  if (!gt.hasTimer) {
    if (deadlineNs == 0) return;
    sigevent sev{};
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = timerSignal();
    sev._sigev_un._tid = static_cast<pid_t>(syscall(SYS_gettid));
    if (timer_create(CLOCK_MONOTONIC, &sev, &gt.timer) != 0) return;
    gt.hasTimer = true;
  }
  itimerspec its{};
  its.it_value.tv_sec = static_cast<time_t>(deadlineNs / 1'000'000'000);
  its.it_value.tv_nsec = static_cast<long>(deadlineNs % 1'000'000'000);
  timer_settime(gt.timer, deadlineNs ? TIMER_ABSTIME : 0, &its, nullptr);
  gt.armedNs = deadlineNs;
}

[[noreturn]] void jumpToTarget(TrapKind kind) {
  if (!gt.target) {
    std::fprintf(stderr, "nearfaas: trap (%s) outside of a guest call\n", trapKindName(kind));
    std::abort();
  }
  gt.trapKind = static_cast<sig_atomic_t>(kind);
  gt.inGuest = 0;
  siglongjmp(*gt.target, 1);
}

// ---- Function types ----------------------------------------------------------
std::mutex gTypesMutex;
std::map<std::string, uint32_t> gTypeIds;

char typeChar(ValType t) {
  return "ijfdre"[static_cast<int>(t)];
}

uint32_t registerTypeKey(const std::string& key) {
  std::lock_guard lock(gTypesMutex);
  auto [it, inserted] = gTypeIds.try_emplace(key, static_cast<uint32_t>(gTypeIds.size() + 1));
  return it->second;
}

ValType fromRtType(int t) {
  switch (t) {
    case WASM_RT_I32:
      return ValType::I32;
    case WASM_RT_I64:
      return ValType::I64;
    case WASM_RT_F32:
      return ValType::F32;
    case WASM_RT_F64:
      return ValType::F64;
    case WASM_RT_FUNCREF:
      return ValType::FuncRef;
    default:
      return ValType::ExternRef;
  }
}

}  // namespace

// ---- Engine-facing API ------------------------------------------------------

void initRuntime() {
  std::call_once(gInitOnce, [] {
    installHandlers();
    gInitialized = true;
  });
}

uint64_t monotonicNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint32_t registerFuncType(const FuncType& type) {
  std::string key;
  for (auto p : type.params)
    key += typeChar(p);
  key += ':';
  for (auto r : type.results)
    key += typeChar(r);
  return registerTypeKey(key);
}

std::optional<Trap> runGuarded(void (*fn)(void*), void* arg, uint64_t deadlineNs,
                               uint32_t memoryLimitPages) {
  ensureThreadSetUp();
  sigjmp_buf* const outerTarget = gt.target;
  const sig_atomic_t outerInGuest = gt.inGuest;
  const uint64_t outerDeadline = gt.deadlineNs;
  const uint32_t outerLimit = gt.memoryLimitPages;
  uint64_t deadline = deadlineNs;
  if (outerDeadline && (deadline == 0 || outerDeadline < deadline)) deadline = outerDeadline;
  if (!outerTarget) gt.timeoutPending = 0;

  gt.memoryLimitPages = memoryLimitPages;
  gt.deadlineNs = deadline;
  armTimer(deadline);

  sigjmp_buf buf;
  bool trapped = sigsetjmp(buf, 0) != 0;
  if (!trapped) {
    gt.target = &buf;
    gt.inGuest = 1;
    // The deadline may have passed between arming and here, with the expiry
    // seen while inGuest was still 0.
    if (gt.timeoutPending) jumpToTarget(TrapKind::Timeout);
    fn(arg);
    gt.inGuest = 0;
  }

  std::optional<Trap> result;
  if (trapped) {
    Trap t;
    t.kind = static_cast<TrapKind>(gt.trapKind);
    if (gt.hasPending) {
      t.message = std::move(gres.pendingMessage);
      t.exitCode = gt.exitCode;
      gt.hasPending = 0;
    }
    result = std::move(t);
  }
  gt.target = outerTarget;
  gt.inGuest = outerInGuest;
  gt.deadlineNs = outerDeadline;
  gt.memoryLimitPages = outerLimit;
  armTimer(outerDeadline);
  return result;
}

void hostEnter() {
  gt.inGuest = 0;
  char probe;
  if (gt.stackLow && reinterpret_cast<uintptr_t>(&probe) < gt.stackLow + kHostStackReserve)
    jumpToTarget(TrapKind::StackExhausted);
}

void hostLeave() {
  if (gt.hasPending) jumpToTarget(static_cast<TrapKind>(gt.trapKind));
  if (gt.deadlineNs && (gt.timeoutPending || monotonicNowNs() >= gt.deadlineNs))
    jumpToTarget(TrapKind::Timeout);
  gt.inGuest = 1;
  // An expiry delivered between the check above and inGuest = 1 only set the flag.
  if (gt.timeoutPending) jumpToTarget(TrapKind::Timeout);
}

void setPendingTrap(TrapKind kind, std::string message, int exitCode) {
  gres.pendingMessage = std::move(message);
  gt.exitCode = exitCode;
  gt.trapKind = static_cast<sig_atomic_t>(kind);
  gt.hasPending = 1;
}

bool deadlinePassed() {
  return gt.deadlineNs && monotonicNowNs() >= gt.deadlineNs;
}

uint64_t currentDeadlineNs() {
  return gt.deadlineNs;
}

void raiseTrap(TrapKind kind) {
  jumpToTarget(kind);
}

const char* trapKindName(TrapKind kind) {
  switch (kind) {
    case TrapKind::OutOfBounds:
      return "out of bounds memory or table access";
    case TrapKind::IntegerOverflow:
      return "integer overflow";
    case TrapKind::DivideByZero:
      return "integer divide by zero";
    case TrapKind::InvalidConversion:
      return "invalid conversion to integer";
    case TrapKind::Unreachable:
      return "unreachable executed";
    case TrapKind::UndefinedElement:
      return "undefined table element";
    case TrapKind::UninitializedElement:
      return "uninitialized table element";
    case TrapKind::IndirectCallTypeMismatch:
      return "indirect call type mismatch";
    case TrapKind::StackExhausted:
      return "call stack exhausted";
    case TrapKind::Timeout:
      return "timeout";
    case TrapKind::MemoryLimit:
      return "memory limit exceeded";
    case TrapKind::Exit:
      return "exit";
    case TrapKind::Host:
      return "host error";
    case TrapKind::BadCall:
      return "invalid call";
    case TrapKind::UncaughtException:
      return "uncaught exception";
  }
  return "unknown trap";
}

std::string Trap::describe() const {
  std::string s = trapKindName(kind);
  if (kind == TrapKind::Exit) s += " " + std::to_string(exitCode);
  if (!message.empty()) s += ": " + message;
  return s;
}

namespace {

void failAllocation(const char* what) {
  // Inside a guest call this becomes a MemoryLimit trap with an explanation.
  if (gt.target) {
    gres.pendingMessage = what;
    gt.exitCode = 0;
    gt.trapKind = static_cast<sig_atomic_t>(TrapKind::MemoryLimit);
    gt.hasPending = 1;
    jumpToTarget(TrapKind::MemoryLimit);
  }
  std::fprintf(stderr, "nearfaas: %s outside of a guest call\n", what);
  std::abort();
}

}  // namespace

bool allocateMemory(wasm_rt_memory_t* mem, uint32_t initialPages, uint32_t maxPages,
                    uint32_t limitPages) {
  uint32_t max = std::min({maxPages, limitPages, kMaxMemoryPages});
  *mem = wasm_rt_memory_t{};
  if (initialPages > max) return false;
  void* base = mmap(nullptr, kMemoryReservationBytes, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return false;
  uint64_t bytes = uint64_t{initialPages} * kWasmPageSize;
  if (bytes && mprotect(base, bytes, PROT_READ | PROT_WRITE) != 0) {
    munmap(base, kMemoryReservationBytes);
    return false;
  }
  auto b = reinterpret_cast<uintptr_t>(base);
  if (!registerReservation(b, b + kMemoryReservationBytes)) {
    munmap(base, kMemoryReservationBytes);
    return false;
  }
  mem->data = static_cast<uint8_t*>(base);
  mem->pages = initialPages;
  mem->max_pages = max;
  mem->size = static_cast<uint32_t>(bytes);
  return true;
}

bool mapSnapshotMemory(wasm_rt_memory_t* mem, int fd, uint32_t pages, uint32_t maxPages,
                       uint32_t limitPages) {
  if (!allocateMemory(mem, 0, maxPages, limitPages)) return false;
  if (pages > mem->max_pages) {
    freeMemory(mem);
    return false;
  }
  uint64_t bytes = uint64_t{pages} * kWasmPageSize;
  if (bytes && mmap(mem->data, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) ==
                   MAP_FAILED) {
    freeMemory(mem);
    return false;
  }
  mem->pages = pages;
  mem->size = static_cast<uint32_t>(bytes);
  return true;
}

bool resetSnapshotMemory(wasm_rt_memory_t* mem, int fd, uint32_t pages) {
  uint64_t bytes = uint64_t{pages} * kWasmPageSize;
  uint64_t current = uint64_t{mem->pages} * kWasmPageSize;
  if (current > bytes && mmap(mem->data + bytes, current - bytes, PROT_NONE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
                              0) == MAP_FAILED)
    return false;
  // [0, bytes) is still the private mapping of the image that
  // mapSnapshotMemory made: nothing is ever mapped below the image's end
  // (memory only grows past it, and state is mapped past the current end).
  // Discarding its pages drops every private copy; the pages read the image
  // again on their next access. Unlike mapping the image again, this keeps the
  // page tables and takes the address space lock only for reading, so a reset
  // costs in proportion to the pages the call touched and resets on several
  // threads do not serialise. Mapping the image again is the fallback.
  if (bytes && madvise(mem->data, bytes, MADV_DONTNEED) != 0 &&
      mmap(mem->data, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED)
    return false;
  mem->pages = pages;
  mem->size = static_cast<uint32_t>(bytes);
  return true;
}

void freeMemory(wasm_rt_memory_t* mem) {
  if (!mem->data) return;
  unregisterReservation(reinterpret_cast<uintptr_t>(mem->data));
  munmap(mem->data, kMemoryReservationBytes);
  mem->data = nullptr;
  mem->pages = mem->size = 0;
}

}  // namespace nearfaas::wasm

// ---- wasm-rt.h, called by generated code --------------------------------------

using nearfaas::wasm::TrapKind;
namespace nw = nearfaas::wasm;

namespace nearfaas::wasm {
namespace {
template <typename Table, typename Elem>
void allocateTable(Table* table, uint32_t elements, uint32_t max) {
  *table = Table{};
  if (elements > kMaxTableElements) failAllocation("table larger than the runtime's limit");
  table->data = static_cast<Elem*>(std::calloc(std::max<uint32_t>(elements, 1), sizeof(Elem)));
  if (!table->data) failAllocation("cannot allocate table");
  table->size = elements;
  table->max_size = std::min(max, kMaxTableElements);
}

template <typename Table, typename Elem>
uint32_t growTable(Table* table, uint32_t delta, Elem init) {
  uint32_t old = table->size;
  uint64_t size = uint64_t{old} + delta;
  if (size > table->max_size) return UINT32_MAX;
  if (delta == 0) return old;
  auto* data = static_cast<Elem*>(std::realloc(table->data, size * sizeof(Elem)));
  if (!data) return UINT32_MAX;
  for (uint64_t i = old; i < size; ++i)
    data[i] = init;
  table->data = data;
  table->size = static_cast<uint32_t>(size);
  return old;
}
}  // namespace
}  // namespace nearfaas::wasm

extern "C" {

void wasm_rt_init(void) {
  nw::initRuntime();
}
bool wasm_rt_is_initialized(void) {
  return nw::gInitialized.load();
}
void wasm_rt_free(void) {}

void wasm_rt_trap(wasm_rt_trap_t code) {
  TrapKind kind = TrapKind::Unreachable;
  switch (code) {
    case WASM_RT_TRAP_OOB:
      kind = TrapKind::OutOfBounds;
      break;
    case WASM_RT_TRAP_INT_OVERFLOW:
      kind = TrapKind::IntegerOverflow;
      break;
    case WASM_RT_TRAP_DIV_BY_ZERO:
      kind = TrapKind::DivideByZero;
      break;
    case WASM_RT_TRAP_INVALID_CONVERSION:
      kind = TrapKind::InvalidConversion;
      break;
    case WASM_RT_TRAP_UNREACHABLE:
      kind = TrapKind::Unreachable;
      break;
    case WASM_RT_TRAP_CALL_INDIRECT:
      kind = TrapKind::IndirectCallTypeMismatch;
      break;
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION:
      kind = TrapKind::UncaughtException;
      break;
    case WASM_RT_TRAP_EXHAUSTION:
      kind = TrapKind::StackExhausted;
      break;
    default:
      break;
  }
  nw::jumpToTarget(kind);
}

// Replaces wasm2c's single CALL_INDIRECT trap (see codegen.cpp).
void nf_trap_call_indirect(int has_func, int in_bounds) {
  nw::jumpToTarget(!in_bounds  ? TrapKind::UndefinedElement
                   : !has_func ? TrapKind::UninitializedElement
                               : TrapKind::IndirectCallTypeMismatch);
}

const char* wasm_rt_strerror(wasm_rt_trap_t trap) {
  switch (trap) {
    case WASM_RT_TRAP_NONE:
      return "No error";
    case WASM_RT_TRAP_OOB:
      return "Out-of-bounds access in linear memory or a table";
    case WASM_RT_TRAP_INT_OVERFLOW:
      return "Integer overflow on divide or truncation";
    case WASM_RT_TRAP_DIV_BY_ZERO:
      return "Integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION:
      return "Conversion from NaN to integer";
    case WASM_RT_TRAP_UNREACHABLE:
      return "Unreachable instruction executed";
    case WASM_RT_TRAP_CALL_INDIRECT:
      return "Invalid call_indirect";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION:
      return "Uncaught exception";
    case WASM_RT_TRAP_EXHAUSTION:
      return "Call stack exhausted";
  }
  return "invalid trap code";
}

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  nw::FuncType type;
  va_list ap;
  va_start(ap, results);
  for (uint32_t i = 0; i < params; ++i)
    type.params.push_back(nw::fromRtType(va_arg(ap, int)));
  for (uint32_t i = 0; i < results; ++i)
    type.results.push_back(nw::fromRtType(va_arg(ap, int)));
  va_end(ap);
  return nw::registerFuncType(type);
}

// Exception handling is not enabled (the validator rejects it); these exist so
// the ABI is complete.
uint32_t wasm_rt_register_tag(uint32_t) {
  static std::atomic<uint32_t> next{1};
  return next++;
}
void wasm_rt_load_exception(uint32_t, uint32_t, const void*) {}
void wasm_rt_throw(void) {
  nw::jumpToTarget(TrapKind::UncaughtException);
}
WASM_RT_UNWIND_TARGET* wasm_rt_get_unwind_target(void) {
  return nw::gt.unwindTarget;
}
void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET* target) {
  nw::gt.unwindTarget = target;
}
uint32_t wasm_rt_exception_tag(void) {
  return 0;
}
uint32_t wasm_rt_exception_size(void) {
  return 0;
}
void* wasm_rt_exception(void) {
  return nullptr;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t* mem, uint32_t initial_pages, uint32_t max_pages) {
  if (!nw::allocateMemory(mem, initial_pages, max_pages, nw::gt.memoryLimitPages))
    nw::failAllocation("cannot allocate the module's linear memory within the instance's limit");
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* mem, uint32_t delta) {
  uint32_t old = mem->pages;
  if (delta == 0) return old;
  uint64_t pages = uint64_t{old} + delta;
  if (pages > mem->max_pages) return UINT32_MAX;
  if (mprotect(mem->data + uint64_t{old} * nw::kWasmPageSize, uint64_t{delta} * nw::kWasmPageSize,
               PROT_READ | PROT_WRITE) != 0)
    return UINT32_MAX;
  mem->pages = static_cast<uint32_t>(pages);
  mem->size = static_cast<uint32_t>(pages * nw::kWasmPageSize);
  return old;
}

void wasm_rt_free_memory(wasm_rt_memory_t* mem) {
  nw::freeMemory(mem);
}

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t* table, uint32_t elements,
                                    uint32_t max_elements) {
  nw::allocateTable<wasm_rt_funcref_table_t, wasm_rt_funcref_t>(table, elements, max_elements);
}
void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t* table) {
  std::free(table->data);
  table->data = nullptr;
  table->size = 0;
}
void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t* table, uint32_t elements,
                                      uint32_t max_elements) {
  nw::allocateTable<wasm_rt_externref_table_t, wasm_rt_externref_t>(table, elements, max_elements);
}
void wasm_rt_free_externref_table(wasm_rt_externref_table_t* table) {
  std::free(table->data);
  table->data = nullptr;
  table->size = 0;
}
uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t* table, uint32_t delta,
                                    wasm_rt_funcref_t init) {
  return nw::growTable(table, delta, init);
}
uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t* table, uint32_t delta,
                                      wasm_rt_externref_t init) {
  return nw::growTable(table, delta, init);
}

}  // extern "C"
