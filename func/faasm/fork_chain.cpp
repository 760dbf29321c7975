/*
 * faasm/fork_chain: chained output with the NDP fork's API (auto-ndp/faasm-cpp).
 *
 * Fork generation: faasmSetOutput(const uint8_t*, long),
 * faasmChainNamed(name, input, len) (the callee inherits this call's command
 * line) and faasmAwaitCallOutput(id, uint8_t* buffer, long bufferLen), which
 * copies at most bufferLen bytes of the callee's output.
 *
 * Calls:  doubler of this module (faasmChain) with this call's input, and
 *         function "argv" of the same user (faasm/argv must exist) with the
 *         same input.
 * Input:  a decimal integer n (empty: 21).
 * Output: "doubler <rv> <2n>\nargv <rv> <argv's output, at most 63 bytes>\n";
 *         for input "21" and no arguments: "doubler 0 42\nargv 0 |21\n".
 *         Returns 0 if both calls returned 0, else 1.
 */
#include "faasm/faasm.h"

#include <stdlib.h>
#include <string.h>

#include <string>

static std::string readInput(const char* fallback) {
  long len = faasmGetInputSize();
  if (len == 0) return fallback;
  std::string input(static_cast<size_t>(len), '\0');
  faasmGetInput(BYTES(&input[0]), len);
  return input;
}

int doubler() {
  long n = strtol(readInput("0").c_str(), nullptr, 10);
  std::string output = std::to_string(2 * n);
  faasmSetOutput(BYTES_CONST(output.data()), static_cast<long>(output.size()));
  return 0;
}

int main(int, char*[]) {
  std::string input = readInput("21");
  unsigned int doublerId =
      faasmChain(doubler, BYTES_CONST(input.data()), static_cast<long>(input.size()));
  unsigned int argvId =
      faasmChainNamed("argv", BYTES_CONST(input.data()), static_cast<long>(input.size()));

  uint8_t doubled[64] = {0};
  uint8_t argvOutput[64] = {0};
  unsigned int doublerRv = faasmAwaitCallOutput(doublerId, doubled, sizeof(doubled) - 1);
  unsigned int argvRv = faasmAwaitCallOutput(argvId, argvOutput, sizeof(argvOutput) - 1);

  std::string report = "doubler " + std::to_string(doublerRv) + " " +
                       reinterpret_cast<char*>(doubled) + "\nargv " + std::to_string(argvRv) + " " +
                       reinterpret_cast<char*>(argvOutput) + "\n";
  faasmSetOutput(BYTES_CONST(report.data()), static_cast<long>(report.size()));
  return doublerRv == 0 && argvRv == 0 ? 0 : 1;
}
