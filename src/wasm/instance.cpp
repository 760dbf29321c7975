#include "wasm/instance.h"

#include <cstdlib>

#include "wasm/host_registry.h"
#include "wasm/runtime.h"

namespace nearfaas::wasm {

namespace {

// Instances of generated structs are allocated with this alignment.
constexpr size_t kInstanceAlign = 64;

nf_value_t toRaw(const Value& v) {
  nf_value_t r{};
  switch (v.type) {
    case ValType::I32:
      r.i32 = v.i32;
      break;
    case ValType::I64:
      r.i64 = v.i64;
      break;
    case ValType::F32:
      r.f32 = v.f32;
      break;
    case ValType::F64:
      r.f64 = v.f64;
      break;
    case ValType::ExternRef:
      r.externref = v.externref;
      break;
    case ValType::FuncRef:
      r.funcref = wasm_rt_funcref_t{v.funcref.typeId, v.funcref.fn, v.funcref.ctx};
      break;
  }
  return r;
}

Value fromRaw(ValType t, const nf_value_t& r) {
  switch (t) {
    case ValType::I32:
      return Value::makeI32(r.i32);
    case ValType::I64:
      return Value::makeI64(r.i64);
    case ValType::F32:
      return Value::makeF32(r.f32);
    case ValType::F64:
      return Value::makeF64(r.f64);
    case ValType::ExternRef:
      return Value::makeExternRef(r.externref);
    case ValType::FuncRef:
      return Value::makeFuncRef(
          FuncRef{r.funcref.func_type, r.funcref.func, r.funcref.module_instance});
  }
  return Value{};
}

size_t cellSize(ValType t) {
  switch (t) {
    case ValType::I32:
    case ValType::F32:
      return 4;
    case ValType::I64:
    case ValType::F64:
      return 8;
    case ValType::ExternRef:
      return sizeof(wasm_rt_externref_t);
    case ValType::FuncRef:
      return sizeof(wasm_rt_funcref_t);
  }
  return 8;
}

struct GuardedThunkCall {
  nf_thunk_t thunk;
  wasm_rt_function_ptr_t fn;
  void* ctx;
  const nf_value_t* args;
  nf_value_t* results;
};

void runThunk(void* p) {
  auto* c = static_cast<GuardedThunkCall*>(p);
  c->thunk(c->fn, c->ctx, c->args, c->results);
}

uint64_t deadlineFor(std::chrono::nanoseconds timeout) {
  return timeout.count() > 0 ? monotonicNowNs() + static_cast<uint64_t>(timeout.count()) : 0;
}

// Import matching for memories and tables: the provider's current size must
// cover the import's minimum, and if the import has a maximum the provider
// must declare one no larger.
bool limitsMatch(uint64_t currentSize, const Limits& provided, const Limits& wanted) {
  if (currentSize < wanted.initial) return false;
  if (wanted.max && (!provided.max || *provided.max > *wanted.max)) return false;
  return true;
}

}  // namespace

Instance::~Instance() {
  if (raw_) {
    module_->abi().free_instance(raw_);
    std::free(raw_);
  }
}

void Instance::funcTarget(uint32_t funcIndex, void (**fn)(), void** ctx) const {
  const auto& abi = module_->abi();
  if (funcIndex < abi.num_imported_funcs) {
    const nf_binding_t& b = bindings_[funcImportSlot_[funcIndex]];
    *fn = b.fn;
    *ctx = b.ctx;
  } else {
    *fn = abi.defined_funcs[funcIndex - abi.num_imported_funcs];
    *ctx = raw_;
  }
}

CallResult Instance::invoke(void (*fn)(), void* ctx, uint32_t typeIndex,
                            std::span<const Value> args, const CallOptions& options) {
  const FuncType& type = info().types[typeIndex];
  if (args.size() != type.params.size())
    return std::unexpected(Trap{
        TrapKind::BadCall, "expected " + std::to_string(type.params.size()) + " arguments for " +
                               funcTypeString(type) + ", got " + std::to_string(args.size())});
  // Small fixed buffers keep the common call allocation-free.
  constexpr size_t kInline = 8;
  nf_value_t inlineIn[kInline], inlineOut[kInline];
  std::vector<nf_value_t> heapIn, heapOut;
  nf_value_t* in = inlineIn;
  nf_value_t* out = inlineOut;
  if (args.size() > kInline) in = (heapIn.resize(args.size()), heapIn.data());
  if (type.results.size() > kInline) out = (heapOut.resize(type.results.size()), heapOut.data());
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].type != type.params[i])
      return std::unexpected(Trap{TrapKind::BadCall, "argument " + std::to_string(i) + " is " +
                                                         valTypeName(args[i].type) + ", expected " +
                                                         valTypeName(type.params[i])});
    in[i] = toRaw(args[i]);
  }
  GuardedThunkCall call{module_->abi().thunks[typeIndex], fn, ctx, in, out};
  // A per-call cap on growth: lowered for the call, restored after it (also
  // after a trap, which unwinds only the guest frames).
  wasm_rt_memory_t* capped = options.maxMemoryPages ? defaultMemory_ : nullptr;
  uint32_t savedMax = capped ? capped->max_pages : 0;
  if (capped)
    capped->max_pages = std::min(savedMax, std::max(capped->pages, options.maxMemoryPages));
  auto trap = runGuarded(runThunk, &call, deadlineFor(options.timeout), maxMemoryPages_);
  if (capped) capped->max_pages = savedMax;
  if (trap) return std::unexpected(std::move(*trap));
  std::vector<Value> results;
  results.reserve(type.results.size());
  for (size_t i = 0; i < type.results.size(); ++i)
    results.push_back(fromRaw(type.results[i], out[i]));
  return results;
}

