/*
 * Raw host imports of a NearFaaS / Faasm function.
 *
 * Every declaration here is a WebAssembly import from module "env" whose
 * field name is the C name; the runtime supplies the implementation. Types
 * are wasm32 ones: int, long, size_t and pointers are i32. Functions should
 * normally use the wrappers in faasm/core.h instead of these.
 *
 * NDP imports (__faasmndp_*) are declared in ndpapi.h.
 */
#ifndef FAASM_HOST_INTERFACE_H
#define FAASM_HOST_INTERFACE_H

#include <stddef.h>
#include <stdint.h>

#if defined(__wasm__)
#define FAASM_HOST_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#else
#define FAASM_HOST_IMPORT(name)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Input and output of the current call. */
FAASM_HOST_IMPORT(__faasm_read_input)
long __faasm_read_input(unsigned char* buffer, long bufferLen);

FAASM_HOST_IMPORT(__faasm_write_output)
void __faasm_write_output(const unsigned char* output, long outputLen);

/* Chaining: start another call and wait for it. */
FAASM_HOST_IMPORT(__faasm_chain_name)
unsigned int __faasm_chain_name(const char* name, const unsigned char* inputData,
                                long inputDataSize);

FAASM_HOST_IMPORT(__faasm_chain_ptr)
unsigned int __faasm_chain_ptr(int (*funcPtr)(), const unsigned char* inputData,
                               long inputDataSize);

FAASM_HOST_IMPORT(__faasm_chain_py)
unsigned int __faasm_chain_py(const char* name, const unsigned char* inputData, long inputDataSize);

FAASM_HOST_IMPORT(__faasm_await_call)
unsigned int __faasm_await_call(unsigned int messageId);

FAASM_HOST_IMPORT(__faasm_await_call_output)
unsigned int __faasm_await_call_output(unsigned int messageId, unsigned char* buffer,
                                       long bufferLen);

/* State: named byte arrays shared between calls of the same user. */
FAASM_HOST_IMPORT(__faasm_read_state)
unsigned long __faasm_read_state(const char* key, unsigned char* buffer, long bufferLen);

FAASM_HOST_IMPORT(__faasm_read_state_ptr)
unsigned char* __faasm_read_state_ptr(const char* key, long totalLen);

FAASM_HOST_IMPORT(__faasm_read_state_offset)
void __faasm_read_state_offset(const char* key, long totalLen, long offset, unsigned char* buffer,
                               long bufferLen);

FAASM_HOST_IMPORT(__faasm_read_state_offset_ptr)
unsigned char* __faasm_read_state_offset_ptr(const char* key, long totalLen, long offset, long len);

FAASM_HOST_IMPORT(__faasm_write_state)
void __faasm_write_state(const char* key, const unsigned char* data, long dataLen);

FAASM_HOST_IMPORT(__faasm_write_state_offset)
void __faasm_write_state_offset(const char* key, long totalLen, long offset,
                                const unsigned char* data, long dataLen);

FAASM_HOST_IMPORT(__faasm_write_state_from_file)
unsigned int __faasm_write_state_from_file(const char* key, const char* filePath);

FAASM_HOST_IMPORT(__faasm_append_state)
void __faasm_append_state(const char* key, const unsigned char* data, long dataLen);

FAASM_HOST_IMPORT(__faasm_read_appended_state)
void __faasm_read_appended_state(const char* key, unsigned char* buffer, long bufferLen,
                                 long nElems);

FAASM_HOST_IMPORT(__faasm_clear_appended_state)
void __faasm_clear_appended_state(const char* key);

FAASM_HOST_IMPORT(__faasm_flag_state_dirty)
void __faasm_flag_state_dirty(const char* key, long totalLen);

FAASM_HOST_IMPORT(__faasm_flag_state_offset_dirty)
void __faasm_flag_state_offset_dirty(const char* key, long totalLen, long offset, long len);

FAASM_HOST_IMPORT(__faasm_push_state)
void __faasm_push_state(const char* key);

FAASM_HOST_IMPORT(__faasm_push_state_partial)
void __faasm_push_state_partial(const char* key);

FAASM_HOST_IMPORT(__faasm_push_state_partial_mask)
void __faasm_push_state_partial_mask(const char* key, const char* maskKey);

FAASM_HOST_IMPORT(__faasm_pull_state)
void __faasm_pull_state(const char* key, long stateLen);

FAASM_HOST_IMPORT(__faasm_lock_state_read)
void __faasm_lock_state_read(const char* key);

FAASM_HOST_IMPORT(__faasm_unlock_state_read)
void __faasm_unlock_state_read(const char* key);

FAASM_HOST_IMPORT(__faasm_lock_state_write)
void __faasm_lock_state_write(const char* key);

FAASM_HOST_IMPORT(__faasm_unlock_state_write)
void __faasm_unlock_state_write(const char* key);

/* Configuration, diagnostics and Python support. */
FAASM_HOST_IMPORT(__faasm_conf_flag)
unsigned int __faasm_conf_flag(const char* key);

FAASM_HOST_IMPORT(__faasm_backtrace)
void __faasm_backtrace(int depth);

FAASM_HOST_IMPORT(__faasm_get_py_user)
void __faasm_get_py_user(unsigned char* buffer, long bufferLen);

FAASM_HOST_IMPORT(__faasm_get_py_func)
void __faasm_get_py_func(unsigned char* buffer, long bufferLen);

FAASM_HOST_IMPORT(__faasm_get_py_entry)
void __faasm_get_py_entry(unsigned char* buffer, long bufferLen);

/* Shared-memory markup used by OpenMP-style code (see faasm/shared_mem.h in
 * Faasm); provided by the runtime for compatibility. */
FAASM_HOST_IMPORT(__faasm_sm_reduce)
void __faasm_sm_reduce(void* varPtr, int varType, int reduceOp, int currentBatch);

FAASM_HOST_IMPORT(__faasm_sm_critical_local)
void __faasm_sm_critical_local(void);

FAASM_HOST_IMPORT(__faasm_sm_critical_local_end)
void __faasm_sm_critical_local_end(void);

/* Migration point: the runtime may move the call and resume in f(arg). */
FAASM_HOST_IMPORT(__faasm_migrate_point)
void __faasm_migrate_point(void (*f)(int), int arg);

#ifdef __cplusplus
}
#endif

#endif /* FAASM_HOST_INTERFACE_H */
