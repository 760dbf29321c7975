/*
 * faasm/hello: text output with upstream Faasm's API.
 *
 * Upstream generation (faasm/cpp): faasmSetOutput takes the text
 * (const char*) of a std::string.
 *
 * Input:  ignored.
 * Output: "Hello Faasm!" (12 bytes). Returns 0.
 */
#include <faasm/faasm.h>

#include <string>

int main(int, char*[]) {
  std::string output = "Hello Faasm!";
  faasmSetOutput(output.c_str(), output.size());
  return 0;
}
