/*
 * ndp/wordcount: counts the words of an object, next to the data if the
 * runtime offloads it.
 *
 * Input:  the whole input is the key.
 * Output: one line per distinct word, "<word>\t<count>\n" (count decimal),
 *         sorted by word bytewise ascending (a prefix sorts first). An object
 *         without words gives an empty output. Returns 0.
 * Words:  maximal runs of non-separator bytes, where a byte is a separator iff
 *         its value as a signed char is <= 0x20 (space). So words consist of
 *         bytes 0x21..0x7F, and every byte >= 0x80 separates (UTF-8 text
 *         splits: "café" counts as "caf"). Same as Faasm-NDP's wordcount.
 * Errors: empty input -> output "FAILED - no key. Usage: wordcount with input 'key'",
 *           returns 1;
 *         missing or empty object -> output
 *           "FAILED - no object found with the given key", returns 1.
 *
 * NDP: the counting runs in countWords through __faasmndp_storageCallAndAwait
 * (no arguments; it talks to main through globals, which travel in the memory
 * delta). It maps the whole object (offset 0, at most 1 GiB).
 */
#include "faasm/faasm.h"

#include "ndp_common.h"

#include <stdio.h>

#include <map>
#include <string>
#include <string_view>

namespace {

using ndp::setOutput;


// Shared between main and countWords.
std::string_view objectKey;
std::map<std::string, uint32_t> wordCounts;

bool isSeparator(char c) {
  return static_cast<signed char>(c) <= 0x20;
}

}  // namespace

// Runs near the object: counts its words into wordCounts.
int countWords() {
  uint32_t len = 0;
  uint8_t* data = ndp::mapObject(objectKey, &len);
  if (data == nullptr) return 1;
  const char* text = reinterpret_cast<const char*>(data);
  size_t i = 0;
  while (i < len) {
    while (i < len && isSeparator(text[i]))
      ++i;
    size_t start = i;
    while (i < len && !isSeparator(text[i]))
      ++i;
    if (i > start) ++wordCounts[std::string(text + start, i - start)];
  }
  __faasmndp_unmap(data, static_cast<int32_t>(len));
  return 0;
}

int main(int, char*[]) {
  std::string key = ndp::readInput();
  if (key.empty()) {
    setOutput("FAILED - no key. Usage: wordcount with input 'key'");
    return 1;
  }
  objectKey = key;

  int rc =
      __faasmndp_storageCallAndAwait(key.data(), static_cast<uint32_t>(key.size()), countWords);
  if (rc != 0) return rc;

  std::string output;
  char number[16];
  for (const auto& [word, count] : wordCounts) {
    output += word;
    output += '\t';
    int n = snprintf(number, sizeof(number), "%u\n", static_cast<unsigned>(count));
    output.append(number, static_cast<size_t>(n));
  }
  setOutput(output);
  return 0;
}
