/*
 * faasm/shared_file: a shared file (faasm://) written and then read, as in
 * Faasm's own demo: shared files are global-read, local-write, so a write is
 * seen by later calls on this host while the shared original stays as it is.
 *
 * Upstream generation; needs writable faasm:// files in the file view.
 *
 * Input, one of:
 *   "write <text>"  creates faasm://faasm_demo (if missing), removes
 *                   faasm://faasm_demo/shared.txt if it exists, writes <text>
 *                   to it with fprintf and reads it back with
 *                   faasm::readFileToString.
 *                   Output: "wrote <n>: <what was read back>".
 *   "read"          Output: the file's contents, or "missing" if it cannot be
 *                   read.
 * Errors: anything else, or a failed create/write/read-back, outputs
 *         "FAILED - <what>", returns 1.
 */
#include <faasm/faasm.h>
#include <faasm/files.h>
#include <faasm/input.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <string>

#define FILE_DIR "faasm://faasm_demo"
#define FILE_PATH "faasm://faasm_demo/shared.txt"

static int fail(const std::string& what) {
  std::string output = "FAILED - " + what;
  faasmSetOutput(output.c_str(), output.size());
  return 1;
}

int main(int, char*[]) {
  std::string input = faasm::getStringInput("");

  if (input == "read") {
    char* contents = faasm::readFileToString(FILE_PATH);
    std::string output = contents == nullptr ? "missing" : contents;
    free(contents);
    faasmSetOutput(output.c_str(), output.size());
    return 0;
  }
  if (input.rfind("write ", 0) != 0) return fail("usage: write <text> | read");
  std::string text = input.substr(6);

  struct stat st;
  if (stat(FILE_DIR, &st) != 0 && mkdir(FILE_DIR, 0700) != 0)
    return fail(std::string("mkdir: ") + strerror(errno));
  FILE* existing = fopen(FILE_PATH, "r");
  if (existing != nullptr) {
    fclose(existing);
    if (remove(FILE_PATH) != 0) return fail(std::string("remove: ") + strerror(errno));
  }

  FILE* f = fopen(FILE_PATH, "w");
  if (f == nullptr) return fail(std::string("open for writing: ") + strerror(errno));
  fprintf(f, "%s", text.c_str());
  fclose(f);

  char* actual = faasm::readFileToString(FILE_PATH);
  if (actual == nullptr) return fail("read back");
  std::string output = "wrote " + std::to_string(text.size()) + ": " + actual;
  free(actual);
  faasmSetOutput(output.c_str(), output.size());
  return 0;
}
