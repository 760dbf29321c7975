/*
 * faasm/env_cwd: the working directory and environment a function runs with.
 *
 * Upstream generation; needs Faasm's working directory and default
 * environment variables in the Faaslet.
 *
 * Input:  names of environment variables separated by spaces.
 * Output: "cwd <getcwd>\n", then per name "<name>=<value>\n" or
 *         "<name> unset\n". Returns 0.
 * Errors: getcwd failing outputs "FAILED - getcwd: <strerror>", returns 1.
 */
#include <faasm/faasm.h>
#include <faasm/input.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sstream>
#include <string>

int main(int, char*[]) {
  char cwd[1024];
  if (getcwd(cwd, sizeof(cwd)) != cwd) {
    std::string error = std::string("FAILED - getcwd: ") + strerror(errno);
    faasmSetOutput(error.c_str(), error.size());
    return 1;
  }
  std::string output = std::string("cwd ") + cwd + "\n";

  std::istringstream names(faasm::getStringInput(""));
  std::string name;
  while (names >> name) {
    const char* value = getenv(name.c_str());
    output += value == nullptr ? name + " unset\n" : name + "=" + value + "\n";
  }
  faasmSetOutput(output.c_str(), output.size());
  return 0;
}
