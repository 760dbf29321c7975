// The offload cost model (src/ndp/offloader.h): which objects are worth
// offloading at a link rate, given the caller's delta and the expected result.
#include <gtest/gtest.h>

#include "ndp/offloader.h"

namespace nearfaas::ndp {
namespace {

TEST(CostModel, ThresholdIsFixedCostAtLinkRatePlusTheMemoryThatTravels) {
  CostModel m;
  m.fixedCost = std::chrono::milliseconds(10);
  m.linkBitsPerSecond = 1e9;
  EXPECT_EQ(m.minObjectBytes(0, 0), 1'250'000u);  // 10 ms at 125 MB/s
  m.linkBitsPerSecond = 1e8;
  EXPECT_EQ(m.minObjectBytes(0, 0), 125'000u);
  // The caller's delta goes there, the result comes back.
  EXPECT_EQ(m.minObjectBytes(15'000, 500'000), 125'000u + 15'000u + 500'000u);
}

TEST(CostModel, SlowerLinksOffloadSmallerObjects) {
  CostModel fast, slow;
  fast.linkBitsPerSecond = 1e9;
  slow.linkBitsPerSecond = 1e8;
  EXPECT_LT(slow.minObjectBytes(4096, 4096), fast.minObjectBytes(4096, 4096));
  CostModel cheap = slow;
  cheap.fixedCost = std::chrono::microseconds(1);
  EXPECT_LT(cheap.minObjectBytes(4096, 4096), slow.minObjectBytes(4096, 4096));
}

TEST(CostModel, OffloadsFromTheThresholdOnOrEverythingWhenForced) {
  CostModel m;
  m.fixedCost = std::chrono::milliseconds(10);
  m.linkBitsPerSecond = 1e9;
  uint64_t threshold = m.minObjectBytes(4096, 500'000);
  EXPECT_FALSE(m.offloads(threshold - 1, 4096, 500'000));
  EXPECT_TRUE(m.offloads(threshold, 4096, 500'000));
  // --ndp-force-offload: whatever the sizes (the benchmark's crossover sweep).
  m.forceOffload = true;
  EXPECT_TRUE(m.offloads(1, 4096, 500'000));
  EXPECT_TRUE(m.offloads(threshold - 1, 4096, 500'000));
}

}  // namespace
}  // namespace nearfaas::ndp
