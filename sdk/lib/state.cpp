// libfaasm: faasm/state.h helpers.
#include <stdlib.h>

#include "faasm/core.h"
#include "faasm/state.h"

namespace faasm {

void maskDouble(unsigned int* maskArray, unsigned long idx) {
  // A double spans two 32-bit mask words.
  maskArray[2 * idx] = BIT_MASK_32;
  maskArray[2 * idx + 1] = BIT_MASK_32;
}

void zeroState(const char* key, size_t stateLen) {
  uint8_t* zeros = static_cast<uint8_t*>(calloc(stateLen > 0 ? stateLen : 1, 1));
  faasmWriteState(key, zeros, static_cast<long>(stateLen));
  faasmPushState(key);
  free(zeros);
}

}  // namespace faasm
