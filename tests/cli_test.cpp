// The `nearfaas` command end to end: run, inspect, spectest and their errors.
#include <gtest/gtest.h>

#include <fstream>

#include "base/process.h"
#include "test_env.h"
#include "wasm_builder.h"

namespace nearfaas {
namespace {

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
  EXPECT_TRUE(contains(r.output, "argc=3\nargv[1]=3\nargv[2]=x y\n")) << r.output;
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

TEST(Cli, MalformedModuleIsRejected) {
  test::TempDir dir;
  auto bad = dir.path() / "bad.wasm";
  std::ofstream(bad) << "\0asm this is not webassembly";
  auto r = nearfaas("run", {bad.string()});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_TRUE(contains(r.output, "bad.wasm")) << r.output;
  EXPECT_TRUE(contains(r.output, "offset")) << r.output;
  auto inspect = runProcess({NEARFAAS_BINARY, "inspect", bad.string()});
  ASSERT_TRUE(inspect);
  EXPECT_EQ(inspect->exitCode, 1);
  EXPECT_TRUE(contains(inspect->output, "offset")) << inspect->output;
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
  auto escape = local({"obj", "put", "alice", "../../x", obj.string()}, data);
  EXPECT_NE(escape.exitCode, 0);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "x"));
  auto junk = local({"func", "add", "alice", "junk", obj.string()}, data);
  EXPECT_NE(junk.exitCode, 0);
  EXPECT_NE(junk.output.find("error:"), std::string::npos) << junk.output;
}

}  // namespace
}  // namespace nearfaas
