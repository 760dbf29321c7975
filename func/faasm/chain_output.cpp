/*
 * faasm/chain_output: chained calls and their outputs, with upstream Faasm's
 * API.
 *
 * Upstream generation: faasmAwaitCallOutput(id, char**, int*) hands over
 * each callee's whole output in a buffer it allocates, and faasmChainNamed
 * takes a command line for the callee (before its input).
 *
 * Calls:  otherA and otherB of this module (faasmChain, by pointer), then
 *         function "argv" of the same user (faasm/argv must exist) with
 *         command line "alpha beta" and this call's input as its input.
 * Input:  any text (given to faasm/argv).
 * Output: one line per call, "<name> <return value> <output>\n":
 *           "A 0 expected A\nB 0 longer expected B\nargv 0 alpha beta|<input>\n"
 *         Returns 0 if every call returned 0 with its expected output
 *         (A's and B's are fixed; argv's must start with "alpha beta|"),
 *         else 1.
 */
#include <faasm/faasm.h>
#include <faasm/input.h>

#include <stdlib.h>

#include <string>

int otherA() {
  std::string output = "expected A";
  faasmSetOutput(output.c_str(), output.size());
  return 0;
}

int otherB() {
  std::string output = "longer expected B";
  faasmSetOutput(output.c_str(), output.size());
  return 0;
}

// Awaits the call and appends its line to `report`; false if it failed.
static bool awaitInto(unsigned int callId, const char* name, std::string& report,
                      std::string& output) {
  char* buffer = nullptr;
  int bufferLen = 0;
  unsigned int result = faasmAwaitCallOutput(callId, &buffer, &bufferLen);
  output.assign(buffer, buffer + bufferLen);
  free(buffer);
  report += std::string(name) + " " + std::to_string(result) + " " + output + "\n";
  return result == 0;
}

int main(int, char*[]) {
  std::string input = faasm::getStringInput("");

  unsigned int idA = faasmChain(otherA, nullptr, 0);
  unsigned int idB = faasmChain(otherB, nullptr, 0);
  unsigned int idArgv = faasmChainNamed("argv", "alpha beta", BYTES(input.data()), input.size());

  std::string report, outA, outB, outArgv;
  bool ok = awaitInto(idA, "A", report, outA) && outA == "expected A";
  ok &= awaitInto(idB, "B", report, outB) && outB == "longer expected B";
  ok &= awaitInto(idArgv, "argv", report, outArgv) && outArgv.rfind("alpha beta|", 0) == 0;

  faasmSetOutput(report.c_str(), report.size());
  return ok ? 0 : 1;
}
