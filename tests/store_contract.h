// The ObjectStore contract tests (store_contract_test.cpp) run against every
// backend. A test binary links them, implements StoreBackend for its backend
// and instantiates the suite:
//
//   INSTANTIATE_TEST_SUITE_P(Directory, StoreContractTest,
//                            ::testing::Values(BackendParam{"Directory", makeDirectoryBackend}),
//                            backendName);
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "storage/object_store.h"

namespace nearfaas::storage::test {

// One backend under test. Each test gets a fresh instance whose stores all
// see the same objects, and which starts with no objects at all.
class StoreBackend {
 public:
  virtual ~StoreBackend() = default;
  // Opens a store on this backend's objects with the given limits.
  virtual StoreResult<std::unique_ptr<ObjectStore>> open(const StoreLimits& limits) = 0;
  // The limits a store of this backend has by default.
  virtual StoreLimits defaultLimits() const = 0;
  // Every object the backend holds, as "bucket/key", sorted; for checking
  // that a failed operation wrote nothing anywhere.
  virtual std::vector<std::string> allObjects() = 0;
};

struct BackendParam {
  std::string name;
  // Makes the backend, or reports a failure (ADD_FAILURE) and returns null.
  std::function<std::unique_ptr<StoreBackend>()> make;
};

inline void PrintTo(const BackendParam& param, std::ostream* os) {
  *os << param.name;
}

inline std::string backendName(const ::testing::TestParamInfo<BackendParam>& info) {
  return info.param.name;
}

inline Bytes bytesOf(std::string_view s) {
  return Bytes(s.begin(), s.end());
}
inline std::string textOf(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

// The code of a failed result, failing the test if it succeeded.
template <typename T>
StoreErrorCode codeOf(const StoreResult<T>& r) {
  EXPECT_FALSE(r.has_value()) << "expected a failure";
  if (r.has_value()) return static_cast<StoreErrorCode>(-1);
  EXPECT_FALSE(r.error().message.empty());
  return r.error().code;
}

// A version is self-describing: 8 bytes of writer id and sequence number,
// then a length-dependent run of bytes derived from them. A reader can check
// that what it got is exactly one complete version.
Bytes makeVersion(uint32_t writer, uint32_t seq);
bool isCompleteVersion(const Bytes& v);

class StoreContractTest : public ::testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::unique_ptr<ObjectStore> open(const StoreLimits& limits);
  void put(std::string_view bucket, std::string_view key, std::string_view data);

  std::unique_ptr<StoreBackend> backend_;
  std::unique_ptr<ObjectStore> store_;
};

}  // namespace nearfaas::storage::test
