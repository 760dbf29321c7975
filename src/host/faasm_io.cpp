// Input, output and configuration flags of the Faasm host interface.
#include <algorithm>

#include "host/faasm.h"
#include "host/guest_memory.h"

namespace nearfaas::host {

using wasm::HostTrap;
using wasm::Instance;
using wasm::TrapKind;

CallContext& callContext(Instance& inst) {
  auto* ctx = static_cast<CallContext*>(static_cast<WasiContext*>(inst.hostContext()));
  if (!ctx || !ctx->request)
    throw HostTrap(TrapKind::Host, "Faasm host function called outside of a call");
  return *ctx;
}

namespace {

// With bufferLen 0: the input size. Otherwise copies min(input, bufferLen)
// bytes and returns how many.
uint32_t readInput(Instance& inst, uint32_t buffer, uint32_t bufferLen) {
  const Bytes& input = callContext(inst).request->input;
  if (bufferLen == 0) return static_cast<uint32_t>(input.size());
  size_t n = std::min<size_t>(input.size(), bufferLen);
  if (n) std::memcpy(guestRange(inst, buffer, n, "__faasm_read_input"), input.data(), n);
  return static_cast<uint32_t>(n);
}

void writeOutput(Instance& inst, uint32_t ptr, uint32_t len) {
  auto bytes = guestBytes(inst, ptr, len, "__faasm_write_output");
  CallContext& ctx = callContext(inst);
  ctx.outputData.assign(bytes.begin(), bytes.end());
  ctx.outputSet = true;
}

uint32_t confFlag(Instance& inst, uint32_t keyPtr) {
  std::string key = guestString(inst, keyPtr, "__faasm_conf_flag");
  return key == "ALWAYS_ON" ? 1 : 0;
}

void backtrace(Instance& inst, uint32_t) {
  CallContext& ctx = callContext(inst);
  ctx.writeStdio(1, "backtrace: not available in NearFaaS\n");
}

void unsupportedPython(Instance&, uint32_t, uint32_t) {
  throw HostTrap(TrapKind::Host, "Python functions are not supported by NearFaaS");
}

// Shared-memory markup of Faasm's OpenMP support: with one thread per
// Faaslet there is nothing to reduce or to serialise.
void smReduce(Instance& inst, uint32_t, uint32_t, uint32_t, uint32_t) {
  callContext(inst);
}
void smCritical(Instance& inst) {
  callContext(inst);
}
void migratePoint(Instance& inst, uint32_t, uint32_t) {
  callContext(inst);
}

}  // namespace

void registerFaasmIo(wasm::HostRegistry& r) {
  const std::string m = kFaasmModule;
  r.add<&readInput>(m, "__faasm_read_input");
  r.add<&writeOutput>(m, "__faasm_write_output");
  r.add<&confFlag>(m, "__faasm_conf_flag");
  r.add<&backtrace>(m, "__faasm_backtrace");
  r.add<&unsupportedPython>(m, "__faasm_get_py_user");
  r.add<&unsupportedPython>(m, "__faasm_get_py_func");
  r.add<&unsupportedPython>(m, "__faasm_get_py_entry");
  r.add<&smReduce>(m, "__faasm_sm_reduce");
  r.add<&smCritical>(m, "__faasm_sm_critical_local");
  r.add<&smCritical>(m, "__faasm_sm_critical_local_end");
  r.add<&migratePoint>(m, "__faasm_migrate_point");
}

void registerFaasmHost(wasm::HostRegistry& r) {
  registerWasi(r);
  registerFaasmIo(r);
  registerFaasmChaining(r);
  registerFaasmState(r);
  registerFaasmNdp(r);
  registerFaasmMemory(r);
}

}  // namespace nearfaas::host
