// The `nearfaas` command end to end: run, inspect, spectest and their errors.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "base/process.h"
#include "test_env.h"
#include "wasm_builder.h"

namespace nearfaas {
namespace {

using namespace std::string_literals;

// Runs `nearfaas <command> --cache-dir <test cache> <args...>`. Options go
// before the module: everything after it belongs to the guest.
ProcessResult nearfaas(const std::string& command, std::vector<std::string> args) {
  args.insert(args.begin(),
              {NEARFAAS_BINARY, command, "--cache-dir", test::testCacheDir().string()});
  auto r = runProcess(args, std::chrono::minutes(5));
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : ProcessResult{};
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(Cli, HelpListsCommands) {
  auto r = runProcess({NEARFAAS_BINARY, "--help"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exitCode, 0);
  for (const char* cmd : {"run", "inspect", "compile", "spectest"})
    EXPECT_TRUE(contains(r->output, cmd)) << cmd;
  auto sub = runProcess({NEARFAAS_BINARY, "run", "--help"});
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->exitCode, 0);
  EXPECT_TRUE(contains(sub->output, "--timeout"));
}

TEST(Cli, RunPassesArgumentsAndExitCode) {
  auto r = nearfaas("run", {test::guestPath("hello").string(), "3", "x y"});
  EXPECT_EQ(r.exitCode, 3) << r.output;
  // stdout is a pipe here, so the guest buffers it (as natively): its lines
  // and stderr's may interleave.
  EXPECT_TRUE(contains(r.output, "argc=3\n")) << r.output;
  EXPECT_TRUE(contains(r.output, "argv[1]=3\nargv[2]=x y\n")) << r.output;
  EXPECT_TRUE(contains(r.output, "to stderr")) << r.output;
}

TEST(Cli, ArgumentsAfterTheModuleGoToTheGuest) {
  auto r = nearfaas("run", {test::guestPath("hello").string(), "0", "--timeout", "-x"});
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "argv[2]=--timeout\nargv[3]=-x\n")) << r.output;
}

TEST(Cli, RunPassesEnvironment) {
  auto r = nearfaas("run", {"--env", "GREETING=hey", test::guestPath("hello").string()});
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "GREETING=hey")) << r.output;
}

// --env takes one value per use: what follows is the module and its arguments.
TEST(Cli, RunEnvTakesOneValuePerUse) {
  auto r = nearfaas("run", {"--env", "GREETING=hey", "--env", "OTHER=1",
                            test::guestPath("hello").string(), "7", "x"});
  EXPECT_EQ(r.exitCode, 7) << r.output;
  EXPECT_TRUE(contains(r.output, "argc=3\n")) << r.output;
  EXPECT_TRUE(contains(r.output, "argv[1]=7\nargv[2]=x\nGREETING=hey\n")) << r.output;
}

TEST(Cli, InvokeAnExportWithArguments) {
  auto r = nearfaas("run", {"--invoke", "add", test::guestPath("traps").string(), "40", "2"});
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(r.output, "42\n");
}

TEST(Cli, TrapIsReportedWithItsKind) {
  auto r = nearfaas("run", {"--invoke", "unreachable", test::guestPath("traps").string()});
  EXPECT_EQ(r.exitCode, 134) << r.output;
  EXPECT_TRUE(contains(r.output, "trap: unreachable executed")) << r.output;
  auto oob = nearfaas("run", {"--invoke", "oob_load", test::guestPath("traps").string()});
  EXPECT_EQ(oob.exitCode, 134);
  EXPECT_TRUE(contains(oob.output, "trap: out of bounds")) << oob.output;
  auto deep = nearfaas("run", {"--invoke", "recurse", test::guestPath("traps").string(), "0"});
  EXPECT_EQ(deep.exitCode, 134);
  EXPECT_TRUE(contains(deep.output, "trap: call stack exhausted")) << deep.output;
}

