/*
 * demo/echo: returns its input.
 *
 * Input:  any bytes (may be empty, may contain NULs).
 * Output: exactly the input bytes; empty input gives empty output. Returns 0
 *         (1 only if the input buffer cannot be allocated).
 */
#include "faasm/faasm.h"

#include <stdlib.h>

int main(int argc, char* argv[]) {
  (void)argc;
  (void)argv;
  long len = faasmGetInputSize();
  if (len <= 0) {
    faasmSetOutput(NULL, 0);
    return 0;
  }
  uint8_t* buffer = malloc((size_t)len);
  if (buffer == NULL) return 1;
  faasmGetInput(buffer, len);
  faasmSetOutput(buffer, len);
  free(buffer);
  return 0;
}
