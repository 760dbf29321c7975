// Unbounded recursion with a frame the optimiser cannot remove.
#include <stdio.h>

static volatile int sink;

static int depth(int n) {
  char buf[64];
  buf[n & 63] = (char)n;
  sink = buf[(n * 7) & 63];
  return depth(n + 1) + buf[0];
}

int main(void) {
  printf("%d\n", depth(0));
  return 0;
}
