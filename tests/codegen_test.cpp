// Code generation and the code cache.
#include "wasm/codegen.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "test_env.h"
#include "wasm/decoded_module.h"
#include "wasm/host_registry.h"
#include "wasm/instance.h"
#include "wasm_builder.h"

namespace nearfaas::wasm {
namespace {

namespace fs = std::filesystem;

TEST(Codegen, MangleNameMatchesWasm2c) {
  EXPECT_EQ(mangleName("f"), "Z_f");
  EXPECT_EQ(mangleName("x_y"), "Z_x_y");
  EXPECT_EQ(mangleName("aZb"), "Z_aZ5Ab");
  EXPECT_EQ(mangleName("a-b"), "Z_aZ2Db");
  EXPECT_EQ(mangleName("weird name*/"), "Z_weirdZ20nameZ2AZ2F");
  EXPECT_EQ(mangleName("\xc3\xa9"), "Z_ZC3ZA9");
  EXPECT_EQ(mangleName(""), "Z_");
}

TEST(Codegen, GeneratesOneTranslationUnitWithTheAbiSymbol) {
  auto decoded = decodeModule(test::guestBytes("traps"));
  ASSERT_TRUE(decoded) << decoded.error().message;
  auto c = generateC(**decoded);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_NE(c->source.find(std::string("nf_module_abi_t* ") + kModuleAbiSymbol), std::string::npos);
  EXPECT_NE(c->source.find("nf_trap_call_indirect"), std::string::npos);
  EXPECT_NE(c->header.find("Z_m_instance_t"), std::string::npos);
}

TEST(Codegen, RefusesConflictingDuplicateImportsWithTheirName) {
  // (import "env" "x" (func)) (import "env" "x" (global i32))
  Bytes b = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
             0x00, 0x00, 0x02, 0x12, 0x02, 0x03, 'e',  'n',  'v',  0x01, 'x',  0x00,
             0x00, 0x03, 'e',  'n',  'v',  0x01, 'x',  0x03, 0x7f, 0x00};
  auto decoded = decodeModule(b);
  ASSERT_TRUE(decoded) << decoded.error().message;
  auto c = generateC(**decoded);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("env.x"), std::string::npos) << c.error().message;
}

// Names no byte of which may reach generated C: each would end a comment, a
// string or a line, or is not text at all. Each carries a marker that the
// generated text must not contain.
std::vector<std::string> hostileNames() {
  return {"NFHOSTILE */ int x;",
          "NFHOSTILE\n#error injected",
          "NFHOSTILE\"",
          "NFHOSTILE\\",
          std::string("NFHOSTILE\0after NUL */", 22),
          "NFHOSTILE '",
          "NFHOSTILE\r\n*/\t",
          "NFHOSTILE" + std::string(100 * 1024, '*'),
          test::constructorExploitName("/NFHOSTILE")};
}

TEST(Codegen, NoModuleNameReachesGeneratedC) {
  for (const std::string& name : hostileNames()) {
    SCOPED_TRACE(name.substr(0, 40));
    Bytes wasm = test::WasmBuilder()
                     .importFunc(name, "f")
                     .importFunc("env", name)
                     .importFunc(name, name)
                     .exportFunc(name, 1)
                     .exportFunc(name + "2", 2)
                     .custom(name, name)
                     .bytes();
    auto decoded = decodeModule(wasm);
    ASSERT_TRUE(decoded) << decoded.error().message;
    ASSERT_EQ((*decoded)->info.exports.at(0).name, name);
    auto c = generateC(**decoded);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->source.find("NFHOSTILE"), std::string::npos);
    EXPECT_EQ(c->header.find("NFHOSTILE"), std::string::npos);
    // The original names stay where the runtime resolves them.
    EXPECT_EQ((*decoded)->info.exports.at(0).name, name);
    EXPECT_EQ((*decoded)->info.imports.at(1).field, name);
  }
}

// Names also reach messages and logs: escaped there, and cut when long.
TEST(Codegen, MessagesEscapeModuleNames) {
  HostRegistry host;
  Bytes wasm = test::WasmBuilder()
                   .importFunc("env", "line\nbreak\\" + std::string(1000, 'x'))
                   .exportFunc("f", 1)
                   .bytes();
  auto m = test::sharedEngine().load(wasm, &host);
  ASSERT_FALSE(m);
  const std::string& msg = m.error().message;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_NE(msg.find("env.line\\x0abreak\\\\xxx"), std::string::npos) << msg;
  EXPECT_NE(msg.find("more bytes"), std::string::npos) << msg;
  EXPECT_LT(msg.size(), 400u);
  EXPECT_EQ(printable("a\x01\xff"), "a\\x01\\xff");
}

