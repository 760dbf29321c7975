#include "auth/tokens.h"

#include <arpa/inet.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "storage/buckets.h"

namespace nearfaas::auth {

namespace {

constexpr std::string_view kPrefix = "nft_";
constexpr size_t kIdBytes = 8;       // 64 bits: names the record
constexpr size_t kSecretBytes = 32;  // 256 bits: the part that proves

bool isLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool isTokenId(std::string_view s) {
  return s.size() == 2 * kIdBytes && isLowerHex(s);
}

// The id inside a well-formed token, or empty.
std::string_view tokenId(std::string_view token) {
  if (token.size() != kPrefix.size() + 2 * kIdBytes + 1 + 2 * kSecretBytes) return {};
  if (!token.starts_with(kPrefix) || token[kPrefix.size() + 2 * kIdBytes] != '_') return {};
  std::string_view id = token.substr(kPrefix.size(), 2 * kIdBytes);
  if (!isLowerHex(id) || !isLowerHex(token.substr(kPrefix.size() + 2 * kIdBytes + 1))) return {};
  return id;
}

struct Record {
  TokenInfo info;
  std::string hash;
};

Result<Record> readRecord(storage::ObjectStore& store, const std::string& id) {
  auto data = store.get(kTokensBucket, id);
  if (!data) return std::unexpected(Error(data.error()));
  auto j = nlohmann::json::parse(data->begin(), data->end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("user") || !j["user"].is_string() ||
      !j.contains("sha256") || !j["sha256"].is_string())
    return fail("token record ", id, " is malformed");
  Record r;
  r.info.id = id;
  r.info.user = j["user"].get<std::string>();
  r.info.created = j.value("created", int64_t{0});
  r.hash = j["sha256"].get<std::string>();
  return r;
}

}  // namespace

Result<AuthMode> parseAuthMode(std::string_view text) {
  if (text == "auto") return AuthMode::Auto;
  if (text == "required") return AuthMode::Required;
  if (text == "off") return AuthMode::Off;
  return fail("auth mode '", printable(text), "' is not auto, required or off");
}

bool isLoopbackAddress(std::string_view address) {
  if (address == "localhost") return true;
  std::string a(address);
  if (a.size() > 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
  in_addr v4{};
  if (inet_pton(AF_INET, a.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, a.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    // ::ffff:127.x.y.z
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;  // a host name other than localhost: it may resolve anywhere
}

bool authRequired(AuthMode mode, std::string_view listenAddress) {
  switch (mode) {
    case AuthMode::Required:
      return true;
    case AuthMode::Off:
      return false;
    case AuthMode::Auto:
      break;
  }
  return !isLoopbackAddress(listenAddress);
}

Result<std::string> randomHex(size_t bytes) {
  std::vector<uint8_t> buf(bytes);
  size_t done = 0;
  while (done < bytes) {
    ssize_t n = getrandom(buf.data() + done, bytes - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("getrandom: ", std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes);
  for (uint8_t b : buf) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

TokenStore::TokenStore(storage::ObjectStore& store, std::string adminToken, TokenSettings settings)
    : store_(store),
      adminHash_(adminToken.empty() ? std::string() : sha256Hex(adminToken)),
      settings_(settings) {}

Result<NewToken> TokenStore::create(const std::string& user) {
  if (auto v = storage::validateUser(user); !v) return fail("invalid user: ", v.error().message);
  auto id = randomHex(kIdBytes);
  if (!id) return std::unexpected(id.error());
  auto secret = randomHex(kSecretBytes);
  if (!secret) return std::unexpected(secret.error());
  NewToken t;
  t.info.id = *id;
  t.info.user = user;
  t.info.created = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  t.token = std::string(kPrefix) + *id + "_" + *secret;
  nlohmann::json j = {{"user", user}, {"sha256", sha256Hex(t.token)}, {"created", t.info.created}};
  std::string record = j.dump();
  if (auto r = store_.put(kTokensBucket, *id,
                          {reinterpret_cast<const uint8_t*>(record.data()), record.size()});
      !r)
    return fail("cannot store the token: ", r.error().message);
  return t;
}

Result<std::vector<TokenInfo>> TokenStore::list(const std::string& user) {
  auto keys = store_.list(kTokensBucket, "");
  if (!keys) return fail("cannot list tokens: ", keys.error().message);
  std::vector<TokenInfo> out;
  for (const auto& id : *keys) {
    auto r = readRecord(store_, id);
    if (!r) continue;  // revoked meanwhile, or not ours
    if (user.empty() || r->info.user == user) out.push_back(std::move(r->info));
  }
  std::sort(out.begin(), out.end(), [](const TokenInfo& a, const TokenInfo& b) {
    return std::tie(a.user, a.id) < std::tie(b.user, b.id);
  });
  return out;
}

Result<std::vector<TokenInfo>> TokenStore::revoke(const std::string& idOrUser) {
  std::vector<TokenInfo> victims;
  if (isTokenId(idOrUser)) {
    if (auto r = readRecord(store_, idOrUser)) victims.push_back(std::move(r->info));
  }
  if (victims.empty()) {
    auto all = list(idOrUser);
    if (!all) return std::unexpected(all.error());
    victims = std::move(*all);
  }
  for (const auto& t : victims) {
    auto r = store_.remove(kTokensBucket, t.id);
    // Forgotten after the removal, so a lookup racing with it cannot
    // remember the record again (one that read it just before may still,
    // for up to cacheTtl).
    {
      std::lock_guard l(mutex_);
      cache_.erase(t.id);
    }
    if (!r && r.error().code != storage::StoreErrorCode::NotFound)
      return fail("cannot revoke token ", t.id, ": ", r.error().message);
  }
  return victims;
}

std::optional<Principal> TokenStore::authenticate(std::string_view token) {
  if (token.empty()) return std::nullopt;
  std::string hash = sha256Hex(token);
  if (!adminHash_.empty() && constantTimeEqual(hash, adminHash_)) return Principal{true, {}};
  std::string_view id = tokenId(token);
  if (id.empty()) return std::nullopt;
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard l(mutex_);
    auto it = cache_.find(std::string(id));
    if (it != cache_.end() && it->second.expires > now) {
      if (!constantTimeEqual(hash, it->second.hash)) return std::nullopt;
      return Principal{false, it->second.user};
    }
  }
  auto r = readRecord(store_, std::string(id));
  if (!r || !constantTimeEqual(hash, r->hash)) return std::nullopt;
  if (settings_.cacheTtl.count() > 0) {
    std::lock_guard l(mutex_);
    if (cache_.size() >= settings_.maxCached) cache_.clear();
    cache_[r->info.id] = Cached{r->info.user, r->hash, now + settings_.cacheTtl};
  }
  return Principal{false, r->info.user};
}

}  // namespace nearfaas::auth
