/* Test function for offloaded storage calls (tests/ndp_offloader_test.cpp).
 * Input "<mode> <key>": main makes one storage call on object <key>. The
 * function called reads the whole object and leaves its length and FNV-1a
 * hash in memory; then, by mode:
 *   count   prints "counted <length>" to stdout
 *   other   reads object "<key>.other" too: extra = its length
 *   shared  reads /shared/ndp_calls.txt: extra = its contents
 *   state   reads state "ndp_calls", which main set to <key> before the
 *           storage call: extra = its value
 *   write   replaces the object with "rewritten" and reads it again (length and
 *           hash of what it reads back): extra = __faasmndp_put's value
 *   trap    traps
 *   spin    loops forever
 *   big     fills 1 MiB of its memory from the hash (a result of 256 pages):
 *           extra = their sum (taken by main)
 *   wiped   as big, then zeroes them again (they hold their snapshot
 *           contents: no result pages)
 * Output (set by main after the storage call, from what the function left
 * in memory): "rc=<its value> len=<length> hash=<hash> extra=<extra>".
 * Built twice: test/ndpcalls, and test/ndpcalls2 with another hash seed
 * (NDP_CALLS_SEED): the same function in other code.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "faasm/faasm.h"
#include "ndpapi.h"

#ifndef NDP_CALLS_SEED
#define NDP_CALLS_SEED 2166136261u
#endif

static char g_key[128];
static uint32_t g_len;
static uint32_t g_hash;
static char g_extra[64] = "-";
static uint8_t g_big[1 << 20];

static int readObject(void) {
  uint32_t len = 0;
  uint8_t* data = __faasmndp_getMmap(g_key, (int32_t)strlen(g_key), 0, 1 << 30, &len);
  if (!data) return -1;
  uint32_t h = NDP_CALLS_SEED;
  for (uint32_t i = 0; i < len; ++i)
    h = (h ^ data[i]) * 16777619u;
  g_len = len;
  g_hash = h;
  __faasmndp_unmap(data, (int32_t)len);
  return 0;
}

static int countFn(void) {
  if (readObject() != 0) return -1;
  printf("counted %u\n", g_len);
  fflush(stdout);
  return 7;
}

static int otherFn(void) {
  if (readObject() != 0) return -1;
  char other[160];
  snprintf(other, sizeof other, "%s.other", g_key);
  uint32_t len = 0;
  uint8_t* data = __faasmndp_getMmap(other, (int32_t)strlen(other), 0, 1 << 30, &len);
  snprintf(g_extra, sizeof g_extra, "%u", data ? len : 0u);
  if (data) __faasmndp_unmap(data, (int32_t)len);
  return 7;
}

static int sharedFn(void) {
  if (readObject() != 0) return -1;
  FILE* f = fopen("/shared/ndp_calls.txt", "r");
  if (!f) {
    strcpy(g_extra, "no-shared-file");
    return 7;
  }
  size_t n = fread(g_extra, 1, sizeof g_extra - 1, f);
  g_extra[n] = 0;
  fclose(f);
  return 7;
}

static int stateFn(void) {
  if (readObject() != 0) return -1;
  memset(g_extra, 0, sizeof g_extra);
  long n = faasmReadState("ndp_calls", (uint8_t*)g_extra, sizeof g_extra - 1);
  if (n < 0) strcpy(g_extra, "no-state");
  return 7;
}

static int writeFn(void) {
  if (readObject() != 0) return -1;
  int32_t rc = __faasmndp_put(g_key, (uint32_t)strlen(g_key), (const uint8_t*)"rewritten", 9);
  snprintf(g_extra, sizeof g_extra, "%d", (int)rc);
  if (readObject() != 0) return -1;
  return 7;
}

static int trapFn(void) {
  readObject();
  __builtin_trap();
}

static int spinFn(void) {
  for (volatile int i = 0;; i++) {
  }
  return 0;
}

static int bigFn(void) {
  if (readObject() != 0) return -1;
  uint32_t x = g_hash;
  for (uint32_t i = 0; i < sizeof g_big; ++i) {
    x = x * 1664525u + 1013904223u;
    g_big[i] = (uint8_t)((x >> 24) | 1);
  }
  return 7;
}

static int wipedFn(void) {
  int rc = bigFn();
  memset(g_big, 0, sizeof g_big);
  return rc;
}

int main(int argc, char* argv[]) {
  (void)argc;
  (void)argv;
  char in[160] = {0};
  long n = faasmGetInputSize();
  if (n >= (long)sizeof in) n = sizeof in - 1;
  faasmGetInput((uint8_t*)in, n);
  char* space = strchr(in, ' ');
  if (!space || strlen(space + 1) >= sizeof g_key) {
    faasmSetOutput((const uint8_t*)"usage: <mode> <key>", 19);
    return 2;
  }
  *space = 0;
  strcpy(g_key, space + 1);
  int (*fn)(void) = strcmp(in, "count") == 0    ? countFn
                    : strcmp(in, "other") == 0  ? otherFn
                    : strcmp(in, "shared") == 0 ? sharedFn
                    : strcmp(in, "state") == 0  ? stateFn
                    : strcmp(in, "write") == 0  ? writeFn
                    : strcmp(in, "trap") == 0   ? trapFn
                    : strcmp(in, "spin") == 0   ? spinFn
                    : strcmp(in, "big") == 0    ? bigFn
                    : strcmp(in, "wiped") == 0  ? wipedFn
                                                : NULL;
  if (!fn) {
    faasmSetOutput((const uint8_t*)"unknown mode", 12);
    return 2;
  }
  if (fn == stateFn) faasmWriteState("ndp_calls", (const uint8_t*)g_key, (long)strlen(g_key));
  int rc = __faasmndp_storageCallAndAwait(g_key, (uint32_t)strlen(g_key), fn);
  if (fn == bigFn || fn == wipedFn) {
    uint32_t sum = 0;
    for (uint32_t i = 0; i < sizeof g_big; ++i)
      sum += g_big[i];
    snprintf(g_extra, sizeof g_extra, "%u", sum);
  }
  char out[160];
  int len =
      snprintf(out, sizeof out, "rc=%d len=%u hash=%08x extra=%s", rc, g_len, g_hash, g_extra);
  faasmSetOutput((const uint8_t*)out, len);
  return 0;
}
