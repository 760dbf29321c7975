// Memory management imports of Faasm's wasi-libc, which routes the heap
// through the host: sbrk, mmap and munmap over linear memory. Memory never
// shrinks (other regions may live above any freed one).
//
// mmap grows memory for every mapping (the address hint is ignored, as in
// Faasm). With a descriptor (fd >= 0) the new region holds a copy of the
// file's bytes from `offset` (any offset; zeros past the end of the file):
// private semantics whatever the flags say, so with MAP_SHARED too, writes to
// the region never reach the file and later writes to the file are not seen
// in the region. A descriptor that is not an open readable file, a length of
// 0, a negative offset or an fd < -1 answer MAP_FAILED (-1) with memory
// unchanged; running out of memory traps, as for anonymous mappings.
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

uint32_t mmap(Instance& inst, uint32_t, uint32_t length, uint32_t, uint32_t, uint32_t fd,
              uint64_t offset) {
  CallContext& ctx = callContext(inst);
  const auto fdNumber = static_cast<int32_t>(fd);
  if (length == 0 || fdNumber < -1 || static_cast<int64_t>(offset) < 0) return kMapFailed;
  if (fdNumber == -1) return growForRegion(inst, length, "mmap");
  // A file: check it can be read before memory grows.
  FileSystem* files = ctx.files;
  if (!files) return kMapFailed;
  auto stat = files->fdstat(fd);
  if (!stat || stat->type != FileType::RegularFile) return kMapFailed;
  uint8_t probe = 0;
  if (!files->pread(fd, {&probe, 0}, 0)) return kMapFailed;
  const uint32_t at = growForRegion(inst, length, "mmap");
  auto region = guestBytes(inst, at, length, "mmap");
  // Fresh memory is zero, so the part past the end of the file stays zero.
  for (uint64_t done = 0; done < length;) {
    auto n = files->pread(fd, region.subspan(done), offset + done);
    if (!n || *n == 0) break;
    done += *n;
  }
  return at;
}

uint32_t munmap(Instance& inst, uint32_t, uint32_t) {
  callContext(inst);
  return 0;
}

}  // namespace

void registerFaasmMemory(wasm::HostRegistry& r) {
  const std::string m = kFaasmModule;
  r.add<&sbrk>(m, "__sbrk");
  r.add<&mmap>(m, "mmap");
  r.add<&munmap>(m, "munmap");
}

}  // namespace nearfaas::host
