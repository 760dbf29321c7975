// Chaining: calls of another function (by name) or of this function's own
// code at a table index (by pointer), and awaiting their results.
//
// The number faasmChain* returns to the guest is a handle the running call's
// services give out (1, 2, ... in chaining order), not a call id: a guest can
// await only the calls it chained itself, and only until its deadline.
//
// Two imports of NearFaaS's own serve the SDK's upstream-Faasm API generation,
// whose C functions kept the fork's import names but changed what they pass
// (see sdk/README.md): __nearfaas_chain_name_cmdline (a named call with a
// command line of its own) and __nearfaas_await_call_output_size (the length
// libfaasm allocates for faasmAwaitCallOutput(id, char**, int*)).
#include <algorithm>

#include "host/faasm.h"
#include "host/guest_memory.h"

namespace nearfaas::host {

using wasm::HostTrap;
using wasm::Instance;
using wasm::TrapKind;

namespace {

// Chained calls inherit the caller's user, command line and forbid_ndp.
CallRequest chainedRequest(Instance& inst, uint32_t inputPtr, uint32_t inputLen, const char* what) {
  CallContext& ctx = callContext(inst);
  if (!ctx.services) throw HostTrap(TrapKind::Host, "chaining is not available here");
  // Checked before anything is copied.
  if (inputLen > ctx.services->maxChainedInputBytes())
    throw HostTrap(TrapKind::Host, std::string(what) + ": chained call failed: input of " +
                                       std::to_string(inputLen) + " bytes, over the limit of " +
                                       std::to_string(ctx.services->maxChainedInputBytes()) +
                                       " bytes");
  auto input = guestBytes(inst, inputPtr, inputLen, what);
  CallRequest r;
  r.user = ctx.request->user;
  r.function = ctx.request->function;
  r.input.assign(input.begin(), input.end());
  r.cmdline = ctx.request->cmdline;
  r.forbidNdp = ctx.request->forbidNdp;
  r.timeout = ctx.request->timeout;  // a chained call gets the limits of its caller
  r.maxMemoryPages = ctx.request->maxMemoryPages;
  return r;
}

// Chaining beyond a bound of the node traps the caller, as a failed chain
// does in Faasm (an exception there).
uint32_t submit(CallContext& ctx, CallRequest request, const char* what) {
  auto handle = ctx.services->chain(std::move(request));
  if (!handle)
    throw HostTrap(TrapKind::Host,
                   std::string(what) + ": chained call failed: " + handle.error().message);
  return *handle;
}

uint32_t chainName(Instance& inst, uint32_t namePtr, uint32_t inputPtr, uint32_t inputLen) {
  std::string name = guestString(inst, namePtr, "__faasm_chain_name");
  CallRequest r = chainedRequest(inst, inputPtr, inputLen, "__faasm_chain_name");
  r.function = std::move(name);
  return submit(callContext(inst), std::move(r), "__faasm_chain_name");
}

// Upstream Faasm's faasmChainNamed(name, cmdline, input, len): as
// __faasm_chain_name, with the callee's extra argv taken from `cmdline`
// (split at spaces, empty words dropped, as the HTTP API splits it) instead
// of inherited from the caller.
uint32_t chainNameCmdline(Instance& inst, uint32_t namePtr, uint32_t cmdlinePtr, uint32_t inputPtr,
                          uint32_t inputLen) {
  const char* what = "__nearfaas_chain_name_cmdline";
  std::string name = guestString(inst, namePtr, what);
  std::string cmdline = guestString(inst, cmdlinePtr, what);
  CallRequest r = chainedRequest(inst, inputPtr, inputLen, what);
  r.function = std::move(name);
  r.cmdline.clear();
  for (size_t start = 0; start < cmdline.size();) {
    size_t space = cmdline.find(' ', start);
    if (space == std::string::npos) space = cmdline.size();
    if (space > start) r.cmdline.push_back(cmdline.substr(start, space - start));
    start = space + 1;
  }
  return submit(callContext(inst), std::move(r), what);
}

uint32_t chainPtr(Instance& inst, uint32_t funcPtr, uint32_t inputPtr, uint32_t inputLen) {
  if (funcPtr == 0) throw HostTrap(TrapKind::Host, "__faasm_chain_ptr: null function pointer");
  CallRequest r = chainedRequest(inst, inputPtr, inputLen, "__faasm_chain_ptr");
  r.funcPtr = static_cast<int32_t>(funcPtr);
  return submit(callContext(inst), std::move(r), "__faasm_chain_ptr");
}

uint32_t chainPy(Instance&, uint32_t, uint32_t, uint32_t) {
  throw HostTrap(TrapKind::Host, "Python functions are not supported by NearFaaS");
}

// A failed await (not a call this call chained, or still running at the
// caller's deadline) gives 1, as in Faasm, and says why on the call's stderr.
// A callee that failed gives its return value (1 for a trap).
Result<CallOutcome> awaitOutcome(Instance& inst, uint32_t handle, const char* what) {
  CallContext& ctx = callContext(inst);
  auto r = ctx.services ? ctx.services->await(handle)
                        : Result<CallOutcome>(fail("chaining is not available here"));
  if (!r)
    ctx.writeStdio(
        2, std::string(what) + "(" + std::to_string(handle) + "): " + r.error().message + "\n");
  return r;
}

uint32_t awaitCall(Instance& inst, uint32_t handle) {
  auto r = awaitOutcome(inst, handle, "__faasm_await_call");
  return r ? static_cast<uint32_t>(r->returnValue) : 1;
}

uint32_t awaitCallOutput(Instance& inst, uint32_t handle, uint32_t buffer, uint32_t bufferLen) {
  uint8_t* dst = guestRange(inst, buffer, bufferLen, "__faasm_await_call_output");
  auto r = awaitOutcome(inst, handle, "__faasm_await_call_output");
  if (!r) return 1;
  size_t n = std::min<size_t>(r->output.size(), bufferLen);
  // The wait may have let memory grow (never move): dst stays valid.
  if (n) std::memcpy(dst, r->output.data(), n);
  return static_cast<uint32_t>(r->returnValue);
}

// Waits for the call like __faasm_await_call and gives the length of its
// output, or -1 if the await failed (the reason is on stderr). Awaiting again
// returns the same outcome, so libfaasm then copies the output with
// __faasm_await_call_output into a buffer of this length.
int32_t awaitCallOutputSize(Instance& inst, uint32_t handle) {
  auto r = awaitOutcome(inst, handle, "__nearfaas_await_call_output_size");
  if (!r) return -1;
  // Outputs are far below 2 GiB (call limits); clamp rather than wrap.
  return static_cast<int32_t>(std::min<size_t>(r->output.size(), INT32_MAX));
}

}  // namespace

void registerFaasmChaining(wasm::HostRegistry& r) {
  const std::string m = kFaasmModule;
  r.add<&chainName>(m, "__faasm_chain_name");
  r.add<&chainPtr>(m, "__faasm_chain_ptr");
  r.add<&chainPy>(m, "__faasm_chain_py");
  r.add<&awaitCall>(m, "__faasm_await_call");
  r.add<&awaitCallOutput>(m, "__faasm_await_call_output");
  r.add<&chainNameCmdline>(m, "__nearfaas_chain_name_cmdline");
  r.add<&awaitCallOutputSize>(m, "__nearfaas_await_call_output_size");
}

}  // namespace nearfaas::host
