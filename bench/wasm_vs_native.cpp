// wasm_vs_native: runs the same C kernels (bench/kernels/*.c) natively and as
// WebAssembly through the engine, in one process, and prints wasm/native time
// ratios for each C compiler of generated code, plus instantiate time and
// codegen time per KB of wasm.
//
// The native side is built by the wasm side's front end, clang-19 at -O2, so
// the ratio measures the sandbox (WebAssembly semantics, wasm2c and the
// generated code's compiler), not two C front ends. The project's C compiler
// (gcc -O2) is an extra column.
//
// Per compiler: a fresh temporary code cache, every kernel module compiled
// (timed, not part of the ratios), instantiated once and initialised
// (_initialize of the reactor). Per kernel: one warm-up run per side, then R
// repetitions rotating the order (native, wasm, gcc; wasm, gcc, native; ...)
// so drift of a noisy machine hits every side alike; medians per side. Checksums of
// every run must agree, or the program stops with exit status 2.
//
// Exit status: 0 done (whether or not the performance goal is met), 1 setup
// error (missing module, compile failure, trap), 2 checksum mismatch.

#include <malloc.h>
#include <sched.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench_temp_dir.h"

#include "base/bytes.h"
#include "host/wasi.h"
#include "wasm/engine.h"
#include "wasm/host_registry.h"
#include "wasm/instance.h"

extern "C" {
// Built by clang-19 -O2 (bench/CMakeLists.txt): the native side.
uint64_t native_clang_kernel_matmul(uint32_t scale);
uint64_t native_clang_kernel_sha256(uint32_t scale);
uint64_t native_clang_kernel_wordcount(uint32_t scale);
uint64_t native_clang_kernel_jacobi2d(uint32_t scale);
uint64_t native_clang_kernel_nbody(uint32_t scale);
// Built by the project's C compiler (gcc -O2): the extra column.
uint64_t kernel_matmul(uint32_t scale);
uint64_t kernel_sha256(uint32_t scale);
uint64_t kernel_wordcount(uint32_t scale);
uint64_t kernel_jacobi2d(uint32_t scale);
uint64_t kernel_nbody(uint32_t scale);
}

