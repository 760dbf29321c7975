// Copy-on-write snapshots of instances: the engine half of Proto-Faaslets.
//
// A snapshot holds everything that makes an instance what it is after its
// initialisation: the generated instance struct (globals included), its
// tables, its import bindings and an image of its linear memory in a sealed
// memfd. restore() makes a new instance from it in microseconds: the memory
// maps the image privately (pages are shared with the image until written)
// and nothing of the module's initialisation runs again. reset() returns a
// restored instance to the snapshot between calls, so nothing one call did
// is visible to the next.
//
// Only self-contained instances can be captured: at most one memory, and no
// imported memories, tables or globals (imported functions are fine). Those
// are what a Faasm function is.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/result.h"
#include "wasm/instance.h"

namespace nearfaas::wasm {

class InstanceSnapshot {
 public:
  // Captures `inst` as it is now. `inst` is not changed and may be dropped.
  static Result<std::shared_ptr<const InstanceSnapshot>> capture(const Instance& inst);

  ~InstanceSnapshot();
  InstanceSnapshot(const InstanceSnapshot&) = delete;
  InstanceSnapshot& operator=(const InstanceSnapshot&) = delete;

  // A new instance in the captured state. `maxMemoryPages` caps its memory
  // (memory.grow fails beyond it); it must hold the captured memory.
  Result<InstanceHandle> restore(void* hostContext, uint32_t maxMemoryPages) const;

  // Returns `inst`, which restore() made from this snapshot, to the captured
  // state. On failure the instance must be dropped.
  Result<void> reset(Instance& inst) const;

  const ModuleHandle& module() const { return module_; }
  uint32_t memoryPages() const { return memoryPages_; }
  // The memory image: readable, never written after capture.
  int memoryFd() const { return memfd_; }

 private:
  InstanceSnapshot() = default;
  // Copies the captured tables and funcref globals into `inst`, pointing
  // references to the captured instance at `inst` instead.
  Result<void> restoreTables(Instance& inst) const;
  void* translate(void* p, const Instance& inst) const;

  struct TableImage {
    uint32_t index;
    bool funcref;
    uint32_t maxSize;
    std::vector<wasm_rt_funcref_t> funcs;
    std::vector<wasm_rt_externref_t> externs;
  };

  ModuleHandle module_;
  std::vector<uint8_t> raw_;  // the instance struct
  std::vector<nf_binding_t> bindings_;
  std::vector<bool> bindingIsImporter_;  // ctx was the captured instance
  std::vector<uint32_t> funcImportSlot_;
  std::vector<Limits> memoryLimits_, tableLimits_;
  std::vector<std::shared_ptr<const void>> keepAlive_;
  std::vector<TableImage> tables_;
  std::vector<uint32_t> funcrefGlobals_;
  // Values that referred to the captured instance, compared by address only.
  const void* originalRaw_ = nullptr;
  const void* originalBindings_ = nullptr;
  uint32_t memoryPages_ = 0;
  bool hasMemory_ = false;
  int memfd_ = -1;
};

}  // namespace nearfaas::wasm
