/*
 * faasm/argv: what a call was started with, as a chaining target.
 *
 * Input:  any text.
 * Output: the call's arguments after argv[0] joined by single spaces, then
 *         "|", then the input; e.g. "alpha beta|x" for arguments
 *         ["alpha", "beta"] and input "x", "|x" with no arguments. Returns 0.
 */
#include <faasm/faasm.h>
#include <faasm/input.h>

#include <string>

int main(int argc, char* argv[]) {
  std::string output;
  for (int i = 1; i < argc; i++) {
    if (i > 1) output += " ";
    output += argv[i];
  }
  output += "|";
  output += faasm::getStringInput("");
  faasmSetOutput(output.c_str(), output.size());
  return 0;
}
