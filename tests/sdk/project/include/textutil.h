// The test project's helper library, shared by its functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace textutil {

// `text` with ASCII letters upper-cased.
std::string upper(const std::string& text);

// Number of words (runs of non-space bytes) of at least `minLength` bytes.
int countWords(const uint8_t* data, size_t size, int minLength);

}  // namespace textutil
