#include "state/redis_tier.h"

#include <sys/time.h>

#include <charconv>
#include <random>
#include <thread>

namespace nearfaas::state {

namespace {

std::string redisKey(std::string_view kind, std::string_view user, std::string_view key) {
  std::string k = "nf:";
  k.append(kind);
  k.push_back(':');
  k.append(std::to_string(user.size()));
  k.push_back(':');
  k.append(user);
  k.push_back(':');
  k.append(key);
  return k;
}

timeval toTimeval(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000),
          static_cast<suseconds_t>(ms.count() % 1000 * 1000)};
}

std::string randomToken() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string t;
  for (int i = 0; i < 2; ++i)
    t += std::to_string(rng());
  return t;
}

constexpr const char* kAppendScript =
    "if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end "
    "return redis.call('RPUSH', KEYS[1], ARGV[1])";
constexpr const char* kUnlockScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
    "return 0";

}  // namespace

Result<RedisAddress> parseRedisUrl(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (!url.starts_with(scheme))
    return fail("cluster URL '", std::string(url), "' does not start with redis://");
  std::string_view rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  RedisAddress a;
  size_t colon = rest.rfind(':');
  a.host = std::string(rest.substr(0, colon));
  if (colon != std::string_view::npos) {
    std::string_view p = rest.substr(colon + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), a.port);
    if (ec != std::errc() || end != p.data() + p.size() || a.port <= 0 || a.port > 65535)
      return fail("cluster URL '", std::string(url), "': bad port '", std::string(p), "'");
  }
  if (a.host.empty() || a.host.find_first_of("/@?#") != std::string::npos)
    return fail("cluster URL '", std::string(url), "': expected redis://HOST:PORT");
  return a;
}

Result<std::unique_ptr<RedisStateTier>> RedisStateTier::connect(std::string_view url,
                                                                RedisSettings settings) {
  auto address = parseRedisUrl(url);
  if (!address) return std::unexpected(address.error());
  std::unique_ptr<RedisStateTier> tier(new RedisStateTier(std::move(*address), settings));
  auto pong = tier->one({"PING"}, false);
  if (!pong) return std::unexpected(pong.error());
  return tier;
}

RedisStateTier::~RedisStateTier() = default;

Result<RedisStateTier::Context> RedisStateTier::open() {
  Context c(redisConnectWithTimeout(address_.host.c_str(), address_.port,
                                    toTimeval(settings_.connectTimeout)));
  std::string where = address_.host + ":" + std::to_string(address_.port);
  if (!c) return fail("redis ", where, ": cannot allocate a connection");
  if (c->err) return fail("redis ", where, ": cannot connect: ", c->errstr);
  if (redisSetTimeout(c.get(), toTimeval(settings_.commandTimeout)) != REDIS_OK)
    return fail("redis ", where, ": cannot set the timeout: ", c->errstr);
  return c;
}

