/*
 * Array comparison for tests (namespace faasm).
 */
#ifndef FAASM_COMPARE_H
#define FAASM_COMPARE_H

#include "faasm/print.h"

#ifdef __cplusplus
namespace faasm {

/* True if the first len elements are equal; prints both arrays otherwise. */
template <typename T>
bool compareArrays(T* a, T* b, int len) {
  for (int i = 0; i < len; ++i) {
    if (!(a[i] == b[i])) {
      printf("Arrays differ at index %d\n", i);
      printArray(a, (size_t)len);
      printArray(b, (size_t)len);
      return false;
    }
  }
  return true;
}

}  // namespace faasm
#endif /* __cplusplus */

#endif /* FAASM_COMPARE_H */
