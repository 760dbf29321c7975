#include "cli/spectest_command.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "cli/engine_options.h"
#include "spectest/spectest.h"

namespace nearfaas::cli {

namespace {

struct SpectestOptions {
  EngineOptions engine;
  std::string dir;
  std::string workDir;
  bool verbose = false;
};

std::string counts(std::optional<uint64_t> passed, std::optional<uint64_t> total) {
  if (!passed || !total) return "n/a";
  return std::to_string(*passed) + "/" + std::to_string(*total);
}

int runSpectest(const SpectestOptions& o) {
  spectest::Options options;
  options.wastDir = o.dir;
  options.workDir = o.workDir.empty() ? std::filesystem::temp_directory_path() /
                                            ("nearfaas-spectest-" + std::to_string(getpid()))
                                      : std::filesystem::path(o.workDir);
  options.engine = o.engine.config();
  std::printf("%-28s %13s %13s\n", "file", "passed/total", "reference");
  std::fflush(stdout);
  auto summary = spectest::runAll(options, [&](const spectest::FileResult& r) {
    std::printf("%-28s %13s %13s%s\n", r.name.c_str(),
                counts(r.passed, r.passed + r.failed).c_str(),
                counts(r.referencePassed, r.referenceTotal).c_str(), r.failed ? "  FAIL" : "");
    if (o.verbose || r.failed)
      for (const auto& f : r.failures)
        std::printf("    %s\n", f.c_str());
    std::fflush(stdout);
  });
  if (o.workDir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(options.workDir, ec);
  }
  if (!summary) {
    std::fprintf(stderr, "error: %s\n", summary.error().message.c_str());
    return 1;
  }
  uint64_t refPassed = 0, refTotal = 0;
  bool haveRef = true;
  for (const auto& f : summary->files) {
    if (!f.referenceTotal) haveRef = false;
    refPassed += f.referencePassed.value_or(0);
    refTotal += f.referenceTotal.value_or(0);
  }
  std::printf("files: %zu, modules compiled: %llu in %.1f s, total time %.1f s\n",
              summary->files.size(), static_cast<unsigned long long>(summary->modulesCompiled),
              summary->compileSeconds, summary->totalSeconds);
  if (haveRef)
    std::printf("reference (spectest-interp): %llu/%llu\n",
                static_cast<unsigned long long>(refPassed),
                static_cast<unsigned long long>(refTotal));
  std::printf("spec: %llu passed, %llu failed\n", static_cast<unsigned long long>(summary->passed),
              static_cast<unsigned long long>(summary->failed));
  return summary->failed ? 1 : 0;
}

}  // namespace

void addSpectestCommand(CLI::App& app, int& exitStatus) {
  auto opts = std::make_shared<SpectestOptions>();
  auto* cmd =
      app.add_subcommand("spectest", "Run WebAssembly spec tests (.wast) through the engine");
  cmd->add_option("dir", opts->dir, "directory of .wast files")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--work-dir", opts->workDir,
                  "keep wast2json output here (default: a temporary directory)");
  cmd->add_flag("-v,--verbose", opts->verbose, "list failures of every file");
  opts->engine.addTo(*cmd);
  cmd->callback([opts, &exitStatus] { exitStatus = runSpectest(*opts); });
}

}  // namespace nearfaas::cli
