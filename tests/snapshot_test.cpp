// Instance snapshots: restore gives the captured state without running
// initialisation again, instances restored from one snapshot are independent,
// and reset returns an instance to the snapshot (globals, memory contents and
// size, tables).
#include "wasm/snapshot.h"

#include <gtest/gtest.h>

#include <thread>

#include "test_env.h"

namespace nearfaas::wasm {
namespace {

uint32_t hostDouble(Instance&, uint32_t x) {
  return 2 * x;
}

Value i32(uint32_t v) {
  return Value::makeI32(v);
}

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.add<&hostDouble>("test", "double");
    auto module = test::loadGuest("snapshot", &registry_);
    ASSERT_TRUE(module);
    Linker linker;
    linker.addHost(registry_);
    auto inst = linker.instantiate(module);
    ASSERT_TRUE(inst) << inst.error().message;
    ASSERT_TRUE((*inst)->call("init"));
    auto snap = InstanceSnapshot::capture(**inst);
    ASSERT_TRUE(snap) << snap.error().message;
    snap_ = *snap;
  }
  InstanceHandle restore() {
    auto r = snap_->restore(nullptr, kDefaultMaxMemoryPages);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : nullptr;
  }
  static uint32_t call(Instance& inst, std::string_view name, std::vector<Value> args = {}) {
    auto r = inst.call(name, args);
    EXPECT_TRUE(r) << name << ": " << (r ? "" : r.error().describe());
    return r && !r->empty() ? r->at(0).i32 : UINT32_MAX;
  }
  HostRegistry registry_;
  std::shared_ptr<const InstanceSnapshot> snap_;
};

TEST_F(SnapshotTest, RestoreHasTheCapturedState) {
  auto inst = restore();
  ASSERT_TRUE(inst);
  EXPECT_EQ(call(*inst, "load", {i32(64)}), 1234u);
  EXPECT_EQ(call(*inst, "counter_via_table"), 7u);
  EXPECT_EQ(call(*inst, "bump"), 8u);
  // The imported host function in the table is called on the new instance.
  EXPECT_EQ(call(*inst, "call_entry", {i32(1), i32(21)}), 42u);
  EXPECT_EQ(call(*inst, "call_entry", {i32(2), i32(64)}), 1234u);
}

TEST_F(SnapshotTest, RestoredInstancesAreIndependent) {
  auto a = restore();
  auto b = restore();
  ASSERT_TRUE(a && b);
  call(*a, "store", {i32(64), i32(99)});
  call(*a, "bump");
  EXPECT_EQ(call(*a, "load", {i32(64)}), 99u);
  EXPECT_EQ(call(*b, "load", {i32(64)}), 1234u);
  EXPECT_EQ(call(*b, "counter_via_table"), 7u);
  // A third restored after the writes still sees the snapshot.
  auto c = restore();
  ASSERT_TRUE(c);
  EXPECT_EQ(call(*c, "load", {i32(64)}), 1234u);
}

TEST_F(SnapshotTest, ResetForgetsEverythingACallDid) {
  auto inst = restore();
  ASSERT_TRUE(inst);
  call(*inst, "store", {i32(64), i32(5)});
  call(*inst, "store", {i32(1000), i32(77)});
  call(*inst, "bump");
  EXPECT_EQ(call(*inst, "grow", {i32(3)}), 1u);
  call(*inst, "store", {i32(3 * 65536), i32(11)});
  ASSERT_TRUE(snap_->reset(*inst)) << "reset";
  EXPECT_EQ(call(*inst, "size"), 1u);
  EXPECT_EQ(call(*inst, "load", {i32(64)}), 1234u);
  EXPECT_EQ(call(*inst, "load", {i32(1000)}), 0u);
  EXPECT_EQ(call(*inst, "counter_via_table"), 7u);
  // Memory beyond the snapshot is gone: the old address traps again.
  auto r = inst->call("load", std::vector<Value>{i32(3 * 65536)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, TrapKind::OutOfBounds);
  // And can grow again, zeroed.
  EXPECT_EQ(call(*inst, "grow", {i32(3)}), 1u);
  EXPECT_EQ(call(*inst, "load", {i32(3 * 65536)}), 0u);
}

TEST_F(SnapshotTest, MemoryLimitAppliesToRestoredInstances) {
  auto r = snap_->restore(nullptr, 2);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(call(**r, "grow", {i32(1)}), 1u);
  EXPECT_EQ(call(**r, "grow", {i32(1)}), UINT32_MAX);
  // A limit below the snapshot's own memory cannot be met.
  auto none = snap_->restore(nullptr, 0);
  EXPECT_FALSE(none);
}

TEST_F(SnapshotTest, ConcurrentRestoresOnThreads) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto r = snap_->restore(nullptr, kDefaultMaxMemoryPages);
        if (!r) return;
        auto s = (*r)->call("store", std::vector<Value>{i32(64), i32(t * 1000 + i)});
        auto l = (*r)->call("load", std::vector<Value>{i32(64)});
        if (s && l && l->at(0).i32 == uint32_t(t * 1000 + i) && snap_->reset(**r)) {
          auto again = (*r)->call("load", std::vector<Value>{i32(64)});
          if (again && again->at(0).i32 == 1234u) ok++;
        }
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(ok.load(), 200);
}

TEST_F(SnapshotTest, RefusesInstancesThatImportMemory) {
  auto provider = restore();
  ASSERT_TRUE(provider);
  Linker linker;
  linker.defineInstance("other", provider);
  auto module = test::loadGuest("imports_memory");
  ASSERT_TRUE(module);
  auto inst = linker.instantiate(module);
  ASSERT_TRUE(inst) << inst.error().message;
  EXPECT_EQ(call(**inst, "load", {i32(64)}), 1234u);
  auto snap = InstanceSnapshot::capture(**inst);
  ASSERT_FALSE(snap);
  EXPECT_NE(snap.error().message.find("other.memory"), std::string::npos) << snap.error().message;
}

}  // namespace
}  // namespace nearfaas::wasm