CallResult Instance::call(std::string_view exportName, std::span<const Value> args,
                          const CallOptions& options) {
  const ExportDesc* e = info().findExport(exportName);
  if (!e || e->kind != ExternKind::Func)
    return std::unexpected(
        Trap{TrapKind::BadCall, "no exported function named '" + printable(exportName) + "'"});
  return callFunction(e->index, args, options);
}

CallResult Instance::callFunction(uint32_t funcIndex, std::span<const Value> args,
                                  const CallOptions& options) {
  if (funcIndex >= info().funcTypeIndex.size())
    return std::unexpected(Trap{TrapKind::BadCall, "no function " + std::to_string(funcIndex)});
  void (*fn)();
  void* ctx;
  funcTarget(funcIndex, &fn, &ctx);
  return invoke(fn, ctx, info().funcTypeIndex[funcIndex], args, options);
}

CallResult Instance::callTableEntry(uint32_t tableIndex, uint32_t element, const FuncType& expected,
                                    std::span<const Value> args, const CallOptions& options) {
  if (tableIndex >= info().tables.size() || info().tables[tableIndex].elemType != ValType::FuncRef)
    return std::unexpected(
        Trap{TrapKind::BadCall, "no funcref table " + std::to_string(tableIndex)});
  auto* table = static_cast<wasm_rt_funcref_table_t*>(module_->abi().table(raw_, tableIndex));
  if (element >= table->size)
    return std::unexpected(Trap{TrapKind::UndefinedElement,
                                "table element " + std::to_string(element) +
                                    " is beyond the table's " + std::to_string(table->size)});
  const wasm_rt_funcref_t& entry = table->data[element];
  if (!entry.func)
    return std::unexpected(Trap{TrapKind::UninitializedElement,
                                "table element " + std::to_string(element) + " is null"});
  // The module's own type of that signature provides the thunk.
  const auto& types = info().types;
  for (uint32_t t = 0; t < types.size(); ++t) {
    if (!(types[t] == expected)) continue;
    if (entry.func_type != module_->abi().type_ids[t])
      return std::unexpected(Trap{TrapKind::IndirectCallTypeMismatch,
                                  "table element " + std::to_string(element) +
                                      " is not a function of type " + funcTypeString(expected)});
    return invoke(entry.func, entry.module_instance, t, args, options);
  }
  return std::unexpected(Trap{TrapKind::IndirectCallTypeMismatch,
                              "module has no functions of type " + funcTypeString(expected)});
}

