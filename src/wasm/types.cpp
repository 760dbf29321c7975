#include "wasm/types.h"

#include <cinttypes>
#include <cstdio>

namespace nearfaas::wasm {

const char* valTypeName(ValType t) {
  switch (t) {
    case ValType::I32:
      return "i32";
    case ValType::I64:
      return "i64";
    case ValType::F32:
      return "f32";
    case ValType::F64:
      return "f64";
    case ValType::FuncRef:
      return "funcref";
    case ValType::ExternRef:
      return "externref";
  }
  return "?";
}

const char* externKindName(ExternKind k) {
  switch (k) {
    case ExternKind::Func:
      return "func";
    case ExternKind::Table:
      return "table";
    case ExternKind::Memory:
      return "memory";
    case ExternKind::Global:
      return "global";
  }
  return "?";
}

std::string funcTypeString(const FuncType& t) {
  std::string s = "(";
  for (size_t i = 0; i < t.params.size(); ++i)
    s += (i ? ", " : "") + std::string(valTypeName(t.params[i]));
  s += ") -> (";
  for (size_t i = 0; i < t.results.size(); ++i)
    s += (i ? ", " : "") + std::string(valTypeName(t.results[i]));
  return s + ")";
}

std::string valueString(const Value& v) {
  char buf[64];
  switch (v.type) {
    case ValType::I32:
      std::snprintf(buf, sizeof buf, "i32:%" PRId32, static_cast<int32_t>(v.i32));
      break;
    case ValType::I64:
      std::snprintf(buf, sizeof buf, "i64:%" PRId64, static_cast<int64_t>(v.i64));
      break;
    case ValType::F32:
      std::snprintf(buf, sizeof buf, "f32:%.9g", static_cast<double>(v.f32));
      break;
    case ValType::F64:
      std::snprintf(buf, sizeof buf, "f64:%.17g", v.f64);
      break;
    case ValType::FuncRef:
      std::snprintf(buf, sizeof buf, "funcref:%s", v.funcref.isNull() ? "null" : "func");
      break;
    case ValType::ExternRef:
      if (v.externref)
        std::snprintf(buf, sizeof buf, "externref:%p", v.externref);
      else
        std::snprintf(buf, sizeof buf, "externref:null");
      break;
  }
  return buf;
}

}  // namespace nearfaas::wasm
