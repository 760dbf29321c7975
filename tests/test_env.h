// Shared helpers for NearFaaS tests: where the test guests are, one code
// cache for the whole test binary, and loading/instantiating shortcuts.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "base/bytes.h"
#include "wasm/engine.h"
#include "wasm/host_registry.h"
#include "wasm/instance.h"

namespace nearfaas::test {

// Directory of the guest modules built for the tests (tests/guest).
inline std::filesystem::path guestDir() {
  return NEARFAAS_TEST_GUEST_DIR;
}
inline std::filesystem::path guestPath(const std::string& name) {
  return guestDir() / (name + ".wasm");
}

// The code cache shared by the tests, so each guest compiles once per build.
inline std::filesystem::path testCacheDir() {
  return NEARFAAS_TEST_CACHE_DIR;
}

inline wasm::Engine& sharedEngine() {
  static wasm::Engine engine([] {
    wasm::EngineConfig c;
    c.cacheDir = testCacheDir();
    return c;
  }());
  return engine;
}

inline Bytes guestBytes(const std::string& name) {
  auto b = readFile(guestPath(name));
  if (!b) ADD_FAILURE() << b.error().message;
  return b ? *b : Bytes{};
}

inline wasm::ModuleHandle loadGuest(const std::string& name,
                                    const wasm::HostRegistry* host = nullptr) {
  auto m = sharedEngine().load(guestBytes(name), host);
  if (!m) ADD_FAILURE() << name << ": " << m.error().message;
  return m ? *m : nullptr;
}

using Clock = std::chrono::steady_clock;

// Bound for every wait in these tests; a healthy run needs a small fraction.
inline constexpr auto kWaitBound = std::chrono::seconds(30);
inline constexpr auto kPollInterval = std::chrono::milliseconds(10);

// Polls `done` until it holds or kWaitBound (or `bound`) passes; its last answer.
inline bool pollUntil(const std::function<bool()>& done,
                      std::chrono::milliseconds bound = kWaitBound) {
  auto deadline = Clock::now() + bound;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

// A fresh, empty directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "nearfaas-test-XXXXXX").string();
  path_ = mkdtemp(tmpl.data());
}
inline TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

// What demo/chain outputs for input n: one line per chained call, even ones
// chained by pointer (square), odd ones by name (echo).
inline std::string chainOutput(int n) {
  std::string expected;
  for (int i = 0; i < n; ++i)
    expected += std::to_string(i) + " 0 " +
                (i % 2 ? "echo " + std::to_string(i)
                       : "square " + std::to_string(i) + " = " + std::to_string(i * i)) +
                "\n";
  return expected;
}

}  // namespace nearfaas::test
