/*
 * faasm/echo_c: upstream Faasm's text output from C.
 *
 * Upstream generation, in C: faasmSetOutput is given char pointers (a
 * buffer, then a literal), which faasm/core.h's C macro passes to the byte
 * form without a warning.
 *
 * Input:  any bytes (at most 4096 are read).
 * Output: "echo: " followed by the input; for an empty input, "echo: (none)".
 *         Returns 0.
 */
#include <faasm/faasm.h>

#include <stdlib.h>
#include <string.h>

#define MAX_INPUT 4096

int main(void) {
  long inputLen = faasmGetInputSize();
  if (inputLen == 0) {
    faasmSetOutput("echo: (none)", 12);
    return 0;
  }
  if (inputLen > MAX_INPUT) inputLen = MAX_INPUT;

  const char* prefix = "echo: ";
  size_t prefixLen = strlen(prefix);
  char* output = malloc(prefixLen + (size_t)inputLen);
  if (output == NULL) return 1;
  memcpy(output, prefix, prefixLen);
  faasmGetInput((uint8_t*)output + prefixLen, inputLen);

  faasmSetOutput(output, (long)prefixLen + inputLen);
  free(output);
  return 0;
}
