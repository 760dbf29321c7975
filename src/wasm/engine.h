// The WebAssembly engine: turns module bytes into loaded machine code.
//
// Engine::load() decodes and validates a module, generates C for it (wasm2c
// plus glue), compiles that with the system C compiler into a shared object
// cached on disk by the module's content hash, and dlopen()s it. Compilation
// runs once per module and compiler configuration; later loads, in this or any
// other process using the same cache directory, only dlopen. Loaded modules
// are also kept in memory while anything uses them.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "wasm/code_cache.h"
#include "wasm/glue_abi.h"
#include "wasm/module_info.h"

namespace nearfaas::wasm {

class HostRegistry;

// A module whose code is loaded into this process. Immutable and shareable
// between threads; instances keep it alive.
class CompiledModule {
 public:
  ~CompiledModule();
  CompiledModule(const CompiledModule&) = delete;
  CompiledModule& operator=(const CompiledModule&) = delete;

  const ModuleInfo& info() const { return info_; }
  const std::string& hash() const { return hash_; }  // SHA-256 of the wasm bytes
  const nf_module_abi_t& abi() const { return *abi_; }
  const std::filesystem::path& objectPath() const { return path_; }

 private:
  friend class Engine;
  CompiledModule() = default;
  ModuleInfo info_;
  std::string hash_;
  std::filesystem::path path_;
  void* handle_ = nullptr;
  const nf_module_abi_t* abi_ = nullptr;
};

using ModuleHandle = std::shared_ptr<const CompiledModule>;

struct EngineConfig {
  std::filesystem::path cacheDir = defaultCacheDir();
  CompilerSettings compiler;
  unsigned compileJobs = 0;  // parallel compilers in loadAll(); 0 = number of cores
  uint64_t maxCacheBytes = kDefaultMaxCacheBytes;  // the cache directory is trimmed to it

  // $NEARFAAS_CACHE_DIR, else $XDG_CACHE_HOME/nearfaas/code, else
  // ~/.cache/nearfaas/code; empty when none is set (loads then fail: a
  // shared directory such as /tmp is no place for code this process runs).
  static std::filesystem::path defaultCacheDir();
};

struct EngineStats {
  std::atomic<uint64_t> compiled{0};       // modules compiled by this engine
  std::atomic<uint64_t> compileNs{0};      // time spent generating and compiling
  std::atomic<uint64_t> compiledBytes{0};  // wasm bytes of the compiled modules
  std::atomic<uint64_t> diskHits{0};       // loads served by the on-disk cache
  std::atomic<uint64_t> memoryHits{0};     // loads served by an already loaded module
};

class Engine {
 public:
  explicit Engine(EngineConfig config = {});
  ~Engine();

  // Loads a module. If `host` is given, a module importing anything `host`
  // does not provide (by module, field and type) is refused before codegen.
  // Only a cached shared object that checkPrivateFile() accepts is loaded; one
  // it refuses is generated again (and if that one is refused too, because
  // the directory is not private, loading fails).
  Result<ModuleHandle> load(std::span<const uint8_t> wasm, const HostRegistry* host = nullptr);

  // Loads many modules, compiling cache misses with up to compileJobs
  // compilers in parallel. Results are in the order of `modules`.
  std::vector<Result<ModuleHandle>> loadAll(const std::vector<std::span<const uint8_t>>& modules);

  const EngineConfig& config() const { return config_; }
  const EngineStats& stats() const { return stats_; }
  // Where the code generated for `wasm` is (or would be) cached; its file
  // name identifies the module and the compiler settings.
  std::filesystem::path cachedObjectPath(std::span<const uint8_t> wasm) {
    return cache_.pathFor(sha256Hex(wasm));
  }

 private:
  Result<ModuleHandle> loadDecoded(const std::string& hash, std::span<const uint8_t> wasm,
                                   const HostRegistry* host);
  Result<ModuleHandle> openObject(const std::string& hash, ModuleInfo info,
                                  const std::filesystem::path& path);

  EngineConfig config_;
  CodeCache cache_;
  EngineStats stats_;
  std::mutex mutex_;
  std::map<std::string, std::weak_ptr<const CompiledModule>> loaded_;
};

}  // namespace nearfaas::wasm
