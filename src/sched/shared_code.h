// Generated code shared through the object store (storage::kCodeBucket), so
// that the workers of a cluster generate each module's code once.
//
// The store is not trusted with native code: whoever can write the pool would
// otherwise run code on every worker. Each shared object carries an
// HMAC-SHA256, keyed by a secret that the cluster's workers share (a setting,
// never stored in the pool), over the module's hash, the compiler
// configuration and the code itself. A worker loads only code whose MAC
// verifies; anything else is refused, generated locally and published again
// over the bad copy. Without a secret nothing is shared (NodeConfig).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"
#include "storage/object_store.h"

namespace nearfaas::sched {

class SharedCode {
 public:
  // A secret shorter than this is refused (it would be guessable).
  static constexpr size_t kMinSecretBytes = 16;

  struct Stats {
    std::atomic<uint64_t> fetched{0};    // verified copies put into the local cache
    std::atomic<uint64_t> refused{0};    // copies whose MAC or format did not verify
    std::atomic<uint64_t> published{0};  // copies written to the store
  };

  // Fails for a secret shorter than kMinSecretBytes.
  static Result<void> checkSecret(std::string_view secret);

  SharedCode(storage::ObjectStore& objects, std::string secret)
      : objects_(objects), secret_(std::move(secret)) {}

  // `cached` is the local code cache's path for a module, named
  // <module hash>-<config key>.so. If the local cache lacks it and the store
  // holds a copy that verifies, writes that copy there. Returns whether the
  // store holds a copy (so it need not be published); false also for a copy
  // that was refused.
  bool fetch(const std::filesystem::path& cached);
  // Publishes the local cache's file `cached` with its MAC.
  void publish(const std::filesystem::path& cached);

  const Stats& stats() const { return stats_; }

  // The MAC a shared object for the file named `objectName` (module hash and
  // config key) holding `code` must carry; for tests that play a worker.
  Result<std::string> mac(std::string_view objectName, std::string_view code) const;
  // The stored form: a header line with the MAC, then the code.
  static std::string encode(std::string_view mac, std::string_view code);

 private:
  storage::ObjectStore& objects_;
  std::string secret_;
  Stats stats_;
};

}  // namespace nearfaas::sched
