// Authentication of HTTP requests: per-user API tokens and the admin token.
//
// This library owns the token records in the object store (bucket
// kTokensBucket, one object per token, key = the token's id) and decides who
// a presented token is. Invariants:
//  - A token is "nft_<id>_<secret>": id 16 hex digits (64 random bits, not
//    secret, shown by `token list`), secret 64 hex digits (256 random bits
//    from getrandom). It is returned once, by create(); the store keeps only
//    the SHA-256 of the whole token, never the token itself.
//  - A presented token is looked up by its id and its hash compared in
//    constant time; the admin token is compared the same way (hashes of
//    both, so the time does not depend on the sizes either).
//  - Records live in the node's object store, so workers sharing a store
//    (RADOS) share their tokens. A token found valid is remembered (by id,
//    with its hash) for TokenSettings::cacheTtl, so repeated requests do not
//    read the store; revoke() forgets at once, but a token revoked through
//    another worker stays valid here for up to cacheTtl.
// Who may do what with a Principal is the HTTP layer's business (http/auth).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "storage/object_store.h"

namespace nearfaas::auth {

// System bucket of the token records (see storage/buckets.h: '.' names never collide with users).
inline constexpr std::string_view kTokensBucket = ".tokens";

// When requests must carry a token: Auto = when the endpoints listen on an
// address other than loopback.
enum class AuthMode { Auto, Required, Off };
Result<AuthMode> parseAuthMode(std::string_view text);  // "auto", "required", "off"
// Whether `address` (what the server binds) is a loopback address:
// 127.0.0.0/8, ::1, or "localhost". Everything else, "0.0.0.0" and "::"
// included, is not.
bool isLoopbackAddress(std::string_view address);
bool authRequired(AuthMode mode, std::string_view listenAddress);

// Who a request is: the admin, or one user.
struct Principal {
  bool admin = false;
  std::string user;  // empty for the admin
};

struct TokenInfo {
  std::string id;
  std::string user;
  int64_t created = 0;  // Unix seconds
};

struct NewToken {
  TokenInfo info;
  std::string token;  // the only copy that ever exists outside the client
};

// A fresh random secret of `bytes` bytes as lowercase hex (getrandom).
Result<std::string> randomHex(size_t bytes);

struct TokenSettings {
  std::chrono::milliseconds cacheTtl{5'000};  // how long a valid token is remembered; 0: never
  size_t maxCached = 10'000;                  // remembered tokens; past it the cache starts over
};

class TokenStore {
 public:
  // `store` must outlive this. `adminToken` empty: no admin token works.
  TokenStore(storage::ObjectStore& store, std::string adminToken, TokenSettings settings = {});

  // A new token for `user` (a valid user name, storage::validateUser).
  Result<NewToken> create(const std::string& user);
  // Tokens of `user`, or of every user if empty, sorted by user then id.
  Result<std::vector<TokenInfo>> list(const std::string& user = {});
  // Revokes the token with id `idOrUser` if there is one, else every token
  // of the user `idOrUser`. Returns what was revoked (empty: nothing matched).
  Result<std::vector<TokenInfo>> revoke(const std::string& idOrUser);

  // Who `token` is; nullopt if it is no valid token (malformed, unknown,
  // revoked, or the store failed).
  std::optional<Principal> authenticate(std::string_view token);

 private:
  struct Cached {
    std::string user, hash;
    std::chrono::steady_clock::time_point expires;
  };

  storage::ObjectStore& store_;
  std::string adminHash_;  // SHA-256 of the admin token; empty: none
  TokenSettings settings_;
  std::mutex mutex_;
  std::unordered_map<std::string, Cached> cache_;  // by token id
};

}  // namespace nearfaas::auth
