// Traps of every kind, timeouts, stack exhaustion and memory limits: each is
// reported as a Trap value, and the thread and instance keep working after.
#include <gtest/gtest.h>

#include "test_env.h"
#include "wasm/instance.h"

namespace nearfaas::wasm {
namespace {

using namespace std::chrono_literals;

class TrapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    module_ = test::loadGuest("traps");
    ASSERT_TRUE(module_);
    auto inst = Linker().instantiate(module_);
    ASSERT_TRUE(inst) << inst.error().message;
    inst_ = *inst;
  }

  TrapKind trapOf(const char* name, std::vector<Value> args = {}, CallOptions opts = {}) {
    auto r = inst_->call(name, args, opts);
    EXPECT_FALSE(r) << name << " returned normally";
    return r ? TrapKind::BadCall : r.error().kind;
  }

  // After any trap the same instance and thread still run code.
  void expectStillWorks() {
    auto r = inst_->call("add", std::vector<Value>{Value::makeI32(2), Value::makeI32(3)});
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->at(0).i32, 5u);
  }

  ModuleHandle module_;
  InstanceHandle inst_;
};

TEST_F(TrapTest, ReturnsResults) {
  auto r = inst_->call("forty_two");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->at(0).type, ValType::I32);
  EXPECT_EQ(r->at(0).i32, 42u);
}

TEST_F(TrapTest, OutOfBoundsMemory) {
  EXPECT_EQ(trapOf("oob_load"), TrapKind::OutOfBounds);
  expectStillWorks();
  EXPECT_EQ(trapOf("oob_store"), TrapKind::OutOfBounds);
  expectStillWorks();
  EXPECT_EQ(trapOf("oob_fill"), TrapKind::OutOfBounds);
  expectStillWorks();
}

TEST_F(TrapTest, ArithmeticTraps) {
  EXPECT_EQ(trapOf("div_zero", {Value::makeI32(0)}), TrapKind::DivideByZero);
  EXPECT_EQ(trapOf("overflow"), TrapKind::IntegerOverflow);
  EXPECT_EQ(trapOf("bad_convert"), TrapKind::InvalidConversion);
  auto ok = inst_->call("div_zero", std::vector<Value>{Value::makeI32(1)});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->at(0).i32, 1u);
}

TEST_F(TrapTest, UnreachableAndIndirectCalls) {
  EXPECT_EQ(trapOf("unreachable"), TrapKind::Unreachable);
  EXPECT_EQ(trapOf("call_null"), TrapKind::UninitializedElement);
  EXPECT_EQ(trapOf("call_beyond"), TrapKind::UndefinedElement);
  EXPECT_EQ(trapOf("call_mismatch"), TrapKind::IndirectCallTypeMismatch);
  expectStillWorks();
}

TEST_F(TrapTest, StackExhaustion) {
  EXPECT_EQ(trapOf("recurse", {Value::makeI32(0)}), TrapKind::StackExhausted);
  expectStillWorks();
  // Repeatedly, to show the guard page and signal stack are reusable.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(trapOf("recurse", {Value::makeI32(0)}), TrapKind::StackExhausted);
  expectStillWorks();
}

TEST_F(TrapTest, TimeoutStopsAnInfiniteLoop) {
  CallOptions opts;
  opts.timeout = 200ms;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(trapOf("spin", {}, opts), TrapKind::Timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  expectStillWorks();
}

TEST_F(TrapTest, NoStaleTimeoutAfterACallThatFinished) {
  CallOptions opts;
  opts.timeout = 50ms;
  auto r = inst_->call("forty_two", {}, opts);
  ASSERT_TRUE(r);
  std::this_thread::sleep_for(100ms);  // the old deadline passes while idle
  auto again = inst_->call("forty_two", {}, opts);
  ASSERT_TRUE(again) << again.error().describe();
  auto untimed = inst_->call("forty_two");
  ASSERT_TRUE(untimed) << untimed.error().describe();
}

TEST_F(TrapTest, MemoryGrowsUpToTheDeclaredMaximum) {
  auto g = inst_->call("grow", std::vector<Value>{Value::makeI32(3)});
  ASSERT_TRUE(g);
  EXPECT_EQ(g->at(0).i32, 1u);  // old size
  auto over = inst_->call("grow", std::vector<Value>{Value::makeI32(1)});
  ASSERT_TRUE(over);
  EXPECT_EQ(over->at(0).i32, UINT32_MAX);  // 5 > max 4: fails, not a trap
  auto pages = inst_->call("pages");
  ASSERT_TRUE(pages);
  EXPECT_EQ(pages->at(0).i32, 4u);
}

TEST_F(TrapTest, BadCallsAreReportedNotRun) {
  auto missing = inst_->call("no_such_function");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, TrapKind::BadCall);
  EXPECT_NE(missing.error().message.find("no_such_function"), std::string::npos);
  auto arity = inst_->call("add", std::vector<Value>{Value::makeI32(1)});
  ASSERT_FALSE(arity);
  EXPECT_EQ(arity.error().kind, TrapKind::BadCall);
  auto type = inst_->call("add", std::vector<Value>{Value::makeI32(1), Value::makeF64(1.0)});
  ASSERT_FALSE(type);
  EXPECT_EQ(type.error().kind, TrapKind::BadCall);
}

