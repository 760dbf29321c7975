// On-disk cache of compiled modules. A module's machine code is a shared
// object built from generateC() output by the system C compiler, stored as
// <dir>/<content hash>-<config key>.so. The config key covers the compiler's
// identity, its flags and the generator/glue versions, so changing any of them
// never reuses stale code. Files appear atomically (rename), so concurrent
// compilers of the same module, in this process or others, are harmless.
#pragma once

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "wasm/decoded_module.h"

namespace nearfaas::wasm {

struct CompilerSettings {
  // C compiler for generated code, chosen by measurement (bench/wasm_vs_native).
  std::string cc = "gcc";
  // Extra flags after the ones flagsFor() derives; never -Werror (valid
  // modules can produce warnings).
  std::vector<std::string> extraFlags;
  std::chrono::seconds timeout{600};

  // Full flag list for `cc`. Besides optimisation, each flag keeps a
  // WebAssembly guarantee the C compiler would otherwise optimise away:
  //  -fno-optimize-sibling-calls  recursion stays recursion, so unbounded
  //                               recursion exhausts the stack and traps;
  //  -ffp-contract=off            no fused multiply-add;
  //  -fsignaling-nans (gcc) / -ffp-exception-behavior=maytrap (clang)
  //                               x*1.0, x-0.0 etc. are not folded to x, since
  //                               they must quiet a signaling NaN;
  //  -fstack-clash-protection     big frames probe every stack page, so they
  //                               cannot jump over the guard page.
  std::vector<std::string> flags() const;
};

class CodeCache {
 public:
  CodeCache(std::filesystem::path dir, CompilerSettings settings);

  // Path of the shared object for the module with content hash `hash`; on a
  // miss, generates C for `module` (which is renamed in place) and compiles it.
  Result<std::filesystem::path> getOrCompile(const std::string& hash, DecodedModule& module);

  // Path the shared object for `hash` has (whether or not it exists yet).
  std::filesystem::path pathFor(const std::string& hash);

  const std::filesystem::path& dir() const { return dir_; }
  const CompilerSettings& settings() const { return settings_; }

 private:
  const std::string& configKey();

  std::filesystem::path dir_;
  CompilerSettings settings_;
  std::once_flag keyOnce_;
  std::string configKey_;
};

}  // namespace nearfaas::wasm
