/*
 * faasm/chain_c: both generations' chaining calls, side by side, in C.
 *
 * faasm/core.h's C macros pick the form by argument count and type:
 *   upstream: faasmChainNamed(name, cmdline, input, len) and
 *             faasmAwaitCallOutput(id, char**, int*);
 *   fork:     faasmChainNamed(name, input, len) and
 *             faasmAwaitCallOutput(id, uint8_t* buffer, long bufferLen).
 *
 * Calls:  function "argv" of the same user (faasm/argv must exist) twice,
 *         with this call's input: first with command line "one two"
 *         (upstream form), then with this call's own arguments (fork form).
 * Input:  any text of at most 200 bytes (longer input is cut).
 * Output: "upstream <rv> <output>\nfork <rv> <output>\n"; for input "c" and
 *         no arguments of its own: "upstream 0 one two|c\nfork 0 |c\n".
 *         Returns 0 if both calls returned 0, else 1.
 */
#include <faasm/faasm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT 200
#define OUTPUT_BUFFER 512

int main(void) {
  uint8_t input[MAX_INPUT];
  long inputLen = faasmGetInputSize();
  if (inputLen > MAX_INPUT) inputLen = MAX_INPUT;
  faasmGetInput(input, inputLen);

  unsigned int upstreamId = faasmChainNamed("argv", "one two", input, inputLen);
  unsigned int forkId = faasmChainNamed("argv", input, inputLen);

  char* upstreamOutput = NULL;
  int upstreamLen = 0;
  unsigned int upstreamRv = faasmAwaitCallOutput(upstreamId, &upstreamOutput, &upstreamLen);

  uint8_t forkOutput[OUTPUT_BUFFER + 1];
  memset(forkOutput, 0, sizeof(forkOutput));
  unsigned int forkRv = faasmAwaitCallOutput(forkId, forkOutput, OUTPUT_BUFFER);

  char report[2 * OUTPUT_BUFFER + 64];
  int n =
      snprintf(report, sizeof(report), "upstream %u %.*s\nfork %u %s\n", upstreamRv, upstreamLen,
               upstreamOutput == NULL ? "" : upstreamOutput, forkRv, (const char*)forkOutput);
  free(upstreamOutput);
  if (n < 0) return 1;
  if ((size_t)n >= sizeof(report)) n = (int)sizeof(report) - 1;
  faasmSetOutput(report, n);
  return upstreamRv == 0 && forkRv == 0 ? 0 : 1;
}
