// libfaasm: faasm/input.h helpers.
#include "faasm/input.h"

#include <stdlib.h>
#include <string.h>

namespace faasm {

const char* getStringInput(const char* defaultValue) {
  long len = faasmGetInputSize();
  if (len <= 0) return defaultValue;
  char* copy = static_cast<char*>(malloc(static_cast<size_t>(len) + 1));
  if (copy == nullptr) return defaultValue;
  faasmGetInput(BYTES(copy), len);
  copy[len] = '\0';
  return copy;
}

void setStringOutput(const char* val) {
  faasmSetOutput(BYTES_CONST(val), static_cast<long>(strlen(val)));
}

int getIntInput() {
  const char* input = getStringInput("0");
  return static_cast<int>(strtol(input, nullptr, 10));
}

int* parseStringToIntArray(const char* inStr, int expected) {
  int* result =
      static_cast<int*>(calloc(expected > 0 ? static_cast<size_t>(expected) : 1, sizeof(int)));
  const char* p = inStr;
  for (int i = 0; i < expected && p != nullptr && *p != '\0'; ++i) {
    char* end = nullptr;
    long v = strtol(p, &end, 10);
    if (end == p) break;
    result[i] = static_cast<int>(v);
    p = end;
  }
  return result;
}

}  // namespace faasm
