/*
 * ndp/get: reads an object.
 *
 * Input:  the whole input is the key (no trimming: a trailing newline is part
 *         of the key).
 * Output: the object's bytes, exactly. Returns 0.
 * Errors: empty input -> output
 *           "FAILED - no key/value pair. Usage: get_simple with input 'key'",
 *           returns 0;
 *         missing or empty object (__faasmndp_getMmap returns NULL) -> output
 *           "FAILED - no object found with the given key", returns 1.
 */
#include "faasm/faasm.h"

#include "ndpapi.h"

#include <string>
#include <string_view>

namespace {

constexpr int64_t kMaxObjectLen = int64_t{1} << 30;  // 1 GiB

void setOutput(std::string_view text) {
  faasmSetOutput(BYTES_CONST(text.data()), static_cast<long>(text.size()));
}

}  // namespace

int main(int, char*[]) {
  std::string key(static_cast<size_t>(faasmGetInputSize()), '\0');
  if (key.empty()) {
    setOutput("FAILED - no key/value pair. Usage: get_simple with input 'key'");
    return 0;
  }
  faasmGetInput(BYTES(key.data()), static_cast<long>(key.size()));

  uint32_t len = 0;
  uint8_t* data =
      __faasmndp_getMmap(key.data(), static_cast<int32_t>(key.size()), 0, kMaxObjectLen, &len);
  if (data == nullptr) {
    setOutput("FAILED - no object found with the given key");
    return 1;
  }
  faasmSetOutput(data, static_cast<long>(len));
  __faasmndp_unmap(data, static_cast<int32_t>(len));
  return 0;
}
