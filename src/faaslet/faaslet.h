// Faaslets: isolated instances of one function, restored copy-on-write from
// the function's Proto-Faaslet, each with its own host context.
//
// A ProtoFaaslet instantiates the module once, runs its initialisation
// (constructors, unless the module's `_start` runs them itself, then the
// optional `_faasm_zygote`) and snapshots the result. Initialisation never
// sees the process's own stdio: its stdout and stderr are captured (bounded
// as a call's) and dropped, except for the start of stderr in the error when
// it fails; its stdin is at end-of-file. Every Faaslet of that
// function is restored from the snapshot and never initialised again. After
// each call a Faaslet is reset to the snapshot, so no call sees what an
// earlier one left in memory, globals or tables.
//
// A Faaslet is used by one thread at a time; a ProtoFaaslet is immutable and
// shared. Faaslets keep their ProtoFaaslet alive.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "host/call_context.h"
#include "wasm/engine.h"
#include "wasm/host_registry.h"
#include "wasm/snapshot.h"

namespace nearfaas::faaslet {

struct FaasletSettings {
  uint32_t maxMemoryPages = wasm::kDefaultMaxMemoryPages;  // per Faaslet
  std::chrono::milliseconds initTimeout{30'000};           // constructors + zygote
  bool captureStdio = true;  // guest stdout/stderr into the outcome, not the process's
  // Captured stdout and stderr kept per call, each; the rest is dropped and
  // the outcome says how much ("[output truncated: N bytes dropped]").
  size_t maxStdioBytes = host::CapturedStream::kDefaultLimit;
  host::FileViewLimits files;  // each Faaslet's scratch files
};

// Linear memory pages (4 KiB) that differ from the snapshot, and every mutable
// global: enough to make another Faaslet of the same function continue where
// this one is.
struct MemoryDelta {
  static constexpr uint32_t kPageBytes = 4096;
  uint32_t memoryBytes = 0;          // size of the memory
  std::vector<uint32_t> pages;       // page numbers, ascending
  Bytes data;                        // pages.size() * kPageBytes bytes
  std::vector<wasm::Value> globals;  // mutable globals in index order
};

class Faaslet;

class ProtoFaaslet : public std::enable_shared_from_this<ProtoFaaslet> {
 public:
  static Result<std::shared_ptr<ProtoFaaslet>> create(wasm::ModuleHandle module,
                                                      const wasm::HostRegistry& host,
                                                      const FaasletSettings& settings = {});

  Result<std::unique_ptr<Faaslet>> newFaaslet() const;

  const wasm::InstanceSnapshot& snapshot() const { return *snapshot_; }
  const FaasletSettings& settings() const { return settings_; }
  // SHA-256 of the function's wasm.
  const std::string& codeHash() const { return snapshot_->module()->hash(); }

 private:
  ProtoFaaslet() = default;
  std::shared_ptr<const wasm::InstanceSnapshot> snapshot_;
  FaasletSettings settings_;
};

class Faaslet {
 public:
  ~Faaslet();
  Faaslet(const Faaslet&) = delete;
  Faaslet& operator=(const Faaslet&) = delete;

  // Runs one call to completion and resets. A trap, timeout or exit is an
  // outcome, not an error; an error means the Faaslet itself broke (it could
  // not be reset) and must be dropped.
  Result<host::CallOutcome> run(uint64_t callId, const host::CallRequest& request,
                                host::CallServices* services, std::chrono::milliseconds timeout);

  // A call that continues another Faaslet's work (NDP on the storage side):
  // `startFrom` is applied before the call, and what the call changed after
  // it is returned as a delta (takeDelta(startFrom)) before the reset.
  struct Continuation {
    const MemoryDelta* startFrom = nullptr;
    MemoryDelta* deltaOut = nullptr;
  };
  Result<host::CallOutcome> run(uint64_t callId, const host::CallRequest& request,
                                host::CallServices* services, std::chrono::milliseconds timeout,
                                const Continuation& continuation);

  // Pages written since the last reset (excluding NDP object buffers and
  // state mappings) and the mutable globals. With `since` (a delta this
  // Faaslet applied), pages that still hold exactly what `since` brought are
  // left out: the delta then carries only what changed after it was applied,
  // and applying `since` and then it gives the same memory. A written page
  // that `since` did not bring and that holds exactly its snapshot contents
  // again (e.g. a buffer zeroed before it was freed) is left out too: the
  // other side restores the same snapshot.
  Result<MemoryDelta> takeDelta(const MemoryDelta* since = nullptr);
  // Makes this Faaslet's memory and globals those of the delta's source.
  Result<void> applyDelta(const MemoryDelta& delta);

  const ProtoFaaslet& proto() const { return *proto_; }
  wasm::Instance& instance() { return *instance_; }
  host::CallContext& context() { return context_; }
  // Back to the snapshot (run() does this after every call).
  Result<void> reset();

 private:
  friend class ProtoFaaslet;
  Faaslet() = default;
  host::CallOutcome execute(const host::CallRequest& request, std::chrono::milliseconds timeout);

  std::shared_ptr<const ProtoFaaslet> proto_;
  host::CallContext context_;
  wasm::InstanceHandle instance_;
};

}  // namespace nearfaas::faaslet
