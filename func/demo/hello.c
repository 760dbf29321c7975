/*
 * demo/hello: the smallest function.
 *
 * Input:  ignored.
 * Output: "Hello Faasm!" (12 bytes, no newline). Returns 0.
 */
#include "faasm/faasm.h"

#include <string.h>

int main(int argc, char* argv[]) {
  (void)argc;
  (void)argv;
  const char* greeting = "Hello Faasm!";
  faasmSetOutput(BYTES_CONST(greeting), (long)strlen(greeting));
  return 0;
}
