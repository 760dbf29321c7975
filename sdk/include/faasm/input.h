/*
 * C++ helpers for a call's input and output (namespace faasm). They use only
 * the functions of faasm/core.h.
 */
#ifndef FAASM_INPUT_H
#define FAASM_INPUT_H

#include "faasm/core.h"

#ifdef __cplusplus

namespace faasm {

/* The input reinterpreted as a T, or defaultValue if the input is empty. */
template <typename T>
T getTypedInput(T defaultValue) {
  if (faasmGetInputSize() == 0) return defaultValue;
  T value = defaultValue;
  faasmGetInput(BYTES(&value), sizeof(T));
  return value;
}

/* The input as a NUL-terminated heap copy (never freed), or defaultValue if
 * the input is empty. */
const char* getStringInput(const char* defaultValue);

/* Sets the output to the bytes of val, without the NUL. */
void setStringOutput(const char* val);

/* The input parsed as a decimal int (leading whitespace and sign allowed);
 * 0 if the input is empty or does not start with a number. */
int getIntInput();

/* Parses `expected` space-separated ints from inStr into a new heap array
 * (missing values are 0). */
int* parseStringToIntArray(const char* inStr, int expected);

}  // namespace faasm

#endif /* __cplusplus */

#endif /* FAASM_INPUT_H */
