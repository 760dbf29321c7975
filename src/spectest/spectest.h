// WebAssembly spec-test runner: converts .wast scripts with wast2json and runs
// every command through the engine, counting the way WABT's spectest-interp
// does (assertions + module commands + top-level actions; `register` is not
// counted), so totals compare directly with its reference numbers.
//
// Modules are compiled ahead of execution, all files at once, with the
// engine's parallel loader; commands then run file by file in order.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "wasm/engine.h"

namespace nearfaas::spectest {

struct Options {
  std::filesystem::path wastDir;
  std::filesystem::path workDir;  // JSON and .wasm files from wast2json go here
  wasm::EngineConfig engine;
  std::string wast2json = "wast2json";
  std::chrono::milliseconds callTimeout{10000};  // per invoked function
  size_t maxFailuresShown = 5;                   // per file
};

struct FileResult {
  std::string name;  // "i32.wast"
  uint64_t passed = 0;
  uint64_t failed = 0;
  std::optional<uint64_t> referencePassed;  // spectest-interp's count, if known
  std::optional<uint64_t> referenceTotal;
  std::vector<std::string> failures;  // "line 12: assert_return: got i32:1, expected i32:2"
};

struct Summary {
  std::vector<FileResult> files;
  uint64_t passed = 0;
  uint64_t failed = 0;
  uint64_t modulesCompiled = 0;
  double compileSeconds = 0;  // wall time of the parallel compile phase
  double totalSeconds = 0;
};

// Runs every .wast file of options.wastDir. `progress` gets each file's result
// as it finishes. Fails only when the directory or wast2json are unusable.
Result<Summary> runAll(const Options& options,
                       const std::function<void(const FileResult&)>& progress = {});

// Reference counts from the README.md of a spec-test folder: a markdown table
// whose rows start with | `name.wast` | and have a "P/T" cell. Keyed by name.
std::vector<std::pair<std::string, std::pair<uint64_t, uint64_t>>> readReference(
    const std::filesystem::path& readme);

}  // namespace nearfaas::spectest
