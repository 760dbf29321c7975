// Helpers shared by the ndp/ functions: input, output and mapping a whole
// object, with the messages their contracts give.
#pragma once

#include "faasm/faasm.h"
#include "ndpapi.h"

#include <stdlib.h>
#include <string.h>

#include <string>
#include <string_view>
#include <vector>

namespace ndp {

// Largest object the functions read (as Faasm-NDP's examples).
constexpr int64_t kMaxObjectLen = int64_t{1} << 30;  // 1 GiB

inline void setOutput(std::string_view text) {
  faasmSetOutput(BYTES_CONST(text.data()), static_cast<long>(text.size()));
}

inline std::string readInput() {
  std::string input(static_cast<size_t>(faasmGetInputSize()), '\0');
  if (!input.empty()) faasmGetInput(BYTES(input.data()), static_cast<long>(input.size()));
  return input;
}

// "<key> <arg>" split at the first space; false if either part is empty.
inline bool splitKeyArg(const std::string& input, std::string_view* key, std::string_view* arg) {
  size_t space = input.find(' ');
  if (space == std::string::npos || space == 0 || space + 1 == input.size()) return false;
  *key = std::string_view(input.data(), space);
  *arg = std::string_view(input.data() + space + 1, input.size() - space - 1);
  return true;
}

// `input` split at every space (so two spaces give an empty part); views
// into `input`.
inline std::vector<std::string_view> splitSpaces(const std::string& input) {
  std::vector<std::string_view> parts;
  for (size_t at = 0; at <= input.size();) {
    size_t space = input.find(' ', at);
    if (space == std::string::npos) space = input.size();
    parts.emplace_back(input.data() + at, space - at);
    at = space + 1;
  }
  return parts;
}

// The whole object `key` in guest memory (release with __faasmndp_unmap), or
// nullptr with the "no object" output set.
inline uint8_t* mapObject(std::string_view key, uint32_t* len) {
  uint8_t* data =
      __faasmndp_getMmap(key.data(), static_cast<int32_t>(key.size()), 0, kMaxObjectLen, len);
  if (data == nullptr) setOutput("FAILED - no object found with the given key");
  return data;
}

// Zeroes `len` bytes at `data` before they are freed. Memory that a storage
// call wrote travels back to the caller in its result unless it is all zero
// again (past the Faaslet's snapshot image): a large scratch buffer wiped
// before it is freed costs the link nothing.
inline void wipe(void* data, size_t len) {
  if (len != 0) memset(data, 0, len);
}

// malloc, free and realloc whose memory is zeroed when it is freed (see
// wipe), for libraries that allocate large temporary buffers inside a storage
// call (stb's STBI_MALLOC, STBI_FREE, STBI_REALLOC). Each block starts with
// its size, in 16 bytes that keep malloc's alignment.
inline void* scratchMalloc(size_t n) {
  auto* block = static_cast<uint8_t*>(malloc(n + 16));
  if (block == nullptr) return nullptr;
  memcpy(block, &n, sizeof n);
  return block + 16;
}
inline void scratchFree(void* p) {
  if (p == nullptr) return;
  uint8_t* block = static_cast<uint8_t*>(p) - 16;
  size_t n;
  memcpy(&n, block, sizeof n);
  wipe(block, n + 16);
  free(block);
}
inline void* scratchRealloc(void* p, size_t n) {
  void* moved = scratchMalloc(n);
  if (moved == nullptr || p == nullptr) return moved;  // on failure p stays valid
  size_t old;
  memcpy(&old, static_cast<uint8_t*>(p) - 16, sizeof old);
  memcpy(moved, p, old < n ? old : n);
  scratchFree(p);
  return moved;
}

// A decimal number in [min, max] making up all of `text`, or -1.
inline long parseNumber(std::string_view text, long min, long max) {
  if (text.empty() || text.size() > 9) return -1;
  long v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v < min || v > max ? -1 : v;
}

}  // namespace ndp
