// The global state tier on a real Redis: several StateStores ("hosts") share
// one redis-server started by the test (tests/redis_server.h).
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <cstring>
#include <thread>

#include "redis_server.h"
#include "state/redis_tier.h"
#include "state/state_sync.h"

namespace nearfaas::state {
namespace {

using test::RedisServer;

Bytes bytesOf(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

class RedisState : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new RedisServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    // Each test its own user, so tests never see each other's keys.
    user_ = std::string("user:") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& h : hosts_) {
      auto tier = RedisStateTier::connect(server_->url());
      ASSERT_TRUE(tier) << tier.error().message;
      h.tier = std::move(*tier);
      h.store.setGlobalTier(h.tier);
    }
  }

  // A Redis counter from INFO stats, on a connection of its own.
  static uint64_t stat(const char* name) {
    redisContext* c = redisConnect("127.0.0.1", server_->port());
    EXPECT_TRUE(c && !c->err);
    auto* r = static_cast<redisReply*>(redisCommand(c, "INFO stats"));
    std::string info(r->str, r->len);
    freeReplyObject(r);
    redisFree(c);
    std::string field = std::string(name) + ":";
    size_t at = info.find(field);
    EXPECT_NE(at, std::string::npos);
    return std::stoull(info.substr(at + field.size()));
  }

  struct Host {
    StateStore store;
    std::shared_ptr<RedisStateTier> tier;
    std::shared_ptr<StateValue> value(std::string_view user, std::string_view key) {
      auto v = store.value(user, key);
      EXPECT_TRUE(v);
      return *v;
    }
  };

  static RedisServer* server_;
  std::string user_;
  Host hosts_[3];
};
RedisServer* RedisState::server_ = nullptr;

TEST_F(RedisState, PushOnOneHostPullOnAnother) {
  auto a = hosts_[0].value(user_, "k");
  ASSERT_TRUE(a->set(bytesOf("hello from a")));
  ASSERT_TRUE(pushAll(*hosts_[0].tier, user_, "k", *a));
  auto b = hosts_[1].value(user_, "k");
  EXPECT_EQ(b->size(), 0u);  // local tiers are separate
  EXPECT_EQ(hosts_[1].tier->size(user_, "k").value(), 12u);
  ASSERT_TRUE(pullAll(*hosts_[1].tier, user_, "k", *b));
  EXPECT_EQ(b->readAll(), bytesOf("hello from a"));
  EXPECT_TRUE(b->pulled());
}

TEST_F(RedisState, KeysOfUsersNeverCollide) {
  auto& t = *hosts_[0].tier;
  ASSERT_TRUE(t.set("a:b", "c", bytesOf("one")));
  ASSERT_TRUE(t.set("a", "b:c", bytesOf("two")));
  std::string binaryKey("x\0y\r\n", 5);
  ASSERT_TRUE(t.set("a", binaryKey, bytesOf("three")));
  EXPECT_EQ(t.get("a:b", "c").value(), bytesOf("one"));
  EXPECT_EQ(t.get("a", "b:c").value(), bytesOf("two"));
  EXPECT_EQ(t.get("a", binaryKey).value(), bytesOf("three"));
  EXPECT_EQ(t.get("a", "x").value(), Bytes{});
}

TEST_F(RedisState, PartialPushSendsOnlyDirtyRanges) {
  constexpr size_t kSize = 4 << 20;
  auto a = hosts_[0].value(user_, "big");
  Bytes init(kSize, 1);
  ASSERT_TRUE(a->set(init));
  uint64_t before = stat("total_net_input_bytes");
  ASSERT_TRUE(pushAll(*hosts_[0].tier, user_, "big", *a));
  uint64_t full = stat("total_net_input_bytes") - before;
  EXPECT_GE(full, kSize);

  // Two ranges written, one flagged by hand (as a guest writing through a
  // mapping does), 3000 bytes in all.
  ASSERT_TRUE(a->write(1000, Bytes(1000, 7)));
  ASSERT_TRUE(a->write(2000, Bytes(500, 8)));  // touches the first: merged
  Bytes tail(1500, 9);
  ASSERT_TRUE(a->write(kSize - 1500, tail, false));
  a->flagDirty(kSize - 1500, 1500);
  before = stat("total_net_input_bytes");
  ASSERT_TRUE(pushDirty(*hosts_[0].tier, user_, "big", *a));
  uint64_t partial = stat("total_net_input_bytes") - before;
  // The ranges plus commands (the INFO request itself included).
  EXPECT_GE(partial, 3000u);
  EXPECT_LT(partial, 3000u + 400u);

  auto b = hosts_[1].value(user_, "big");
  ASSERT_TRUE(pullAll(*hosts_[1].tier, user_, "big", *b));
  EXPECT_EQ(b->readAll(), a->readAll());

  // Nothing dirty any more: the next partial push sends nothing.
  before = stat("total_net_input_bytes");
  ASSERT_TRUE(pushDirty(*hosts_[0].tier, user_, "big", *a));
  EXPECT_LT(stat("total_net_input_bytes") - before, 100u);
}

