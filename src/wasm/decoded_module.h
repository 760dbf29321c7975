// Internal to src/wasm: a decoded and validated module in libwabt's IR, as
// shared by describeModule() and code generation. Not part of the public API.
#pragma once

#include <memory>
#include <span>

#include "base/result.h"
#include "wasm/module_info.h"

namespace wabt {
struct Module;
}

namespace nearfaas::wasm {

struct DecodedModule {
  std::unique_ptr<wabt::Module> ir;
  ModuleInfo info;
  DecodedModule();
  ~DecodedModule();
};

Result<std::unique_ptr<DecodedModule>> decodeModule(std::span<const uint8_t> wasm);

}  // namespace nearfaas::wasm
