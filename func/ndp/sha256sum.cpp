/*
 * ndp/sha256sum: SHA-256 of an object, computed next to the data if the
 * runtime offloads it.
 *
 * Input:  the whole input is the key.
 * Output: 64 lowercase hex digits of the SHA-256 digest of the object's bytes,
 *         no newline. Returns 0.
 * Errors: empty input -> output
 *           "FAILED - invalid args. Usage: sha256sum with input 'key'", returns 0;
 *         missing or empty object -> output
 *           "FAILED - no object found with the given key", returns 1.
 *
 * NDP: the hashing runs in hashObject(job) through
 * __faasmndp_storageCallAndAwait1; job is the address of a struct on main's
 * stack that receives the digest. It maps the whole object (offset 0, at most
 * 1 GiB). SHA-256 is implemented here (FIPS 180-4).
 */
#include "faasm/faasm.h"

#include "ndp_common.h"

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <string_view>

namespace {

using ndp::setOutput;


// ---- SHA-256 (FIPS 180-4) ----

constexpr uint32_t kRoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

inline uint32_t rotr(uint32_t x, int n) {
  return (x >> n) | (x << (32 - n));
}

class Sha256 {
 public:
  void update(const uint8_t* data, size_t len) {
    totalLen_ += len;
    if (bufferLen_ > 0) {
      size_t take = len < 64 - bufferLen_ ? len : 64 - bufferLen_;
      for (size_t i = 0; i < take; ++i)
        buffer_[bufferLen_ + i] = data[i];
      bufferLen_ += take;
      data += take;
      len -= take;
      if (bufferLen_ < 64) return;
      compress(buffer_);
      bufferLen_ = 0;
    }
    for (; len >= 64; data += 64, len -= 64)
      compress(data);
    for (size_t i = 0; i < len; ++i)
      buffer_[i] = data[i];
    bufferLen_ = len;
  }

  void finish(uint8_t digest[32]) {
    uint64_t bitLen = totalLen_ * 8;
    uint8_t pad[72] = {0x80};
    size_t padLen = (bufferLen_ < 56 ? 56 : 120) - bufferLen_;
    for (int i = 0; i < 8; ++i)
      pad[padLen + i] = static_cast<uint8_t>(bitLen >> (56 - 8 * i));
    update(pad, padLen + 8);
    for (int i = 0; i < 8; ++i)
      for (int b = 0; b < 4; ++b)
        digest[4 * i + b] = static_cast<uint8_t>(state_[i] >> (24 - 8 * b));
  }

 private:
  void compress(const uint8_t* block) {
    uint32_t w[64];
    for (int t = 0; t < 16; ++t)
      w[t] = (uint32_t{block[4 * t]} << 24) | (uint32_t{block[4 * t + 1]} << 16) |
             (uint32_t{block[4 * t + 2]} << 8) | uint32_t{block[4 * t + 3]};
    for (int t = 16; t < 64; ++t) {
      uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
      uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
    uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
    for (int t = 0; t < 64; ++t) {
      uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
                    kRoundConstants[t] + w[t];
      uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
    state_[4] += e;
    state_[5] += f;
    state_[6] += g;
    state_[7] += h;
  }

  uint32_t state_[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  uint8_t buffer_[64] = {};
  size_t bufferLen_ = 0;
  uint64_t totalLen_ = 0;
};

struct HashJob {
  std::string_view key;
  uint8_t digest[32];
};

}  // namespace

// Runs near the object: hashes it into job->digest.
int32_t hashObject(int32_t jobAddress) {
  HashJob* job = reinterpret_cast<HashJob*>(static_cast<intptr_t>(jobAddress));
  uint32_t len = 0;
  uint8_t* data = ndp::mapObject(job->key, &len);
  if (data == nullptr) return 1;
  Sha256 sha;
  sha.update(data, len);
  sha.finish(job->digest);
  __faasmndp_unmap(data, static_cast<int32_t>(len));
  return 0;
}

int main(int, char*[]) {
  std::string key = ndp::readInput();
  if (key.empty()) {
    setOutput("FAILED - invalid args. Usage: sha256sum with input 'key'");
    return 0;
  }

  HashJob job{};
  job.key = key;
  int rc = __faasmndp_storageCallAndAwait1(
      key.data(), static_cast<uint32_t>(key.size()),
      reinterpret_cast<FaasmNdpFuncPtr>(reinterpret_cast<void (*)()>(hashObject)),
      static_cast<int32_t>(reinterpret_cast<intptr_t>(&job)));
  if (rc != 0) return rc;

  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (uint8_t byte : job.digest) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 0xf];
  }
  setOutput(hex);
  return 0;
}