namespace {

namespace fs = std::filesystem;
using namespace nearfaas;

// Performance goal of the engine (issue 3).
constexpr double kGoalMedianRatio = 1.2;
constexpr double kGoalMaxRatio = 1.5;

// A call into the guest that takes longer than this is a bug, not a result.
constexpr auto kCallTimeout = std::chrono::seconds(120);

struct Kernel {
  const char* name;
  uint64_t (*native)(uint32_t);     // clang-19 -O2, as the wasm side's front end
  uint64_t (*nativeGcc)(uint32_t);  // gcc -O2
  uint32_t scale;                   // default: roughly 100-250 ms natively
  uint32_t quickScale;              // --quick: roughly 10-30 ms
  const char* unit;                 // what `scale` counts
};

const Kernel kKernels[] = {
    {"matmul", native_clang_kernel_matmul, kernel_matmul, 768, 384, "n (n x n doubles)"},
    {"sha256", native_clang_kernel_sha256, kernel_sha256, 32, 6, "MiB hashed"},
    {"wordcount", native_clang_kernel_wordcount, kernel_wordcount, 4000, 800, "thousand words"},
    {"jacobi2d", native_clang_kernel_jacobi2d, kernel_jacobi2d, 1000, 400,
     "n (n x n grid, 100 steps)"},
    {"nbody", native_clang_kernel_nbody, kernel_nbody, 6000, 1000, "steps of 100 bodies"},
};

struct Options {
  unsigned reps = 5;
  std::vector<std::string> compilers = {"gcc", "clang-19"};
  std::string extraFlags;
  std::vector<std::string> kernels;
  bool quick = false;
  unsigned instantiateIters = 200;
  std::string wasmDir = BENCH_WASM_DIR;
  std::string tmpRoot;
  bool keepCache = false;
  int pinCpu = -1;
};

uint64_t nowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::vector<std::string> splitWords(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

using bench::BenchTempDir;

struct KernelResult {
  std::string name;
  uint32_t scale = 0;
  double wasmKb = 0;
  double compileMs = 0;
  double nativeMs = 0;  // clang-19
  double gccMs = 0;
  double wasmMs = 0;
  double ratio = 0;     // wasm / native (clang-19)
  double gccRatio = 0;  // wasm / gcc
  double minPairRatio = 0, maxPairRatio = 0;
  uint64_t checksum = 0;
};

struct CompilerResult {
  std::string label;  // compiler plus extra flags, as in the summary lines
  std::vector<KernelResult> kernels;
  double medianRatio = 0, maxRatio = 0;
  double medianGccRatio = 0;
  std::string maxKernel;
  double codegenMsPerKb = 0;
  double instantiateUs = 0, destroyUs = 0;
};

enum Status { kOk = 0, kSetupError = 1, kMismatch = 2 };

class Bench {
 public:
  explicit Bench(const Options& o) : o_(o) {}

  Status runCompiler(const std::string& cc, const std::vector<const Kernel*>& kernels,
                     const std::vector<Bytes>& modules, CompilerResult& out);

 private:
  const Options& o_;
};

Status Bench::runCompiler(const std::string& cc, const std::vector<const Kernel*>& kernels,
                          const std::vector<Bytes>& modules, CompilerResult& out) {
  wasm::EngineConfig cfg;
  cfg.compiler.cc = cc;
  cfg.compiler.extraFlags = splitWords(o_.extraFlags);
  cfg.compileJobs = 1;
  out.label = cc + (o_.extraFlags.empty() ? "" : " " + o_.extraFlags);

  std::string tag = fs::path(cc).filename().string();
  BenchTempDir cache(o_.tmpRoot, tag, o_.keepCache);
  if (cache.path().empty()) {
    std::fprintf(stderr, "error: cannot create a temporary directory\n");
    return kSetupError;
  }
  cfg.cacheDir = cache.path();

  std::string flags;
  for (const auto& f : cfg.compiler.flags())
    flags += " " + f;
  std::printf("\n== generated code: %s%s\n", cc.c_str(), flags.c_str());
  std::printf("   code cache %s (fresh, removed at the end)\n", cache.path().c_str());
  std::fflush(stdout);

  wasm::Engine engine(cfg);
  wasm::HostRegistry host;
  host::registerWasi(host);
  host::WasiContext wasi;
  host::passThroughStdio(wasi);
  wasi.args = {"bench"};
  wasm::Linker linker;
  linker.addHost(host);
  wasm::InstanceOptions io;
  io.hostContext = &wasi;
  wasm::CallOptions callOpts;
  callOpts.timeout = kCallTimeout;

  // Compile every module (sequentially, so each compile has the machine).
  std::vector<wasm::ModuleHandle> handles;
  out.kernels.resize(kernels.size());
  for (size_t i = 0; i < kernels.size(); ++i) {
    uint64_t t0 = nowNs();
    auto m = engine.load(modules[i], &host);
    if (!m) {
      std::fprintf(stderr, "error: loading bench_%s.wasm with %s: %s\n", kernels[i]->name,
                   cc.c_str(), m.error().message.c_str());
      return kSetupError;
    }
    handles.push_back(*m);
    out.kernels[i].name = kernels[i]->name;
    out.kernels[i].compileMs = (nowNs() - t0) / 1e6;
    out.kernels[i].wasmKb = modules[i].size() / 1024.0;
  }
  const auto& st = engine.stats();
  double kb = st.compiledBytes.load() / 1024.0;
  out.codegenMsPerKb = kb > 0 ? st.compileNs.load() / 1e6 / kb : 0;
  std::printf("   compiled %" PRIu64 " modules, %.1f KB of wasm in %.2f s: %.1f ms per KB\n",
              st.compiled.load(), kb, st.compileNs.load() / 1e9, out.codegenMsPerKb);

  // Instantiate + destroy of the first kernel's module; the first is not
  // counted (it initialises the module's types and warms caches).
  {
    std::vector<double> inst, destroy;
    for (unsigned i = 0; i <= o_.instantiateIters; ++i) {
      uint64_t t0 = nowNs();
      auto x = linker.instantiate(handles[0], io);
      uint64_t t1 = nowNs();
      if (!x) {
        std::fprintf(stderr, "error: instantiating bench_%s: %s\n", kernels[0]->name,
                     x.error().message.c_str());
        return kSetupError;
      }
      x->reset();
      uint64_t t2 = nowNs();
      if (i == 0) continue;
      inst.push_back((t1 - t0) / 1e3);
      destroy.push_back((t2 - t1) / 1e3);
    }
    out.instantiateUs = median(inst);
    out.destroyUs = median(destroy);
    std::printf("   instantiate bench_%s: median %.1f us, destroy %.1f us (%u runs)\n",
                kernels[0]->name, out.instantiateUs, out.destroyUs, o_.instantiateIters);
  }

  std::printf("\n   %-10s %6s %8s %10s %10s %10s %8s  %-13s %8s %8s  %s\n", "kernel", "scale",
              "wasm KB", "compile ms", "native ms", "wasm ms", "w/n", "per-rep w/n", "gcc ms",
              "w/gcc", "checksum");
  std::fflush(stdout);

  for (size_t k = 0; k < kernels.size(); ++k) {
    const Kernel& kern = *kernels[k];
    KernelResult& r = out.kernels[k];
    r.scale = o_.quick ? kern.quickScale : kern.scale;

    auto inst = linker.instantiate(handles[k], io);
    if (!inst) {
      std::fprintf(stderr, "error: instantiating bench_%s: %s\n", kern.name,
                   inst.error().message.c_str());
      return kSetupError;
    }
    if (auto init = (*inst)->call("_initialize", {}, callOpts); !init) {
      std::fprintf(stderr, "error: bench_%s _initialize: %s\n", kern.name,
                   init.error().describe().c_str());
      return kSetupError;
    }
    const std::string exportName = std::string("kernel_") + kern.name;
    const std::vector<wasm::Value> args = {wasm::Value::makeI32(r.scale)};

    std::optional<uint64_t> expected;
    auto check = [&](const char* side, uint64_t sum) {
      if (!expected) expected = sum;
      if (sum == *expected) return true;
      std::fflush(stdout);
      std::fprintf(stderr,
                   "error: checksum mismatch in %s (scale %u, generated code by %s): %s gave "
                   "0x%016" PRIx64 ", expected 0x%016" PRIx64
                   "; the WebAssembly build computes something else than the native one\n",
                   kern.name, r.scale, out.label.c_str(), side, sum, *expected);
      return false;
    };
    auto runNative = [&](uint64_t (*kernel)(uint32_t), const char* side, double& ms) {
      uint64_t t0 = nowNs();
      uint64_t sum = kernel(r.scale);
      ms = (nowNs() - t0) / 1e6;
      return check(side, sum);
    };
    bool trapped = false;
    auto runWasm = [&](double& ms) {
      uint64_t t0 = nowNs();
      auto res = (*inst)->call(exportName, args, callOpts);
      ms = (nowNs() - t0) / 1e6;
      if (!res || res->size() != 1 || res->at(0).type != wasm::ValType::I64) {
        std::fflush(stdout);
        std::fprintf(stderr, "error: %s in wasm (%s): %s\n", exportName.c_str(), out.label.c_str(),
                     !res ? res.error().describe().c_str() : "unexpected result type");
        trapped = true;
        return false;
      }
      return check("wasm", res->at(0).i64);
    };

    // Side s of the three: 0 native (clang-19), 1 wasm, 2 native (gcc).
    double times[3];
    auto run = [&](int s) {
      if (s == 0) return runNative(kern.native, "native (clang-19)", times[0]);
      if (s == 2) return runNative(kern.nativeGcc, "native (gcc)", times[2]);
      return runWasm(times[1]);
    };
    for (int s = 0; s < 3; ++s)  // warm-up
      if (!run(s)) return trapped ? kSetupError : kMismatch;

    std::vector<double> nat, was, gcc, pair;
    for (unsigned rep = 0; rep < o_.reps; ++rep) {
      for (int i = 0; i < 3; ++i)
        if (!run((rep + i) % 3)) return trapped ? kSetupError : kMismatch;
      nat.push_back(times[0]);
      was.push_back(times[1]);
      gcc.push_back(times[2]);
      pair.push_back(times[1] / times[0]);
    }
    r.checksum = *expected;
    r.nativeMs = median(nat);
    r.wasmMs = median(was);
    r.gccMs = median(gcc);
    r.ratio = r.wasmMs / r.nativeMs;
    r.gccRatio = r.wasmMs / r.gccMs;
    r.minPairRatio = *std::min_element(pair.begin(), pair.end());
    r.maxPairRatio = *std::max_element(pair.begin(), pair.end());
    char range[32];
    std::snprintf(range, sizeof range, "%.2f-%.2f", r.minPairRatio, r.maxPairRatio);
    std::printf("   %-10s %6u %8.1f %10.0f %10.1f %10.1f %8.2f  %-13s %8.1f %8.2f  %016" PRIx64
                "\n",
                r.name.c_str(), r.scale, r.wasmKb, r.compileMs, r.nativeMs, r.wasmMs, r.ratio,
                range, r.gccMs, r.gccRatio, r.checksum);
    std::fflush(stdout);
  }

  std::vector<double> ratios, gccRatios;
  for (const auto& r : out.kernels) {
    ratios.push_back(r.ratio);
    gccRatios.push_back(r.gccRatio);
    if (r.ratio > out.maxRatio) {
      out.maxRatio = r.ratio;
      out.maxKernel = r.name;
    }
  }
  out.medianRatio = median(ratios);
  out.medianGccRatio = median(gccRatios);
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "Runs the same C kernels natively and as WebAssembly (through the NearFaaS engine) side by "
      "side and prints wasm/native time ratios per C compiler of generated code, instantiate "
      "time and codegen time per KB of wasm."};
  app.add_option("--reps", o.reps,
                 "timed repetitions per side and kernel (default 5; 3 with --quick)")
      ->check(CLI::Range(1u, 1000u));
  app.add_option("--cc", o.compilers, "C compilers for generated code, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--flags", o.extraFlags,
                 "extra flags for the generated-code compiler, space-separated (e.g. \"-O3 "
                 "-march=x86-64-v2\"); appended to the engine's flags");
  app.add_option("--kernels", o.kernels, "kernels to run, comma-separated (default all)")
      ->delimiter(',');
  app.add_flag("--quick", o.quick, "smaller problem sizes and fewer repetitions (for CI)");
  app.add_option("--instantiate-runs", o.instantiateIters,
                 "instantiate+destroy runs timed (default 200; 50 with --quick)")
      ->check(CLI::Range(1u, 100000u));
  app.add_option("--wasm-dir", o.wasmDir, "directory of the bench_<kernel>.wasm modules")
      ->capture_default_str();
  app.add_option("--tmp-dir", o.tmpRoot,
                 "where the temporary code caches are created (default $TMPDIR or /tmp)");
  app.add_flag("--keep-cache", o.keepCache,
               "keep the code caches (to inspect the generated shared objects)");
  app.add_option("--pin", o.pinCpu, "run on this CPU only (default: no pinning)");
  app.footer("Kernels (scale: default / --quick):\n" + [] {
    std::string s;
    for (const auto& k : kKernels) {
      char line[160];
      std::snprintf(line, sizeof line, "  %-10s %u / %u  %s\n", k.name, k.scale, k.quickScale,
                    k.unit);
      s += line;
    }
    return s;
  }());
  CLI11_PARSE(app, argc, argv);
  if (o.quick) {
    if (app.count("--reps") == 0) o.reps = 3;
    if (app.count("--instantiate-runs") == 0) o.instantiateIters = 50;
  }
  if (o.compilers.empty()) {
    std::fprintf(stderr, "error: --cc names no compiler\n");
    return kSetupError;
  }

  std::vector<const Kernel*> kernels;
  if (o.kernels.empty()) {
    for (const auto& k : kKernels)
      kernels.push_back(&k);
  } else {
    for (const auto& name : o.kernels) {
      auto it = std::find_if(std::begin(kKernels), std::end(kKernels),
                             [&](const Kernel& k) { return name == k.name; });
      if (it == std::end(kKernels)) {
        std::fprintf(stderr, "error: no kernel '%s'\n", name.c_str());
        return kSetupError;
      }
      kernels.push_back(&*it);
    }
  }

  // Native memory behaves like linear memory: a wasm guest's memory only
  // grows, so after the warm-up run its kernel never touches a fresh page,
  // whereas glibc by default maps big blocks freshly (mmap) or returns freed
  // heap to the system, and the native side would pay page faults (up to 10%
  // of a run) in every repetition. Blocks up to 32 MiB (glibc's limit) come
  // from the heap, which is never trimmed.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);

  if (o.pinCpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(o.pinCpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
      std::fprintf(stderr, "error: cannot pin to CPU %d\n", o.pinCpu);
      return kSetupError;
    }
  }

  std::vector<Bytes> modules;
  for (const Kernel* k : kernels) {
    fs::path p = fs::path(o.wasmDir) / ("bench_" + std::string(k->name) + ".wasm");
    auto bytes = readFile(p);
    if (!bytes) {
      std::fprintf(stderr, "error: %s\n", bytes.error().message.c_str());
      return kSetupError;
    }
    modules.push_back(std::move(*bytes));
  }

  uint64_t start = nowNs();
  std::printf(
      "wasm_vs_native: %zu kernels, %u reps (rotating), %s sizes\n"
      "native: clang-19 -O2 (the wasm side's front end); wasm: clang-19 -O2 to wasm32-wasi, then "
      "the generated C by each compiler below; gcc: %s -O2 natively, an extra column\n",
      kernels.size(), o.reps, o.quick ? "quick" : "default", BENCH_NATIVE_CC);

  Bench bench(o);
  std::vector<CompilerResult> results;
  for (const auto& cc : o.compilers) {
    CompilerResult r;
    if (Status s = bench.runCompiler(cc, kernels, modules, r); s != kOk) return s;
    std::printf("   median w/n %.2f, max %.2f (%s); median w/gcc %.2f\n", r.medianRatio, r.maxRatio,
                r.maxKernel.c_str(), r.medianGccRatio);
    results.push_back(std::move(r));
  }

  // Side by side ratios, then the grep-able summary lines.
  std::printf("\n== wasm/native by kernel\n   %-10s", "kernel");
  for (const auto& r : results)
    std::printf("  %*s", std::max(8, int(r.label.size())), r.label.c_str());
  std::printf("\n");
  for (size_t k = 0; k < kernels.size(); ++k) {
    std::printf("   %-10s", kernels[k]->name);
    for (const auto& r : results)
      std::printf("  %*.2f", std::max(8, int(r.label.size())), r.kernels[k].ratio);
    std::printf("\n");
  }
  std::printf("   %-10s", "median");
  for (const auto& r : results)
    std::printf("  %*.2f", std::max(8, int(r.label.size())), r.medianRatio);
  std::printf("\n");

  std::printf("\n== summary (goal: median <= %.1f, no kernel above %.1f)\n", kGoalMedianRatio,
              kGoalMaxRatio);
  for (const auto& r : results)
    std::printf("wasm/native median ratio (%s): %.2f, max %.2f\n", r.label.c_str(), r.medianRatio,
                r.maxRatio);
  for (const auto& r : results)
    std::printf("wasm/native-gcc median ratio (%s): %.2f\n", r.label.c_str(), r.medianGccRatio);
  std::printf("instantiate: %.0f us\n", results.front().instantiateUs);
  for (const auto& r : results)
    std::printf("codegen (%s): %.1f ms per KB of wasm\n", r.label.c_str(), r.codegenMsPerKb);
  for (const auto& r : results) {
    bool met = r.medianRatio <= kGoalMedianRatio && r.maxRatio <= kGoalMaxRatio;
    std::printf("goal (%s): %s\n", r.label.c_str(), met ? "met" : "not met");
  }
  if (results.size() > 1) {
    auto best = std::min_element(results.begin(), results.end(), [](const auto& a, const auto& b) {
      return a.medianRatio < b.medianRatio;
    });
    std::printf("best median ratio: %s (%.2f)\n", best->label.c_str(), best->medianRatio);
  }
  std::printf("total time: %.1f s\n", (nowNs() - start) / 1e9);
  return kOk;
}
