// The native stand-in for the host interface (ndp_native.h): what the ndp/
// functions call, with the contracts of sdk/include/faasm/core.h and
// sdk/include/ndpapi.h, for one call at a time.
#include "ndp_native.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <string_view>

#include "faasm/faasm.h"
#include "ndpapi.h"

namespace nearfaas::test::ndpnative {
namespace {
std::string input, output;
}  // namespace

std::map<std::string, std::string>& objects() {
  static std::map<std::string, std::string> o;
  return o;
}

Outcome run(MainFn mainFn, const std::string& in) {
  input = in;
  output.clear();
  char name[] = "function";
  char* argv[] = {name, nullptr};
  int rv = mainFn(1, argv);
  return {rv, output};
}

}  // namespace nearfaas::test::ndpnative

using nearfaas::test::ndpnative::input;
using nearfaas::test::ndpnative::objects;
using nearfaas::test::ndpnative::output;

extern "C" {

long faasmGetInputSize(void) {
  return static_cast<long>(input.size());
}

void faasmGetInput(uint8_t* buffer, long bufferLen) {
  size_t n = std::min(input.size(), static_cast<size_t>(bufferLen < 0 ? 0 : bufferLen));
  memcpy(buffer, input.data(), n);
}

void faasmSetOutput(const uint8_t* newOutput, long outputLen) {
  output.assign(reinterpret_cast<const char*>(newOutput), static_cast<size_t>(outputLen));
}

uint8_t* __faasmndp_getMmap(const char* keyPtr, int32_t keyLen, int64_t offset,
                            int64_t maxRequestedLen, uint32_t* outDataLenPtr) {
  if (keyLen <= 0 || offset < 0 || maxRequestedLen <= 0) return nullptr;
  auto it = objects().find(std::string(keyPtr, static_cast<size_t>(keyLen)));
  if (it == objects().end() || static_cast<uint64_t>(offset) >= it->second.size()) return nullptr;
  size_t n = std::min<uint64_t>(it->second.size() - static_cast<uint64_t>(offset),
                                static_cast<uint64_t>(maxRequestedLen));
  auto* copy = static_cast<uint8_t*>(malloc(n));
  memcpy(copy, it->second.data() + offset, n);
  *outDataLenPtr = static_cast<uint32_t>(n);
  return copy;
}

int32_t __faasmndp_unmap(uint8_t* buffer, int32_t) {
  free(buffer);
  return 0;
}

int32_t __faasmndp_put(const char* keyPtr, uint32_t keyLen, const uint8_t* dataPtr,
                       uint32_t dataLen) {
  if (keyLen == 0 || dataLen == 0) return -1;
  objects()[std::string(keyPtr, keyLen)].assign(reinterpret_cast<const char*>(dataPtr), dataLen);
  return 0;
}

int __faasmndp_storageCallAndAwait(const char*, uint32_t keyLen, FaasmNdpFuncPtr funcPtr) {
  if (keyLen == 0) return 0;
  return funcPtr();
}

}  // extern "C"
