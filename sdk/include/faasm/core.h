/*
 * The Faasm function C API, implemented by libfaasm over the host imports in
 * faasm/host_interface.h. Usable from C and C++.
 *
 * A function is a wasm32-wasi command module with an ordinary
 * `int main(int argc, char* argv[])`. The runtime initialises a module once
 * (static constructors, then _faasm_zygote) and snapshots it; every call then
 * starts from a copy of that snapshot, so globals and heap do not persist
 * between calls. A non-zero return from main fails the call.
 *
 * State keys are scoped by the calling user. Lengths are in bytes.
 *
 * Two generations of this API compile against this one header, unchanged:
 *
 *   the NDP fork's (auto-ndp/faasm-cpp)     upstream Faasm's (faasm/cpp)
 *   faasmSetOutput(const uint8_t*, long)    faasmSetOutput(const char*, long)
 *   faasmChainNamed(name, in, len)          faasmChainNamed(name, cmdline, in, len)
 *   faasmAwaitCallOutput(id, uint8_t* buf,  faasmAwaitCallOutput(id, char** out,
 *                        long bufLen)                            int* outLen)
 *
 * The C symbols keep the fork's signatures (they are what objects built for
 * the fork link against); upstream's forms are the C functions
 * faasmChainNamedCmdline and faasmAwaitCallOutputAlloc. C++ reaches them
 * through overloads of the same names, C through the macros at the end of
 * this header (C11 _Generic and an argument count), which a C file can turn
 * off by defining FAASM_NO_API_MACROS before including it (then it calls the
 * C functions by their own names).
 */
#ifndef FAASM_CORE_H
#define FAASM_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "faasm/memory.h"

#ifdef __cplusplus
#define BYTES(arr) reinterpret_cast<uint8_t*>(arr)
#define BYTES_CONST(arr) reinterpret_cast<const uint8_t*>(arr)
#else
#define BYTES(arr) ((uint8_t*)(arr))
#define BYTES_CONST(arr) ((const uint8_t*)(arr))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* A function of this module usable as a chaining target: its table index. */
typedef int (*FaasmFuncPtr)();

/* ---- Input and output ---- */

/* Size of this call's input in bytes (0 if none). */
long faasmGetInputSize(void);

/* Copies min(inputSize, bufferLen) input bytes into buffer. */
void faasmGetInput(uint8_t* buffer, long bufferLen);

/* Replaces this call's output (the last write wins). Upstream's text form
 * faasmSetOutput(const char*, long) is the same function (see the top). */
void faasmSetOutput(const uint8_t* newOutput, long outputLen);

/* ---- Chaining ---- */

/* Starts function `name` of the same user with the given input; returns a
 * handle for faasmAwaitCall*: 1, 2, 3, ... in this call's chaining order,
 * meaningful in this call only (it is not the call's id). */
unsigned int faasmChainNamed(const char* name, const uint8_t* inputData, long inputDataSize);

/* Upstream Faasm's faasmChainNamed(name, cmdline, input, len): as
 * faasmChainNamed, but the callee's arguments (argv after argv[0]) are
 * `cmdline` split at spaces instead of the caller's. NULL is "". */
unsigned int faasmChainNamedCmdline(const char* name, const char* cmdline, const uint8_t* inputData,
                                    long inputDataSize);

/* Starts this same module at funcPtr (instead of main) with the given input;
 * returns a handle, as faasmChainNamed. */
unsigned int faasmChain(FaasmFuncPtr funcPtr, const uint8_t* inputData, long inputDataSize);

/* Chains funcPtr nFuncs times, each with the string inputData (strlen bytes),
 * and waits for all of them. Returns 0 if every call returned 0, else 1. */
unsigned int faasmChainBatch(FaasmFuncPtr funcPtr, const char* inputData, int nFuncs);

/* Waits for a call this call chained (by its handle), at most until this
 * call's deadline; returns its return value (1 if it failed, or if
 * messageId is not the handle of a call this call chained). */
unsigned int faasmAwaitCall(unsigned int messageId);

/* Waits for the call and copies min(bufferLen, outputSize) bytes of its
 * output into buffer; returns its return value. */
unsigned int faasmAwaitCallOutput(unsigned int messageId, uint8_t* buffer, long bufferLen);

/* Upstream Faasm's faasmAwaitCallOutput(id, char** output, int* outputLen):
 * waits for the call, stores in *output a malloc'd copy of its whole output
 * (the caller may free it; one NUL byte follows the output, which upstream
 * does not promise) and its length in *outputLen, and returns its return
 * value. If the wait fails it returns 1 with *output = NULL and
 * *outputLen = 0 (and the reason on stderr); if the copy cannot be
 * allocated, the same with return value 1. */
unsigned int faasmAwaitCallOutputAlloc(unsigned int messageId, char** output, int* outputLen);

/* ---- State ---- */

/* Global size of the value at key (0 if there is none). */
size_t faasmReadStateSize(const char* key);

/* Copies the whole value (bufferLen bytes) into buffer; returns its size. */
long faasmReadState(const char* key, uint8_t* buffer, long bufferLen);

/* Maps the value into linear memory and returns a pointer to it. */
uint8_t* faasmReadStatePtr(const char* key, long totalLen);

/* Copies bytes [offset, offset + bufferLen) of the value into buffer. */
void faasmReadStateOffset(const char* key, long totalLen, long offset, uint8_t* buffer,
                          long bufferLen);

/* Maps the value and returns a pointer to byte `offset` of it. */
uint8_t* faasmReadStateOffsetPtr(const char* key, long totalLen, long offset, long len);

