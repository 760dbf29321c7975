// Allocates 1 MiB blocks until malloc fails, writing each, and reports how
// many it got: under an instance memory limit the guest sees NULL, not a crash.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BLOCKS 8192
static char* blocks[MAX_BLOCKS];

int main(void) {
  int n = 0;
  for (; n < MAX_BLOCKS; ++n) {
    blocks[n] = malloc(1 << 20);
    if (!blocks[n]) break;
    memset(blocks[n], n & 0xff, 1 << 20);
  }
  long check = 0;
  for (int i = 0; i < n; ++i) check += blocks[i][i];  // keeps the stores observable
  printf("allocated %d MiB (check %ld)\n", n, check);
  return 0;
}
