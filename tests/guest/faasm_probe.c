/* Test function for the Faasm host interface: the input selects a probe.
 *   isolation      static buffer: outputs "clean" if empty (then fills it
 *                  with the input) or "LEAK:<contents>" if a previous call's
 *                  data is still there.
 *   bad_state_key  writes state with an empty key (must trap).
 *   lock_and_exit  takes the write lock of "probe_lock" and returns holding it.
 *   lock           takes and releases the write lock of "probe_lock"; "locked".
 *   chain_trap     chains "probe" with input "trap", awaits it, outputs its
 *                  return value.
 *   trap           traps.
 *   spin           loops forever (timeout).
 *   grow           allocates until memory runs out (memory limit).
 *   alloc64        allocates 64 MiB at once: "ok" or "failed".
 *   sleep          sleeps 20 ms (WASI poll_oneoff), outputs "slept".
 *   nap            sleeps 300 ms, outputs "napped" (a call that is surely
 *                  still running when a test looks).
 *   sleep_long     sleeps 100 s (the call's deadline must end it).
 *   ndp_ptr        outputs the function pointer (table index) of
 *                  countObject, which a test offloads to a storage runtime.
 *   ndp_result     outputs countObject's last result (g_result), to show
 *                  that a memory delta carried it.
 *   ndp_spin_ptr   outputs the function pointer of spinObject, a storage
 *                  function that never returns (a deadline must end it).
 *   state_ptr      maps state "probe_mapped" (8 bytes) and increments its
 *                  first byte, outputs the new value; a second call on
 *                  another Faaslet must see the first call's write.
 *   await <n>      awaits call n (a number the guest was not given) with
 *                  faasmAwaitCallOutput: "rc=<rc> out=<what it copied>".
 *   await_bogus    awaits numbers that name no call it chained (0, 1, 2, 7,
 *                  1..40, 2^31-1, 2^32-1), then chains "sleep", awaits the
 *                  number after its handle, then the handle (twice):
 *                  "refused=<how many gave 1 with nothing copied>/46
 *                  next=<rc> own=<rc>:<output> again=<rc>".
 *   chain_late     naps 600 ms, chains "flag_sleep", waits until it runs
 *                  (state "probe_flag"), awaits it: its deadline must end
 *                  the wait (outputs "awaited <rc>" if it does not).
 *   flag_sleep     sets the first byte of state "probe_flag" (mapped) to 1,
 *                  then sleeps 100 s.
 *   chain_many <n> chains "sleep" n times (n up to 9999): "chained <n>".
 *   chain_big <n>  chains "sleep" with an input of n bytes: "chained".
 *   out <k>        outputs k bytes 'o'.
 *   chain_out <n> <k> <pad>
 *                  chains "out <k>" n times, each input padded with NULs to
 *                  pad bytes; sets the first byte of state "probe_flag"
 *                  (mapped) to 1; takes and releases the write lock of
 *                  "probe_lock"; then awaits each call's output:
 *                  "kept=<calls that gave 0 and their output>
 *                  dropped=<calls that gave 1 with nothing copied>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faasm/faasm.h"
#include "ndpapi.h"

static char buffer[64];
/* Keeps allocations observable, so the compiler cannot elide them. */
static char* volatile sink;

/* Set by countObject: the object's length times 100 plus its 'x' bytes. */
static int g_result = -1;

/* An NDP storage function: reads object "ndp_obj" through the NDP API and
 * leaves its finding in memory; returns 7. */
static int countObject(void) {
  uint32_t len = 0;
  uint8_t* data = __faasmndp_getMmap("ndp_obj", 7, 0, 1 << 30, &len);
  if (!data) return -1;
  int xs = 0;
  for (uint32_t i = 0; i < len; ++i) xs += data[i] == 'x';
  g_result = (int)len * 100 + xs;
  return 7;
}

/* An NDP storage function that loops forever. */
static int spinObject(void) {
  for (volatile int i = 0;; i++) {
  }
  return 0;
}

