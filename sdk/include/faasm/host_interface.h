/*
 * Raw host imports of a NearFaaS / Faasm function.
 *
 * Every declaration here is a WebAssembly import from module "env" whose
 * field name is the C name; the runtime supplies the implementation. Types
 * are wasm32 ones: int, long, size_t and pointers are i32. Functions should
 * normally use the wrappers in faasm/core.h instead of these.
 *
 * NDP imports (__faasmndp_*) are declared in ndpapi.h.
 *
 * The __faasm_* names and signatures are the NDP fork's. Upstream Faasm
 * reused two names with other parameters (__faasm_chain_name with a command
 * line, __faasm_await_call_output filling a char** and an int*); libfaasm
 * implements upstream's C API over the __nearfaas_* imports below instead, and
 * a module that calls upstream's raw forms directly is refused at upload
 * (chain_name: its import type differs) -- see docs/faasm-differences.md.
 *
 * The last block declares functions of upstream's host_interface.h that the
 * runtime does not provide (S3, shared-memory variables, the host-interface
 * test hook) without import attributes: a function that calls one fails to
 * link, naming it, as with Faasm's own toolchain for names outside its
 * imports lists.
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

/* NearFaaS imports behind upstream Faasm's forms of faasmChainNamed and
 * faasmAwaitCallOutput (see faasm/core.h). */
FAASM_HOST_IMPORT(__nearfaas_chain_name_cmdline)
unsigned int __nearfaas_chain_name_cmdline(const char* name, const char* cmdline,
                                           const unsigned char* inputData, long inputDataSize);

/* Waits for the call; its output's length, or -1 if the wait failed. */
FAASM_HOST_IMPORT(__nearfaas_await_call_output_size)
int __nearfaas_await_call_output_size(unsigned int messageId);

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

/* Cross-host write lock on a key (a NearFaaS extension with older Faasm's
   names; the Read variants lock exclusively too). */
FAASM_HOST_IMPORT(__faasm_lock_state_global)
void __faasm_lock_state_global(const char* key);

FAASM_HOST_IMPORT(__faasm_unlock_state_global)
void __faasm_unlock_state_global(const char* key);

FAASM_HOST_IMPORT(__faasm_lock_state_global_read)
void __faasm_lock_state_global_read(const char* key);

FAASM_HOST_IMPORT(__faasm_unlock_state_global_read)
void __faasm_unlock_state_global_read(const char* key);

FAASM_HOST_IMPORT(__faasm_lock_state_global_write)
void __faasm_lock_state_global_write(const char* key);

FAASM_HOST_IMPORT(__faasm_unlock_state_global_write)
void __faasm_unlock_state_global_write(const char* key);

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

/* Migration point: the runtime may move the call and resume in f(arg).
 * NearFaaS does not migrate calls (a later issue): the call goes on. */
typedef void (*FaasmMigrateEntryPoint)(int);

FAASM_HOST_IMPORT(__faasm_migrate_point)
void __faasm_migrate_point(FaasmMigrateEntryPoint f, int arg);

/* ---- Declared by upstream Faasm, not provided by NearFaaS (link fails) ---- */

/* Shared-memory variables of Faasm's OpenMP support (Faasm's runtime does
 * not provide them either). */
void __faasm_sm_array(void* var, int varType, int arrayLen);
void __faasm_sm_raw(void* var, int varSize);
void __faasm_sm_var(void* var, int varType);
void __faasm_sm_default_shared(void);

/* Faasm's host-interface test hook (see faasm/host_interface_test.h). */
void __faasm_host_interface_test(int testNum);

/* Faasm's S3 access. */
int __faasm_s3_get_num_buckets(void);
void __faasm_s3_list_buckets(void* bucketsBuffer, int* bucketsBufferLens);
int __faasm_s3_get_num_keys(const char* bucketName);
int __faasm_s3_get_num_keys_with_prefix(const char* bucketName, const char* prefix);
void __faasm_s3_list_keys(const char* bucketName, void* keysBuffer, int* keysBufferLens);
void __faasm_s3_list_keys_with_prefix(const char* bucketName, const char* prefix, void* keysBuffer,
                                      int* keysBufferLens);
#ifdef __cplusplus
int __faasm_s3_add_key_bytes(const char* bucketName, const char* keyName, void* keyBuffer,
                             int keyBufferLen, bool overwrite = false);
int __faasm_s3_get_key_bytes(const char* bucketName, const char* keyName, void* keyBuffer,
                             int* keyBufferLen, bool tolerateMissing = false);
int __faasm_s3_download_key(const char* bucketName, const char* keyName, const char* outPath,
                            bool tolerateMissing = false);
#else
int __faasm_s3_add_key_bytes(const char* bucketName, const char* keyName, void* keyBuffer,
                             int keyBufferLen, _Bool overwrite);
int __faasm_s3_get_key_bytes(const char* bucketName, const char* keyName, void* keyBuffer,
                             int* keyBufferLen, _Bool tolerateMissing);
int __faasm_s3_download_key(const char* bucketName, const char* keyName, const char* outPath,
                            _Bool tolerateMissing);
#endif

#ifdef __cplusplus
}
#endif

#endif /* FAASM_HOST_INTERFACE_H */
