// Chaining: calls of another function (by name) or of this function's own
// code at a table index (by pointer), and awaiting their results.
//
// The number faasmChain* returns to the guest is a handle the running call's
// services give out (1, 2, ... in chaining order), not a call id: a guest can
// await only the calls it chained itself, and only until its deadline.
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

}  // namespace

void registerFaasmChaining(wasm::HostRegistry& r) {
  const std::string m = kFaasmModule;
  r.add<&chainName>(m, "__faasm_chain_name");
  r.add<&chainPtr>(m, "__faasm_chain_ptr");
  r.add<&chainPy>(m, "__faasm_chain_py");
  r.add<&awaitCall>(m, "__faasm_await_call");
  r.add<&awaitCallOutput>(m, "__faasm_await_call_output");
}

}  // namespace nearfaas::host