TEST(Cli, TimeoutStopsTheGuest) {
  auto r =
      nearfaas("run", {"--invoke", "spin", "--timeout", "200", test::guestPath("traps").string()});
  EXPECT_EQ(r.exitCode, 134) << r.output;
  EXPECT_TRUE(contains(r.output, "trap: timeout")) << r.output;
}

// --max-memory-pages caps the guest's memory: malloc gets NULL near the
// limit and the guest carries on; a module declaring more initial memory than
// the limit is refused; the option's range is checked.
TEST(Cli, RunMaxMemoryPages) {
  // traps.wasm starts with 1 page and declares at most 4. First, so that a
  // limit that does not bind stops the test before memory_hog takes 4 GiB.
  auto grow = [&](const char* limit, const char* by) {
    auto r = nearfaas("run", {"--max-memory-pages", limit, "--invoke", "grow",
                              test::guestPath("traps").string(), by});
    EXPECT_EQ(r.exitCode, 0) << r.output;
    return r.output;
  };
  ASSERT_EQ(grow("3", "2"), "1\n");   // to 3 pages: the old size
  ASSERT_EQ(grow("3", "3"), "-1\n");  // to 4: past the limit
  ASSERT_EQ(grow("4", "3"), "1\n");
  std::regex allocated("allocated ([0-9]+) MiB");
  auto mebibytesUnder = [&](int pages) {
    auto r = nearfaas("run", {"--max-memory-pages", std::to_string(pages),
                              test::guestPath("memory_hog").string()});
    EXPECT_EQ(r.exitCode, 0) << r.output;
    std::smatch m;
    EXPECT_TRUE(std::regex_search(r.output, m, allocated)) << r.output;
    return m.empty() ? -1 : std::stoi(m[1]);
  };
  for (int pages : {64, 256}) {  // 4 and 16 MiB
    int got = mebibytesUnder(pages);
    EXPECT_LT(got, pages / 16) << pages;
    EXPECT_GE(got, pages / 16 - 2) << pages;  // code, data and stack take the rest
  }
  auto big = test::guestPath("big_memory").string();  // 100 initial pages
  auto refused = nearfaas("run", {"--max-memory-pages", "99", "--invoke", "f", big});
  EXPECT_EQ(refused.exitCode, 1);
  EXPECT_TRUE(contains(refused.output, "limit")) << refused.output;
  auto fits = nearfaas("run", {"--max-memory-pages", "100", "--invoke", "f", big});
  EXPECT_EQ(fits.exitCode, 0) << fits.output;
  EXPECT_EQ(fits.output, "1\n");
  for (const char* bad : {"0", "65536", "lots"}) {
    auto r = nearfaas("run", {"--max-memory-pages", bad, big});
    EXPECT_NE(r.exitCode, 0) << bad;
    EXPECT_TRUE(contains(r.output, "--max-memory-pages")) << r.output;
  }
}

// `compile` generates machine code into the cache, a second compile (another
// process) finds it there, and a module that does not decode is an error.
TEST(Cli, CompileCachesAndReportsErrors) {
  test::TempDir cache;
  auto compile = [&](const std::filesystem::path& module) {
    auto r = runProcess(
        {NEARFAAS_BINARY, "compile", "--cache-dir", cache.path().string(), module.string()},
        std::chrono::minutes(5));
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : ProcessResult{};
  };
  auto cachedFiles = [&] {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(cache.path()))
      if (e.is_regular_file()) files.push_back(e.path());
    return files;
  };
  const std::string module = test::guestPath("traps").string();
  // "<module>: compiled|cached in <t> ms -> <code>.so": the code's path.
  auto codePath = [&](const ProcessResult& r, const std::string& how) {
    EXPECT_EQ(r.exitCode, 0) << r.output;
    EXPECT_TRUE(r.output.starts_with(module + ": " + how + " in ")) << r.output;
    size_t arrow = r.output.find(" ms -> ");
    EXPECT_TRUE(arrow != std::string::npos && r.output.ends_with(".so\n")) << r.output;
    return arrow == std::string::npos
               ? std::filesystem::path()
               : std::filesystem::path(r.output.substr(arrow + 7, r.output.size() - arrow - 8));
  };
  auto code = codePath(compile(module), "compiled");
  EXPECT_EQ(cachedFiles(), std::vector<std::filesystem::path>{code});
  EXPECT_EQ(codePath(compile(module), "cached"), code);

  test::TempDir dir;
  auto bad = dir.path() / "bad.wasm";
  ASSERT_TRUE(writeFileAtomic(bad, "\0asn\1\0\0\0"s));
  auto r = compile(bad);
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_TRUE(contains(r.output, "error: " + bad.string() + ": invalid module")) << r.output;
  EXPECT_TRUE(contains(r.output, "bad magic value")) << r.output;
  EXPECT_EQ(cachedFiles(), std::vector<std::filesystem::path>{code});
}

