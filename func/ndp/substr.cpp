/*
 * ndp/substr: byte offsets of a literal pattern in an object, searched next
 * to the data if the runtime offloads it.
 *
 * Input:  "<key> <pattern>": key = the bytes before the first space, pattern
 *         = everything after it (non-empty, matched literally, may contain
 *         spaces).
 * Output: the offsets of non-overlapping occurrences in increasing order
 *         (the search resumes after the end of each match), at most the first
 *         64, each followed by one space, e.g. "0 10 ". No occurrence gives an
 *         empty output. Returns 0.
 * Errors: empty input, no space, empty key or empty pattern -> output
 *           "FAILED - no key/value pair. Usage: grep with input 'key regex'"
 *           (the same text as ndp/grep, as in Faasm-NDP), returns 0;
 *         missing or empty object -> output
 *           "FAILED - no object found with the given key", returns 1.
 *
 * NDP: the search runs in findOccurrences(job, maxMatches) through
 * __faasmndp_storageCallAndAwait2; job is the address of a struct on main's
 * stack. It maps the whole object (offset 0, at most 1 GiB).
 */
#include "faasm/faasm.h"

#include "ndp_common.h"

#include <string>
#include <string_view>

namespace {

using ndp::setOutput;

constexpr int32_t kMaxMatches = 64;

struct SearchJob {
  std::string_view key;
  std::string_view pattern;
  uint32_t offsets[kMaxMatches];
  int32_t matches;
};

}  // namespace

// Runs near the object: records up to maxMatches offsets of job->pattern.
int32_t findOccurrences(int32_t jobAddress, int32_t maxMatches) {
  SearchJob* job = reinterpret_cast<SearchJob*>(static_cast<intptr_t>(jobAddress));
  uint32_t len = 0;
  uint8_t* data = ndp::mapObject(job->key, &len);
  if (data == nullptr) return 1;
  std::string_view text(reinterpret_cast<const char*>(data), len);
  job->matches = 0;
  size_t from = 0;
  while (job->matches < maxMatches && job->matches < kMaxMatches) {
    size_t pos = text.find(job->pattern, from);
    if (pos == std::string_view::npos) break;
    job->offsets[job->matches++] = static_cast<uint32_t>(pos);
    from = pos + job->pattern.size();
  }
  __faasmndp_unmap(data, static_cast<int32_t>(len));
  return 0;
}

int main(int, char*[]) {
  std::string input = ndp::readInput();
  SearchJob job{};
  if (!ndp::splitKeyArg(input, &job.key, &job.pattern)) {
    setOutput("FAILED - no key/value pair. Usage: grep with input 'key regex'");
    return 0;
  }

  int rc = __faasmndp_storageCallAndAwait2(
      job.key.data(), static_cast<uint32_t>(job.key.size()),
      reinterpret_cast<FaasmNdpFuncPtr>(reinterpret_cast<void (*)()>(findOccurrences)),
      static_cast<int32_t>(reinterpret_cast<intptr_t>(&job)), kMaxMatches);
  if (rc != 0) return rc;

  std::string output;
  for (int32_t i = 0; i < job.matches; ++i) {
    output += std::to_string(job.offsets[i]);
    output += ' ';
  }
  setOutput(output);
  return 0;
}
