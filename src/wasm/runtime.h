// The runtime side of wasm-rt.h, written for many Faaslets running as threads
// of one process:
//  - traps unwind to a per-thread target (sigsetjmp/siglongjmp), never a
//    process-wide one; a thread that trapped can run the next instance;
//  - linear memories are reserved with guard pages, so generated code does no
//    bounds checks and out-of-bounds accesses fault and become traps;
//  - stack exhaustion faults on the thread's guard page and is handled on an
//    alternate signal stack;
//  - a per-call deadline is enforced with a per-thread POSIX timer whose
//    signal unwinds the guest, unless it is inside a host function, in which
//    case the trap is raised when the host function returns.
// Generated code and this file meet only through the wasm_rt_* functions and
// nf_trap_call_indirect; everything else here is for the engine and host.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <wasm-rt.h>

#include "wasm/trap.h"
#include "wasm/types.h"

namespace nearfaas::wasm {

// Installs signal handlers. Idempotent and thread-safe; called by Engine.
void initRuntime();

// Process-wide id of a function type, the same for equal types in any module.
uint32_t registerFuncType(const FuncType& type);

// Runs fn(arg) as guest code on the calling thread. Returns the trap if the
// guest trapped (or exited, or ran past `deadlineNs`), nullopt if it returned.
// `deadlineNs` is an absolute CLOCK_MONOTONIC time, 0 for none; a nested call
// (from a host function) never extends the outer call's deadline.
// `memoryLimitPages` caps memories the guest allocates (instantiation).
std::optional<Trap> runGuarded(void (*fn)(void*), void* arg, uint64_t deadlineNs,
                               uint32_t memoryLimitPages);

uint64_t monotonicNowNs();

// Host-function protocol, used by the host call wrappers (host_function.h):
// hostEnter() when control passes from guest to host code, hostLeave() when it
// returns. hostLeave() raises a trap recorded by setPendingTrap() or a
// deadline that passed meanwhile. Both may unwind the guest (siglongjmp), so
// no object with a non-trivial destructor may be alive in their caller.
void hostEnter();
void hostLeave();
void setPendingTrap(TrapKind kind, std::string message, int exitCode = 0);

// True if the calling thread is inside runGuarded() and the deadline passed:
// for host functions that wait, so they can give up.
bool deadlinePassed();
// The calling thread's deadline inside runGuarded() (absolute
// CLOCK_MONOTONIC ns; the earliest of nested calls'), 0 for none: for host
// functions that wait, so they can wait no longer.
uint64_t currentDeadlineNs();

// Linear memories: a reservation of kMemoryReservationBytes whose first
// `initialPages` pages are accessible. The effective maximum is the smallest of
// `maxPages`, `limitPages` and kMaxMemoryPages. Returns false (and leaves *mem
// empty) if initialPages exceeds it or the address space is exhausted.
bool allocateMemory(wasm_rt_memory_t* mem, uint32_t initialPages, uint32_t maxPages,
                    uint32_t limitPages);
void freeMemory(wasm_rt_memory_t* mem);

// Snapshot memories: a reservation like allocateMemory's whose first `pages`
// pages map `fd` (a memfd holding a memory image) privately, so pages are
// shared with the image until written (copy-on-write).
bool mapSnapshotMemory(wasm_rt_memory_t* mem, int fd, uint32_t pages, uint32_t maxPages,
                       uint32_t limitPages);
// Returns a memory made by mapSnapshotMemory to exactly the image: written
// pages are dropped, pages beyond the image become inaccessible again (and
// anything mapped there, such as shared state, is unmapped).
bool resetSnapshotMemory(wasm_rt_memory_t* mem, int fd, uint32_t pages);

// Raises a trap directly from generated code or the runtime (not from host
// functions: use setPendingTrap).
[[noreturn]] void raiseTrap(TrapKind kind);

}  // namespace nearfaas::wasm
