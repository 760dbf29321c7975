// wordcount (Faasm-NDP style): input "KEY MINLEN" -> counts the words of at
// least MINLEN bytes in object KEY of the caller, near the data (a storage
// call), stores the count as object KEY.count and outputs "KEY: N words".
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "faasm/faasm.h"
#include "ndpapi.h"
#include "textutil.h"

static char key[128];
static int words = -1;

// Runs beside the object when offloaded; `words` comes back in the memory delta.
static int countNearData(int32_t minLength) {
  uint32_t len = 0;
  uint8_t* data = __faasmndp_getMmap(key, std::strlen(key), 0, INT32_MAX, &len);
  if (data == nullptr || data == reinterpret_cast<uint8_t*>(-1)) return 2;
  words = textutil::countWords(data, len, minLength);
  return 0;
}

int main() {
  char input[160] = {0};
  long n = faasmGetInputSize();
  if (n <= 0 || n >= static_cast<long>(sizeof input)) return 1;
  faasmGetInput(reinterpret_cast<uint8_t*>(input), n);
  int minLength = 1;
  if (std::sscanf(input, "%127s %d", key, &minLength) < 1) return 1;
  int r = __faasmndp_storageCallAndAwait1(
      key, std::strlen(key), reinterpret_cast<FaasmNdpFuncPtr>(&countNearData), minLength);
  if (r != 0) return r;
  std::string count = std::to_string(words);
  std::string countKey = std::string(key) + ".count";
  if (__faasmndp_put(countKey.c_str(), countKey.size(),
                     reinterpret_cast<const uint8_t*>(count.data()), count.size()) != 0)
    return 3;
  std::string out = std::string(key) + ": " + count + " words";
  faasmSetOutput(reinterpret_cast<const uint8_t*>(out.data()), out.size());
  return 0;
}
