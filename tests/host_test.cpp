// Host functions: registration, import checks at codegen, errors thrown by host
// code, re-entry into the guest from a host function, deadlines in host code,
// the stack a host function is entered with.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "test_env.h"
#include "wasm/host_registry.h"
#include "wasm/instance.h"
#include "wasm/settings.h"

namespace nearfaas::wasm {
namespace {

using namespace std::chrono_literals;

uint32_t hostDouble(Instance&, uint32_t x) {
  return 2 * x;
}
void hostFail(Instance&, uint32_t code) {
  throw HostTrap(TrapKind::Host, "fail called with " + std::to_string(code));
}
void hostThrow(Instance&) {
  throw std::runtime_error("boom from the host");
}
uint32_t hostReenter(Instance& inst, uint32_t element) {
  auto r = inst.callTableEntry(0, element, FuncType{{}, {ValType::I32}}, {});
  return r ? r->at(0).i32 : UINT32_MAX;
}
void hostSlow(Instance&) {
  std::this_thread::sleep_for(1ms);
}

HostRegistry testRegistry() {
  HostRegistry r;
  r.add<&hostDouble>("test", "double");
  r.add<&hostFail>("test", "fail");
  r.add<&hostThrow>("test", "throw");
  r.add<&hostReenter>("test", "reenter");
  r.add<&hostSlow>("test", "slow");
  return r;
}

class HostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = testRegistry();
    auto module = test::loadGuest("host_calls", &registry_);
    ASSERT_TRUE(module);
    Linker linker;
    linker.addHost(registry_);
    auto inst = linker.instantiate(module);
    ASSERT_TRUE(inst) << inst.error().message;
    inst_ = *inst;
  }
  HostRegistry registry_;
  InstanceHandle inst_;
};

TEST_F(HostTest, DerivesTypesFromSignatures) {
  const HostFunc* f = registry_.find("test", "double");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(funcTypeString(f->type), "(i32) -> (i32)");
  EXPECT_EQ(funcTypeString(registry_.find("test", "throw")->type), "() -> ()");
  EXPECT_EQ(registry_.find("test", "nope"), nullptr);
  EXPECT_EQ(registry_.find("other", "double"), nullptr);
}

TEST_F(HostTest, CallsHostFunctions) {
  auto r = inst_->call("double", std::vector<Value>{Value::makeI32(21)});
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->at(0).i32, 42u);
}

TEST_F(HostTest, HostTrapCarriesKindAndMessage) {
  auto r = inst_->call("fail", std::vector<Value>{Value::makeI32(7)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, TrapKind::Host);
  EXPECT_EQ(r.error().message, "fail called with 7");
  auto ok = inst_->call("double", std::vector<Value>{Value::makeI32(1)});
  EXPECT_TRUE(ok);
}

TEST_F(HostTest, ExceptionsBecomeHostTraps) {
  auto r = inst_->call("throw");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, TrapKind::Host);
  EXPECT_EQ(r.error().message, "boom from the host");
}

TEST_F(HostTest, HostCanReenterTheGuest) {
  auto ok = inst_->call("reenter", std::vector<Value>{Value::makeI32(0)});
  ASSERT_TRUE(ok) << ok.error().describe();
  EXPECT_EQ(ok->at(0).i32, 5u);
  // A trap in the inner call is the host function's to handle; the outer call goes on.
  auto inner = inst_->call("reenter", std::vector<Value>{Value::makeI32(1)});
  ASSERT_TRUE(inner) << inner.error().describe();
  EXPECT_EQ(inner->at(0).i32, UINT32_MAX);
}

TEST_F(HostTest, DeadlinePassingInsideHostCodeStopsTheGuest) {
  CallOptions opts;
  opts.timeout = 100ms;
  auto r = inst_->call("spin_in_host", {}, opts);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, TrapKind::Timeout);
  EXPECT_TRUE(inst_->call("double", std::vector<Value>{Value::makeI32(1)}));
}

TEST(HostImports, MissingHostFunctionIsRefusedAtCodegenByName) {
  HostRegistry partial;
  partial.add<&hostDouble>("test", "double");
  auto m = test::sharedEngine().load(test::guestBytes("host_calls"), &partial);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("test.fail"), std::string::npos) << m.error().message;
}

TEST(HostImports, WrongHostTypeIsRefused) {
  HostRegistry r = testRegistry();
  r.add<&hostSlow>("test", "double");  // () -> () where (i32) -> (i32) is imported
  auto m = test::sharedEngine().load(test::guestBytes("host_calls"), &r);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("test.double"), std::string::npos) << m.error().message;
  EXPECT_NE(m.error().message.find("(i32) -> (i32)"), std::string::npos) << m.error().message;
}

// Uses three quarters of the host stack reserve, down to its lowest byte:
// entered with less stack left than that, it would run off the thread's stack.
std::atomic<uint64_t> hungryCalls{0};
uint32_t hostStackHungry(Instance&, uint32_t n) {
  volatile char buf[kHostStackReserve * 3 / 4];
  buf[sizeof buf - 1] = static_cast<char>(n);
  buf[0] = static_cast<char>(n + 1);
  hungryCalls.fetch_add(1, std::memory_order_relaxed);
  return static_cast<uint32_t>(buf[0] & 1);
}

// Deep guest recursion calling that host function at every level: near the
// bottom of the stack the call traps as stack exhaustion (the host function
// is not entered) instead of crashing the process in host code.
TEST(HostStack, HostFunctionsAreNotEnteredWithoutTheReserve) {
  HostRegistry r;
  r.add<&hostStackHungry>("test", "stack_hungry");
  auto module = test::loadGuest("host_stack", &r);
  ASSERT_TRUE(module);
  Linker linker;
  linker.addHost(r);
  auto inst = linker.instantiate(module);
  ASSERT_TRUE(inst) << inst.error().message;
  for (int round = 0; round < 2; ++round) {
    hungryCalls = 0;
    auto deep = (*inst)->call("down", std::vector<Value>{Value::makeI32(0)});
    ASSERT_FALSE(deep);
    EXPECT_EQ(deep.error().kind, TrapKind::StackExhausted) << deep.error().describe();
    EXPECT_GT(hungryCalls.load(), 1000u);  // it went deep, calling the host all the way
    auto once = (*inst)->call("once");
    ASSERT_TRUE(once) << once.error().describe();
    EXPECT_EQ(once->at(0).i32, 0u);
  }
}

}  // namespace
}  // namespace nearfaas::wasm
