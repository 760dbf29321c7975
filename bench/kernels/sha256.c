/* SHA-256 (FIPS 180-4) of `scale` MiB from a xorshift generator, produced 1 MiB
 * at a time into one reused buffer (like a file read in chunks) and fed to the
 * hash in uneven pieces, then 1000 rounds of hashing the digest itself. The
 * checksum is the first 8 bytes of the final digest. Default 32 MiB. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  uint32_t h[8];
  uint8_t block[64];
  size_t used;    /* bytes in block */
  uint64_t bits;  /* message length so far, in bits */
} sha256_ctx;

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t sha256_rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static uint32_t sha256_load_be(const uint8_t* p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void sha256_compress(uint32_t h[8], const uint8_t* block) {
  uint32_t w[64];
  for (int t = 0; t < 16; ++t) w[t] = sha256_load_be(block + 4 * t);
  for (int t = 16; t < 64; ++t) {
    uint32_t s0 = sha256_rotr(w[t - 15], 7) ^ sha256_rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
    uint32_t s1 = sha256_rotr(w[t - 2], 17) ^ sha256_rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int t = 0; t < 64; ++t) {
    uint32_t S1 = sha256_rotr(e, 6) ^ sha256_rotr(e, 11) ^ sha256_rotr(e, 25);
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t t1 = hh + S1 + ch + sha256_k[t] + w[t];
    uint32_t S0 = sha256_rotr(a, 2) ^ sha256_rotr(a, 13) ^ sha256_rotr(a, 22);
    uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = S0 + maj;
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

static void sha256_init(sha256_ctx* c) {
  static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, iv, sizeof iv);
  c->used = 0;
  c->bits = 0;
}

static void sha256_update(sha256_ctx* c, const uint8_t* p, size_t len) {
  c->bits += (uint64_t)len * 8;
  if (c->used) {
    size_t take = 64 - c->used < len ? 64 - c->used : len;
    memcpy(c->block + c->used, p, take);
    c->used += take;
    p += take;
    len -= take;
    if (c->used < 64) return;
    sha256_compress(c->h, c->block);
    c->used = 0;
  }
  for (; len >= 64; p += 64, len -= 64) sha256_compress(c->h, p);
  memcpy(c->block, p, len);
  c->used = len;
}

static void sha256_final(sha256_ctx* c, uint8_t out[32]) {
  uint64_t bits = c->bits;
  c->block[c->used++] = 0x80;
  if (c->used > 56) {
    memset(c->block + c->used, 0, 64 - c->used);
    sha256_compress(c->h, c->block);
    c->used = 0;
  }
  memset(c->block + c->used, 0, 56 - c->used);
  for (int i = 0; i < 8; ++i) c->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
  sha256_compress(c->h, c->block);
  for (int i = 0; i < 8; ++i) {
    out[4 * i] = (uint8_t)(c->h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
    out[4 * i + 3] = (uint8_t)c->h[i];
  }
}

uint64_t kernel_sha256(uint32_t scale) {
  const size_t chunk = (size_t)1 << 20;
  uint8_t* buf = malloc(chunk);
  if (!buf) return 0;
  uint64_t x = 0x9e3779b97f4a7c15ull;
  uint8_t digest[32];
  sha256_ctx ctx;
  sha256_init(&ctx);
  size_t piece = 1;
  for (uint32_t mib = 0; mib < (scale ? scale : 1); ++mib) {
    for (size_t i = 0; i < chunk; i += 8) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      memcpy(buf + i, &x, 8);
    }
    /* Uneven pieces exercise the partial-block path too. */
    for (size_t pos = 0; pos < chunk;) {
      size_t n = chunk - pos < piece ? chunk - pos : piece;
      sha256_update(&ctx, buf + pos, n);
      pos += n;
      piece = piece * 3 % 100003 + 1;
    }
  }
  sha256_final(&ctx, digest);
  for (int i = 0; i < 1000; ++i) {
    sha256_init(&ctx);
    sha256_update(&ctx, digest, sizeof digest);
    sha256_final(&ctx, digest);
  }
  free(buf);

  uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h = h << 8 | digest[i];
  return h;
}
