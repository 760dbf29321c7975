/*
 * bench/chain_noop: chains one no-op call and awaits it, for faaslet_bench.
 *
 * Input:  "ptr": the no-op is this module's chainedNoop (faasmChain, by
 *         function pointer); anything else: function "noop" of the same user
 *         (faasmChainNamed, so bench/noop must exist).
 * Output: none. Returns the chained call's return value (0 unless it failed).
 */
#include "faasm/faasm.h"

#include <string.h>

/* Chaining target (by function pointer): does nothing. */
static int chainedNoop(void) {
  return 0;
}

int main(void) {
  static const uint8_t kNoInput[1] = {0};
  char mode[4] = {0};
  long n = faasmGetInputSize();
  if (n > 0 && n < (long)sizeof mode) faasmGetInput(BYTES(mode), n);
  unsigned int id = strcmp(mode, "ptr") == 0 ? faasmChain(chainedNoop, kNoInput, 0)
                                             : faasmChainNamed("noop", kNoInput, 0);
  return (int)faasmAwaitCall(id);
}
