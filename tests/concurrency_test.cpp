// Many instances on many threads at once, some trapping: traps stay on their
// own thread and every thread keeps producing correct results.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "test_env.h"
#include "wasm/instance.h"

namespace nearfaas::wasm {
namespace {

using namespace std::chrono_literals;

TEST(Concurrency, ThreadsTrapIndependently) {
  auto module = test::loadGuest("traps");
  ASSERT_TRUE(module);
  constexpr int kThreads = 8;
  constexpr int kRounds = 40;
  std::atomic<int> wrong{0}, traps{0}, results{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto inst = Linker().instantiate(module);
      if (!inst) {
        ++wrong;
        return;
      }
      for (int round = 0; round < kRounds; ++round) {
        // Odd threads trap in a different way each round; all threads compute.
        if (t % 2 == 1) {
          static const char* kTrapping[] = {"oob_load", "unreachable", "overflow", "call_null"};
          auto r = (*inst)->call(kTrapping[round % 4]);
          r ? ++wrong : ++traps;
          if (round % 10 == 0) {
            auto deep = (*inst)->call("recurse", std::vector<Value>{Value::makeI32(0)});
            (!deep && deep.error().kind == TrapKind::StackExhausted) ? ++traps : ++wrong;
          }
        }
        uint32_t a = static_cast<uint32_t>(t * 1000 + round);
        auto r = (*inst)->call("add", std::vector<Value>{Value::makeI32(a), Value::makeI32(1)});
        (r && r->at(0).i32 == a + 1) ? ++results : ++wrong;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(results, kThreads * kRounds);
  EXPECT_EQ(traps, (kThreads / 2) * (kRounds + kRounds / 10));
}

TEST(Concurrency, TimeoutsOnSeveralThreadsAtOnce) {
  auto module = test::loadGuest("traps");
  ASSERT_TRUE(module);
  std::atomic<int> timeouts{0}, ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto inst = Linker().instantiate(module);
      ASSERT_TRUE(inst);
      CallOptions opts;
      opts.timeout = std::chrono::milliseconds(50 + 25 * t);
      auto r = (*inst)->call("spin", {}, opts);
      if (!r && r.error().kind == TrapKind::Timeout) ++timeouts;
      if ((*inst)->call("forty_two")) ++ok;
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(timeouts, 4);
  EXPECT_EQ(ok, 4);
}

}  // namespace
}  // namespace nearfaas::wasm
