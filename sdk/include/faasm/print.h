/*
 * Printing helpers for debugging (namespace faasm).
 */
#ifndef FAASM_PRINT_H
#define FAASM_PRINT_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
#include <iostream>

namespace faasm {

/* Prints the elements as "[a, b, c]" and a newline to stdout. */
template <typename T>
void printArray(T* data, size_t size) {
  std::cout << '[';
  for (size_t i = 0; i < size; ++i) {
    if (i > 0) std::cout << ", ";
    std::cout << data[i];
  }
  std::cout << ']' << std::endl;
}

}  // namespace faasm
#endif /* __cplusplus */

#endif /* FAASM_PRINT_H */
