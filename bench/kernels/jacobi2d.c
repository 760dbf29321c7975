/* PolyBench-style jacobi-2d: a 5-point stencil on an n x n grid of doubles,
 * n = scale, 100 time steps, each sweeping A into B and B back into A.
 * Initialisation as in PolyBench. The checksum hashes the bit patterns of A.
 * Default n = 1000. Both grids are in one allocation with a 2 KiB gap
 * (see matmul.c), so their relative placement does not depend on the
 * allocator. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JACOBI_STEPS 100

uint64_t kernel_jacobi2d(uint32_t scale) {
  size_t n = scale < 3 ? 3 : scale;
  const size_t pad = 256; /* doubles */
  double* a = malloc((2 * n * n + pad) * sizeof(double));
  if (!a) return 0;
  double* b = a + n * n + pad;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      a[i * n + j] = ((double)i * (double)(j + 2) + 2.0) / (double)n;
      b[i * n + j] = ((double)i * (double)(j + 3) + 3.0) / (double)n;
    }

  for (int t = 0; t < JACOBI_STEPS; ++t) {
    for (size_t i = 1; i < n - 1; ++i)
      for (size_t j = 1; j < n - 1; ++j)
        b[i * n + j] = 0.2 * (a[i * n + j] + a[i * n + j - 1] + a[i * n + j + 1] +
                              a[(i + 1) * n + j] + a[(i - 1) * n + j]);
    for (size_t i = 1; i < n - 1; ++i)
      for (size_t j = 1; j < n - 1; ++j)
        a[i * n + j] = 0.2 * (b[i * n + j] + b[i * n + j - 1] + b[i * n + j + 1] +
                              b[(i + 1) * n + j] + b[(i - 1) * n + j]);
  }

  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n * n; ++i) {
    uint64_t bits;
    memcpy(&bits, &a[i], sizeof bits);
    h = (h ^ bits) * 1099511628211ull;
  }
  free(a);
  return h;
}
