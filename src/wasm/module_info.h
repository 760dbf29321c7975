// Decoding, validation and description of a WebAssembly binary module.
//
// describeModule() accepts a module exactly when the engine can run it: the
// binary format of WebAssembly 2.0 (multi-value, bulk memory, reference types,
// sign extension, saturating conversions, mutable globals), without SIMD,
// threads or exceptions. Errors name the problem and its byte offset.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "wasm/types.h"

namespace nearfaas::wasm {

struct ImportDesc {
  std::string module;
  std::string field;
  ExternKind kind = ExternKind::Func;
  uint32_t funcTypeIndex = 0;  // kind == Func
  TableType table;             // kind == Table
  MemoryType memory;           // kind == Memory
  GlobalType global;           // kind == Global
  // "module.field", escaped for messages (both names are untrusted).
  std::string displayName() const;
};

struct ExportDesc {
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t index = 0;  // into the index space of `kind`, imports first
  // Func exports: the functions its body calls directly (call, not
  // call_indirect), in order of appearance. Lets the embedder see, e.g.,
  // whether `_start` runs `__wasm_call_ctors` itself.
  std::vector<uint32_t> directCalls;
};

enum class SegmentMode : uint8_t { Active, Passive, Declared };

struct DataSegmentDesc {
  SegmentMode mode = SegmentMode::Active;
  uint32_t memoryIndex = 0;
  uint64_t size = 0;
};

struct ElemSegmentDesc {
  SegmentMode mode = SegmentMode::Active;
  uint32_t tableIndex = 0;
  ValType elemType = ValType::FuncRef;
  uint64_t count = 0;
};

struct ModuleInfo {
  std::vector<FuncType> types;
  std::vector<ImportDesc> imports;
  // Index spaces, imported entries first.
  std::vector<uint32_t> funcTypeIndex;  // per function: index into `types`
  std::vector<TableType> tables;
  std::vector<MemoryType> memories;
  std::vector<GlobalType> globals;
  uint32_t numImportedFuncs = 0;
  uint32_t numImportedTables = 0;
  uint32_t numImportedMemories = 0;
  uint32_t numImportedGlobals = 0;
  std::vector<ExportDesc> exports;
  std::optional<uint32_t> start;
  std::vector<DataSegmentDesc> dataSegments;
  std::vector<ElemSegmentDesc> elemSegments;
  uint64_t codeBytes = 0;  // size of the binary

  const ExportDesc* findExport(std::string_view name) const;
  const FuncType& funcType(uint32_t funcIndex) const { return types[funcTypeIndex[funcIndex]]; }
};

Result<ModuleInfo> describeModule(std::span<const uint8_t> wasm);

// Multi-line human-readable summary (the `nearfaas inspect` output).
std::string formatModuleInfo(const ModuleInfo& info);

}  // namespace nearfaas::wasm