/* Sets the local copy of the value (size dataLen); see faasmPushState. */
void faasmWriteState(const char* key, const uint8_t* data, long dataLen);

/* Sets bytes [offset, offset + dataLen) of the local copy. */
void faasmWriteStateOffset(const char* key, long totalLen, long offset, const uint8_t* data,
                           long dataLen);

/* Loads a file of the runtime into the value; returns its length. */
unsigned long faasmWriteStateFromFile(const char* key, const char* filePath);

/* Append-only lists of elements. */
void faasmAppendState(const char* key, const uint8_t* data, long dataLen);
void faasmReadAppendedState(const char* key, uint8_t* buffer, long bufferLen, long nElems);
void faasmClearAppendedState(const char* key);

/* Dirty tracking for partial pushes. */
void faasmFlagStateDirty(const char* key, long totalLen);
void faasmFlagStateOffsetDirty(const char* key, long totalLen, long offset, long len);

/* Local copy -> global copy, and back. */
void faasmPushState(const char* key);
void faasmPushStatePartial(const char* key);
void faasmPushStatePartialMask(const char* key, const char* maskKey);
void faasmPullState(const char* key, long stateLen);

/* Host-local reader/writer locks on a key. */
void faasmLockStateRead(const char* key);
void faasmUnlockStateRead(const char* key);
void faasmLockStateWrite(const char* key);
void faasmUnlockStateWrite(const char* key);

/* A write lock on a key across every host of a cluster (host-wide on a
   single host), for read-modify-write of global state: lock, pull, change,
   push, unlock. Released when the call ends at the latest. An extension
   beyond current Faasm, with older Faasm's names; the Read variants take the
   same exclusive lock. */
void faasmLockStateGlobal(const char* key);
void faasmUnlockStateGlobal(const char* key);
void faasmLockStateGlobalRead(const char* key);
void faasmUnlockStateGlobalRead(const char* key);
void faasmLockStateGlobalWrite(const char* key);
void faasmUnlockStateGlobalWrite(const char* key);

/* ---- Miscellaneous ---- */

/* 1 if the runtime's configuration flag is on, else 0. */
unsigned int getConfFlag(const char* key);

/* Asks the runtime to print a backtrace. */
void faasmBacktrace(const int depth);

/* Python support: NUL-terminated strings in static buffers. */
char* faasmGetPythonUser(void);
char* faasmGetPythonFunc(void);
char* faasmGetPythonEntry(void);

/* Zygote: runs once after static constructors, before the snapshot every
 * call starts from. libfaasm provides a weak default returning 0; define
 * your own with `FAASM_ZYGOTE() { ...; return 0; }`. Non-zero fails the
 * module's initialisation. */
int _faasm_zygote(void);

#ifdef __cplusplus
}
#define FAASM_ZYGOTE() extern "C" int _faasm_zygote(void)
#else
#define FAASM_ZYGOTE() int _faasm_zygote(void)
#endif

/* ---- Upstream Faasm's signatures beside the fork's ---- */

#ifdef __cplusplus
#include <type_traits>

/* The upstream overloads that take pointers are templates over the
 * character type, deduced only from char pointers: a null pointer constant
 * (NULL, nullptr, 0) does not deduce, so it keeps meaning the fork's form
 * instead of being ambiguous. */

/* Text output (upstream): char* or const char*. */
template <typename C, typename = std::enable_if_t<std::is_same_v<std::remove_cv_t<C>, char>>>
inline void faasmSetOutput(C* newOutput, long outputLen) {
  faasmSetOutput(reinterpret_cast<const uint8_t*>(newOutput), outputLen);
}

/* A named call with its own command line (upstream). */
inline unsigned int faasmChainNamed(const char* name, const char* cmdline, const uint8_t* inputData,
                                    long inputDataSize) {
  return faasmChainNamedCmdline(name, cmdline, inputData, inputDataSize);
}

/* The whole output in a malloc'd buffer (upstream): char**. */
template <typename C, typename = std::enable_if_t<std::is_same_v<C, char>>>
inline unsigned int faasmAwaitCallOutput(unsigned int messageId, C** output, int* outputLen) {
  return faasmAwaitCallOutputAlloc(messageId, output, outputLen);
}

#elif !defined(FAASM_NO_API_MACROS)
/* C: the same names dispatch on the argument types and count. Each macro
 * names its own function again; the preprocessor does not expand a macro
 * inside its own expansion, so that is the C function declared above (and
 * taking a function's address, `&faasmSetOutput`, is not a macro call). */

/* Text pointers (char*, const char*, a string literal) become the byte
 * pointer the C function takes; anything else passes unchanged and meets the
 * prototype's checks. */
#define FAASM_OUTPUT_BYTES_(p) \
  _Generic((p), char* : (const uint8_t*)(p), const char* : (const uint8_t*)(p), default : (p))
#define faasmSetOutput(newOutput, outputLen) \
  faasmSetOutput(FAASM_OUTPUT_BYTES_(newOutput), (outputLen))

/* Three arguments: the fork's form; four: upstream's (with a command line). */
#define FAASM_FIFTH_ARG_(a, b, c, d, e, ...) e
#define faasmChainNamed(...) \
  FAASM_FIFTH_ARG_(__VA_ARGS__, faasmChainNamedCmdline, faasmChainNamed, ~, ~)(__VA_ARGS__)

/* A char** second argument: upstream's form; anything else: the fork's. */
#define faasmAwaitCallOutput(messageId, output, outputLen) \
  _Generic((output), char**: faasmAwaitCallOutputAlloc, default: faasmAwaitCallOutput)( \
      (messageId), (output), (outputLen))
#endif

#endif /* FAASM_CORE_H */
