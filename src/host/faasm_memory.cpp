// Memory management imports of Faasm's wasi-libc, which routes the heap
// through the host: sbrk, anonymous mmap and munmap over linear memory.
// Memory never shrinks (other regions may live above any freed one).
#include "host/faasm.h"
#include "host/guest_memory.h"
#include "wasm/settings.h"

namespace nearfaas::host {

using wasm::Instance;

namespace {

constexpr uint32_t kMapFailed = UINT32_MAX;

// 0: the current break (memory size); > 0: grow by that many bytes (rounded
// up to pages) and return the old break; < 0: no-op, returns the break.
uint32_t sbrk(Instance& inst, uint32_t increment) {
  callContext(inst);
  wasm_rt_memory_t* mem = inst.memory(0);
  if (!mem) return kMapFailed;
  if (static_cast<int32_t>(increment) <= 0) return mem->size;
  return growForRegion(inst, increment, "__sbrk");
}

uint32_t mmapAnon(Instance& inst, uint32_t, uint32_t length, uint32_t, uint32_t, uint32_t fd,
                  uint64_t) {
  callContext(inst);
  if (static_cast<int32_t>(fd) != -1 || length == 0) return kMapFailed;
  return growForRegion(inst, length, "mmap");
}

uint32_t munmap(Instance& inst, uint32_t, uint32_t) {
  callContext(inst);
  return 0;
}

}  // namespace

void registerFaasmMemory(wasm::HostRegistry& r) {
  const std::string m = kFaasmModule;
  r.add<&sbrk>(m, "__sbrk");
  r.add<&mmapAnon>(m, "mmap");
  r.add<&munmap>(m, "munmap");
}

}  // namespace nearfaas::host
