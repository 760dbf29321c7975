// Host functions: native functions that guest modules import, registered by
// (module, field) with their WebAssembly type.
//
// A host function is written as a plain C++ function taking the calling
// Instance first: `uint32_t fdWrite(Instance&, uint32_t fd, uint32_t iovs, ...)`.
// HostRegistry::add<&fdWrite>("wasi_snapshot_preview1", "fd_write") derives
// the wasm type from the signature and wraps it so that:
//  - the deadline and stack-reserve protocol of runtime.h is kept;
//  - a thrown HostTrap becomes a trap of its kind (proc_exit is one);
//  - any other exception becomes a Host trap with its message;
// so no C++ exception ever crosses generated code.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/result.h"
#include "wasm/module_info.h"
#include "wasm/runtime.h"
#include "wasm/trap.h"
#include "wasm/types.h"

namespace nearfaas::wasm {

class Instance;

// Thrown by host functions to stop the guest with a trap.
struct HostTrap : std::runtime_error {
  TrapKind kind;
  int exitCode;
  HostTrap(TrapKind k, const std::string& message, int code = 0)
      : std::runtime_error(message), kind(k), exitCode(code) {}
};

struct HostFunc {
  FuncType type;
  void (*fn)() = nullptr;  // called as fn(Instance*, args...)
};

namespace detail {

template <typename T>
constexpr ValType hostValType() {
  if constexpr (std::is_same_v<T, uint32_t> || std::is_same_v<T, int32_t>)
    return ValType::I32;
  else if constexpr (std::is_same_v<T, uint64_t> || std::is_same_v<T, int64_t>)
    return ValType::I64;
  else if constexpr (std::is_same_v<T, float>)
    return ValType::F32;
  else if constexpr (std::is_same_v<T, double>)
    return ValType::F64;
  else
    static_assert(sizeof(T) == 0,
                  "host function types must be 32/64-bit integers, float or double");
}

// Records the exception being handled as the pending trap. Call only from a
// catch block.
void recordHostException() noexcept;

template <auto F>
struct HostThunk;

template <typename R, typename... A, R (*F)(Instance&, A...)>
struct HostThunk<F> {
  static FuncType type() {
    FuncType t;
    (t.params.push_back(hostValType<A>()), ...);
    if constexpr (!std::is_void_v<R>) t.results.push_back(hostValType<R>());
    return t;
  }
  // Called by generated code. Only trivially destructible objects are alive
  // when hostLeave() may unwind.
  static R call(void* ctx, A... args) noexcept {
    hostEnter();
    if constexpr (std::is_void_v<R>) {
      try {
        F(*static_cast<Instance*>(ctx), args...);
      } catch (...) {
        recordHostException();
      }
      hostLeave();
    } else {
      R result{};
      try {
        result = F(*static_cast<Instance*>(ctx), args...);
      } catch (...) {
        recordHostException();
      }
      hostLeave();
      return result;
    }
  }
};

}  // namespace detail

class HostRegistry {
 public:
  void add(const std::string& module, const std::string& field, HostFunc func);

  template <auto F>
  void add(const std::string& module, const std::string& field) {
    using Thunk = detail::HostThunk<F>;
    add(module, field, HostFunc{Thunk::type(), reinterpret_cast<void (*)()>(&Thunk::call)});
  }

  const HostFunc* find(std::string_view module, std::string_view field) const;

  // Fails naming the first import of `info` this registry does not provide
  // (missing, wrong kind or wrong type).
  Result<void> checkImports(const ModuleInfo& info) const;

  size_t size() const { return funcs_.size(); }

  // The field names registered under `module`, sorted (the SDK's imports
  // list: the `env` names a function may leave undefined at link time).
  std::vector<std::string> fields(std::string_view module) const;

 private:
  static std::string key(std::string_view module, std::string_view field);
  std::map<std::string, HostFunc, std::less<>> funcs_;
};

}  // namespace nearfaas::wasm