TEST(Codegen, InvalidUtf8NamesAreRefusedAtDecoding) {
  auto decoded = decodeModule(test::WasmBuilder().exportFunc("bad \xff\xfe name", 1).bytes());
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("invalid module"), std::string::npos)
      << decoded.error().message;
}

// Hostile names compile, and each export is still called by its own name.
TEST(Codegen, ExportsWithHostileNamesRunByTheirNames) {
  test::TempDir dir;
  EngineConfig config;
  config.cacheDir = dir.path();
  Engine engine(config);
  test::WasmBuilder builder;
  auto names = hostileNames();
  for (size_t i = 0; i < names.size(); ++i)
    builder.exportFunc(names[i], static_cast<int32_t>(100 + i));
  auto m = engine.load(builder.bytes());
  ASSERT_TRUE(m) << m.error().message;
  auto inst = Linker().instantiate(*m);
  ASSERT_TRUE(inst) << inst.error().message;
  for (size_t i = 0; i < names.size(); ++i) {
    auto r = (*inst)->call(names[i]);
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->at(0).i32, 100 + i);
  }
}

// The exploit itself, through the engine every entry point uses (run,
// upload, the storage runtime): loading the module must not run its text.
TEST(Codegen, ExportNameExploitLeavesNoFile) {
  test::TempDir dir;
  std::filesystem::path proof = dir.path() / "exploited";
  EngineConfig config;
  config.cacheDir = dir.path() / "code";
  Engine engine(config);
  auto m = engine.load(test::constructorExploitModule(proof.string()));
  ASSERT_TRUE(m) << m.error().message;
  auto inst = Linker().instantiate(*m);
  ASSERT_TRUE(inst) << inst.error().message;
  auto r = (*inst)->call("run");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at(0).i32, 7u);
  EXPECT_FALSE(std::filesystem::exists(proof));
}

TEST(CodeCache, CompilesOnceAndReusesAcrossEngines) {
  test::TempDir dir;
  EngineConfig config;
  config.cacheDir = dir.path();
  Bytes wasm = test::guestBytes("big_memory");
  {
    Engine engine(config);
    auto m = engine.load(wasm);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(engine.stats().compiled, 1u);
    auto again = engine.load(wasm);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->get(), m->get());
    EXPECT_EQ(engine.stats().memoryHits, 1u);
    EXPECT_EQ(engine.stats().compiled, 1u);
  }
  Engine second(config);
  auto m = second.load(wasm);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(second.stats().compiled, 0u);
  EXPECT_EQ(second.stats().diskHits, 1u);
  EXPECT_TRUE(std::filesystem::exists((*m)->objectPath()));
  // No leftovers of the build.
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path()))
    ++files;
  EXPECT_EQ(files, 1u);
}

TEST(CodeCache, RebuildsADamagedEntry) {
  test::TempDir dir;
  EngineConfig config;
  config.cacheDir = dir.path();
  Bytes wasm = test::guestBytes("big_memory");
  std::filesystem::path object;
  {
    Engine engine(config);
    auto m = engine.load(wasm);
    ASSERT_TRUE(m);
    object = (*m)->objectPath();
  }
  std::ofstream(object, std::ios::trunc) << "not an ELF file";
  Engine engine(config);
  auto m = engine.load(wasm);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(engine.stats().compiled, 1u);
  Linker linker;
  auto inst = linker.instantiate(*m);
  ASSERT_TRUE(inst) << inst.error().message;
  auto r = (*inst)->call("f");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at(0).i32, 1u);
}

fs::path onlyObjectIn(const fs::path& dir) {
  std::vector<fs::path> objects;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".so") objects.push_back(e.path());
  EXPECT_EQ(objects.size(), 1u);
  return objects.empty() ? fs::path() : objects.front();
}

