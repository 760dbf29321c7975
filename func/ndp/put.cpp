/*
 * ndp/put: stores an object.
 *
 * Input:  "<key> <value>": key = the bytes before the first space, value =
 *         everything after it (may contain spaces, newlines, any bytes).
 * Output: "OK"; the object <key> of the calling user's bucket now holds
 *         exactly <value> (replacing any previous contents). Returns 0.
 * Errors: input shorter than 2 bytes or without a space -> output
 *           "FAILED - no key/value pair. Usage: put with input 'key value'",
 *           returns 2;
 *         empty key or empty value (e.g. " v", "key ") -> output
 *           "FAILED - empty key or value", returns 1;
 *         __faasmndp_put fails -> output "FAILED - could not store the object",
 *           returns 1.
 * (A non-zero return fails the call; the runtime then replaces the output with
 * "Call failed (return value=N)".)
 */
#include "faasm/faasm.h"

#include "ndp_common.h"

#include <string>
#include <string_view>

using ndp::setOutput;

int main(int, char*[]) {
  std::string input = ndp::readInput();

  size_t space = input.find(' ');
  if (input.size() < 2 || space == std::string::npos) {
    setOutput("FAILED - no key/value pair. Usage: put with input 'key value'");
    return 2;
  }
  std::string_view key(input.data(), space);
  std::string_view value(input.data() + space + 1, input.size() - space - 1);
  if (key.empty() || value.empty()) {
    setOutput("FAILED - empty key or value");
    return 1;
  }
  if (__faasmndp_put(key.data(), static_cast<uint32_t>(key.size()), BYTES_CONST(value.data()),
                     static_cast<uint32_t>(value.size())) != 0) {
    setOutput("FAILED - could not store the object");
    return 1;
  }
  setOutput("OK");
  return 0;
}
