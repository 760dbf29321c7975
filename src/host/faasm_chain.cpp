// Chaining: calls of another function (by name) or of this function's own
// code at a table index (by pointer), and awaiting their results.
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

uint32_t submit(CallContext& ctx, CallRequest request) {
  if (!ctx.services) throw HostTrap(TrapKind::Host, "chaining is not available here");
  auto id = ctx.services->chain(std::move(request));
  if (!id) throw HostTrap(TrapKind::Host, "chained call failed: " + id.error().message);
  return *id;
}

uint32_t chainName(Instance& inst, uint32_t namePtr, uint32_t inputPtr, uint32_t inputLen) {
  std::string name = guestString(inst, namePtr, "__faasm_chain_name");
  CallRequest r = chainedRequest(inst, inputPtr, inputLen, "__faasm_chain_name");
  r.function = std::move(name);
  return submit(callContext(inst), std::move(r));
}

uint32_t chainPtr(Instance& inst, uint32_t funcPtr, uint32_t inputPtr, uint32_t inputLen) {
  if (funcPtr == 0) throw HostTrap(TrapKind::Host, "__faasm_chain_ptr: null function pointer");
  CallRequest r = chainedRequest(inst, inputPtr, inputLen, "__faasm_chain_ptr");
  r.funcPtr = static_cast<int32_t>(funcPtr);
  return submit(callContext(inst), std::move(r));
}

uint32_t chainPy(Instance&, uint32_t, uint32_t, uint32_t) {
  throw HostTrap(TrapKind::Host, "Python functions are not supported by NearFaaS");
}

// A failed await (unknown id, callee trapped) gives 1, as in Faasm.
Result<CallOutcome> awaitOutcome(Instance& inst, uint32_t id) {
  CallContext& ctx = callContext(inst);
  if (!ctx.services) return fail("chaining is not available here");
  return ctx.services->await(id);
}

uint32_t awaitCall(Instance& inst, uint32_t id) {
  auto r = awaitOutcome(inst, id);
  return r ? static_cast<uint32_t>(r->returnValue) : 1;
}

uint32_t awaitCallOutput(Instance& inst, uint32_t id, uint32_t buffer, uint32_t bufferLen) {
  uint8_t* dst = guestRange(inst, buffer, bufferLen, "__faasm_await_call_output");
  auto r = awaitOutcome(inst, id);
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
