// libfaasm: faasm/time.h helpers.
#include <sys/time.h>

#include "faasm/time.h"

namespace faasm {

double getSecondsSinceEpoch() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace faasm
