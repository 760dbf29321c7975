// shout: input text -> output SHOUT_PREFIX followed by the text upper-cased
// (the prefix is a definition of the build: CMake or `func build -D`).
#include <faasm/faasm.h>

#include <string>

#include "textutil.h"

#ifndef SHOUT_PREFIX
#define SHOUT_PREFIX ""
#endif

int main() {
  long n = faasmGetInputSize();
  std::string in(n, '\0');
  faasmGetInput(reinterpret_cast<uint8_t*>(in.data()), n);
  std::string out = SHOUT_PREFIX + textutil::upper(in);
  faasmSetOutput(reinterpret_cast<const uint8_t*>(out.data()), out.size());
  return 0;
}
