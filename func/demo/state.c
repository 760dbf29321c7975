/*
 * demo/state: a counter in state shared by all calls of the user.
 *
 * The counter is the state value "demo_counter": 4 bytes, a little-endian
 * uint32 (a missing value or one of another size counts as 0).
 *
 * Input:
 *   "" or "incr"  under the key's write lock: pull, read, add 1, write and
 *                 push; output the new value. Concurrent calls on one host
 *                 therefore output distinct values 1..N (after a reset); the
 *                 lock is host-local, so calls on different hosts may race.
 *   "get"         under the read lock: output the current value.
 *   "reset"       under the write lock: write 0 and push; output "0".
 * Output: the value as decimal ASCII, no newline. Returns 0.
 * Errors: any other input -> output
 *         "FAILED - usage: state with input '', 'incr', 'get' or 'reset'",
 *         returns 1.
 */
#include "faasm/faasm.h"

#include <stdio.h>
#include <string.h>

static const char* const kKey = "demo_counter";

/* The current value; call with a lock on kKey held. */
static uint32_t readCounter(void) {
  uint32_t value = 0;
  if (faasmReadStateSize(kKey) == sizeof(value)) {
    faasmPullState(kKey, sizeof(value));
    faasmReadState(kKey, BYTES(&value), sizeof(value));
  }
  return value;
}

/* Sets the value locally and globally; call with the write lock held. */
static void writeCounter(uint32_t value) {
  faasmWriteState(kKey, BYTES_CONST(&value), sizeof(value));
  faasmPushState(kKey);
}

static void outputNumber(uint32_t value) {
  char text[16];
  int len = snprintf(text, sizeof(text), "%u", (unsigned)value);
  faasmSetOutput(BYTES_CONST(text), len);
}

int main(int argc, char* argv[]) {
  (void)argc;
  (void)argv;
  char command[8] = {0};
  long len = faasmGetInputSize();
  if (len >= (long)sizeof(command)) len = -1;
  if (len > 0) faasmGetInput(BYTES(command), len);

  uint32_t value;
  if (len == 0 || strcmp(command, "incr") == 0) {
    faasmLockStateWrite(kKey);
    value = readCounter() + 1;
    writeCounter(value);
    faasmUnlockStateWrite(kKey);
  } else if (strcmp(command, "get") == 0) {
    faasmLockStateRead(kKey);
    value = readCounter();
    faasmUnlockStateRead(kKey);
  } else if (strcmp(command, "reset") == 0) {
    faasmLockStateWrite(kKey);
    value = 0;
    writeCounter(value);
    faasmUnlockStateWrite(kKey);
  } else {
    const char* usage = "FAILED - usage: state with input '', 'incr', 'get' or 'reset'";
    faasmSetOutput(BYTES_CONST(usage), (long)strlen(usage));
    return 1;
  }
  outputNumber(value);
  return 0;
}
