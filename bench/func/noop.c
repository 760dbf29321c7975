/*
 * bench/noop: the smallest Faasm function, for faaslet_bench.
 *
 * Input:  ignored.
 * Output: none. Returns 0.
 */
#include "faasm/faasm.h"

int main(void) {
  return 0;
}
