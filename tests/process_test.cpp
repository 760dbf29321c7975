// Child processes of the engine (compilers) and isolated work (wasm2c) are
// bounded: a timeout kills everything the child started, and a memory limit
// binds the child.
#include "base/process.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "test_env.h"

namespace nearfaas {
namespace {

using namespace std::chrono_literals;

// True once process `pid` is gone (or a zombie nobody reaped yet).
bool processGone(long pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

TEST(Process, TimeoutKillsEverythingTheChildStarted) {
  // The shell starts a grandchild, prints its pid and waits for it.
  auto r = runProcess({"sh", "-c", "sleep 120 & echo $!; wait"}, 500ms);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->timedOut);
  long grandchild = std::atol(r->output.c_str());
  ASSERT_GT(grandchild, 0) << r->output;
  EXPECT_TRUE(test::pollUntil([&] { return processGone(grandchild); }, 10s))
      << "the grandchild " << grandchild << " outlived the timeout";
}

TEST(Process, MemoryLimitBindsTheChild) {
  // The shell holds 100 MB in a variable.
  std::vector<std::string> argv = {"sh", "-c",
                                   "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo ${#x}"};
  auto unlimited = runProcess(argv, 60s);
  ASSERT_TRUE(unlimited);
  EXPECT_EQ(unlimited->output, "100000000\n");
  auto limited = runProcess(argv, 60s, {32u << 20});
  ASSERT_TRUE(limited);
  EXPECT_NE(limited->output, "100000000\n");
  EXPECT_NE(limited->exitCode, 0);
}

TEST(Process, MissingProgramIsAnError) {
  auto r = runProcess({"no-such-program-nearfaas"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no-such-program-nearfaas"), std::string::npos);
}

TEST(Process, IsolatedWorkIsBoundedInTime) {
  auto r = runIsolated(
      []() -> Result<void> {
        for (;;)
          ::pause();
      },
      300ms);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("timed out"), std::string::npos) << r.error().message;
}

TEST(Process, IsolatedWorkIsBoundedInMemory) {
  auto allocate = []() -> Result<void> {
    void* p = std::malloc(512u << 20);
    if (!p) return fail("out of memory");
    std::free(p);
    return {};
  };
  EXPECT_TRUE(runIsolated(allocate, 60s));
  auto limited = runIsolated(allocate, 60s, 64u << 20);
  ASSERT_FALSE(limited);
  EXPECT_EQ(limited.error().message, "out of memory");
}

}  // namespace
}  // namespace nearfaas