TEST_F(RedisState, MaskPushSendsOnlyMaskedBytes) {
  auto& h = hosts_[0];
  auto v = h.value(user_, "v");
  auto mask = h.value(user_, "mask");
  ASSERT_TRUE(h.tier->set(user_, "v", bytesOf("aaaaaaaaaa")));
  ASSERT_TRUE(v->set(bytesOf("bbbbbbbbbb")));
  Bytes m(10, 0);
  m[2] = m[3] = m[7] = 0xff;
  ASSERT_TRUE(mask->set(m));
  ASSERT_TRUE(pushMasked(*h.tier, user_, "v", *v, *mask));
  EXPECT_EQ(h.tier->get(user_, "v").value(), bytesOf("aabbaaabaa"));
}

TEST_F(RedisState, OffsetReadPullsOnlyItsChunk) {
  constexpr size_t kSize = 1 << 20;
  Bytes global(kSize);
  for (size_t i = 0; i < kSize; ++i)
    global[i] = static_cast<uint8_t>(i * 7 + 1);
  ASSERT_TRUE(hosts_[0].tier->set(user_, "chunks", global));
  auto b = hosts_[1].value(user_, "chunks");
  ASSERT_TRUE(b->ensureSize(kSize));
  uint64_t before = stat("total_net_output_bytes");
  ASSERT_TRUE(pullRange(*hosts_[1].tier, user_, "chunks", *b, 500'000, 2000));
  uint64_t sent = stat("total_net_output_bytes") - before;
  EXPECT_GE(sent, 2000u);
  EXPECT_LT(sent, 2000u + 4096u);  // the chunk, replies and the first INFO reply
  Bytes chunk(2000);
  b->read(500'000, chunk);
  EXPECT_EQ(chunk, Bytes(global.begin() + 500'000, global.begin() + 502'000));
  Bytes other(100);
  b->read(0, other);
  EXPECT_EQ(other, Bytes(100, 0));      // not pulled
  EXPECT_TRUE(b->takeDirty().empty());  // a pull is not a local change

  // A chunk is pulled once, and bytes written here are never pulled over.
  ASSERT_TRUE(b->write(100, Bytes(50, 0xee)));
  before = stat("total_net_output_bytes");
  ASSERT_TRUE(pullRange(*hosts_[1].tier, user_, "chunks", *b, 500'000, 2000));
  ASSERT_TRUE(pullRange(*hosts_[1].tier, user_, "chunks", *b, 0, 200));
  sent = stat("total_net_output_bytes") - before;
  EXPECT_GE(sent, 150u);
  EXPECT_LT(sent, 150u + 4096u);
  Bytes head(200);
  b->read(0, head);
  EXPECT_EQ(Bytes(head.begin() + 100, head.begin() + 150), Bytes(50, 0xee));
  EXPECT_EQ(Bytes(head.begin(), head.begin() + 100), Bytes(global.begin(), global.begin() + 100));
  EXPECT_EQ(Bytes(head.begin() + 150, head.end()),
            Bytes(global.begin() + 150, global.begin() + 200));
}

TEST_F(RedisState, AppendFromTwoHostsReadFromAThird) {
  ASSERT_TRUE(hosts_[0].tier->append(user_, "list", bytesOf("one"), 100));
  ASSERT_TRUE(hosts_[1].tier->append(user_, "list", bytesOf("two"), 100));
  ASSERT_TRUE(hosts_[0].tier->append(user_, "list", bytesOf("3"), 100));
  EXPECT_EQ(hosts_[2].tier->readAppended(user_, "list", 3).value(), bytesOf("onetwo3"));
  EXPECT_EQ(hosts_[2].tier->readAppended(user_, "list", 2).value(), bytesOf("onetwo"));
  auto tooMany = hosts_[2].tier->readAppended(user_, "list", 4);
  ASSERT_FALSE(tooMany);
  EXPECT_NE(tooMany.error().message.find("4 appended elements requested, 3 present"),
            std::string::npos);
  auto full = hosts_[1].tier->append(user_, "list", bytesOf("x"), 3);
  ASSERT_FALSE(full);
  ASSERT_TRUE(hosts_[2].tier->clearAppended(user_, "list"));
  EXPECT_FALSE(hosts_[0].tier->readAppended(user_, "list", 1));
}

// Read-modify-write of a counter on three hosts at once, under the global
// write lock (host-level API: lock, pull, add, push, unlock).
TEST_F(RedisState, CounterUnderTheGlobalLockCountsEveryIncrement) {
  constexpr int kPerThread = 30;
  auto add = [&](Host& h) {
    for (int i = 0; i < kPerThread; ++i) {
      auto token = h.tier->lockWrite(user_, "counter", std::chrono::seconds(30), nullptr);
      ASSERT_TRUE(token) << token.error().message;
      auto v = h.value(user_, "counter");
      ASSERT_TRUE(pullAll(*h.tier, user_, "counter", *v));
      uint64_t n = 0;
      Bytes b(8);
      v->read(0, b);
      std::memcpy(&n, b.data(), 8);
      ++n;
      std::memcpy(b.data(), &n, 8);
      ASSERT_TRUE(v->set(b));
      ASSERT_TRUE(pushAll(*h.tier, user_, "counter", *v));
      ASSERT_TRUE(h.tier->unlockWrite(user_, "counter", *token));
    }
  };
  std::vector<std::thread> threads;
  for (auto& h : hosts_)
    threads.emplace_back(add, std::ref(h));
  for (auto& t : threads)
    t.join();
  Bytes b = hosts_[0].tier->get(user_, "counter").value();
  ASSERT_EQ(b.size(), 8u);
  uint64_t n = 0;
  std::memcpy(&n, b.data(), 8);
  EXPECT_EQ(n, 3u * kPerThread);
}

TEST_F(RedisState, LockWaitGivesUpAndUnlockNeedsTheToken) {
  auto token = hosts_[0].tier->lockWrite(user_, "l", std::chrono::seconds(30), nullptr);
  ASSERT_TRUE(token);
  int asked = 0;
  auto other =
      hosts_[1].tier->lockWrite(user_, "l", std::chrono::seconds(30), [&] { return ++asked >= 3; });
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().message.find("gave up"), std::string::npos);
  EXPECT_FALSE(hosts_[1].tier->unlockWrite(user_, "l", "not-the-token"));
  ASSERT_TRUE(hosts_[0].tier->unlockWrite(user_, "l", *token));
  EXPECT_TRUE(hosts_[1].tier->lockWrite(user_, "l", std::chrono::seconds(30), nullptr));
}

TEST_F(RedisState, AcknowledgedPushSurvivesARedisRestart) {
  auto a = hosts_[0].value(user_, "durable");
  ASSERT_TRUE(a->set(bytesOf("kept across a restart")));
  ASSERT_TRUE(pushAll(*hosts_[0].tier, user_, "durable", *a));
  server_->stop();
  server_->start();
  // The pooled connection broke: the tier reconnects once by itself.
  auto b = hosts_[1].value(user_, "durable");
  ASSERT_TRUE(pullAll(*hosts_[1].tier, user_, "durable", *b));
  EXPECT_EQ(b->readAll(), bytesOf("kept across a restart"));
}

TEST_F(RedisState, RedisDownFailsClearlyAndRecovers) {
  auto a = hosts_[0].value(user_, "k");
  ASSERT_TRUE(a->set(bytesOf("x")));
  server_->stop();
  auto pushed = pushAll(*hosts_[0].tier, user_, "k", *a);
  ASSERT_FALSE(pushed);
  EXPECT_NE(pushed.error().message.find("push of state 'k': redis 127.0.0.1:"), std::string::npos)
      << pushed.error().message;
  auto tier = RedisStateTier::connect(server_->url());
  ASSERT_FALSE(tier);
  EXPECT_NE(tier.error().message.find("cannot connect"), std::string::npos);
  server_->start();
  EXPECT_TRUE(pushAll(*hosts_[0].tier, user_, "k", *a));
}

TEST(RedisUrl, ParsesHostAndPortAndRefusesTheRest) {
  auto a = parseRedisUrl("redis://10.0.0.5:7000");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "10.0.0.5");
  EXPECT_EQ(a->port, 7000);
  EXPECT_EQ(parseRedisUrl("redis://cache").value().port, 6379);
  for (const char* bad : {"http://x:1", "redis://", "redis://x:0", "redis://x:99999",
                          "redis://x:12ab", "redis://u@x:1"})
    EXPECT_FALSE(parseRedisUrl(bad)) << bad;
}

}  // namespace
}  // namespace nearfaas::state
