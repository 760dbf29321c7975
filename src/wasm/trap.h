// Traps: the ways a guest call can stop without returning normally.
#pragma once

#include <string>

namespace nearfaas::wasm {

enum class TrapKind : uint8_t {
  OutOfBounds,           // linear memory or table access out of bounds
  IntegerOverflow,       // signed division overflow, float-to-int out of range
  DivideByZero,          // integer division or remainder by zero
  InvalidConversion,     // float-to-int conversion of NaN
  Unreachable,           // `unreachable` executed
  UndefinedElement,      // call_indirect index beyond the table
  UninitializedElement,  // call_indirect to a null table entry
  IndirectCallTypeMismatch,
  StackExhausted,  // call stack exhausted
  Timeout,         // the call's deadline passed
  MemoryLimit,     // memory could not be allocated within the instance's limit
  Exit,            // the guest called proc_exit; see Trap::exitCode
  Host,            // a host function failed; see Trap::message
  BadCall,         // the embedder's request was invalid (no such export, wrong arguments)
  UncaughtException,
};

// Short stable name of the kind, e.g. "out of bounds memory access".
const char* trapKindName(TrapKind kind);

struct Trap {
  TrapKind kind = TrapKind::Unreachable;
  std::string message;  // details; may be empty
  int exitCode = 0;     // kind == Exit

  // "out of bounds memory access" or "host: fd_write: bad iovec pointer"
  std::string describe() const;
};

}  // namespace nearfaas::wasm
