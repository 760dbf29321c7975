// The NDP host functions as a Faasm-NDP project declares them in its own
// tree: plain extern "C" declarations, no import attributes. Linking works
// only because the SDK's imports list lets these names stay undefined and
// become imports of module env (the signatures are the runtime's).
#pragma once

#include <cstdint>

extern "C" {

typedef int (*FaasmNdpFuncPtr)();

uint8_t* __faasmndp_getMmap(const char* key, int32_t keyLen, int64_t offset, int64_t maxLen,
                            uint32_t* outLen);
int32_t __faasmndp_put(const char* key, uint32_t keyLen, const uint8_t* data, uint32_t dataLen);
int __faasmndp_storageCallAndAwait(const char* key, uint32_t keyLen, FaasmNdpFuncPtr f);
int __faasmndp_storageCallAndAwait1(const char* key, uint32_t keyLen, FaasmNdpFuncPtr f,
                                    int32_t a1);
int __faasmndp_storageCallAndAwait2(const char* key, uint32_t keyLen, FaasmNdpFuncPtr f, int32_t a1,
                                    int32_t a2);
}