TEST(Cli, UsageErrors) {
  auto missingImport = nearfaas("run", {test::guestPath("host_calls").string()});
  EXPECT_EQ(missingImport.exitCode, 1);
  EXPECT_TRUE(contains(missingImport.output, "test.double")) << missingImport.output;

  auto arity = nearfaas("run", {"--invoke", "add", test::guestPath("traps").string(), "1"});
  EXPECT_EQ(arity.exitCode, 1);
  EXPECT_TRUE(contains(arity.output, "(i32, i32) -> (i32)")) << arity.output;

  auto badArg = nearfaas("run", {"--invoke", "add", test::guestPath("traps").string(), "1", "zz"});
  EXPECT_EQ(badArg.exitCode, 1);
  EXPECT_TRUE(contains(badArg.output, "not a valid i32")) << badArg.output;

  auto noExport = nearfaas("run", {"--invoke", "nope", test::guestPath("traps").string()});
  EXPECT_EQ(noExport.exitCode, 1);
  EXPECT_TRUE(contains(noExport.output, "nope")) << noExport.output;

  auto noFile = runProcess({NEARFAAS_BINARY, "run", "/no/such/file.wasm"});
  ASSERT_TRUE(noFile);
  EXPECT_NE(noFile->exitCode, 0);
}

// An empty file and one that does not start with the WebAssembly magic are
// refused by run and inspect, each with its own reason and where it is.
TEST(Cli, MalformedModuleIsRejected) {
  test::TempDir dir;
  struct Case {
    std::string name, bytes, reason;
  };
  for (const Case& c : std::vector<Case>{
           {"empty.wasm", "",
            "malformed module: 0 bytes is too short for a WebAssembly binary (at byte offset 0x0)"},
           {"bad.wasm", "\0asn\1\0\0\0 this is not webassembly"s,
            "invalid module: bad magic value (at byte offset 0x"},
       }) {
    SCOPED_TRACE(c.name);
    auto file = dir.path() / c.name;
    ASSERT_TRUE(writeFileAtomic(file, c.bytes));
    ASSERT_EQ(std::filesystem::file_size(file), c.bytes.size());
    auto r = nearfaas("run", {file.string()});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_TRUE(contains(r.output, "error: " + file.string() + ": ")) << r.output;
    EXPECT_TRUE(contains(r.output, c.reason)) << r.output;
    auto inspect = runProcess({NEARFAAS_BINARY, "inspect", file.string()});
    ASSERT_TRUE(inspect);
    EXPECT_EQ(inspect->exitCode, 1);
    EXPECT_TRUE(contains(inspect->output, c.reason)) << inspect->output;
  }
}

// `run` compiles the module: a module whose export name is C that would run
// at load time must only ever be a name.
TEST(Cli, RunOfTheExportNameExploitRunsNothing) {
  test::TempDir dir;
  auto proof = dir.path() / "exploited";
  auto module = dir.path() / "exploit.wasm";
  ASSERT_TRUE(writeFileAtomic(module, test::constructorExploitModule(proof.string())));
  auto r = nearfaas("run", {"--invoke", "run", module.string()});
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(r.output, "7\n");
  EXPECT_FALSE(std::filesystem::exists(proof));
}

