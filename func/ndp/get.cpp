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

#include "ndp_common.h"

#include <string>
#include <string_view>

using ndp::setOutput;

int main(int, char*[]) {
  std::string key = ndp::readInput();
  if (key.empty()) {
    setOutput("FAILED - no key/value pair. Usage: get_simple with input 'key'");
    return 0;
  }

  uint32_t len = 0;
  uint8_t* data = ndp::mapObject(key, &len);
  if (data == nullptr) return 1;
  faasmSetOutput(data, static_cast<long>(len));
  __faasmndp_unmap(data, static_cast<int32_t>(len));
  return 0;
}
