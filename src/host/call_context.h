// The host context of a Faaslet while it runs a call: what the Faasm host
// functions read and write (input, output, captured stdio, state mappings,
// NDP regions) and the services they reach above the host layer (chaining,
// state, objects), which the scheduler provides.
//
// Every Faaslet's Instance::hostContext() points to its CallContext; WASI
// finds its part as the first base.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "host/file_view.h"
#include "host/wasi.h"

namespace nearfaas::state {
class GlobalStateTier;
class StateStore;
class StateValue;
}  // namespace nearfaas::state
namespace nearfaas::storage {
class ObjectStore;
}

namespace nearfaas::host {

class LocalSharedFiles;

// The environment Faasm gives every function ("KEY=VALUE", sorted): one
// thread for the numeric libraries, and its Python runtime's settings.
const std::vector<std::string>& faasmEnvironment();

// One invocation. `funcPtr` 0 runs `_start`; otherwise it is the table index
// of the function to call (chained by pointer, NDP).
struct CallRequest {
  std::string user;
  std::string function;
  Bytes input;
  int32_t funcPtr = 0;
  std::vector<int32_t> extraArgs;    // i32 arguments for funcPtr calls
  std::vector<std::string> cmdline;  // extra argv
  bool forbidNdp = false;
  // Limits of this call within the node's: 0 = the node's (scheduler
  // callTimeout, Faaslet maxMemoryPages); larger values are capped to them.
  std::chrono::milliseconds timeout{0};
  uint32_t maxMemoryPages = 0;
};

struct CallOutcome {
  int32_t returnValue = 0;
  Bytes output;
  bool outputSet = false;              // the guest called faasmSetOutput (output may be empty)
  std::string stdoutText, stderrText;  // captured guest stdio
  std::string error;  // set when the call failed without returning (trap, timeout, ...)
};

// What host functions need from the layers above the host.
class CallServices {
 public:
  virtual ~CallServices() = default;
  // Queues `request` as a call chained from the running call; its handle,
  // which names it for await() within the running call only (the guest
  // never sees call ids).
  virtual Result<uint32_t> chain(CallRequest request) = 0;
  // Waits for a call chained by this call, at most until the running call's
  // deadline; fails at once if the handle is not one of them.
  virtual Result<CallOutcome> await(uint32_t handle) = 0;
  // The largest input of one chained call (checked before it is copied).
  virtual size_t maxChainedInputBytes() const { return SIZE_MAX; }
  virtual state::StateStore& state() = 0;
  virtual storage::ObjectStore& objects() = 0;
  // The node's local copies of shared files (changes to /shared and
  // faasm:// paths); null: shared files are read-only for this call.
  virtual LocalSharedFiles* localSharedFiles() { return nullptr; }

  // A storage call, __faasmndp_storageCallAndAwait*(key, fn, args), of the
  // running call (which does not forbid NDP).
  struct StorageCall {
    std::string_view key;
    int32_t funcPtr = 0;
    std::span<const int32_t> args;
  };
  // Runs it near its object: fn's return value, with the calling Faaslet's
  // memory, globals, output and stdio already as if fn had run here. nullopt:
  // run it here (no offloading configured, not worth it, or the storage side
  // refused or failed; nothing of the caller has changed then).
  virtual std::optional<int32_t> offloadStorageCall(const StorageCall&) { return std::nullopt; }
};

// One captured stdio stream of a call: at most `limit` bytes are kept; what
// comes beyond is counted and dropped, and take() ends the text with one
// marker saying how much was dropped.
class CapturedStream {
 public:
  static constexpr size_t kDefaultLimit = 1 << 20;
  void append(std::string_view bytes);
  // The text (with the marker if anything was dropped); empties the stream.
  std::string take();
  void clear();
  void setLimit(size_t limit) { limit_ = limit; }
  uint64_t dropped() const { return dropped_; }

 private:
  std::string text_;
  uint64_t dropped_ = 0;
  size_t limit_ = kDefaultLimit;
};

// "\n[output truncated: N bytes dropped]\n", what ends a truncated stream.
std::string truncationMarker(uint64_t droppedBytes);

struct CallContext : WasiContext {
  CallContext() {
    WasiContext::files = &fileView;
    WasiContext::env = faasmEnvironment();
  }
  CallContext(const CallContext&) = delete;
  CallContext& operator=(const CallContext&) = delete;

  uint64_t callId = 0;
  const CallRequest* request = nullptr;
  CallServices* services = nullptr;

  Bytes outputData;  // what faasmSetOutput wrote (last write wins)
  bool outputSet = false;
  // The guest's stdout and stderr, when its Faaslet captures them.
  CapturedStream capturedStdout, capturedStderr;
  // Makes fd 1 and 2 append to the captured streams (each bounded by
  // `limit` bytes per call) and fd 0 read end-of-file.
  void captureStdio(size_t limit);

  // The guest's files (WasiContext::files points here); its scratch tree and
  // descriptors are per call, cleared on reset.
  FileView fileView;

  // Per call, cleared on reset (the memory they refer to is reset too).
  std::map<std::string, uint32_t> stateMappings;          // state key -> guest address
  std::vector<std::pair<uint32_t, uint32_t>> ndpRegions;  // getMmap buffers: offset, length
  // Guest-held state locks, released when the call ends.
  std::vector<std::pair<std::shared_ptr<state::StateValue>, bool /*exclusive*/>> heldLocks;
  // Guest-held global write locks (faasmLockStateGlobal...), released when
  // the call ends: in the global tier (token) or, on a single host, the
  // value's host-wide global lock.
  struct GlobalLock {
    state::GlobalStateTier* tier = nullptr;
    std::shared_ptr<state::StateValue> local;
    std::string user, key, token;
  };
  std::vector<GlobalLock> heldGlobalLocks;

  // Host-side messages for the guest's stdout (1) or stderr (2).
  void writeStdio(int fd, std::string_view text) {
    if (WasiContext::output) WasiContext::output(fd, text);
  }

  // Ready for the next call: forgets everything of the previous one.
  void clearCall();
};

}  // namespace nearfaas::host
