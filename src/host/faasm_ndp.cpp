// The NDP host functions: objects of the caller's user in the object store,
// and storage calls, which the services above may run next to the object
// (CallServices::offloadStorageCall; docs/ndp.md) and otherwise run the
// function pointer in the calling Faaslet.
//
// Deliberate difference from Faasm-NDP (docs/faasm-differences.md):
// __faasmndp_getMmap answers NULL, not -1, when the object is missing or the
// store fails, which is what its callers test for.
#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "host/faasm.h"
#include "host/guest_memory.h"
#include "storage/object_store.h"

namespace nearfaas::host {

using wasm::HostTrap;
using wasm::Instance;
using wasm::TrapKind;
using wasm::ValType;

namespace {

// What a storage call returns when the function trapped while running locally
// (Faasm's value).
constexpr int32_t kStorageCallTrapped = -0x12345678;

std::string objectKey(Instance& inst, uint32_t keyPtr, uint32_t keyLen, const char* what) {
  auto bytes = guestBytes(inst, keyPtr, keyLen, what);
  return std::string(bytes.begin(), bytes.end());
}

// Copies object bytes [offset, offset + min(size - offset, maxLen)) into new
// pages at the top of memory; their address, or 0 for invalid arguments, an
// empty read, a missing object or a store failure.
uint32_t getMmap(Instance& inst, uint32_t keyPtr, uint32_t keyLen, uint64_t offset, uint64_t maxLen,
                 uint32_t outLenPtr) {
  CallContext& ctx = callContext(inst);
  auto sKeyLen = static_cast<int32_t>(keyLen);
  auto sOffset = static_cast<int64_t>(offset);
  auto sMaxLen = static_cast<int64_t>(maxLen);
  if (static_cast<int32_t>(keyPtr) <= 0 || sKeyLen <= 0 || sOffset < 0 || sMaxLen < 0 ||
      sMaxLen > std::numeric_limits<int32_t>::max())
    return 0;
  std::string key = objectKey(inst, keyPtr, keyLen, "__faasmndp_getMmap");
  guestRange(inst, outLenPtr, 4, "__faasmndp_getMmap");
  if (!ctx.services) return 0;
  // The bytes go straight into new pages at the top of memory (maxLen fits
  // an int32, so the length does too).
  uint32_t at = 0;
  auto placed =
      ctx.services->objects().getRangeInto(ctx.request->user, key, offset, maxLen, [&](uint64_t n) {
        at = growForRegion(inst, n, "__faasmndp_getMmap");
        return inst.memory(0)->data + at;
      });
  if (!placed) {
    if (placed.error().code != storage::StoreErrorCode::NotFound)
      ctx.writeStdio(2, "__faasmndp_getMmap: " + placed.error().message + "\n");
    return 0;
  }
  if (*placed == 0) return 0;
  guestStore<uint32_t>(inst, outLenPtr, static_cast<uint32_t>(*placed), "__faasmndp_getMmap");
  ctx.ndpRegions.emplace_back(at, static_cast<uint32_t>(*placed));
  return at;
}

// Replaces the object; 0, or -1 for invalid arguments (any <= 0) or a store
// failure.
uint32_t put(Instance& inst, uint32_t keyPtr, uint32_t keyLen, uint32_t dataPtr, uint32_t dataLen) {
  CallContext& ctx = callContext(inst);
  if (static_cast<int32_t>(keyPtr) <= 0 || static_cast<int32_t>(keyLen) <= 0 ||
      static_cast<int32_t>(dataPtr) <= 0 || static_cast<int32_t>(dataLen) <= 0)
    return static_cast<uint32_t>(-1);
  std::string key = objectKey(inst, keyPtr, keyLen, "__faasmndp_put");
  auto data = guestBytes(inst, dataPtr, dataLen, "__faasmndp_put");
  if (!ctx.services) return static_cast<uint32_t>(-1);
  auto r = ctx.services->objects().put(ctx.request->user, key, data);
  if (!r) {
    ctx.writeStdio(2, "__faasmndp_put: " + r.error().message + "\n");
    return static_cast<uint32_t>(-1);
  }
  return 0;
}

// Releases a getMmap buffer: its pages are zeroed and their memory returned
// to the system. They are then clean, so a memory delta never carries object
// data the function released (and a storage call near the data does not send
// the object back). The buffer owns its whole wasm pages (getMmap grew memory
// for it alone), so nothing else is touched. Other pointers are ignored.
uint32_t unmap(Instance& inst, uint32_t ptr, uint32_t) {
  auto& regions = callContext(inst).ndpRegions;
  auto it =
      std::find_if(regions.begin(), regions.end(), [&](const auto& r) { return r.first == ptr; });
  if (it == regions.end()) return 0;
  wasm_rt_memory_t* mem = inst.memory(0);
  uint64_t end =
      std::min<uint64_t>(mem->size, (uint64_t{it->first} + it->second + wasm::kWasmPageSize - 1) /
                                        wasm::kWasmPageSize * wasm::kWasmPageSize);
  if (end > it->first) ::madvise(mem->data + it->first, end - it->first, MADV_DONTNEED);
  regions.erase(it);
  return 0;
}

// Runs table entry `funcPtr` with i32 `args`, next to the object `key` when the
// node offloads it, else here; it must return one i32.
uint32_t storageCall(Instance& inst, uint32_t keyPtr, uint32_t keyLen, uint32_t funcPtr,
                     std::vector<wasm::Value> args) {
  CallContext& context = callContext(inst);
  if (static_cast<int32_t>(keyPtr) <= 0 || static_cast<int32_t>(keyLen) <= 0) return 0;
  if (context.services && !context.request->forbidNdp) {
    std::string key = objectKey(inst, keyPtr, keyLen, "__faasmndp_storageCallAndAwait");
    std::vector<int32_t> plain;
    for (const auto& a : args)
      plain.push_back(static_cast<int32_t>(a.i32));
    if (auto rv = context.services->offloadStorageCall({key, static_cast<int32_t>(funcPtr), plain}))
      return static_cast<uint32_t>(*rv);
  }
  wasm::FuncType type;
  type.params.assign(args.size(), ValType::I32);
  type.results = {ValType::I32};
  auto r = inst.callTableEntry(0, funcPtr, type, args);
  if (!r) {
    if (r.error().kind == wasm::TrapKind::Timeout || r.error().kind == wasm::TrapKind::Exit)
      throw HostTrap(r.error().kind, r.error().message, r.error().exitCode);
    auto& ctx = callContext(inst);
    ctx.writeStdio(2, "storage call trapped: " + r.error().describe() + "\n");
    return static_cast<uint32_t>(kStorageCallTrapped);
  }
  return r->at(0).i32;
}

uint32_t storageCall0(Instance& inst, uint32_t keyPtr, uint32_t keyLen, uint32_t f) {
  return storageCall(inst, keyPtr, keyLen, f, {});
}
uint32_t storageCall1(Instance& inst, uint32_t keyPtr, uint32_t keyLen, uint32_t f, uint32_t a) {
  return storageCall(inst, keyPtr, keyLen, f, {wasm::Value::makeI32(a)});
}
uint32_t storageCall2(Instance& inst, uint32_t keyPtr, uint32_t keyLen, uint32_t f, uint32_t a,
                      uint32_t b) {
  return storageCall(inst, keyPtr, keyLen, f, {wasm::Value::makeI32(a), wasm::Value::makeI32(b)});
}
uint32_t storageCallPy(Instance&, uint32_t, uint32_t, uint32_t) {
  throw HostTrap(TrapKind::Host, "Python functions are not supported by NearFaaS");
}

}  // namespace

void registerFaasmNdp(wasm::HostRegistry& r) {
  const std::string m = kFaasmModule;
  r.add<&getMmap>(m, "__faasmndp_getMmap");
  r.add<&put>(m, "__faasmndp_put");
  r.add<&unmap>(m, "__faasmndp_unmap");
  r.add<&storageCall0>(m, "__faasmndp_storageCallAndAwait");
  r.add<&storageCall1>(m, "__faasmndp_storageCallAndAwait1");
  r.add<&storageCall2>(m, "__faasmndp_storageCallAndAwait2");
  r.add<&storageCallPy>(m, "__faasmndp_storageCallAndAwait_py");
}

}  // namespace nearfaas::host
