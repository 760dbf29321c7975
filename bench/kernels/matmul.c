/* Dense matrix multiply C = A * B of n x n doubles, n = scale, in i-k-j loop
 * order (row-major, unit stride in the inner loop). Inputs come from a fixed
 * linear congruential generator; the checksum hashes the bit patterns of C,
 * so native and WebAssembly must agree bit for bit. Default n = 768.
 *
 * The three matrices live in one allocation with 2 KiB gaps: with
 * separate allocations their relative placement depends on the allocator
 * (glibc puts big blocks at the same offset in fresh pages), and loads of B
 * that alias stores to C modulo 4 KiB made native times vary threefold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t matmul_lcg(uint64_t* s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return *s;
}

/* A double in [-1, 1) from the top 53 bits. */
static double matmul_uniform(uint64_t* s) {
  return (double)(matmul_lcg(s) >> 11) * (1.0 / 4503599627370496.0) - 1.0;
}

uint64_t kernel_matmul(uint32_t scale) {
  size_t n = scale ? scale : 1;
  const size_t pad = 256; /* doubles */
  double* a = malloc((3 * n * n + 2 * pad) * sizeof(double));
  if (!a) return 0;
  double* b = a + n * n + pad;
  double* c = b + n * n + pad;
  memset(c, 0, n * n * sizeof(double));
  uint64_t seed = 42;
  for (size_t i = 0; i < n * n; ++i) a[i] = matmul_uniform(&seed);
  for (size_t i = 0; i < n * n; ++i) b[i] = matmul_uniform(&seed);

  for (size_t i = 0; i < n; ++i) {
    double* ci = c + i * n;
    for (size_t k = 0; k < n; ++k) {
      double aik = a[i * n + k];
      const double* bk = b + k * n;
      for (size_t j = 0; j < n; ++j) ci[j] += aik * bk[j];
    }
  }

  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n * n; ++i) {
    uint64_t bits;
    memcpy(&bits, &c[i], sizeof bits);
    h = (h ^ bits) * 1099511628211ull;
  }
  free(a);
  return h;
}
