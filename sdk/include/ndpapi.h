/*
 * Near-data processing (NDP) API of NearFaaS, compatible with Faasm-NDP.
 *
 * Objects live in the object store, in the bucket of the calling user. A
 * function reads an object by mapping a copy of it into its linear memory
 * (__faasmndp_getMmap), and marks the part of its work that reads the object
 * by calling it through __faasmndp_storageCallAndAwait*: the runtime may run
 * that function on the storage node that holds the object (shipping the
 * caller's memory there and the changes back) or run it in place. Either way
 * the caller continues with the same memory contents and the function's
 * return value.
 *
 * NearFaaS difference: __faasmndp_getMmap returns NULL (0) for a missing
 * object as well as for invalid arguments or an empty object (Faasm-NDP
 * returns (uint8_t*)-1 for a storage error).
 */
#ifndef NDPAPI_H_INCLUDED
#define NDPAPI_H_INCLUDED 1

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if defined(__wasm__)
#define FAASMNDP_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#else
#define FAASMNDP_IMPORT(name)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* A function of this module run by storageCallAndAwait: its table index.
 * The callee must return int32 and take as many int32 parameters as extra
 * arguments are passed (0, 1 or 2). */
typedef int (*FaasmNdpFuncPtr)();

/* Maps bytes [offset, offset + min(size - offset, maxRequestedLen)) of object
 * key into linear memory, stores the length in *outDataLenPtr and returns the
 * address. NULL if the object is missing or empty, or on invalid arguments. */
FAASMNDP_IMPORT(__faasmndp_getMmap)
uint8_t* __faasmndp_getMmap(const char* keyPtr, int32_t keyLen, int64_t offset,
                            int64_t maxRequestedLen, uint32_t* outDataLenPtr);

/* Releases a region returned by __faasmndp_getMmap. Returns 0. */
FAASMNDP_IMPORT(__faasmndp_unmap)
int32_t __faasmndp_unmap(uint8_t* buffer, int32_t length);

/* Replaces the whole object with dataLen bytes. 0 on success, -1 on error
 * (including any zero length). */
FAASMNDP_IMPORT(__faasmndp_put)
int32_t __faasmndp_put(const char* keyPtr, uint32_t keyLen, const uint8_t* dataPtr,
                       uint32_t dataLen);

/* Runs funcPtr() near object key (or in place) and returns its result. If the
 * offloaded function returns non-zero, the caller's output becomes the one it
 * set. keyLen 0 returns 0 without running anything. */
FAASMNDP_IMPORT(__faasmndp_storageCallAndAwait)
int __faasmndp_storageCallAndAwait(const char* keyPtr, uint32_t keyLen, FaasmNdpFuncPtr funcPtr);

/* Same, running funcPtr(arg1). */
FAASMNDP_IMPORT(__faasmndp_storageCallAndAwait1)
int __faasmndp_storageCallAndAwait1(const char* keyPtr, uint32_t keyLen, FaasmNdpFuncPtr funcPtr,
                                    int32_t arg1);

/* Same, running funcPtr(arg1, arg2). */
FAASMNDP_IMPORT(__faasmndp_storageCallAndAwait2)
int __faasmndp_storageCallAndAwait2(const char* keyPtr, uint32_t keyLen, FaasmNdpFuncPtr funcPtr,
                                    int32_t arg1, int32_t arg2);

/* Opens a whole object for reading as a stdio stream (mode must be a read
 * mode such as "r"). NULL if the object is missing or empty. */
static inline FILE* faasmndp_fopen(const char* name, const char* mode) {
  uint32_t len = 0;
  uint8_t* data = __faasmndp_getMmap(name, (int32_t)strlen(name), 0, INT32_MAX, &len);
  if (data == NULL || len == 0) return NULL;
  return fmemopen(data, len, mode);
}

#ifdef __cplusplus
}  // extern "C"

/* Runs a callable (typically a lambda capturing by reference) through
 * __faasmndp_storageCallAndAwait1: the callable is kept on the caller's stack
 * and a trampoline receives its address, so the stack travels with the
 * offloaded memory. The callable must return something convertible to int.
 * (A function pointer is a table index; the runtime calls the entry with its
 * own signature, so the cast through void (*)() only silences the compiler.) */
template <class F>
int faasmndp_storageCallAndAwait(const char* keyPtr, uint32_t keyLen, F callable) {
  struct Frame {
    F fn;
    static int32_t run(int32_t self) {
      return static_cast<int32_t>(reinterpret_cast<Frame*>(static_cast<intptr_t>(self))->fn());
    }
  };
  Frame frame{static_cast<F&&>(callable)};
  return __faasmndp_storageCallAndAwait1(
      keyPtr, keyLen, reinterpret_cast<FaasmNdpFuncPtr>(reinterpret_cast<void (*)()>(&Frame::run)),
      static_cast<int32_t>(reinterpret_cast<intptr_t>(&frame)));
}
#endif /* __cplusplus */

#endif /* NDPAPI_H_INCLUDED */
