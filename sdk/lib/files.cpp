// libfaasm: faasm/files.h helpers.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <string>

#include "faasm/files.h"

namespace faasm {

long getFileLength(const char* path) {
  FILE* f = fopen(path, "rb");
  if (f == nullptr) return -1;
  long len = -1;
  if (fseek(f, 0, SEEK_END) == 0) len = ftell(f);
  fclose(f);
  return len;
}

char* readFileToString(const char* path) {
  FILE* f = fopen(path, "rb");
  if (f == nullptr) return nullptr;
  std::string data;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
    data.append(buf, n);
  fclose(f);
  char* out = static_cast<char*>(malloc(data.size() + 1));
  if (out == nullptr) return nullptr;
  memcpy(out, data.data(), data.size());
  out[data.size()] = '\0';
  return out;
}

}  // namespace faasm
