// Decoding, validation and description of modules; every malformed or invalid
// input gives an error naming the problem and where it is.
#include "wasm/module_info.h"

#include <gtest/gtest.h>

#include "test_env.h"

namespace nearfaas::wasm {
namespace {

Bytes bytesOf(std::initializer_list<uint8_t> b) {
  return Bytes(b);
}

const Bytes kHeader = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

TEST(ModuleInfo, DescribesTrapsModule) {
  auto info = describeModule(test::guestBytes("traps"));
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->imports.size(), 0u);
  ASSERT_EQ(info->memories.size(), 1u);
  EXPECT_EQ(info->memories[0].limits.initial, 1u);
  EXPECT_EQ(info->memories[0].limits.max, 4u);
  ASSERT_EQ(info->tables.size(), 1u);
  EXPECT_EQ(info->tables[0].limits.initial, 4u);
  ASSERT_EQ(info->globals.size(), 2u);
  EXPECT_TRUE(info->globals[0].isMutable);
  EXPECT_EQ(info->globals[0].type, ValType::I32);
  EXPECT_FALSE(info->globals[1].isMutable);
  EXPECT_EQ(info->globals[1].type, ValType::I64);
  ASSERT_EQ(info->elemSegments.size(), 1u);
  EXPECT_EQ(info->elemSegments[0].count, 2u);
  EXPECT_FALSE(info->start.has_value());
  const ExportDesc* add = info->findExport("add");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->kind, ExternKind::Func);
  EXPECT_EQ(funcTypeString(info->funcType(add->index)), "(i32, i32) -> (i32)");
  EXPECT_EQ(info->findExport("no_such_export"), nullptr);
}

TEST(ModuleInfo, DescribesImportsAndStart) {
  auto info = describeModule(test::guestBytes("host_calls"));
  ASSERT_TRUE(info) << info.error().message;
  ASSERT_EQ(info->imports.size(), 5u);
  EXPECT_EQ(info->imports[0].module, "test");
  EXPECT_EQ(info->imports[0].field, "double");
  EXPECT_EQ(info->numImportedFuncs, 5u);
  auto start = describeModule(test::guestBytes("start_trap"));
  ASSERT_TRUE(start);
  EXPECT_TRUE(start->start.has_value());
  std::string text = formatModuleInfo(*info);
  EXPECT_NE(text.find("func test.double (i32) -> (i32)"), std::string::npos) << text;
}

TEST(ModuleInfo, RejectsEmptyAndShortInput) {
  auto empty = describeModule(Bytes{});
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("too short"), std::string::npos);
  EXPECT_NE(empty.error().message.find("offset"), std::string::npos);
}

TEST(ModuleInfo, RejectsBadMagicWithOffset) {
  auto r = describeModule(bytesOf({0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("magic"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("byte offset 0x"), std::string::npos) << r.error().message;
}

TEST(ModuleInfo, RejectsTruncatedSection) {
  Bytes b = kHeader;
  b.insert(b.end(), {0x01, 0x10, 0x01});  // type section claiming 16 bytes, holding 1
  auto r = describeModule(b);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("byte offset 0x"), std::string::npos) << r.error().message;
}

TEST(ModuleInfo, RejectsTypeMismatchAsInvalid) {
  // (func (result i32) (i64.const 0))
  Bytes b = kHeader;
  b.insert(b.end(), {0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,  // type: () -> i32
                     0x03, 0x02, 0x01, 0x00,                    // func 0: type 0
                     0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x00, 0x0b});
  auto r = describeModule(b);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("invalid module"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("type mismatch"), std::string::npos) << r.error().message;
}

TEST(ModuleInfo, RejectsRandomGarbage) {
  // Fixed-seed garbage after a valid header, at several lengths: never accepted, never crashes.
  uint32_t x = 12345;
  for (size_t len : {1u, 7u, 64u, 1000u}) {
    Bytes b = kHeader;
    for (size_t i = 0; i < len; ++i) {
      x = x * 1103515245u + 12345u;
      b.push_back(static_cast<uint8_t>(x >> 16));
    }
    b[8] = 0x20;  // an unknown section id, so the garbage is not a valid custom section
    auto r = describeModule(b);
    EXPECT_FALSE(r) << "garbage of length " << len << " accepted";
  }
}

TEST(ModuleInfo, RejectsSimd) {
  // (func (drop (v128.const i64x2 0 0)))
  Bytes b = kHeader;
  b.insert(b.end(), {0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x17, 0x01,
                     0x15, 0x00, 0xfd, 0x0c});
  b.insert(b.end(), 16, 0x00);
  b.insert(b.end(), {0x1a, 0x0b});
  auto r = describeModule(b);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("byte offset"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace nearfaas::wasm
