#include "spectest/spectest.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>

#include "base/bytes.h"
#include "base/process.h"
#include "wasm/host_registry.h"
#include "wasm/instance.h"
#include "wasm/module_info.h"
#include "wasm/runtime.h"

namespace nearfaas::spectest {

namespace fs = std::filesystem;
using json = nlohmann::json;
using wasm::ValType;
using wasm::Value;

namespace {

// ---- The standard `spectest` host module --------------------------------------
void printNothing(wasm::Instance&) {}
void printI32(wasm::Instance&, uint32_t) {}
void printI64(wasm::Instance&, uint64_t) {}
void printF32(wasm::Instance&, float) {}
void printF64(wasm::Instance&, double) {}
void printI32F32(wasm::Instance&, uint32_t, float) {}
void printF64F64(wasm::Instance&, double, double) {}

const wasm::HostRegistry& spectestFunctions() {
  static const wasm::HostRegistry registry = [] {
    wasm::HostRegistry r;
    r.add<&printNothing>("spectest", "print");
    r.add<&printI32>("spectest", "print_i32");
    r.add<&printI64>("spectest", "print_i64");
    r.add<&printF32>("spectest", "print_f32");
    r.add<&printF64>("spectest", "print_f64");
    r.add<&printI32F32>("spectest", "print_i32_f32");
    r.add<&printF64F64>("spectest", "print_f64_f64");
    return r;
  }();
  return registry;
}

// The spectest globals, table and memory; one set per .wast file.
struct SpectestObjects {
  uint32_t globalI32 = 666;
  uint64_t globalI64 = 666;
  float globalF32 = 666.6f;
  double globalF64 = 666.6;
  wasm_rt_memory_t memory{};
  wasm_rt_funcref_table_t table{};

  SpectestObjects() {
    wasm::allocateMemory(&memory, 1, 2, wasm::kMaxMemoryPages);
    wasm_rt_allocate_funcref_table(&table, 10, 20);
  }
  ~SpectestObjects() {
    wasm::freeMemory(&memory);
    wasm_rt_free_funcref_table(&table);
  }