TEST(Cli, InspectDescribesAModule) {
  auto r = runProcess({NEARFAAS_BINARY, "inspect", test::guestPath("traps").string()});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exitCode, 0);
  EXPECT_TRUE(contains(r->output, "func add (i32, i32) -> (i32)")) << r->output;
  EXPECT_TRUE(contains(r->output, "memories: 1")) << r->output;
}

TEST(Cli, SpectestCountsPassesAndFailures) {
  test::TempDir dir;
  std::filesystem::copy_file(std::filesystem::path(NEARFAAS_SPEC_DIR) / "fac.wast",
                             dir.path() / "fac.wast");
  std::filesystem::copy_file(std::filesystem::path(NEARFAAS_SPEC_DIR) / "forward.wast",
                             dir.path() / "forward.wast");
  auto ok = nearfaas("spectest", {dir.path().string()});
  EXPECT_EQ(ok.exitCode, 0) << ok.output;
  EXPECT_TRUE(contains(ok.output, "\nspec: 13 passed, 0 failed\n")) << ok.output;

  // A wrong expectation, a wrong trap and a module that must not validate but does.
  std::ofstream(dir.path() / "wrong.wast")
      << R"((module (func (export "one") (result i32) (i32.const 1)))
(assert_return (invoke "one") (i32.const 2))
(assert_trap (invoke "one") "unreachable")
(assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch")
(assert_return (invoke "one") (i32.const 1))
)";
  auto bad = nearfaas("spectest", {dir.path().string()});
  EXPECT_EQ(bad.exitCode, 1) << bad.output;
  EXPECT_TRUE(contains(bad.output, "\nspec: 15 passed, 3 failed\n")) << bad.output;
  EXPECT_TRUE(contains(bad.output, "got i32:1, expected i32:2")) << bad.output;
}

}  // namespace
}  // namespace nearfaas

