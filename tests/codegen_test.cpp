// Code generation and the code cache.
#include "wasm/codegen.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_env.h"
#include "wasm/decoded_module.h"
#include "wasm/host_registry.h"
#include "wasm/instance.h"
#include "wasm_builder.h"

namespace nearfaas::wasm {
namespace {

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
