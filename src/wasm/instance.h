// Instances of compiled modules, the values they import and export, and the
// Linker that resolves imports by (module, field) name.
//
// An Instance owns the generated instance struct, its memories and tables (if
// defined, not imported) and the binding array through which its imports are
// called. Calls run on the calling thread under runGuarded(): a trap, timeout
// or exit comes back as a Trap value and leaves the thread usable. An
// instance is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstring>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "wasm/engine.h"
#include "wasm/settings.h"
#include "wasm/trap.h"
#include "wasm/types.h"

namespace nearfaas::wasm {

class HostRegistry;
class Instance;
class InstanceSnapshot;

// What an import can be bound to. `owner` keeps the provider alive.
struct ExternFunc {
  FuncType type;
  void (*fn)() = nullptr;  // called as fn(ctx, args...)
  void* ctx = nullptr;
  bool ctxIsImporter = false;  // host functions: ctx is the importing Instance*
  std::shared_ptr<const void> owner;
};
struct ExternTable {
  ValType elemType = ValType::FuncRef;
  void* table = nullptr;  // wasm_rt_funcref_table_t* or wasm_rt_externref_table_t*
  Limits declared;        // the limits its definition declared
  std::shared_ptr<const void> owner;
};
struct ExternMemory {
  wasm_rt_memory_t* memory = nullptr;
  Limits declared;
  std::shared_ptr<const void> owner;
};
struct ExternGlobal {
  GlobalType type;
  void* cell = nullptr;  // u32/u64/f32/f64/wasm_rt_funcref_t/wasm_rt_externref_t
  std::shared_ptr<const void> owner;
};
using Extern = std::variant<ExternFunc, ExternTable, ExternMemory, ExternGlobal>;

struct InstanceOptions {
  uint32_t maxMemoryPages = kDefaultMaxMemoryPages;  // per memory the instance defines
  std::chrono::nanoseconds startTimeout{0};          // for the start function; 0 = none
  void* hostContext = nullptr;                       // for host functions; not owned
};

struct CallOptions {
  std::chrono::nanoseconds timeout{0};  // 0 = no deadline
  // During this call memory 0 grows to at most this many pages (or stays at
  // its current size if larger); 0 = only the instance's own limit.
  uint32_t maxMemoryPages = 0;
};

using CallResult = std::expected<std::vector<Value>, Trap>;

struct InstantiateError {
  enum Kind { Link, Trap, Resource } kind = Link;
  std::string message;
  std::optional<wasm::Trap> trap;  // kind == Trap
  // kind == Trap: the partly initialised instance. Segments written into
  // imported tables before the trap may refer to its functions, so whoever
  // keeps those tables must keep this alive too.
  std::shared_ptr<Instance> partial;
};

class Instance : public std::enable_shared_from_this<Instance> {
 public:
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  const CompiledModule& module() const { return *module_; }
  const ModuleInfo& info() const { return module_->info(); }

  CallResult call(std::string_view exportName, std::span<const Value> args = {},
                  const CallOptions& options = {});
  CallResult callFunction(uint32_t funcIndex, std::span<const Value> args,
                          const CallOptions& options = {});
  // Calls element `element` of table `tableIndex` (a C function pointer in
  // guest code) if it is a function of type `expected`; traps otherwise.
  CallResult callTableEntry(uint32_t tableIndex, uint32_t element, const FuncType& expected,
                            std::span<const Value> args, const CallOptions& options = {});

  std::optional<Value> global(uint32_t index) const;
  // Fails for immutable globals and values of the wrong type.
  bool setGlobal(uint32_t index, const Value& value);

  std::optional<Extern> exportedExtern(std::string_view name);

  // Memory `index` (imported or defined), null if there is none.
  wasm_rt_memory_t* memory(uint32_t index = 0) const;

  // Host side access to memory 0: a pointer to [ptr, ptr + len) or nullptr if
  // any of it is out of bounds.
  uint8_t* memoryRange(uint64_t ptr, uint64_t len) const {
    wasm_rt_memory_t* m = defaultMemory_;
    if (!m || ptr + len > m->size || ptr + len < ptr) return nullptr;
    return m->data + ptr;
  }

  void* hostContext() const { return hostContext_; }
  void setHostContext(void* context) { hostContext_ = context; }

 private:
  friend class Linker;
  friend class InstanceSnapshot;
  Instance() = default;

  CallResult invoke(void (*fn)(), void* ctx, uint32_t typeIndex, std::span<const Value> args,
                    const CallOptions& options);
  void funcTarget(uint32_t funcIndex, void (**fn)(), void** ctx) const;

  ModuleHandle module_;
  void* raw_ = nullptr;  // the generated instance struct
  bool instantiated_ = false;
  std::vector<nf_binding_t> bindings_;
  std::vector<uint32_t> funcImportSlot_;  // imported function index -> binding index
  std::vector<Limits> memoryLimits_;      // declared limits per memory index
  std::vector<Limits> tableLimits_;
  std::vector<std::shared_ptr<const void>> keepAlive_;
  wasm_rt_memory_t* defaultMemory_ = nullptr;
  void* hostContext_ = nullptr;
  uint32_t maxMemoryPages_ = kDefaultMaxMemoryPages;
  // The snapshot this instance was restored from (which must outlive it).
  const InstanceSnapshot* snapshot_ = nullptr;
};

using InstanceHandle = std::shared_ptr<Instance>;

// Resolves imports. Definitions are looked up first; then host registries.
class Linker {
 public:
  void define(const std::string& module, const std::string& field, Extern value);
  // Every export of `instance` becomes available as module.<export name>.
  void defineInstance(const std::string& module, const InstanceHandle& instance);
  // Host functions; the registry must outlive the linker.
  void addHost(const HostRegistry& registry) { hosts_.push_back(&registry); }

  // Binds every import of `info` or explains the first that cannot be bound.
  Result<std::vector<Extern>> resolve(const ModuleInfo& info) const;

  std::expected<InstanceHandle, InstantiateError> instantiate(
      ModuleHandle module, const InstanceOptions& options = {}) const;

 private:
  std::map<std::pair<std::string, std::string>, Extern> defs_;
  std::vector<const HostRegistry*> hosts_;
};

}  // namespace nearfaas::wasm
