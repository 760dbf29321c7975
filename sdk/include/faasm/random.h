/*
 * Pseudo-random helpers (namespace faasm). Seeded from WASI random_get on
 * first use.
 */
#ifndef FAASM_RANDOM_H
#define FAASM_RANDOM_H

#include <stddef.h>

#ifdef __cplusplus
#include <string>

namespace faasm {

/* Uniform integer in [iStart, iEnd]. */
int randomInteger(int iStart, int iEnd);

/* Uniform float in [0, 1). */
float randomFloat();

/* Shuffles the array in place. */
void shuffleArray(int* arrayIn, size_t arrayLen);

/* A new heap array holding 0 .. rangeLen-1 in random order. */
int* randomIntRange(int rangeLen);

/* A string of len random letters and digits. */
std::string randomString(int len);

}  // namespace faasm
#endif /* __cplusplus */

#endif /* FAASM_RANDOM_H */
