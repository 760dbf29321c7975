// Embedded nodes sharing one real redis-server as their global state tier
// (NodeConfig::clusterUrl, what `serve --cluster` sets): guest functions on
// several "hosts" in one process.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "base/bytes.h"
#include "http_server.h"
#include "redis_server.h"
#include "sched/node.h"
#include "test_env.h"

namespace nearfaas {
namespace {

using host::CallOutcome;
using host::CallRequest;

std::string text(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

class RedisNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 3; ++i) {
      sched::NodeConfig c;
      c.dataDir = dirs_[i].path();
      c.codeCacheDir = test::testCacheDir();
      c.scheduler.slots = 2;
      c.scheduler.callTimeout = std::chrono::seconds(60);
      c.clusterUrl = redis_.url();
      auto n = sched::Node::open(c);
      ASSERT_TRUE(n) << n.error().message;
      nodes_[i] = std::move(*n);
      for (const char* f : {"counter", "hello"}) {
        auto wasm = readFile(std::filesystem::path(NEARFAAS_FUNC_DIR) / "faasm" /
                             (std::string(f) + ".wasm"));
        ASSERT_TRUE(wasm) << wasm.error().message;
        ASSERT_TRUE(nodes_[i]->functions().add("faasm", f, *wasm)) << f;
      }
    }
  }

  CallOutcome call(int node, const std::string& function, const std::string& input) {
    CallRequest r;
    r.user = "faasm";
    r.function = function;
    r.input.assign(input.begin(), input.end());
    return nodes_[node]->scheduler().call(std::move(r));
  }

  test::RedisServer redis_;
  test::TempDir dirs_[3];
  std::unique_ptr<sched::Node> nodes_[3];
};

// faasm/counter's AtomicInt (faasmLockStateGlobal, pull, add, push, unlock)
// from concurrent calls on three nodes: every increment counts.
TEST_F(RedisNodes, GuestCounterOnThreeNodesCountsEveryCall) {
  constexpr int kThreadsPerNode = 2, kCallsPerThread = 4;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int node = 0; node < 3; ++node)
    for (int t = 0; t < kThreadsPerNode; ++t)
      threads.emplace_back([&, node] {
        for (int i = 0; i < kCallsPerThread; ++i) {
          CallOutcome out = call(node, "counter", "add 1");
          if (out.returnValue != 0) {
            ++failed;
            ADD_FAILURE() << out.error << text(out.output);
          }
        }
      });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failed.load(), 0);
  CallOutcome last = call(1, "counter", "add 0");
  ASSERT_EQ(last.returnValue, 0) << last.error;
  constexpr int kCalls = 3 * kThreadsPerNode * kCallsPerThread;
  EXPECT_EQ(text(last.output).substr(0, text(last.output).find(' ')), std::to_string(kCalls));
}

TEST_F(RedisNodes, RedisDownTrapsStateCallsAndTheNodeKeepsServing) {
  redis_.stop();
  CallOutcome out = call(0, "counter", "add 1");
  EXPECT_NE(out.returnValue, 0);
  EXPECT_NE(out.error.find("redis 127.0.0.1:" + std::to_string(redis_.port())), std::string::npos)
      << out.error;
  CallOutcome hello = call(0, "hello", "");
  EXPECT_EQ(hello.returnValue, 0) << hello.error;
  redis_.start();
  CallOutcome again = call(0, "counter", "add 1");
  EXPECT_EQ(again.returnValue, 0) << again.error;
  EXPECT_EQ(text(again.output).substr(0, 2), "1 ");
}

// The HTTP /s endpoints read and write the global value: a PUT on one
// worker, a function on another, a GET on the first again.
TEST(RedisHttp, StateEndpointsUseTheGlobalValue) {
  test::RedisServer redis;
  test::TestServerOptions o;
  o.clusterUrl = redis.url();
  test::TestServer a(o), b(o);
  ASSERT_TRUE(a.ok() && b.ok());
  auto wasm = readFile(test::functionWasm("demo", "state"));
  ASSERT_TRUE(wasm);
  ASSERT_TRUE(b.node().functions().add("demo", "state", *wasm));

  EXPECT_EQ(a.upload("GET", "/s/demo/demo_counter").status, 404u);
  std::string seven("\x07\0\0\0", 4);
  ASSERT_EQ(a.upload("PUT", "/s/demo/demo_counter", seven).status, 200u);
  EXPECT_EQ(b.upload("GET", "/s/demo/demo_counter").body, seven);
  auto incr = b.call("demo", "state", "incr");
  EXPECT_EQ(incr.body, "8");
  EXPECT_EQ(a.upload("GET", "/s/demo/demo_counter").body, std::string("\x08\0\0\0", 4));

  redis.stop();
  auto down = a.upload("GET", "/s/demo/demo_counter");
  EXPECT_EQ(down.status, 503u);
  EXPECT_NE(down.body.find("redis 127.0.0.1:"), std::string::npos) << down.body;
}

TEST(RedisNodeStartup, UnreachableRedisIsAClearError) {
  test::TempDir dir;
  sched::NodeConfig c;
  c.dataDir = dir.path();
  c.codeCacheDir = test::testCacheDir();
  for (std::string url : {"redis://127.0.0.1:1", "http://127.0.0.1:6379"}) {
    c.clusterUrl = url;
    auto n = sched::Node::open(c);
    ASSERT_FALSE(n) << url;
    EXPECT_NE(n.error().message.find("cannot use the cluster's Redis at " + url), std::string::npos)
        << n.error().message;
  }
}

}  // namespace
}  // namespace nearfaas
