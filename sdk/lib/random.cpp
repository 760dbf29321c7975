// libfaasm: faasm/random.h helpers.
#include <stdlib.h>
#include <algorithm>
#include <random>
#include <string>

#include "faasm/random.h"

namespace faasm {

static std::mt19937& generator() {
  // Seeded lazily (WASI random_get), so a zygote snapshot does not fix the
  // sequence of every call.
  static std::mt19937 gen{std::random_device{}()};
  return gen;
}

int randomInteger(int iStart, int iEnd) {
  std::uniform_int_distribution<int> dist(iStart, iEnd);
  return dist(generator());
}

float randomFloat() {
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  return dist(generator());
}

void shuffleArray(int* arrayIn, size_t arrayLen) {
  std::shuffle(arrayIn, arrayIn + arrayLen, generator());
}

int* randomIntRange(int rangeLen) {
  int* out =
      static_cast<int*>(malloc(sizeof(int) * static_cast<size_t>(rangeLen > 0 ? rangeLen : 1)));
  for (int i = 0; i < rangeLen; ++i)
    out[i] = i;
  shuffleArray(out, static_cast<size_t>(rangeLen > 0 ? rangeLen : 0));
  return out;
}

std::string randomString(int len) {
  static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::uniform_int_distribution<int> dist(0, static_cast<int>(sizeof(alphabet)) - 2);
  std::string out;
  out.reserve(len > 0 ? static_cast<size_t>(len) : 0);
  for (int i = 0; i < len; ++i)
    out.push_back(alphabet[dist(generator())]);
  return out;
}

}  // namespace faasm
