/*
 * ndp/grep: byte offsets of the matches of a regular expression in an object,
 * searched next to the data if the runtime offloads it.
 *
 * Input:  "<key> <regex>": key = the bytes before the first space, regex =
 *         everything after it (non-empty; std::regex ECMAScript syntax).
 * Output: the byte offset of every match, in increasing order, each followed
 *         by one space, e.g. "0 10 " (matches enumerated by
 *         std::cregex_iterator from offset 0: non-overlapping; an empty match
 *         advances by one byte). No match gives an empty output. Returns 0.
 * Errors: empty input, no space, empty key or empty regex -> output
 *           "FAILED - no key/value pair. Usage: grep with input 'key regex'",
 *           returns 0;
 *         missing or empty object -> output
 *           "FAILED - no object found with the given key", returns 1;
 *         invalid regex -> the guest aborts (no exceptions) and the call fails.
 *
 * NDP: the search runs in a lambda through the faasmndp_storageCallAndAwait
 * template of ndpapi.h (__faasmndp_storageCallAndAwait1 with a trampoline and
 * the lambda's stack address). It maps the whole object (offset 0, at most
 * 1 GiB).
 */
#include "faasm/faasm.h"

#include "ndp_common.h"

#include <regex>
#include <string>
#include <string_view>
#include <vector>

using ndp::setOutput;

int main(int, char*[]) {
  std::string input = ndp::readInput();
  std::string_view key, pattern;
  if (!ndp::splitKeyArg(input, &key, &pattern)) {
    setOutput("FAILED - no key/value pair. Usage: grep with input 'key regex'");
    return 0;
  }
  std::vector<size_t> offsets;

  int rc = faasmndp_storageCallAndAwait(key.data(), static_cast<uint32_t>(key.size()), [&]() {
    uint32_t len = 0;
    uint8_t* data = ndp::mapObject(key, &len);
    if (data == nullptr) return 1;
    const char* begin = reinterpret_cast<const char*>(data);
    std::regex re(pattern.begin(), pattern.end(), std::regex::ECMAScript);
    for (std::cregex_iterator it(begin, begin + len, re), end; it != end; ++it)
      offsets.push_back(static_cast<size_t>(it->position(0)));
    __faasmndp_unmap(data, static_cast<int32_t>(len));
    return 0;
  });
  if (rc != 0) return rc;

  std::string output;
  for (size_t offset : offsets) {
    output += std::to_string(offset);
    output += ' ';
  }
  setOutput(output);
  return 0;
}
