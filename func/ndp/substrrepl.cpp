/*
 * ndp/substrrepl: replaces every occurrence of a literal string in an object
 * and writes the result back to the same object, next to the data if the
 * runtime offloads it (a read-write offload: the storage side writes the
 * object, and only the counts come back).
 *
 * Input:  "<key> <d><find><d><replace><d>", as sed's s command: key = the
 *         bytes before the first space; <d> = the byte after it (any byte),
 *         which must end the input and occur exactly three times after the
 *         key; <find> non-empty, <replace> possibly empty (neither contains
 *         <d>). E.g. "doc /cat/dog/", "doc |a/b||" (deletes "a/b").
 * Output: "<R> replacements, <N> bytes written": R non-overlapping occurrences
 *         of <find>, left to right (the search resumes after the end of each
 *         one, in the original bytes), were replaced, and the object now
 *         holds the result, N bytes. Without an occurrence the object is left
 *         alone and the output is "0 replacements, nothing written". Returns 0.
 * Errors: anything else as input -> output "FAILED - usage: substrrepl with
 *           input 'key /find/replace/'", returns 0;
 *         missing or empty object -> output
 *           "FAILED - no object found with the given key", returns 1;
 *         a result longer than 256 MiB -> output "FAILED - the result would be
 *           longer than 268435456 bytes", returns 3 (the object is left alone);
 *         writing the object fails -> output
 *           "FAILED - could not write the object", returns 4.
 *
 * NDP: replaceAndWrite runs through __faasmndp_storageCallAndAwait (no
 * arguments; globals in and out): it maps the object, builds the result, puts
 * it (__faasmndp_put of its own object, which makes the compute worker send
 * the call as a read-write offload) and wipes the result before freeing it.
 * A write of an offloaded call takes effect only if the whole call is done on
 * the storage side; otherwise the compute worker runs it again on the object
 * as it was.
 */
#include "faasm/faasm.h"

#include "ndp_common.h"

#include <stdint.h>

#include <string>
#include <string_view>

namespace {

using ndp::setOutput;

constexpr uint64_t kMaxResultLen = uint64_t{1} << 28;  // 256 MiB

// In: set by main. Out: set by replaceAndWrite.
std::string_view objectKey, findText, replaceText;
uint64_t replacements = 0, written = 0;

}  // namespace

// Runs near the object: replaces, writes the result back.
int replaceAndWrite() {
  uint32_t len = 0;
  uint8_t* data = ndp::mapObject(objectKey, &len);
  if (data == nullptr) return 1;
  std::string_view text(reinterpret_cast<const char*>(data), len);
  uint64_t count = 0;
  for (size_t at = text.find(findText); at != std::string_view::npos;
       at = text.find(findText, at + findText.size()))
    ++count;
  uint64_t resultLen = len - count * findText.size() + count * replaceText.size();
  int rc = 0;
  if (count > 0 && resultLen > kMaxResultLen) {
    setOutput("FAILED - the result would be longer than " + std::to_string(kMaxResultLen) +
              " bytes");
    rc = 3;
  } else if (count > 0) {
    std::string result;
    result.reserve(static_cast<size_t>(resultLen));
    size_t from = 0;
    for (size_t at = text.find(findText); at != std::string_view::npos;
         at = text.find(findText, from)) {
      result.append(text.substr(from, at - from));
      result.append(replaceText);
      from = at + findText.size();
    }
    result.append(text.substr(from));
    if (__faasmndp_put(objectKey.data(), static_cast<uint32_t>(objectKey.size()),
                       BYTES_CONST(result.data()), static_cast<uint32_t>(result.size())) != 0) {
      setOutput("FAILED - could not write the object");
      rc = 4;
    } else {
      replacements = count;
      written = result.size();
    }
    ndp::wipe(result.data(), result.capacity());
  }
  __faasmndp_unmap(data, static_cast<int32_t>(len));
  return rc;
}

int main(int, char*[]) {
  std::string input = ndp::readInput();
  size_t space = input.find(' ');
  bool ok = space != std::string::npos && space > 0 && space + 1 < input.size();
  if (ok) {
    char d = input[space + 1];
    std::string_view rest(input.data() + space + 2, input.size() - space - 2);
    size_t mid = rest.find(d);
    ok = mid != std::string_view::npos && mid > 0 && rest.back() == d &&
         mid + 1 <= rest.size() - 1 && rest.find(d, mid + 1) == rest.size() - 1;
    if (ok) {
      objectKey = std::string_view(input.data(), space);
      findText = rest.substr(0, mid);
      replaceText = rest.substr(mid + 1, rest.size() - 1 - (mid + 1));
    }
  }
  if (!ok) {
    setOutput("FAILED - usage: substrrepl with input 'key /find/replace/'");
    return 0;
  }
  replacements = written = 0;
  int rc = __faasmndp_storageCallAndAwait(objectKey.data(), static_cast<uint32_t>(objectKey.size()),
                                          replaceAndWrite);
  if (rc != 0) return rc;
  if (replacements == 0)
    setOutput("0 replacements, nothing written");
  else
    setOutput(std::to_string(replacements) + " replacements, " + std::to_string(written) +
              " bytes written");
  return 0;
}