  void defineIn(wasm::Linker& linker) {
    using wasm::ExternGlobal;
    using wasm::GlobalType;
    linker.define("spectest", "global_i32",
                  ExternGlobal{GlobalType{ValType::I32, false}, &globalI32, {}});
    linker.define("spectest", "global_i64",
                  ExternGlobal{GlobalType{ValType::I64, false}, &globalI64, {}});
    linker.define("spectest", "global_f32",
                  ExternGlobal{GlobalType{ValType::F32, false}, &globalF32, {}});
    linker.define("spectest", "global_f64",
                  ExternGlobal{GlobalType{ValType::F64, false}, &globalF64, {}});
    linker.define("spectest", "memory", wasm::ExternMemory{&memory, wasm::Limits{1, 2}, {}});
    linker.define("spectest", "table",
                  wasm::ExternTable{ValType::FuncRef, &table, wasm::Limits{10, 20}, {}});
    linker.addHost(spectestFunctions());
  }
};

// ---- Values -------------------------------------------------------------------

// Externrefs of the scripts are small integers; the runtime sees N + 1 so that
// (ref.extern 0) is not null.
void* externFromScript(uint64_t n) {
  return reinterpret_cast<void*>(static_cast<uintptr_t>(n + 1));
}

std::optional<ValType> typeFromJson(const std::string& t) {
  if (t == "i32") return ValType::I32;
  if (t == "i64") return ValType::I64;
  if (t == "f32") return ValType::F32;
  if (t == "f64") return ValType::F64;
  if (t == "funcref") return ValType::FuncRef;
  if (t == "externref") return ValType::ExternRef;
  return std::nullopt;
}

Result<Value> argFromJson(const json& j) {
  auto type = typeFromJson(j.at("type").get<std::string>());
  if (!type) return fail("unsupported value type ", j.at("type").get<std::string>());
  std::string v = j.contains("value") ? j["value"].get<std::string>() : "";
  uint64_t bits = (v.empty() || v == "null") ? 0 : std::stoull(v);
  switch (*type) {
    case ValType::I32:
      return Value::makeI32(static_cast<uint32_t>(bits));
    case ValType::I64:
      return Value::makeI64(bits);
    case ValType::F32: {
      auto b = static_cast<uint32_t>(bits);
      float f;
      std::memcpy(&f, &b, 4);
      return Value::makeF32(f);
    }
    case ValType::F64: {
      double d;
      std::memcpy(&d, &bits, 8);
      return Value::makeF64(d);
    }
    case ValType::ExternRef:
      return Value::makeExternRef(v == "null" ? nullptr : externFromScript(bits));
    case ValType::FuncRef:
      if (v != "null") return fail("funcref arguments other than null are not supported");
      return Value::makeFuncRef({});
  }
  return fail("bad value");
}

std::string describeExpected(const json& j) {
  return j.at("type").get<std::string>() + ":" +
         (j.contains("value") ? j["value"].get<std::string>() : "<any>");
}

std::string describeActual(const Value& v) {
  switch (v.type) {
    case ValType::I32:
      return "i32:" + std::to_string(v.i32);
    case ValType::I64:
      return "i64:" + std::to_string(v.i64);
    case ValType::F32: {
      uint32_t b;
      std::memcpy(&b, &v.f32, 4);
      return "f32:" + std::to_string(b);
    }
    case ValType::F64: {
      uint64_t b;
      std::memcpy(&b, &v.f64, 8);
      return "f64:" + std::to_string(b);
    }
    default:
      return wasm::valueString(v);
  }
}

bool matches(const json& expected, const Value& actual) {
  auto type = typeFromJson(expected.at("type").get<std::string>());
  if (!type || *type != actual.type) return false;
  bool hasValue = expected.contains("value");
  std::string v = hasValue ? expected["value"].get<std::string>() : "";
  switch (actual.type) {
    case ValType::I32:
      return actual.i32 == static_cast<uint32_t>(std::stoull(v));
    case ValType::I64:
      return actual.i64 == std::stoull(v);
    case ValType::F32: {
      uint32_t b;
      std::memcpy(&b, &actual.f32, 4);
      if (v == "nan:canonical") return (b & 0x7fffffffu) == 0x7fc00000u;
      if (v == "nan:arithmetic") return (b & 0x7fc00000u) == 0x7fc00000u;
      return b == static_cast<uint32_t>(std::stoull(v));
    }
    case ValType::F64: {
      uint64_t b;
      std::memcpy(&b, &actual.f64, 8);
      if (v == "nan:canonical") return (b & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
      if (v == "nan:arithmetic") return (b & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
      return b == std::stoull(v);
    }
    case ValType::ExternRef:
      if (!hasValue) return actual.externref != nullptr;
      if (v == "null") return actual.externref == nullptr;
      return actual.externref == externFromScript(std::stoull(v));
    case ValType::FuncRef:
      if (!hasValue) return !actual.funcref.isNull();
      return v == "null" && actual.funcref.isNull();
  }
  return false;
}

// The trap kinds a spec-test trap message admits.
std::vector<wasm::TrapKind> kindsFor(const std::string& text) {
  using K = wasm::TrapKind;
  if (text.starts_with("out of bounds")) return {K::OutOfBounds};
  if (text.starts_with("integer divide by zero")) return {K::DivideByZero};
  if (text.starts_with("integer overflow")) return {K::IntegerOverflow};
  if (text.starts_with("invalid conversion")) return {K::InvalidConversion};
  if (text.starts_with("unreachable")) return {K::Unreachable};
  if (text.starts_with("undefined element")) return {K::UndefinedElement};
  if (text.starts_with("uninitialized element")) return {K::UninitializedElement};
  if (text.starts_with("indirect call type mismatch")) return {K::IndirectCallTypeMismatch};
  if (text.starts_with("call stack exhausted")) return {K::StackExhausted};
  return {};
}

// ---- One file -----------------------------------------------------------------

class FileRunner {
 public:
  FileRunner(wasm::Engine& engine, const Options& options, fs::path jsonDir, FileResult& result)
      : engine_(engine), options_(options), dir_(std::move(jsonDir)), result_(result) {
    spectest_.defineIn(linker_);
  }

  void run(const json& script) {
    for (const auto& cmd : script.at("commands")) {
      std::string type = cmd.at("type").get<std::string>();
      int line = cmd.value("line", 0);
      std::string why;
      bool counted = type != "register";
      bool ok = false;
      try {
        ok = execute(type, cmd, why);
      } catch (const std::exception& e) {
        why = std::string("harness error: ") + e.what();
      }
      if (!counted) {
        if (!ok) note(line, type, why);
        continue;
      }
      if (ok) {
        result_.passed++;
      } else {
        result_.failed++;
        note(line, type, why);
      }
    }
  }

 private:
  void note(int line, const std::string& type, const std::string& why) {
    if (result_.failures.size() < options_.maxFailuresShown)
      result_.failures.push_back("line " + std::to_string(line) + ": " + type + ": " + why);
  }

  Result<wasm::ModuleHandle> loadModule(const json& cmd) {
    auto bytes = readFile(dir_ / cmd.at("filename").get<std::string>());
    if (!bytes) return std::unexpected(bytes.error());
    return engine_.load(*bytes);
  }

  std::expected<wasm::InstanceHandle, wasm::InstantiateError> instantiate(
      const wasm::ModuleHandle& m) {
    wasm::InstanceOptions opts;
    opts.startTimeout = options_.callTimeout;
    auto inst = linker_.instantiate(m, opts);
    if (!inst && inst.error().partial) keep_.push_back(inst.error().partial);
    return inst;
  }

  wasm::InstanceHandle target(const json& action) {
    if (action.contains("module")) {
      auto it = named_.find(action["module"].get<std::string>());
      return it == named_.end() ? nullptr : it->second;
    }
    return current_;
  }

  // Runs an invoke or get action.
  std::expected<std::vector<Value>, std::string> perform(const json& action,
                                                         wasm::CallResult* trapOut) {
    auto inst = target(action);
    if (!inst) return std::unexpected("no module instance for the action");
    std::string field = action.at("field").get<std::string>();
    if (action.at("type") == "get") {
      auto ext = inst->exportedExtern(field);
      const auto* g = ext ? std::get_if<wasm::ExternGlobal>(&*ext) : nullptr;
      if (!g) return std::unexpected("no exported global '" + field + "'");
      const auto* e = inst->info().findExport(field);
      return std::vector<Value>{*inst->global(e->index)};
    }
    std::vector<Value> args;
    for (const auto& a : action.at("args")) {
      auto v = argFromJson(a);
      if (!v) return std::unexpected(v.error().message);
      args.push_back(*v);
    }
    wasm::CallOptions copts;
    copts.timeout = options_.callTimeout;
    auto result = inst->call(field, args, copts);
    if (!result) {
      if (trapOut) *trapOut = result;
      return std::unexpected("trap: " + result.error().describe());
    }
    return *result;
  }

  bool expectTrap(const json& cmd, std::string& why) {
    wasm::CallResult trap;
    auto r = perform(cmd.at("action"), &trap);
    if (r) {
      why = "expected a trap (" + cmd.value("text", std::string()) + "), got a result";
      return false;
    }
    if (trap.has_value() || trap.error().kind == wasm::TrapKind::BadCall) {
      why = r.error();
      return false;
    }
    return trapKindOk(cmd.value("text", std::string()), trap.error(), why);
  }

  bool trapKindOk(const std::string& text, const wasm::Trap& trap, std::string& why) {
    auto kinds = kindsFor(text);
    if (kinds.empty() || std::find(kinds.begin(), kinds.end(), trap.kind) != kinds.end())
      return true;
    why = "expected trap '" + text + "', got '" + trap.describe() + "'";
    return false;
  }

  bool execute(const std::string& type, const json& cmd, std::string& why) {
    if (type == "module") {
      current_ = nullptr;
      auto m = loadModule(cmd);
      if (!m) return why = m.error().message, false;
      auto inst = instantiate(*m);
      if (!inst) return why = inst.error().message, false;
      current_ = *inst;
      if (cmd.contains("name")) named_[cmd["name"].get<std::string>()] = current_;
      return true;
    }
    if (type == "register") {
      auto inst = cmd.contains("name") ? named_[cmd["name"].get<std::string>()] : current_;
      if (!inst) return why = "nothing to register", false;
      linker_.defineInstance(cmd.at("as").get<std::string>(), inst);
      return true;
    }
    if (type == "action") {
      auto r = perform(cmd.at("action"), nullptr);
      if (!r) why = r.error();
      return r.has_value();
    }
    if (type == "assert_return") {
      auto r = perform(cmd.at("action"), nullptr);
      if (!r) return why = r.error(), false;
      const auto& expected = cmd.at("expected");
      bool ok = r->size() == expected.size();
      for (size_t i = 0; ok && i < r->size(); ++i)
        ok = matches(expected[i], (*r)[i]);
      if (!ok) {
        why = "got";
        for (const auto& v : *r)
          why += " " + describeActual(v);
        why += ", expected";
        for (const auto& e : expected)
          why += " " + describeExpected(e);
      }
      return ok;
    }
    if (type == "assert_trap" || type == "assert_exhaustion") return expectTrap(cmd, why);
    if (type == "assert_invalid" || type == "assert_malformed") {
      // Text-format modules are checked as binaries too, as spectest-interp does:
      // the engine accepts only the binary format, so they must be rejected.
      auto bytes = readFile(dir_ / cmd.at("filename").get<std::string>());
      if (!bytes) return why = bytes.error().message, false;
      auto info = wasm::describeModule(*bytes);
      if (info) why = "module was accepted; expected '" + cmd.value("text", std::string()) + "'";
      return !info;
    }
    if (type == "assert_unlinkable") {
      // Linking needs only the module's description, not its code.
      auto bytes = readFile(dir_ / cmd.at("filename").get<std::string>());
      if (!bytes) return why = bytes.error().message, false;
      auto info = wasm::describeModule(*bytes);
      if (!info) return why = "module did not load: " + info.error().message, false;
      if (!linker_.resolve(*info)) return true;
      auto m = engine_.load(*bytes);
      if (!m) return why = "module linked, then did not load: " + m.error().message, false;
      auto inst = instantiate(*m);
      if (inst)
        return why = "module linked; expected '" + cmd.value("text", std::string()) + "'", false;
      if (inst.error().kind != wasm::InstantiateError::Link)
        return why = inst.error().message, false;
      return true;
    }
    if (type == "assert_uninstantiable") {
      auto m = loadModule(cmd);
      if (!m) return why = "module did not load: " + m.error().message, false;
      auto inst = instantiate(*m);
      if (inst) return why = "module instantiated; expected a trap", false;
      if (!inst.error().trap) return why = inst.error().message, false;
      return trapKindOk(cmd.value("text", std::string()), *inst.error().trap, why);
    }
    why = "unknown command type " + type;
    return false;
  }

  wasm::Engine& engine_;
  const Options& options_;
  fs::path dir_;
  FileResult& result_;
  SpectestObjects spectest_;
  wasm::Linker linker_;
  wasm::InstanceHandle current_;
  std::map<std::string, wasm::InstanceHandle> named_;
  std::vector<wasm::InstanceHandle> keep_;
};

}  // namespace

std::vector<std::pair<std::string, std::pair<uint64_t, uint64_t>>> readReference(
    const fs::path& readme) {
  std::vector<std::pair<std::string, std::pair<uint64_t, uint64_t>>> out;
  std::ifstream in(readme);
  std::string line;
  static const std::regex row(R"(^\|\s*`([^`]+\.wast)`\s*\|.*?\|\s*(\d+)/(\d+)\s*\|)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, row))
      out.push_back({m[1].str(), {std::stoull(m[2].str()), std::stoull(m[3].str())}});
  }
  return out;
}

Result<Summary> runAll(const Options& options,
                       const std::function<void(const FileResult&)>& progress) {
  uint64_t start = wasm::monotonicNowNs();
  std::error_code ec;
  std::vector<fs::path> wastFiles;
  for (const auto& e : fs::directory_iterator(options.wastDir, ec))
    if (e.path().extension() == ".wast") wastFiles.push_back(e.path());
  if (ec) return fail("cannot read ", options.wastDir.string(), ": ", ec.message());
  if (wastFiles.empty()) return fail("no .wast files in ", options.wastDir.string());
  std::sort(wastFiles.begin(), wastFiles.end());
  fs::create_directories(options.workDir, ec);

  std::map<std::string, std::pair<uint64_t, uint64_t>> reference;
  for (auto& [name, counts] : readReference(options.wastDir / "README.md"))
    reference[name] = counts;

  // Convert every script, then gather the modules that will be instantiated.
  struct Script {
    fs::path wast;
    fs::path dir;
    json commands;
    std::string error;
  };
  std::vector<Script> scripts;
  std::vector<Bytes> moduleBytes;
  for (const auto& wast : wastFiles) {
    Script s;
    s.wast = wast;
    s.dir = options.workDir / wast.stem();
    fs::create_directories(s.dir, ec);
    fs::path jsonPath = s.dir / (wast.stem().string() + ".json");
    auto proc = runProcess({options.wast2json, wast.string(), "-o", jsonPath.string()});
    if (!proc) return fail("cannot run ", options.wast2json, ": ", proc.error().message);
    if (proc->exitCode != 0) {
      s.error = "wast2json failed: " + proc->output;
    } else {
      std::ifstream in(jsonPath);
      try {
        s.commands = json::parse(in);
      } catch (const std::exception& e) {
        s.error = std::string("bad JSON from wast2json: ") + e.what();
      }
    }
    if (s.error.empty()) {
      for (const auto& cmd : s.commands.at("commands")) {
        std::string t = cmd.at("type").get<std::string>();
        if (t != "module" && t != "assert_uninstantiable") continue;
        if (auto b = readFile(s.dir / cmd.at("filename").get<std::string>()))
          moduleBytes.push_back(std::move(*b));
      }
    }
    scripts.push_back(std::move(s));
  }

  wasm::Engine engine(options.engine);
  Summary summary;
  uint64_t compileStart = wasm::monotonicNowNs();
  std::vector<std::span<const uint8_t>> spans(moduleBytes.begin(), moduleBytes.end());
  // Keeps every module loaded until the scripts run, so they are memory hits.
  auto preloaded = engine.loadAll(spans);
  summary.compileSeconds = (wasm::monotonicNowNs() - compileStart) / 1e9;
  summary.modulesCompiled = engine.stats().compiled;

  for (auto& s : scripts) {
    FileResult r;
    r.name = s.wast.filename().string();
    if (auto it = reference.find(r.name); it != reference.end()) {
      r.referencePassed = it->second.first;
      r.referenceTotal = it->second.second;
    }
    if (!s.error.empty()) {
      r.failed = 1;
      r.failures.push_back(s.error);
    } else {
      FileRunner runner(engine, options, s.dir, r);
      runner.run(s.commands);
    }
    summary.passed += r.passed;
    summary.failed += r.failed;
    if (progress) progress(r);
    summary.files.push_back(std::move(r));
  }
  summary.totalSeconds = (wasm::monotonicNowNs() - start) / 1e9;
  return summary;
}

}  // namespace nearfaas::spectest
