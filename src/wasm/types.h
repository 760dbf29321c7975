// WebAssembly value and type vocabulary shared by the engine's public API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nearfaas::wasm {

enum class ValType : uint8_t { I32, I64, F32, F64, FuncRef, ExternRef };

const char* valTypeName(ValType t);

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
};

// "(i32, i64) -> (f32)"
std::string funcTypeString(const FuncType& t);

enum class ExternKind : uint8_t { Func, Table, Memory, Global };

const char* externKindName(ExternKind k);

struct Limits {
  uint64_t initial = 0;
  std::optional<uint64_t> max;
  bool operator==(const Limits&) const = default;
};

struct TableType {
  ValType elemType = ValType::FuncRef;
  Limits limits;
};

struct MemoryType {
  Limits limits;  // in 64 KiB pages
};

struct GlobalType {
  ValType type = ValType::I32;
  bool isMutable = false;
  bool operator==(const GlobalType&) const = default;
};

// A funcref as the runtime stores it in tables (wasm_rt_funcref_t layout).
struct FuncRef {
  uint32_t typeId = 0;  // process-wide function type id, see registerFuncType
  void (*fn)() = nullptr;
  void* ctx = nullptr;
  bool isNull() const { return fn == nullptr; }
};

// A typed WebAssembly value.
struct Value {
  ValType type = ValType::I32;
  union {
    uint32_t i32;
    uint64_t i64;
    float f32;
    double f64;
    void* externref;
  };
  FuncRef funcref;

  Value() : i64(0) {}
  static Value makeI32(uint32_t v) {
    Value x;
    x.type = ValType::I32;
    x.i32 = v;
    return x;
  }
  static Value makeI64(uint64_t v) {
    Value x;
    x.type = ValType::I64;
    x.i64 = v;
    return x;
  }
  static Value makeF32(float v) {
    Value x;
    x.type = ValType::F32;
    x.f32 = v;
    return x;
  }
  static Value makeF64(double v) {
    Value x;
    x.type = ValType::F64;
    x.f64 = v;
    return x;
  }
  static Value makeFuncRef(FuncRef r) {
    Value x;
    x.type = ValType::FuncRef;
    x.funcref = r;
    return x;
  }
  static Value makeExternRef(void* r) {
    Value x;
    x.type = ValType::ExternRef;
    x.externref = r;
    return x;
  }
};

// "i32:42", "f64:1.5", "externref:null" — for messages and the CLI.
std::string valueString(const Value& v);

}  // namespace nearfaas::wasm
