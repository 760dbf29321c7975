// The global state tier on Redis (hiredis). Values are Redis strings, appended
// elements Redis lists, write locks keys set with NX and a lease (PX), released
// only by their holder's token. Keys are `nf:state:`, `nf:append:` or
// `nf:lock:` followed by the user's length, ':', the user and the key, so any
// user and key bytes map to distinct Redis keys.
//
// Connections come from a small pool (one per thread that is using the tier
// at once, at most RedisSettings::maxConnections idle ones kept). A command
// that fails on a broken connection is retried once on a fresh one, except an
// append, which might have been applied.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "state/global_tier.h"

namespace nearfaas::state {

struct RedisSettings {
  std::chrono::milliseconds connectTimeout{2000};
  std::chrono::milliseconds commandTimeout{10'000};  // per reply
  size_t maxConnections = 16;                        // idle ones kept in the pool
  std::chrono::microseconds lockPoll{200};           // lock retry interval
  size_t pipelineBatch = 1024;                       // commands per pipelined batch
};

struct RedisAddress {
  std::string host;
  int port = 6379;
};
// Parses `redis://HOST:PORT` (PORT optional).
Result<RedisAddress> parseRedisUrl(std::string_view url);

class RedisStateTier final : public GlobalStateTier {
 public:
  // Connects once to check that Redis answers (PING).
  static Result<std::unique_ptr<RedisStateTier>> connect(std::string_view url,
                                                         RedisSettings settings = {});
  ~RedisStateTier() override;

  Result<uint64_t> size(std::string_view user, std::string_view key) override;
  Result<Bytes> get(std::string_view user, std::string_view key) override;
  Result<Bytes> getRange(std::string_view user, std::string_view key, uint64_t offset,
                         uint64_t len) override;
  Result<void> set(std::string_view user, std::string_view key,
                   std::span<const uint8_t> data) override;
  Result<void> setRanges(std::string_view user, std::string_view key,
                         std::span<const RangeWrite> ranges) override;
  Result<void> append(std::string_view user, std::string_view key, std::span<const uint8_t> element,
                      size_t maxElements) override;
  Result<Bytes> readAppended(std::string_view user, std::string_view key, size_t n) override;
  Result<void> clearAppended(std::string_view user, std::string_view key) override;
  Result<std::string> lockWrite(std::string_view user, std::string_view key,
                                std::chrono::milliseconds lease,
                                const std::function<bool()>& giveUp) override;
  Result<void> unlockWrite(std::string_view user, std::string_view key,
                           std::string_view token) override;

  const RedisAddress& address() const { return address_; }

 private:
  struct ReplyFree {
    void operator()(redisReply* r) const { freeReplyObject(r); }
  };
  using Reply = std::unique_ptr<redisReply, ReplyFree>;
  struct ContextFree {
    void operator()(redisContext* c) const { redisFree(c); }
  };
  using Context = std::unique_ptr<redisContext, ContextFree>;
  using Command = std::vector<std::string_view>;

  RedisStateTier(RedisAddress address, RedisSettings settings)
      : address_(std::move(address)), settings_(settings) {}
  Result<Context> open();
  Result<Context> take();
  void give(Context c);
  // Sends the commands in one pipeline and returns their replies (Redis
  // error replies are failures), retrying once on a fresh connection if
  // `retry` and the connection broke.
  Result<std::vector<Reply>> run(std::span<const Command> commands, bool retry = true);
  Result<Reply> one(const Command& command, bool retry = true);

  const RedisAddress address_;
  const RedisSettings settings_;
  std::mutex mutex_;
  std::vector<Context> idle_;
};

}  // namespace nearfaas::state
