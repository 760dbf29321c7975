/*
 * Timing helpers. FAASM_PROF_START(v) / FAASM_PROF_END(v) print
 * "TIME: v <milliseconds>" to stdout when built natively or with
 * -DWASM_PROF=1, and expand to nothing otherwise.
 */
#ifndef FAASM_TIME_H
#define FAASM_TIME_H

#include <stdio.h>
#include <time.h>

#if (defined(WASM_PROF) && WASM_PROF == 1) || !defined(__wasm__)
#define FAASM_PROF_START(profVar) clock_t profVar = clock();
#define FAASM_PROF_END(profVar) \
  printf("TIME: %s %f\n", #profVar, (double)(clock() - profVar) * 1000.0 / (double)CLOCKS_PER_SEC);
#else
#define FAASM_PROF_START(profVar)
#define FAASM_PROF_END(profVar)
#endif

#ifdef __cplusplus
namespace faasm {

/* Wall-clock time in seconds since the Unix epoch (microsecond resolution). */
double getSecondsSinceEpoch();

}  // namespace faasm
#endif /* __cplusplus */

#endif /* FAASM_TIME_H */
