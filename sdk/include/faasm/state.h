/*
 * C++ state helpers (namespace faasm) on top of faasm/core.h.
 */
#ifndef FAASM_STATE_H
#define FAASM_STATE_H

#include <stddef.h>

#include "faasm/core.h"

#define BIT_MASK_8 0xFFu
#define BIT_MASK_32 0xFFFFFFFFu

#ifdef __cplusplus

namespace faasm {

/* Sets the two 32-bit mask words covering double number idx of an array of
 * doubles to all ones (for faasmPushStatePartialMask). */
void maskDouble(unsigned int* maskArray, unsigned long idx);

/* Writes stateLen zero bytes to key and pushes them. */
void zeroState(const char* key, size_t stateLen);

}  // namespace faasm

#endif /* __cplusplus */

#endif /* FAASM_STATE_H */
