#include "wasm/engine.h"

#include <dlfcn.h>

#include <cstdlib>
#include <thread>

#include "base/bytes.h"
#include "wasm/codegen.h"
#include "wasm/decoded_module.h"
#include "wasm/host_registry.h"
#include "wasm/runtime.h"

namespace nearfaas::wasm {

namespace fs = std::filesystem;

fs::path EngineConfig::defaultCacheDir() {
  if (const char* d = std::getenv("NEARFAAS_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "nearfaas/code";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache/nearfaas/code";
  return {};
}

CompiledModule::~CompiledModule() {
  if (handle_) dlclose(handle_);
}

Engine::Engine(EngineConfig config)
    : config_(std::move(config)),
      cache_(config_.cacheDir, config_.compiler, config_.maxCacheBytes) {
  initRuntime();
  if (config_.compileJobs == 0)
    config_.compileJobs = std::max(1u, std::thread::hardware_concurrency());
}

Engine::~Engine() = default;

Result<ModuleHandle> Engine::openObject(const std::string& hash, ModuleInfo info,
                                        const fs::path& path) {
  if (auto ok = checkPrivateFile(path); !ok)
    return fail("refusing to load compiled module: ", ok.error().message);
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) return fail("cannot load compiled module ", path.string(), ": ", dlerror());
  auto abiFn = reinterpret_cast<nf_module_abi_fn>(dlsym(handle, kModuleAbiSymbol));
  if (!abiFn) {
    dlclose(handle);
    return fail("compiled module ", path.string(), " has no ", kModuleAbiSymbol);
  }
  const nf_module_abi_t* abi = abiFn();
  if (abi->abi_version != NF_GLUE_ABI_VERSION || abi->num_funcs != info.funcTypeIndex.size() ||
      abi->num_types != info.types.size()) {
    dlclose(handle);
    return fail("compiled module ", path.string(),
                " does not match its module; remove it from the cache");
  }
  abi->init_module();
  std::shared_ptr<CompiledModule> m(new CompiledModule());
  m->info_ = std::move(info);
  m->hash_ = hash;
  m->path_ = path;
  m->handle_ = handle;
  m->abi_ = abi;
  return m;
}

Result<ModuleHandle> Engine::loadDecoded(const std::string& hash, std::span<const uint8_t> wasm,
                                         const HostRegistry* host) {
  if (config_.cacheDir.empty())
    return fail(
        "no directory for generated code: set HOME, XDG_CACHE_HOME or NEARFAAS_CACHE_DIR, "
        "or give one (--cache-dir)");
  auto decoded = decodeModule(wasm);
  if (!decoded) return std::unexpected(decoded.error());
  if (host) {
    if (auto ok = host->checkImports((*decoded)->info); !ok) return std::unexpected(ok.error());
  }
  ModuleInfo info = (*decoded)->info;
  fs::path path = cache_.pathFor(hash);
  std::error_code ec;
  if (fs::exists(path, ec)) {
    auto module = openObject(hash, info, path);
    if (module) {
      stats_.diskHits++;
      CodeCache::touch(path);
      std::lock_guard lock(mutex_);
      loaded_[hash] = *module;
      return module;
    }
    // A damaged cache entry (truncated by a crash, wrong ABI) or one that is
    // not private to this user: rebuild it.
    fs::remove(path, ec);
  }
  uint64_t start = monotonicNowNs();
  auto compiled = cache_.getOrCompile(hash, **decoded);
  if (!compiled) return std::unexpected(compiled.error());
  stats_.compiled++;
  stats_.compileNs += monotonicNowNs() - start;
  stats_.compiledBytes += wasm.size();
  auto module = openObject(hash, std::move(info), path);
  if (!module) return module;
  std::lock_guard lock(mutex_);
  loaded_[hash] = *module;
  return module;
}

Result<ModuleHandle> Engine::load(std::span<const uint8_t> wasm, const HostRegistry* host) {
  std::string hash = sha256Hex(wasm);
  {
    std::lock_guard lock(mutex_);
    if (auto it = loaded_.find(hash); it != loaded_.end()) {
      if (auto m = it->second.lock()) {
        stats_.memoryHits++;
        if (host) {
          if (auto ok = host->checkImports(m->info()); !ok) return std::unexpected(ok.error());
        }
        return ModuleHandle(m);
      }
    }
  }
  return loadDecoded(hash, wasm, host);
}

std::vector<Result<ModuleHandle>> Engine::loadAll(
    const std::vector<std::span<const uint8_t>>& modules) {
  std::vector<Result<ModuleHandle>> results(modules.size(), fail("not loaded"));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < modules.size();)
      results[i] = load(modules[i]);
  };
  unsigned jobs = std::min<size_t>(config_.compileJobs, modules.size());
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < jobs; ++j)
    threads.emplace_back(worker);
  worker();
  for (auto& t : threads)
    t.join();
  return results;
}

}  // namespace nearfaas::wasm