TEST_F(TrapTest, GlobalsReadAndWrite) {
  const ExportDesc* counter = inst_->info().findExport("counter");
  const ExportDesc* limit = inst_->info().findExport("limit");
  ASSERT_TRUE(counter && limit);
  EXPECT_EQ(inst_->global(counter->index)->i32, 7u);
  EXPECT_TRUE(inst_->setGlobal(counter->index, Value::makeI32(100)));
  auto bumped = inst_->call("bump");
  ASSERT_TRUE(bumped);
  EXPECT_EQ(bumped->at(0).i32, 101u);
  EXPECT_EQ(inst_->global(limit->index)->i64, 99u);
  EXPECT_FALSE(inst_->setGlobal(limit->index, Value::makeI64(1)));    // immutable
  EXPECT_FALSE(inst_->setGlobal(counter->index, Value::makeI64(1)));  // wrong type
  EXPECT_FALSE(inst_->global(99).has_value());
}

TEST_F(TrapTest, CallTableEntryChecksType) {
  FuncType v_i{{}, {ValType::I32}};
  FuncType i_i{{ValType::I32}, {ValType::I32}};
  auto r = inst_->callTableEntry(0, 0, v_i, {});
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->at(0).i32, 42u);
  auto r1 = inst_->callTableEntry(0, 1, i_i, std::vector<Value>{Value::makeI32(9)});
  ASSERT_TRUE(r1) << r1.error().describe();
  EXPECT_EQ(r1->at(0).i32, 10u);
  EXPECT_EQ(inst_->callTableEntry(0, 1, v_i, {}).error().kind, TrapKind::IndirectCallTypeMismatch);
  EXPECT_EQ(inst_->callTableEntry(0, 3, v_i, {}).error().kind, TrapKind::UninitializedElement);
  EXPECT_EQ(inst_->callTableEntry(0, 50, v_i, {}).error().kind, TrapKind::UndefinedElement);
  EXPECT_EQ(inst_->callTableEntry(7, 0, v_i, {}).error().kind, TrapKind::BadCall);
}

TEST(InstanceLimits, MemoryLimitCapsGrowth) {
  auto module = test::loadGuest("traps");
  InstanceOptions opts;
  opts.maxMemoryPages = 2;
  auto inst = Linker().instantiate(module, opts);
  ASSERT_TRUE(inst) << inst.error().message;
  auto g = (*inst)->call("grow", std::vector<Value>{Value::makeI32(1)});
  ASSERT_TRUE(g);
  EXPECT_EQ(g->at(0).i32, 1u);
  auto over = (*inst)->call("grow", std::vector<Value>{Value::makeI32(1)});
  ASSERT_TRUE(over);
  EXPECT_EQ(over->at(0).i32, UINT32_MAX);
}

TEST(InstanceLimits, InitialMemoryOverTheLimitIsRefused) {
  auto module = test::loadGuest("big_memory");
  InstanceOptions opts;
  opts.maxMemoryPages = 50;
  auto inst = Linker().instantiate(module, opts);
  ASSERT_FALSE(inst);
  EXPECT_EQ(inst.error().kind, InstantiateError::Resource);
  EXPECT_NE(inst.error().message.find("limit"), std::string::npos) << inst.error().message;
  opts.maxMemoryPages = 100;
  EXPECT_TRUE(Linker().instantiate(module, opts));
}

TEST(InstanceLimits, StartFunctionTrapIsReported) {
  auto module = test::loadGuest("start_trap");
  auto inst = Linker().instantiate(module);
  ASSERT_FALSE(inst);
  EXPECT_EQ(inst.error().kind, InstantiateError::Trap);
  ASSERT_TRUE(inst.error().trap);
  EXPECT_EQ(inst.error().trap->kind, TrapKind::Unreachable);
}

TEST(InstanceLimits, MissingImportIsALinkError) {
  auto module = test::loadGuest("host_calls");
  auto inst = Linker().instantiate(module);
  ASSERT_FALSE(inst);
  EXPECT_EQ(inst.error().kind, InstantiateError::Link);
  EXPECT_NE(inst.error().message.find("test.double"), std::string::npos) << inst.error().message;
}

}  // namespace
}  // namespace nearfaas::wasm
