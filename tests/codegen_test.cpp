// Code generation and the code cache.
#include "wasm/codegen.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_env.h"
#include "wasm/decoded_module.h"

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
