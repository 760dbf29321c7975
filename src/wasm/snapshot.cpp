#include "wasm/snapshot.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>

#include "wasm/runtime.h"

namespace nearfaas::wasm {

namespace {

constexpr size_t kInstanceAlign = 64;  // as Linker::instantiate allocates
constexpr size_t kZeroScanBytes = 4096;

bool allZero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i]) return false;
  return true;
}

// Writes the non-zero parts of [data, data + size) into a new sealed memfd of
// that size; zero pages stay holes that cost no memory.
Result<int> imageFromMemory(const uint8_t* data, uint64_t size) {
  int fd = memfd_create("nearfaas-snapshot", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return fail("snapshot: memfd_create failed: ", std::strerror(errno));
  auto bad = [&](const char* what) {
    int e = errno;
    close(fd);
    return fail("snapshot: ", what, " failed: ", std::strerror(e));
  };
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) return bad("ftruncate");
  for (uint64_t off = 0; off < size; off += kZeroScanBytes) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(kZeroScanBytes, size - off));
    if (allZero(data + off, n)) continue;
    if (pwrite(fd, data + off, n, static_cast<off_t>(off)) != static_cast<ssize_t>(n))
      return bad("pwrite");
  }
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    return bad("sealing");
  return fd;
}

// Makes `table` hold `n` elements (keeping its storage when the size fits).
template <typename Table>
bool resizeTable(Table* table, size_t n) {
  if (table->size == n && table->data) return true;
  void* data = std::realloc(table->data, std::max<size_t>(n, 1) * sizeof(*table->data));
  if (!data) return false;
  table->data = static_cast<decltype(table->data)>(data);
  table->size = static_cast<uint32_t>(n);
  return true;
}

}  // namespace

Result<std::shared_ptr<const InstanceSnapshot>> InstanceSnapshot::capture(const Instance& inst) {
  const ModuleInfo& info = inst.info();
  for (const auto& imp : info.imports)
    if (imp.kind != ExternKind::Func)
      return fail(
          "snapshot: instances that import memories, tables or globals cannot be "
          "snapshotted (",
          imp.displayName(), ")");
  if (info.memories.size() > 1) return fail("snapshot: more than one memory");
  if (!inst.instantiated_) return fail("snapshot: instance is not initialised");

  std::shared_ptr<InstanceSnapshot> s(new InstanceSnapshot());
  const nf_module_abi_t& abi = inst.module_->abi();
  s->module_ = inst.module_;
  s->raw_.assign(static_cast<const uint8_t*>(inst.raw_),
                 static_cast<const uint8_t*>(inst.raw_) + abi.instance_size);
  s->bindings_ = inst.bindings_;
  for (const auto& b : inst.bindings_)
    s->bindingIsImporter_.push_back(b.ctx == &inst);
  s->funcImportSlot_ = inst.funcImportSlot_;
  s->memoryLimits_ = inst.memoryLimits_;
  s->tableLimits_ = inst.tableLimits_;
  s->keepAlive_ = inst.keepAlive_;
  s->originalRaw_ = inst.raw_;
  s->originalBindings_ = inst.bindings_.data();

  for (uint32_t t = 0; t < info.tables.size(); ++t) {
    TableImage img{t, info.tables[t].elemType == ValType::FuncRef, 0, {}, {}};
    if (img.funcref) {
      auto* table = static_cast<wasm_rt_funcref_table_t*>(abi.table(inst.raw_, t));
      img.funcs.assign(table->data, table->data + table->size);
      img.maxSize = table->max_size;
    } else {
      auto* table = static_cast<wasm_rt_externref_table_t*>(abi.table(inst.raw_, t));
      img.externs.assign(table->data, table->data + table->size);
      img.maxSize = table->max_size;
    }
    s->tables_.push_back(std::move(img));
  }
  for (uint32_t g = 0; g < info.globals.size(); ++g)
    if (info.globals[g].type == ValType::FuncRef) s->funcrefGlobals_.push_back(g);

  if (!info.memories.empty()) {
    const wasm_rt_memory_t* mem = inst.memory(0);
    s->hasMemory_ = true;
    s->memoryPages_ = mem->pages;
    auto fd = imageFromMemory(mem->data, mem->size);
    if (!fd) return std::unexpected(fd.error());
    s->memfd_ = *fd;
  }
  return std::shared_ptr<const InstanceSnapshot>(std::move(s));
}

InstanceSnapshot::~InstanceSnapshot() {
  if (memfd_ >= 0) close(memfd_);
}

void* InstanceSnapshot::translate(void* p, const Instance& inst) const {
  if (p == originalRaw_) return inst.raw_;
  if (p == originalBindings_) return const_cast<nf_binding_t*>(inst.bindings_.data());
  return p;
}