std::optional<Value> Instance::global(uint32_t index) const {
  if (index >= info().globals.size()) return std::nullopt;
  const void* cell = module_->abi().global_ptr(raw_, index);
  nf_value_t raw{};
  ValType t = info().globals[index].type;
  std::memcpy(&raw, cell, cellSize(t));
  return fromRaw(t, raw);
}

bool Instance::setGlobal(uint32_t index, const Value& value) {
  if (index >= info().globals.size()) return false;
  const GlobalType& g = info().globals[index];
  if (!g.isMutable || g.type != value.type) return false;
  nf_value_t raw = toRaw(value);
  std::memcpy(module_->abi().global_ptr(raw_, index), &raw, cellSize(g.type));
  return true;
}

wasm_rt_memory_t* Instance::memory(uint32_t index) const {
  if (index >= info().memories.size()) return nullptr;
  return module_->abi().memory(raw_, index);
}

std::optional<Extern> Instance::exportedExtern(std::string_view name) {
  const ExportDesc* e = info().findExport(name);
  if (!e) return std::nullopt;
  std::shared_ptr<const void> self = shared_from_this();
  switch (e->kind) {
    case ExternKind::Func: {
      ExternFunc f;
      f.type = info().funcType(e->index);
      funcTarget(e->index, &f.fn, &f.ctx);
      f.owner = self;
      return f;
    }
    case ExternKind::Table:
      return ExternTable{info().tables[e->index].elemType, module_->abi().table(raw_, e->index),
                         tableLimits_[e->index], self};
    case ExternKind::Memory:
      return ExternMemory{memory(e->index), memoryLimits_[e->index], self};
    case ExternKind::Global:
      return ExternGlobal{info().globals[e->index], module_->abi().global_ptr(raw_, e->index),
                          self};
  }
  return std::nullopt;
}

void Linker::define(const std::string& module, const std::string& field, Extern value) {
  defs_[{module, field}] = std::move(value);
}

void Linker::defineInstance(const std::string& module, const InstanceHandle& instance) {
  for (const auto& e : instance->info().exports)
    if (auto ext = instance->exportedExtern(e.name)) define(module, e.name, std::move(*ext));
}

Result<std::vector<Extern>> Linker::resolve(const ModuleInfo& info) const {
  std::vector<Extern> out;
  out.reserve(info.imports.size());
  for (const auto& imp : info.imports) {
    std::string name = imp.displayName();
    std::optional<Extern> found;
    if (auto it = defs_.find({imp.module, imp.field}); it != defs_.end()) {
      found = it->second;
    } else if (imp.kind == ExternKind::Func) {
      for (const auto* host : hosts_) {
        if (const HostFunc* f = host->find(imp.module, imp.field)) {
          found = ExternFunc{f->type, f->fn, nullptr, true, nullptr};
          break;
        }
      }
    }
    if (!found) return fail("unknown import ", name);
    auto mismatch = [&](const std::string& why) {
      return fail("incompatible import type for ", name, ": ", why);
    };
    switch (imp.kind) {
      case ExternKind::Func: {
        const auto* f = std::get_if<ExternFunc>(&*found);
        if (!f) return mismatch("expected a function");
        const FuncType& want = info.types[imp.funcTypeIndex];
        if (!(f->type == want))
          return mismatch("expected " + funcTypeString(want) + ", got " + funcTypeString(f->type));
        break;
      }
      case ExternKind::Global: {
        const auto* g = std::get_if<ExternGlobal>(&*found);
        if (!g) return mismatch("expected a global");
        if (!(g->type == imp.global)) return mismatch("global type or mutability differs");
        break;
      }
      case ExternKind::Memory: {
        const auto* m = std::get_if<ExternMemory>(&*found);
        if (!m) return mismatch("expected a memory");
        if (!limitsMatch(m->memory->pages, m->declared, imp.memory.limits))
          return mismatch("memory limits do not match");
        break;
      }
      case ExternKind::Table: {
        const auto* t = std::get_if<ExternTable>(&*found);
        if (!t) return mismatch("expected a table");
        if (t->elemType != imp.table.elemType) return mismatch("table element type differs");
        uint32_t size = t->elemType == ValType::FuncRef
                            ? static_cast<wasm_rt_funcref_table_t*>(t->table)->size
                            : static_cast<wasm_rt_externref_table_t*>(t->table)->size;
        if (!limitsMatch(size, t->declared, imp.table.limits))
          return mismatch("table limits do not match");
        break;
      }
    }
    out.push_back(std::move(*found));
  }
  return out;
}

