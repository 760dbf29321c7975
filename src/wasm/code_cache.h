// On-disk cache of compiled modules. A module's machine code is a shared
// object built from generateC() output by the system C compiler, stored as
// <dir>/<content hash>-<config key>.so. The config key covers the compiler's
// identity, its flags and the generator/glue versions, so changing any of them
// never reuses stale code. Files appear atomically (rename), so concurrent
// compilers of the same module, in this process or others, are harmless.
//
// Code generation handles untrusted modules, so each step is bounded: wasm2c
// runs in a forked child and the compiler in a process group of its own,
// each with a timeout (the whole group is killed) and a memory limit; the
// directory is trimmed to a size, least recently used entries first.
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
  // Per step (translation, compilation); the step is killed after it.
  std::chrono::seconds timeout{600};
  // Memory of each step: what the translating child may allocate, and the
  // address space of the compiler and everything it starts.
  uint64_t maxMemoryBytes = 4ull << 30;

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

// Bytes of compiled modules a cache directory keeps by default.
inline constexpr uint64_t kDefaultMaxCacheBytes = 2ull << 30;

class CodeCache {
 public:
  // After each compile, the least recently used modules (by modification
  // time; see touch()) are removed until the directory holds at most
  // `maxBytes` of them; the one just compiled always stays. A removed module
  // that is loaded stays valid and is compiled again when next needed.
  CodeCache(std::filesystem::path dir, CompilerSettings settings,
            uint64_t maxBytes = kDefaultMaxCacheBytes);

  // Path of the shared object for the module with content hash `hash`; on a
  // miss, generates C for `module` (which is renamed in place) and compiles it.
  Result<std::filesystem::path> getOrCompile(const std::string& hash, DecodedModule& module);

  // Path the shared object for `hash` has (whether or not it exists yet).
  std::filesystem::path pathFor(const std::string& hash);

  // Marks a cached module as used now, for trimming.
  static void touch(const std::filesystem::path& object);

  const std::filesystem::path& dir() const { return dir_; }
  const CompilerSettings& settings() const { return settings_; }

 private:
  const std::string& configKey();
  // Removes least recently used modules beyond maxBytes_ (never `keep`),
  // and what crashed builds left behind.
  void trim(const std::filesystem::path& keep);

  std::filesystem::path dir_;
  CompilerSettings settings_;
  uint64_t maxBytes_;
  std::once_flag keyOnce_;
  std::string configKey_;
};

}  // namespace nearfaas::wasm
