// Peak resident memory of the test process, for tests that show an
// allocation did not happen (a frame header promising more than arrives).
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

namespace nearfaas::test {

// The peak resident memory of this process (VmHWM) since the last
// resetPeakResident(), which sets it to the current (the kernel's
// clear_refs "5"), so a test sees only its own peak.
inline uint64_t peakResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  return 0;
}
inline void resetPeakResident() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

}  // namespace nearfaas::test