namespace {
struct InstantiateCall {
  const nf_module_abi_t* abi;
  void* raw;
  nf_binding_t* bindings;
};
void runInstantiate(void* p) {
  auto* c = static_cast<InstantiateCall*>(p);
  c->abi->instantiate(c->raw, c->bindings);
}
}  // namespace

std::expected<InstanceHandle, InstantiateError> Linker::instantiate(
    ModuleHandle module, const InstanceOptions& options) const {
  const ModuleInfo& info = module->info();
  auto externs = resolve(info);
  if (!externs)
    return std::unexpected(InstantiateError{InstantiateError::Link, externs.error().message, {}});

  InstanceHandle inst(new Instance());
  inst->module_ = module;
  inst->hostContext_ = options.hostContext;
  inst->maxMemoryPages_ = options.maxMemoryPages;
  for (const auto& m : info.memories)
    inst->memoryLimits_.push_back(m.limits);
  for (const auto& t : info.tables)
    inst->tableLimits_.push_back(t.limits);
  inst->bindings_.resize(info.imports.size());
  uint32_t memIndex = 0, tableIndex = 0;
  for (size_t i = 0; i < info.imports.size(); ++i) {
    nf_binding_t& b = inst->bindings_[i];
    std::visit(
        [&](auto& ext) {
          using T = std::decay_t<decltype(ext)>;
          if constexpr (std::is_same_v<T, ExternFunc>) {
            b.fn = ext.fn;
            b.ctx = ext.ctxIsImporter ? inst.get() : ext.ctx;
            inst->funcImportSlot_.push_back(static_cast<uint32_t>(i));
          } else if constexpr (std::is_same_v<T, ExternGlobal>) {
            b.ptr = ext.cell;
          } else if constexpr (std::is_same_v<T, ExternMemory>) {
            b.ptr = ext.memory;
            inst->memoryLimits_[memIndex++] = ext.declared;
          } else {
            b.ptr = ext.table;
            inst->tableLimits_[tableIndex++] = ext.declared;
          }
          if (ext.owner) inst->keepAlive_.push_back(ext.owner);
        },
        (*externs)[i]);
  }
  for (const auto& m : info.memories) {
    if (m.limits.initial > options.maxMemoryPages)
      return std::unexpected(InstantiateError{InstantiateError::Resource,
                                              "module needs " + std::to_string(m.limits.initial) +
                                                  " pages of memory, over the limit of " +
                                                  std::to_string(options.maxMemoryPages) + " pages",
                                              {}});
  }

  const nf_module_abi_t& abi = module->abi();
  inst->raw_ = std::aligned_alloc(
      kInstanceAlign, (abi.instance_size + kInstanceAlign - 1) / kInstanceAlign * kInstanceAlign);
  if (!inst->raw_)
    return std::unexpected(InstantiateError{InstantiateError::Resource, "out of memory", {}});
  std::memset(inst->raw_, 0, abi.instance_size);

  InstantiateCall call{&abi, inst->raw_, inst->bindings_.data()};
  uint64_t deadline = options.startTimeout.count() > 0
                          ? monotonicNowNs() + static_cast<uint64_t>(options.startTimeout.count())
                          : 0;
  if (auto trap = runGuarded(runInstantiate, &call, deadline, options.maxMemoryPages)) {
    return std::unexpected(InstantiateError{InstantiateError::Trap, trap->describe(), *trap, inst});
  }
  inst->instantiated_ = true;
  inst->defaultMemory_ = inst->memory(0);
  return inst;
}

}  // namespace nearfaas::wasm
