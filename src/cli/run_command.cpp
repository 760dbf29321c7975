#include "cli/run_command.h"

#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include <unistd.h>

#include "base/bytes.h"
#include "cli/engine_options.h"
#include "host/host_dirs.h"
#include "host/wasi.h"
#include "wasm/engine.h"
#include "wasm/instance.h"
#include "wasm/runtime.h"

namespace nearfaas::cli {

namespace {

struct RunOptions {
  EngineOptions engine;
  std::string file;
  std::vector<std::string> args;
  std::string invoke;
  unsigned timeoutMs = 0;
  uint32_t maxMemoryPages = wasm::kDefaultMaxMemoryPages;
  std::vector<std::string> env;
  std::vector<std::string> dirs;  // HOST[::GUEST]
};

std::optional<wasm::Value> parseArg(wasm::ValType t, const std::string& s) {
  try {
    size_t used = 0;
    wasm::Value v;
    switch (t) {
      case wasm::ValType::I32: {
        long long x = std::stoll(s, &used, 0);
        if (x < INT32_MIN || x > UINT32_MAX) return std::nullopt;
        v = wasm::Value::makeI32(static_cast<uint32_t>(x));
        break;
      }
      case wasm::ValType::I64:
        v = wasm::Value::makeI64(s[0] == '-' ? static_cast<uint64_t>(std::stoll(s, &used, 0))
                                             : std::stoull(s, &used, 0));
        break;
      case wasm::ValType::F32:
        v = wasm::Value::makeF32(std::stof(s, &used));
        break;
      case wasm::ValType::F64:
        v = wasm::Value::makeF64(std::stod(s, &used));
        break;
      default:
        return std::nullopt;
    }
    if (used != s.size()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string resultString(const wasm::Value& v) {
  char buf[64];
  switch (v.type) {
    case wasm::ValType::I32:
      std::snprintf(buf, sizeof buf, "%" PRId32, static_cast<int32_t>(v.i32));
      return buf;
    case wasm::ValType::I64:
      std::snprintf(buf, sizeof buf, "%" PRId64, static_cast<int64_t>(v.i64));
      return buf;
    case wasm::ValType::F32:
      std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v.f32));
      return buf;
    case wasm::ValType::F64:
      std::snprintf(buf, sizeof buf, "%.17g", v.f64);
      return buf;
    default:
      return wasm::valueString(v);
  }
}

int reportTrap(const wasm::Trap& trap) {
  if (trap.kind == wasm::TrapKind::Exit) return trap.exitCode;
  std::fflush(stdout);
  std::fprintf(stderr, "trap: %s\n", trap.describe().c_str());
  return kTrapExitStatus;
}

int runFile(const RunOptions& o) {
  auto bytes = readFile(o.file);
  if (!bytes) {
    std::fprintf(stderr, "error: %s\n", bytes.error().message.c_str());
    return 1;
  }
  // The directories first: a missing one is an error before any compiling.
  std::unique_ptr<host::HostDirs> dirs;
  if (!o.dirs.empty()) {
    std::vector<host::Preopen> preopens;
    for (const auto& spec : o.dirs)
      preopens.push_back(host::parsePreopen(spec));
    auto opened = host::HostDirs::open(preopens);
    if (!opened) {
      std::fprintf(stderr, "error: --dir: %s\n", opened.error().message.c_str());
      return 1;
    }
    dirs = std::move(*opened);
  }
  wasm::HostRegistry host;
  host::registerWasi(host);
  wasm::Engine engine(o.engine.config());
  auto module = engine.load(*bytes, &host);
  if (!module) {
    std::fprintf(stderr, "error: %s: %s\n", o.file.c_str(), module.error().message.c_str());
    return 1;
  }

  host::WasiContext wasi;
  host::passThroughStdio(wasi);
  wasi.args.push_back(std::filesystem::path(o.file).filename().string());
  if (o.invoke.empty()) wasi.args.insert(wasi.args.end(), o.args.begin(), o.args.end());
  wasi.env = o.env;
  wasi.files = dirs.get();
  // A command's stdio is a terminal when the process's is (wasi-libc then
  // line-buffers stdout, as natively). An export called with --invoke keeps
  // seeing terminals: nothing calls the guest's exit to flush a full buffer.
  if (o.invoke.empty())
    for (int fd = 0; fd < 3; ++fd)
      wasi.stdioIsTerminal[fd] = ::isatty(fd) == 1;

  wasm::Linker linker;
  linker.addHost(host);
  wasm::InstanceOptions iopts;
  iopts.maxMemoryPages = o.maxMemoryPages;
  iopts.hostContext = &wasi;
  iopts.startTimeout = std::chrono::milliseconds(o.timeoutMs);
  auto inst = linker.instantiate(*module, iopts);
  if (!inst) {
    if (inst.error().trap) return reportTrap(*inst.error().trap);
    std::fprintf(stderr, "error: %s: %s\n", o.file.c_str(), inst.error().message.c_str());
    return 1;
  }

  wasm::CallOptions copts;
  copts.timeout = std::chrono::milliseconds(o.timeoutMs);
  std::string entry = o.invoke.empty() ? "_start" : o.invoke;
  const wasm::ExportDesc* e = (*inst)->info().findExport(entry);
  if (!e || e->kind != wasm::ExternKind::Func) {
    std::fprintf(stderr, "error: %s exports no function '%s'\n", o.file.c_str(), entry.c_str());
    return 1;
  }
  std::vector<wasm::Value> args;
  if (!o.invoke.empty()) {
    const wasm::FuncType& type = (*inst)->info().funcType(e->index);
    if (type.params.size() != o.args.size()) {
      std::fprintf(stderr, "error: '%s' has type %s; got %zu arguments\n", entry.c_str(),
                   wasm::funcTypeString(type).c_str(), o.args.size());
      return 1;
    }
    for (size_t i = 0; i < o.args.size(); ++i) {
      auto v = parseArg(type.params[i], o.args[i]);
      if (!v) {
        std::fprintf(stderr, "error: argument %zu ('%s') is not a valid %s\n", i, o.args[i].c_str(),
                     wasm::valTypeName(type.params[i]));
        return 1;
      }
      args.push_back(*v);
    }
  }
  auto result = (*inst)->callFunction(e->index, args, copts);
  std::fflush(stdout);
  if (!result) return reportTrap(result.error());
  for (const auto& v : *result)
    std::printf("%s\n", resultString(v).c_str());
  return 0;
}

}  // namespace

void addRunCommands(CLI::App& app, int& exitStatus) {
  auto opts = std::make_shared<RunOptions>();
  auto* run = app.add_subcommand(
      "run", "Run a .wasm file's _start (a WASI command) or one of its exports, on this machine");
  run->add_option("file", opts->file, "WebAssembly module")->required()->check(CLI::ExistingFile);
  run->add_option("--invoke", opts->invoke,
                  "call this export instead of _start and print its results");
  run->add_option("--timeout", opts->timeoutMs,
                  "stop the guest after this many milliseconds (0 = none)");
  run->add_option("--max-memory-pages", opts->maxMemoryPages,
                  "memory limit in 64 KiB pages (default and maximum 65535)")
      ->check(CLI::Range(1u, wasm::kMaxMemoryPages));
  // One value per use: the module file and its arguments follow.
  run->add_option("--env", opts->env, "KEY=VALUE for the guest's environment (repeatable)")
      ->allow_extra_args(false);
  run->add_option("--dir", opts->dirs,
                  "HOST[::GUEST]: give the guest the host directory HOST, preopened as GUEST "
                  "(default: HOST as given), with WASI preview1 semantics: paths stay inside "
                  "it (\"..\", absolute paths and symlinks that leave it fail with ENOTCAPABLE); "
                  "repeatable")
      ->allow_extra_args(false);
  opts->engine.addTo(*run);
  // Everything after the module file belongs to the guest, options included.
  run->prefix_command(true);
  run->footer(
      "ARG...: arguments after FILE are the guest's argv[1..] (for _start) or the export's "
      "parameters (with --invoke).");
  run->callback([run, opts, &exitStatus] {
    opts->args = run->remaining();
    exitStatus = runFile(*opts);
  });

  auto inspectFile = std::make_shared<std::string>();
  auto* inspect = app.add_subcommand("inspect", "Validate a .wasm file and describe it");
  inspect->add_option("file", *inspectFile, "WebAssembly module")
      ->required()
      ->check(CLI::ExistingFile);
  inspect->callback([inspectFile, &exitStatus] {
    auto bytes = readFile(*inspectFile);
    auto info = bytes ? wasm::describeModule(*bytes) : std::unexpected(bytes.error());
    if (!info) {
      std::fprintf(stderr, "error: %s: %s\n", inspectFile->c_str(), info.error().message.c_str());
      exitStatus = 1;
      return;
    }
    std::fputs(wasm::formatModuleInfo(*info).c_str(), stdout);
    exitStatus = 0;
  });

  auto compileOpts = std::make_shared<RunOptions>();
  auto* compile = app.add_subcommand("compile", "Generate and cache machine code for a .wasm file");
  compile->add_option("file", compileOpts->file, "WebAssembly module")
      ->required()
      ->check(CLI::ExistingFile);
  compileOpts->engine.addTo(*compile);
  compile->callback([compileOpts, &exitStatus] {
    auto bytes = readFile(compileOpts->file);
    if (!bytes) {
      std::fprintf(stderr, "error: %s\n", bytes.error().message.c_str());
      exitStatus = 1;
      return;
    }
    wasm::Engine engine(compileOpts->engine.config());
    uint64_t start = wasm::monotonicNowNs();
    auto module = engine.load(*bytes);
    if (!module) {
      std::fprintf(stderr, "error: %s: %s\n", compileOpts->file.c_str(),
                   module.error().message.c_str());
      exitStatus = 1;
      return;
    }
    std::printf("%s: %s in %.1f ms -> %s\n", compileOpts->file.c_str(),
                engine.stats().compiled ? "compiled" : "cached",
                (wasm::monotonicNowNs() - start) / 1e6, (*module)->objectPath().c_str());
    exitStatus = 0;
  });
}

}  // namespace nearfaas::cli