Result<void> InstanceSnapshot::restoreTables(Instance& inst) const {
  const nf_module_abi_t& abi = module_->abi();
  for (const auto& img : tables_) {
    if (img.funcref) {
      auto* table = static_cast<wasm_rt_funcref_table_t*>(abi.table(inst.raw_, img.index));
      if (!resizeTable(table, img.funcs.size())) return fail("snapshot: out of memory for a table");
      for (size_t i = 0; i < img.funcs.size(); ++i) {
        table->data[i] = img.funcs[i];
        table->data[i].module_instance = translate(img.funcs[i].module_instance, inst);
      }
      table->max_size = img.maxSize;
    } else {
      auto* table = static_cast<wasm_rt_externref_table_t*>(abi.table(inst.raw_, img.index));
      if (!resizeTable(table, img.externs.size()))
        return fail("snapshot: out of memory for a table");
      std::copy(img.externs.begin(), img.externs.end(), table->data);
      table->max_size = img.maxSize;
    }
  }
  for (uint32_t g : funcrefGlobals_) {
    auto* ref = static_cast<wasm_rt_funcref_t*>(abi.global_ptr(inst.raw_, g));
    ref->module_instance = translate(ref->module_instance, inst);
  }
  return {};
}

Result<InstanceHandle> InstanceSnapshot::restore(void* hostContext, uint32_t maxMemoryPages) const {
  const nf_module_abi_t& abi = module_->abi();
  InstanceHandle inst(new Instance());
  inst->module_ = module_;
  inst->hostContext_ = hostContext;
  inst->maxMemoryPages_ = maxMemoryPages;
  inst->bindings_ = bindings_;
  for (size_t i = 0; i < bindings_.size(); ++i)
    if (bindingIsImporter_[i]) inst->bindings_[i].ctx = inst.get();
  inst->funcImportSlot_ = funcImportSlot_;
  inst->memoryLimits_ = memoryLimits_;
  inst->tableLimits_ = tableLimits_;
  inst->keepAlive_ = keepAlive_;

  void* raw = std::aligned_alloc(
      kInstanceAlign, (raw_.size() + kInstanceAlign - 1) / kInstanceAlign * kInstanceAlign);
  if (!raw) return fail("snapshot: out of memory for an instance");
  std::memcpy(raw, raw_.data(), raw_.size());
  // Until they are its own, the copy's memory and tables are empty: the
  // destructor frees whatever they hold.
  for (const auto& img : tables_) {
    if (img.funcref)
      *static_cast<wasm_rt_funcref_table_t*>(abi.table(raw, img.index)) = {};
    else
      *static_cast<wasm_rt_externref_table_t*>(abi.table(raw, img.index)) = {};
  }
  if (hasMemory_) *abi.memory(raw, 0) = {};
  inst->raw_ = raw;
  abi.rebind(raw, inst->bindings_.data());

  if (hasMemory_) {
    const Limits& limits = memoryLimits_[0];
    uint32_t declaredMax = limits.max ? static_cast<uint32_t>(*limits.max) : kMaxMemoryPages;
    if (!mapSnapshotMemory(abi.memory(raw, 0), memfd_, memoryPages_, declaredMax, maxMemoryPages))
      return fail("snapshot: cannot map a memory of ", memoryPages_, " pages (limit ",
                  std::min(declaredMax, maxMemoryPages), ")");
  }
  if (auto r = restoreTables(*inst); !r) return std::unexpected(r.error());
  inst->instantiated_ = true;
  inst->defaultMemory_ = inst->memory(0);
  inst->snapshot_ = this;
  return inst;
}

Result<void> InstanceSnapshot::reset(Instance& inst) const {
  if (inst.snapshot_ != this) return fail("snapshot: instance was not restored from it");
  const nf_module_abi_t& abi = module_->abi();
  // Keep what the instance owns (memory reservation, table storage) across
  // the copy of the captured struct.
  wasm_rt_memory_t memory{};
  if (hasMemory_) memory = *abi.memory(inst.raw_, 0);
  std::vector<std::pair<void*, uint32_t>> tableData;
  for (const auto& img : tables_) {
    if (img.funcref) {
      auto* t = static_cast<wasm_rt_funcref_table_t*>(abi.table(inst.raw_, img.index));
      tableData.emplace_back(t->data, t->size);
    } else {
      auto* t = static_cast<wasm_rt_externref_table_t*>(abi.table(inst.raw_, img.index));
      tableData.emplace_back(t->data, t->size);
    }
  }
  std::memcpy(inst.raw_, raw_.data(), raw_.size());
  for (size_t i = 0; i < tables_.size(); ++i) {
    if (tables_[i].funcref) {
      auto* t = static_cast<wasm_rt_funcref_table_t*>(abi.table(inst.raw_, tables_[i].index));
      t->data = static_cast<wasm_rt_funcref_t*>(tableData[i].first);
      t->size = tableData[i].second;
    } else {
      auto* t = static_cast<wasm_rt_externref_table_t*>(abi.table(inst.raw_, tables_[i].index));
      t->data = static_cast<wasm_rt_externref_t*>(tableData[i].first);
      t->size = tableData[i].second;
    }
  }
  abi.rebind(inst.raw_, inst.bindings_.data());
  if (hasMemory_) {
    wasm_rt_memory_t* m = abi.memory(inst.raw_, 0);
    *m = memory;
    if (!resetSnapshotMemory(m, memfd_, memoryPages_))
      return fail("snapshot: cannot reset memory: ", std::strerror(errno));
  }
  return restoreTables(inst);
}

}  // namespace nearfaas::wasm