Result<RedisStateTier::Context> RedisStateTier::take() {
  {
    std::lock_guard l(mutex_);
    if (!idle_.empty()) {
      Context c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  return open();
}

void RedisStateTier::give(Context c) {
  std::lock_guard l(mutex_);
  if (idle_.size() < settings_.maxConnections) idle_.push_back(std::move(c));
}

Result<std::vector<RedisStateTier::Reply>> RedisStateTier::run(std::span<const Command> commands,
                                                               bool retry) {
  std::string where = address_.host + ":" + std::to_string(address_.port);
  for (int attempt = 0;; ++attempt) {
    auto c = take();
    if (!c) return std::unexpected(c.error());
    redisContext* ctx = c->get();
    std::vector<Reply> replies;
    replies.reserve(commands.size());
    bool broken = false;
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    // Batches bound what sits in the output buffer at once.
    for (size_t at = 0; at < commands.size() && !broken;) {
      size_t end = std::min(commands.size(), at + std::max<size_t>(1, settings_.pipelineBatch));
      for (size_t i = at; i < end; ++i) {
        argv.clear();
        lens.clear();
        for (std::string_view a : commands[i]) {
          argv.push_back(a.data());
          lens.push_back(a.size());
        }
        if (redisAppendCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
            REDIS_OK) {
          broken = true;
          break;
        }
      }
      for (size_t i = at; i < end && !broken; ++i) {
        void* r = nullptr;
        if (redisGetReply(ctx, &r) != REDIS_OK || !r) {
          broken = true;
          break;
        }
        replies.emplace_back(static_cast<redisReply*>(r));
      }
      at = end;
    }
    if (broken) {
      std::string why = ctx->errstr[0] ? ctx->errstr : "connection lost";
      // A reply may have been lost after the command took effect: only
      // commands that can run twice are retried.
      if (retry && attempt == 0) continue;
      return fail("redis ", where, ": ", why);
    }
    give(std::move(*c));
    for (auto& r : replies)
      if (r->type == REDIS_REPLY_ERROR)
        return fail("redis ", where, ": ", std::string(r->str, r->len));
    return replies;
  }
}

Result<RedisStateTier::Reply> RedisStateTier::one(const Command& command, bool retry) {
  auto r = run(std::span(&command, 1), retry);
  if (!r) return std::unexpected(r.error());
  return std::move(r->front());
}

Result<uint64_t> RedisStateTier::size(std::string_view user, std::string_view key) {
  std::string k = redisKey("state", user, key);
  auto r = one({"STRLEN", k});
  if (!r) return std::unexpected(r.error());
  return static_cast<uint64_t>((*r)->integer);
}

Result<Bytes> RedisStateTier::get(std::string_view user, std::string_view key) {
  std::string k = redisKey("state", user, key);
  auto r = one({"GET", k});
  if (!r) return std::unexpected(r.error());
  if ((*r)->type != REDIS_REPLY_STRING) return Bytes{};
  return Bytes((*r)->str, (*r)->str + (*r)->len);
}

Result<Bytes> RedisStateTier::getRange(std::string_view user, std::string_view key, uint64_t offset,
                                       uint64_t len) {
  if (len == 0) return Bytes{};
  std::string k = redisKey("state", user, key);
  std::string from = std::to_string(offset), to = std::to_string(offset + len - 1);
  auto r = one({"GETRANGE", k, from, to});
  if (!r) return std::unexpected(r.error());
  if ((*r)->type != REDIS_REPLY_STRING) return Bytes{};
  return Bytes((*r)->str, (*r)->str + (*r)->len);
}

Result<void> RedisStateTier::set(std::string_view user, std::string_view key,
                                 std::span<const uint8_t> data) {
  std::string k = redisKey("state", user, key);
  std::string_view v(reinterpret_cast<const char*>(data.data()), data.size());
  auto r = one({"SET", k, v});
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<void> RedisStateTier::setRanges(std::string_view user, std::string_view key,
                                       std::span<const RangeWrite> ranges) {
  if (ranges.empty()) return {};
  std::string k = redisKey("state", user, key);
  std::vector<std::string> offsets;
  offsets.reserve(ranges.size());
  std::vector<Command> commands;
  commands.reserve(ranges.size());
  for (const RangeWrite& w : ranges)
    offsets.push_back(std::to_string(w.offset));
  for (size_t i = 0; i < ranges.size(); ++i)
    commands.push_back({"SETRANGE", k, offsets[i],
                        std::string_view(reinterpret_cast<const char*>(ranges[i].data.data()),
                                         ranges[i].data.size())});
  auto r = run(commands);
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<void> RedisStateTier::append(std::string_view user, std::string_view key,
                                    std::span<const uint8_t> element, size_t maxElements) {
  std::string k = redisKey("append", user, key);
  std::string max = std::to_string(maxElements);
  std::string_view v(reinterpret_cast<const char*>(element.data()), element.size());
  auto r = one({"EVAL", kAppendScript, "1", k, v, max}, false);
  if (!r) return std::unexpected(r.error());
  if ((*r)->type == REDIS_REPLY_INTEGER && (*r)->integer < 0)
    return fail("state: more than ", maxElements, " appended elements");
  return {};
}

Result<Bytes> RedisStateTier::readAppended(std::string_view user, std::string_view key, size_t n) {
  if (n == 0) return Bytes{};
  std::string k = redisKey("append", user, key);
  std::string last = std::to_string(n - 1);
  auto r = one({"LRANGE", k, "0", last});
  if (!r) return std::unexpected(r.error());
  if ((*r)->elements < n)
    return fail("state: ", n, " appended elements requested, ", (*r)->elements, " present");
  Bytes out;
  for (size_t i = 0; i < n; ++i) {
    redisReply* e = (*r)->element[i];
    out.insert(out.end(), e->str, e->str + e->len);
  }
  return out;
}

Result<void> RedisStateTier::clearAppended(std::string_view user, std::string_view key) {
  std::string k = redisKey("append", user, key);
  auto r = one({"DEL", k});
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<std::string> RedisStateTier::lockWrite(std::string_view user, std::string_view key,
                                              std::chrono::milliseconds lease,
                                              const std::function<bool()>& giveUp) {
  std::string k = redisKey("lock", user, key);
  std::string token = randomToken();
  std::string ms = std::to_string(std::max<int64_t>(1, lease.count()));
  for (;;) {
    // With GET, SET answers the holder's token: nil (no holder: now ours),
    // ours (a retried SET whose first reply was lost), or another's.
    auto r = one({"SET", k, token, "NX", "PX", ms, "GET"});
    if (!r) return std::unexpected(r.error());
    if ((*r)->type == REDIS_REPLY_NIL ||
        ((*r)->type == REDIS_REPLY_STRING && std::string_view((*r)->str, (*r)->len) == token))
      return token;
    if (giveUp && giveUp())
      return fail("state: gave up waiting for the global write lock on '", std::string(key), "'");
    std::this_thread::sleep_for(settings_.lockPoll);
  }
}

Result<void> RedisStateTier::unlockWrite(std::string_view user, std::string_view key,
                                         std::string_view token) {
  std::string k = redisKey("lock", user, key);
  auto r = one({"EVAL", kUnlockScript, "1", k, token});
  if (!r) return std::unexpected(r.error());
  if ((*r)->integer != 1)
    return fail("state: the global write lock on '", std::string(key),
                "' was no longer held (its lease expired)");
  return {};
}

}  // namespace nearfaas::state
