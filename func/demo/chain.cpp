/*
 * demo/chain: fans out chained calls and gathers their outputs.
 *
 * Input:  optional decimal N, 1 <= N <= 64 (empty input: N = 4).
 * Calls:  N calls are started before any is awaited. Call i (0-based):
 *           i even: this module at chainedSquare (faasmChain, by function
 *                   pointer) with input "<i>"; it outputs "square <i> = <i*i>";
 *           i odd:  function "echo" of the same user (faasmChainNamed, so
 *                   demo/echo must exist) with input "echo <i>".
 *         Each is awaited in index order with faasmAwaitCallOutput into a
 *         zeroed 256-byte buffer; its output is taken up to the first NUL.
 * Output: one line per call, "<i> <return value> <output>\n". For N = 4:
 *           "0 0 square 0 = 0\n1 0 echo 1\n2 0 square 2 = 4\n3 0 echo 3\n"
 *         Returns 0 if every chained call returned 0, else 1.
 * Errors: input that is not a number in [1, 64] -> output
 *         "FAILED - usage: chain with input N (1..64)", returns 1.
 */
#include "faasm/faasm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>
#include <vector>

namespace {

constexpr int kDefaultCalls = 4;
constexpr int kMaxCalls = 64;
constexpr long kOutputBufferLen = 256;

void setOutput(const std::string& text) {
  faasmSetOutput(BYTES_CONST(text.data()), static_cast<long>(text.size()));
}

// The input as a string (empty if none).
std::string readInput() {
  std::string input(static_cast<size_t>(faasmGetInputSize()), '\0');
  if (!input.empty()) faasmGetInput(BYTES(input.data()), static_cast<long>(input.size()));
  return input;
}

// Parses N; -1 if the input is not a whole decimal number in [1, kMaxCalls].
int parseCallCount(const std::string& input) {
  if (input.empty()) return kDefaultCalls;
  char* end = nullptr;
  long n = strtol(input.c_str(), &end, 10);
  if (end != input.c_str() + input.size() || n < 1 || n > kMaxCalls) return -1;
  return static_cast<int>(n);
}

}  // namespace

// Chaining target (by function pointer): squares the number in its input.
int chainedSquare() {
  long i = strtol(readInput().c_str(), nullptr, 10);
  setOutput("square " + std::to_string(i) + " = " + std::to_string(i * i));
  return 0;
}

int main(int, char*[]) {
  int n = parseCallCount(readInput());
  if (n < 0) {
    setOutput("FAILED - usage: chain with input N (1..64)");
    return 1;
  }

  std::vector<unsigned int> ids;
  for (int i = 0; i < n; ++i) {
    if (i % 2 == 0) {
      std::string input = std::to_string(i);
      ids.push_back(
          faasmChain(chainedSquare, BYTES_CONST(input.data()), static_cast<long>(input.size())));
    } else {
      std::string input = "echo " + std::to_string(i);
      ids.push_back(
          faasmChainNamed("echo", BYTES_CONST(input.data()), static_cast<long>(input.size())));
    }
  }

  std::string output;
  bool allOk = true;
  for (int i = 0; i < n; ++i) {
    char buffer[kOutputBufferLen + 1] = {0};
    unsigned int rc = faasmAwaitCallOutput(ids[i], BYTES(buffer), kOutputBufferLen);
    if (rc != 0) allOk = false;
    output += std::to_string(i) + " " + std::to_string(rc) + " " +
              std::string(buffer, strnlen(buffer, kOutputBufferLen)) + "\n";
  }
  setOutput(output);
  return allOk ? 0 : 1;
}
