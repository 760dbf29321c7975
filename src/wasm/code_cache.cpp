#include "wasm/code_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <atomic>
#include <system_error>

#include "base/bytes.h"
#include "base/process.h"
#include "wasm/codegen.h"
#include "wasm/glue_abi.h"

namespace nearfaas::wasm {

namespace fs = std::filesystem;

std::vector<std::string> CompilerSettings::flags() const {
  std::vector<std::string> f = {"-O2", "-fno-optimize-sibling-calls", "-ffp-contract=off",
                                "-fstack-clash-protection", "-w"};
  bool isClang = std::filesystem::path(cc).filename().string().find("clang") != std::string::npos;
  f.push_back(isClang ? "-ffp-exception-behavior=maytrap" : "-fsignaling-nans");
  f.insert(f.end(), extraFlags.begin(), extraFlags.end());
  return f;
}

CodeCache::CodeCache(fs::path dir, CompilerSettings settings, uint64_t maxBytes)
    : dir_(std::move(dir)), settings_(std::move(settings)), maxBytes_(maxBytes) {}

void CodeCache::touch(const fs::path& object) {
  ::utimensat(AT_FDCWD, object.c_str(), nullptr, 0);
}

void CodeCache::trim(const fs::path& keep) {
  struct Entry {
    fs::file_time_type used;
    uint64_t bytes;
    fs::path path;
  };
  std::vector<Entry> modules;
  uint64_t total = 0;
  std::error_code ec;
  // A build directory or temporary file older than this belongs to a build
  // that is not running any more (every step has a timeout).
  auto stale = fs::file_time_type::clock::now() - 3 * settings_.timeout;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    std::string name = e.path().filename().string();
    auto time = e.last_write_time(ec);
    if (ec) continue;
    bool leftover = name.starts_with("build-") || name.find(".tmp.") != std::string::npos;
    if (leftover) {
      if (time < stale) fs::remove_all(e.path(), ec);
      continue;
    }
    if (!e.is_regular_file(ec) || e.path().extension() != ".so") continue;
    uint64_t bytes = e.file_size(ec);
    if (ec) continue;
    total += bytes;
    if (e.path() != keep) modules.push_back({time, bytes, e.path()});
  }
  std::sort(modules.begin(), modules.end(),
            [](const Entry& a, const Entry& b) { return a.used < b.used; });
  for (const Entry& m : modules) {
    if (total <= maxBytes_) break;
    if (fs::remove(m.path, ec)) total -= m.bytes;
  }
}

const std::string& CodeCache::configKey() {
  std::call_once(keyOnce_, [this] {
    std::string identity = settings_.cc;
    if (auto v = runProcess({settings_.cc, "--version"}, std::chrono::seconds(30));
        v && v->exitCode == 0)
      identity += "\n" + v->output.substr(0, v->output.find('\n'));
    for (const auto& f : settings_.flags())
      identity += " " + f;
    identity += "\ncodegen " + std::to_string(kCodegenVersion) + " glue " +
                std::to_string(NF_GLUE_ABI_VERSION);
    configKey_ = sha256Hex(identity).substr(0, 16);
  });
  return configKey_;
}

fs::path CodeCache::pathFor(const std::string& hash) {
  return dir_ / (hash + "-" + configKey() + ".so");
}

Result<fs::path> CodeCache::getOrCompile(const std::string& hash, DecodedModule& module) {
  fs::path target = pathFor(hash);
  std::error_code ec;
  if (fs::exists(target, ec)) return target;

  fs::create_directories(dir_, ec);
  static std::atomic<uint64_t> counter{0};
  fs::path work = dir_ / ("build-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  fs::create_directories(work, ec);
  if (ec) return fail("code cache: cannot create ", work.string(), ": ", ec.message());
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(p, e);
    }
  } cleanup{work};

  // wasm2c runs in a child process: it aborts on some inputs it cannot
  // translate, and that must not take a server down.
  fs::path source = work / "module.c";
  auto generated = runIsolated(
      [&]() -> Result<void> {
        auto c = generateC(module);
        if (!c) return std::unexpected(c.error());
        if (auto r = writeFileAtomic(work / kGeneratedHeaderName, c->header); !r) return r;
        return writeFileAtomic(source, c->source);
      },
      settings_.timeout, settings_.maxMemoryBytes);
  if (!generated) return fail("codegen: wasm2c: ", generated.error().message);

  fs::path object = work / "module.so";
  std::vector<std::string> argv = {settings_.cc};
  auto flags = settings_.flags();
  argv.insert(argv.end(), flags.begin(), flags.end());
  for (const char* f : {"-fPIC", "-shared", "-fvisibility=hidden"})
    argv.emplace_back(f);
  argv.insert(argv.end(), {"-o", object.string(), source.string(), "-lm"});
  auto proc = runProcess(argv, settings_.timeout, {settings_.maxMemoryBytes});
  if (!proc) return fail("codegen: ", proc.error().message);
  if (proc->timedOut) return fail("codegen: ", settings_.cc, " timed out");
  if (proc->exitCode != 0) {
    std::string out = proc->output;
    if (out.size() > 4000) out = out.substr(0, 4000) + "\n...";
    return fail("codegen: ", settings_.cc, " failed (exit ", std::to_string(proc->exitCode), "):\n",
                out);
  }
  fs::rename(object, target, ec);
  if (ec) return fail("code cache: cannot store ", target.string(), ": ", ec.message());
  trim(target);
  return target;
}

}  // namespace nearfaas::wasm
