#include "textutil.h"

#include <cctype>

namespace textutil {

std::string upper(const std::string& text) {
  std::string out = text;
  for (char& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

int countWords(const uint8_t* data, size_t size, int minLength) {
  int words = 0, run = 0;
  for (size_t i = 0; i <= size; i++) {
    if (i < size && !std::isspace(data[i])) {
      run++;
      continue;
    }
    if (run > 0 && run >= minLength) words++;
    run = 0;
  }
  return words;
}

}  // namespace textutil