static void out(const char* s) {
  faasmSetOutput((const uint8_t*)s, (long)strlen(s));
}

int main(int argc, char* argv[]) {
  (void)argc;
  (void)argv;
  char in[64] = {0};
  long n = faasmGetInputSize();
  if (n >= (long)sizeof in) n = sizeof in - 1;
  faasmGetInput((uint8_t*)in, n);
  if (strcmp(in, "isolation") == 0) {
    if (buffer[0]) {
      char msg[80] = "LEAK:";
      strcat(msg, buffer);
      out(msg);
    } else {
      strcpy(buffer, "previous call");
      out("clean");
    }
  } else if (strcmp(in, "bad_state_key") == 0) {
    faasmWriteState("", (const uint8_t*)"x", 1);
    out("wrote");
  } else if (strcmp(in, "lock_and_exit") == 0) {
    faasmLockStateWrite("probe_lock");
    out("holding");
  } else if (strcmp(in, "lock") == 0) {
    faasmLockStateWrite("probe_lock");
    faasmUnlockStateWrite("probe_lock");
    out("locked");
  } else if (strcmp(in, "chain_trap") == 0) {
    unsigned id = faasmChainNamed("probe", (const uint8_t*)"trap", 4);
    unsigned rc = faasmAwaitCall(id);
    char msg[32];
    msg[0] = (char)('0' + (rc % 10));
    msg[1] = 0;
    out(msg);
  } else if (strcmp(in, "trap") == 0) {
    __builtin_trap();
  } else if (strcmp(in, "spin") == 0) {
    for (volatile int i = 0;; i++) {
    }
  } else if (strcmp(in, "grow") == 0) {
    for (;;) {
      char* p = malloc(1 << 20);
      if (!p) break;
      p[0] = 1;
      sink = p;
    }
    out("malloc failed");
  } else if (strcmp(in, "alloc64") == 0) {
    char* p = malloc(64 << 20);
    sink = p;
    out(p ? "ok" : "failed");
  } else if (strcmp(in, "sleep") == 0) {
    usleep(20000);
    out("slept");
  } else if (strcmp(in, "nap") == 0) {
    usleep(300000);
    out("napped");
  } else if (strcmp(in, "sleep_long") == 0) {
    sleep(100);
    out("woke up");
  } else if (strcmp(in, "ndp_ptr") == 0 || strcmp(in, "ndp_result") == 0 ||
             strcmp(in, "ndp_spin_ptr") == 0) {
    char msg[16];
    int v = strcmp(in, "ndp_result") == 0 ? g_result
            : strcmp(in, "ndp_ptr") == 0  ? (int)(intptr_t)&countObject
                                          : (int)(intptr_t)&spinObject;
    int at = 0;
    char digits[12];
    int n = 0;
    unsigned u = v < 0 ? (unsigned)-v : (unsigned)v;
    do {
      digits[n++] = (char)('0' + u % 10);
      u /= 10;
    } while (u);
    if (v < 0) msg[at++] = '-';
    while (n) msg[at++] = digits[--n];
    msg[at] = 0;
    out(msg);
  } else if (strcmp(in, "state_ptr") == 0) {
    uint8_t* p = faasmReadStatePtr("probe_mapped", 8);
    p[0]++;
    char msg[8];
    msg[0] = (char)('0' + p[0]);
    msg[1] = 0;
    out(msg);
  } else if (strncmp(in, "await ", 6) == 0) {
    unsigned id = (unsigned)strtoul(in + 6, NULL, 10);
    char got[32] = {0};
    unsigned rc = faasmAwaitCallOutput(id, (uint8_t*)got, sizeof got - 1);
    char msg[80];
    snprintf(msg, sizeof msg, "rc=%u out=%s", rc, got);
    out(msg);
  } else if (strcmp(in, "await_bogus") == 0) {
    unsigned bogus[46] = {0, 1, 2, 7, 0x7fffffffu, 0xffffffffu};
    for (unsigned i = 0; i < 40; ++i) bogus[6 + i] = i + 1;
    int refused = 0;
    for (int i = 0; i < 46; ++i) {
      char got[8] = {0};
      unsigned rc = faasmAwaitCallOutput(bogus[i], (uint8_t*)got, sizeof got - 1);
      refused += rc == 1 && got[0] == 0;
    }
    unsigned h = faasmChainNamed("probe", (const uint8_t*)"sleep", 5);
    unsigned next = faasmAwaitCall(h + 1);
    char got[16] = {0};
    unsigned own = faasmAwaitCallOutput(h, (uint8_t*)got, sizeof got - 1);
    unsigned again = faasmAwaitCall(h);
    char msg[96];
    snprintf(msg, sizeof msg, "refused=%d/46 next=%u own=%u:%s again=%u", refused, next, own, got,
             again);
    out(msg);
  } else if (strcmp(in, "chain_late") == 0) {
    usleep(600000);
    volatile uint8_t* flag = faasmReadStatePtr("probe_flag", 8);
    unsigned h = faasmChainNamed("probe", (const uint8_t*)"flag_sleep", 10);
    while (!flag[0]) usleep(1000);
    unsigned rc = faasmAwaitCall(h);
    char msg[32];
    snprintf(msg, sizeof msg, "awaited %u", rc);
    out(msg);
  } else if (strcmp(in, "flag_sleep") == 0) {
    volatile uint8_t* flag = faasmReadStatePtr("probe_flag", 8);
    flag[0] = 1;
    sleep(100);
    out("woke up");
  } else if (strncmp(in, "chain_many ", 11) == 0) {
    int n = atoi(in + 11);
    for (int i = 0; i < n; ++i) faasmChainNamed("probe", (const uint8_t*)"sleep", 5);
    char msg[32];
    snprintf(msg, sizeof msg, "chained %d", n);
    out(msg);
  } else if (strncmp(in, "chain_big ", 10) == 0) {
    long n = atol(in + 10);
    uint8_t* big = calloc((size_t)n, 1);
    if (!big) {
      out("calloc failed");
      return 2;
    }
    memcpy(big, "sleep", 5);
    faasmChainNamed("probe", big, n);
    out("chained");
  } else if (strncmp(in, "out ", 4) == 0) {
    long k = atol(in + 4);
    uint8_t* big = malloc((size_t)k + 1);
    if (!big) {
      out("malloc failed");
      return 2;
    }
    memset(big, 'o', (size_t)k);
    faasmSetOutput(big, k);
  } else if (strncmp(in, "chain_out ", 10) == 0) {
    int n = 0;
    long k = 0, pad = 0;
    sscanf(in + 10, "%d %ld %ld", &n, &k, &pad);
    char head[32];
    int len = snprintf(head, sizeof head, "out %ld", k);
    if (pad < len + 1) pad = len + 1;
    uint8_t* input = calloc((size_t)pad, 1);
    unsigned* handles = calloc((size_t)n + 1, sizeof *handles);
    if (!input || !handles) {
      out("calloc failed");
      return 2;
    }
    memcpy(input, head, (size_t)len);
    for (int i = 0; i < n; ++i) handles[i] = faasmChainNamed("probe", input, pad);
    volatile uint8_t* flag = faasmReadStatePtr("probe_flag", 8);
    flag[0] = 1;
    faasmLockStateWrite("probe_lock");
    faasmUnlockStateWrite("probe_lock");
    int kept = 0, dropped = 0;
    for (int i = 0; i < n; ++i) {
      char got[8] = {0};
      unsigned rc = faasmAwaitCallOutput(handles[i], (uint8_t*)got, sizeof got - 1);
      kept += rc == 0 && strcmp(got, "ooooooo") == 0;
      dropped += rc == 1 && got[0] == 0;
    }
    char msg[48];
    snprintf(msg, sizeof msg, "kept=%d dropped=%d", kept, dropped);
    out(msg);
  } else {
    out("unknown probe");
    return 3;
  }
  return 0;
}