namespace nearfaas {
namespace {

// `func` and `obj` against a local data directory, end to end.
ProcessResult local(std::vector<std::string> args, const std::filesystem::path& dataDir) {
  args.insert(args.begin(), NEARFAAS_BINARY);
  args.push_back("--data-dir");
  args.push_back(dataDir.string());
  auto r = runProcess(args, std::chrono::minutes(5));
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : ProcessResult{};
}

// Every function in func/, added and run through the CLI, as a user would.
TEST(CliFunc, EveryFunctionOfFuncDir) {
  test::TempDir dir;
  // Code generated once for the whole test binary, not once per data dir.
  setenv("NEARFAAS_CODE_CACHE", test::testCacheDir().c_str(), 1);
  auto data = dir.path() / "data";
  const std::filesystem::path funcs = NEARFAAS_FUNC_DIR;
  for (const char* f : {"hello", "echo", "chain", "state"})
    ASSERT_EQ(
        local({"func", "add", "demo", f, (funcs / "demo" / (std::string(f) + ".wasm")).string()},
              data)
            .exitCode,
        0)
        << f;
  for (const char* f : {"put", "get", "wordcount", "grep", "substr", "sha256sum"})
    ASSERT_EQ(
        local({"func", "add", "ndp", f, (funcs / "ndp" / (std::string(f) + ".wasm")).string()},
              data)
            .exitCode,
        0)
        << f;
  auto run = [&](const char* user, const char* f, std::string input, bool forbid = false) {
    std::vector<std::string> args = {"func", "run", user, f, "--input", input};
    if (forbid) args.push_back("--forbid-ndp");
    auto r = local(args, data);
    EXPECT_EQ(r.exitCode, 0) << user << "/" << f << ": " << r.output;
    return r.output;
  };
  EXPECT_EQ(run("demo", "hello", ""), "Hello Faasm!");
  EXPECT_EQ(run("demo", "echo", "some input"), "some input");
  EXPECT_EQ(run("demo", "chain", "3"), "0 0 square 0 = 0\n1 0 echo 1\n2 0 square 2 = 4\n");
  EXPECT_EQ(run("demo", "state", "reset"), "0");
  EXPECT_EQ(run("demo", "state", ""), "1");  // state lives as long as the process
  // --forbid-ndp is accepted; `func run` works on the directory store, which
  // has no offloader, so both rounds run the storage calls locally
  // (offloaded against local: ndp_offloader_test.cpp).
  for (bool forbid : {false, true}) {
    SCOPED_TRACE(forbid ? "--forbid-ndp" : "NDP allowed (no offloader)");
    EXPECT_EQ(run("ndp", "put", "doc hello hello world my world", forbid), "OK");
    EXPECT_EQ(run("ndp", "get", "doc", forbid), "hello hello world my world");
    EXPECT_EQ(run("ndp", "wordcount", "doc", forbid), "hello\t2\nmy\t1\nworld\t2\n");
    EXPECT_EQ(run("ndp", "grep", "doc wor.d", forbid), "12 21 ");
    EXPECT_EQ(run("ndp", "substr", "doc hello", forbid), "0 6 ");
    EXPECT_EQ(run("ndp", "sha256sum", "doc", forbid),
              sha256Hex(std::string_view("hello hello world my world")));
  }
}

TEST(CliFunc, BuildAddRunAndObjects) {
  test::TempDir dir;
  auto src = dir.path() / "hi.c";
  std::ofstream(src) << "#include \"faasm/faasm.h\"\n#include <string.h>\n"
                        "int main(void) { const char* s = \"hi from a new function\";\n"
                        "faasmSetOutput((const uint8_t*)s, strlen(s)); return 0; }\n";
  auto wasm = dir.path() / "hi.wasm";
  auto b = runProcess({NEARFAAS_BINARY, "func", "build", src.string(), "-o", wasm.string()},
                      std::chrono::minutes(5));
  ASSERT_TRUE(b);
  ASSERT_EQ(b->exitCode, 0) << b->output;
  auto data = dir.path() / "data";
  auto add = local({"func", "add", "alice", "hi", wasm.string()}, data);
  ASSERT_EQ(add.exitCode, 0) << add.output;
  EXPECT_NE(add.output.find("added alice/hi"), std::string::npos) << add.output;
  auto run = local({"func", "run", "alice", "hi"}, data);
  EXPECT_EQ(run.exitCode, 0) << run.output;
  EXPECT_EQ(run.output, "hi from a new function");

  auto obj = dir.path() / "obj.txt";
  std::ofstream(obj) << "one two two";
  EXPECT_EQ(local({"obj", "put", "alice", "doc", obj.string()}, data).exitCode, 0);
  auto get = local({"obj", "get", "alice", "doc"}, data);
  EXPECT_EQ(get.exitCode, 0);
  EXPECT_EQ(get.output, "one two two");

  // Errors: unknown function, missing object, path escape, invalid wasm.
  auto unknown = local({"func", "run", "alice", "nosuch"}, data);
  EXPECT_NE(unknown.exitCode, 0);
  EXPECT_NE(unknown.output.find("no function alice/nosuch"), std::string::npos) << unknown.output;
  auto missing = local({"obj", "get", "alice", "nothing"}, data);
  EXPECT_NE(missing.exitCode, 0);
  // Objects live in <data>/store/<user>/<key>: these keys would land in the
  // data directory and in its parent (dir), where nothing named x may appear.
  for (const char* key : {"../../x", "../../../x", "a/../../../../x"}) {
    auto escape = local({"obj", "put", "alice", key, obj.string()}, data);
    EXPECT_NE(escape.exitCode, 0) << key;
    EXPECT_NE(escape.output.find("'..' component"), std::string::npos) << escape.output;
  }
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path()))
    EXPECT_NE(entry.path().filename(), "x") << entry.path();
  auto junk = local({"func", "add", "alice", "junk", obj.string()}, data);
  EXPECT_NE(junk.exitCode, 0);
  EXPECT_NE(junk.output.find("error:"), std::string::npos) << junk.output;
}

}  // namespace
}  // namespace nearfaas