// The cache keeps at most maxCacheBytes of modules, dropping the least
// recently used (a load from disk counts as a use), and clears what crashed
// builds left.
TEST(CodeCache, TrimsLeastRecentlyUsedModulesBeyondItsSize) {
  test::TempDir dir;
  std::map<std::string, uint64_t> size;
  for (const char* name : {"traps", "big_memory", "hello"}) {
    EngineConfig alone;
    alone.cacheDir = dir.path() / name;
    Engine engine(alone);
    ASSERT_TRUE(engine.load(test::guestBytes(name)));
    size[name] = fs::file_size(onlyObjectIn(alone.cacheDir));
  }
  EngineConfig config;
  config.cacheDir = dir.path() / "cache";
  std::map<std::string, fs::path> object;
  {
    Engine unlimited(config);
    for (const char* name : {"traps", "big_memory"})
      object[name] = (*unlimited.load(test::guestBytes(name)))->objectPath();
  }
  auto now = fs::file_time_type::clock::now();
  fs::last_write_time(object["traps"], now - std::chrono::seconds(200));
  fs::last_write_time(object["big_memory"], now - std::chrono::seconds(100));
  fs::create_directory(config.cacheDir / "build-1-0");
  fs::last_write_time(config.cacheDir / "build-1-0", now - std::chrono::hours(24 * 365));

  config.maxCacheBytes = size["traps"] + size["big_memory"] + size["hello"] - 1;
  Engine engine(config);
  ASSERT_TRUE(engine.load(test::guestBytes("traps")));  // from disk: now the newest use
  EXPECT_EQ(engine.stats().diskHits, 1u);
  auto hello = engine.load(test::guestBytes("hello"));  // compiled: one must go
  ASSERT_TRUE(hello) << hello.error().message;
  EXPECT_TRUE(fs::exists(object["traps"]));
  EXPECT_FALSE(fs::exists(object["big_memory"]));
  EXPECT_TRUE(fs::exists((*hello)->objectPath()));
  EXPECT_FALSE(fs::exists(config.cacheDir / "build-1-0"));
  // A trimmed module is compiled again when needed.
  ASSERT_TRUE(engine.load(test::guestBytes("big_memory")));
  EXPECT_EQ(engine.stats().compiled, 2u);
}

// Code is loaded only from files no other user can have written: one that is
// writable by others, owned by someone else or a symbolic link is generated
// again; in a directory others can write, nothing is loaded at all.
TEST(CodeCache, LoadsOnlyPrivateFiles) {
  test::TempDir dir;
  EngineConfig config;
  config.cacheDir = dir.path() / "cache";
  Bytes wasm = test::guestBytes("big_memory");
  fs::path object;
  {
    Engine engine(config);
    auto m = engine.load(wasm);
    ASSERT_TRUE(m);
    object = (*m)->objectPath();
  }
  auto expectRebuilt = [&](const char* what) {
    SCOPED_TRACE(what);
    Engine engine(config);
    auto m = engine.load(wasm);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(engine.stats().compiled, 1u);
    EXPECT_TRUE(checkPrivateFile((*m)->objectPath()));
    auto r = Linker().instantiate(*m);
    ASSERT_TRUE(r);
    EXPECT_EQ((*(*r)->call("f")).at(0).i32, 1u);
  };
  fs::permissions(object, fs::perms(0666));
  expectRebuilt("world-writable");
  fs::permissions(object, fs::perms(0664));
  expectRebuilt("group-writable");
  if (::geteuid() == 0) {  // only root can give a file away
    ASSERT_EQ(::chown(object.c_str(), 65534, 65534), 0);
    expectRebuilt("owned by nobody");
  }
  fs::rename(object, dir.path() / "elsewhere.so");
  fs::create_symlink(dir.path() / "elsewhere.so", object);
  expectRebuilt("symbolic link");

  fs::permissions(config.cacheDir, fs::perms(0777));
  Engine engine(config);
  auto m = engine.load(wasm);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("writable by other users"), std::string::npos)
      << m.error().message;
}

// The compiler runs with a memory limit: a compiler that needs more fails
// with its own message, and the server is unaffected.
TEST(CodeCache, CompilerMemoryIsLimited) {
  test::TempDir dir;
  EngineConfig config;
  config.cacheDir = dir.path();
  config.compiler.maxMemoryBytes = 16u << 20;
  Engine engine(config);
  auto m = engine.load(test::guestBytes("traps"));
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find(config.compiler.cc + " failed"), std::string::npos)
      << m.error().message;
}

TEST(CodeCache, NoDirectoryIsAnError) {
  EngineConfig config;
  config.cacheDir.clear();
  Engine engine(config);
  auto m = engine.load(test::guestBytes("traps"));
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("no directory for generated code"), std::string::npos)
      << m.error().message;
}

TEST(CodeCache, ReportsAMissingCompiler) {
  test::TempDir dir;
  EngineConfig config;
  config.cacheDir = dir.path();
  config.compiler.cc = "no-such-compiler-nearfaas";
  Engine engine(config);
  auto m = engine.load(test::guestBytes("big_memory"));
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("no-such-compiler-nearfaas"), std::string::npos)
      << m.error().message;
}

}  // namespace
}  // namespace nearfaas::wasm
