/* Gravitational n-body simulation: 100 bodies with pseudo-random positions,
 * velocities and masses, all-pairs forces with a softening term, symplectic
 * Euler steps; `scale` steps (default 400). The checksum hashes the bit
 * patterns of the total energy and of every final position. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#define NBODY_N 100

typedef struct {
  double x, y, z, vx, vy, vz, m;
} nbody_body;

static double nbody_uniform(uint64_t* s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (double)(*s >> 11) * (1.0 / 9007199254740992.0);
}

static double nbody_energy(const nbody_body* b, int n) {
  double e = 0.0;
  for (int i = 0; i < n; ++i) {
    e += 0.5 * b[i].m * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
    for (int j = i + 1; j < n; ++j) {
      double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
      e -= b[i].m * b[j].m / sqrt(dx * dx + dy * dy + dz * dz + 0.01);
    }
  }
  return e;
}

static uint64_t nbody_mix(uint64_t h, double v) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  return (h ^ bits) * 1099511628211ull;
}

uint64_t kernel_nbody(uint32_t scale) {
  nbody_body b[NBODY_N];
  uint64_t seed = 7;
  for (int i = 0; i < NBODY_N; ++i) {
    b[i].x = nbody_uniform(&seed) * 10.0 - 5.0;
    b[i].y = nbody_uniform(&seed) * 10.0 - 5.0;
    b[i].z = nbody_uniform(&seed) * 10.0 - 5.0;
    b[i].vx = nbody_uniform(&seed) - 0.5;
    b[i].vy = nbody_uniform(&seed) - 0.5;
    b[i].vz = nbody_uniform(&seed) - 0.5;
    b[i].m = 0.5 + nbody_uniform(&seed);
  }
  const double dt = 0.001;
  for (uint32_t step = 0; step < scale; ++step) {
    for (int i = 0; i < NBODY_N; ++i) {
      for (int j = i + 1; j < NBODY_N; ++j) {
        double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
        double d2 = dx * dx + dy * dy + dz * dz + 0.01;
        double mag = dt / (d2 * sqrt(d2));
        double mi = b[i].m * mag, mj = b[j].m * mag;
        b[i].vx -= dx * mj;
        b[i].vy -= dy * mj;
        b[i].vz -= dz * mj;
        b[j].vx += dx * mi;
        b[j].vy += dy * mi;
        b[j].vz += dz * mi;
      }
    }
    for (int i = 0; i < NBODY_N; ++i) {
      b[i].x += dt * b[i].vx;
      b[i].y += dt * b[i].vy;
      b[i].z += dt * b[i].vz;
    }
  }
  uint64_t h = nbody_mix(1469598103934665603ull, nbody_energy(b, NBODY_N));
  for (int i = 0; i < NBODY_N; ++i) {
    h = nbody_mix(h, b[i].x);
    h = nbody_mix(h, b[i].y);
    h = nbody_mix(h, b[i].z);
  }
  return h;
}
