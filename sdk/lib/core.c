/*
 * libfaasm: the C API of faasm/core.h as thin wrappers over the host imports.
 */
/* This file defines the C functions under their own names. */
#define FAASM_NO_API_MACROS
#include "faasm/core.h"

#include <stdlib.h>
#include <string.h>

#include "faasm/host_interface.h"

/* ---- Input and output ---- */

long faasmGetInputSize(void) {
  return __faasm_read_input(NULL, 0);
}

void faasmGetInput(uint8_t* buffer, long bufferLen) {
  __faasm_read_input(buffer, bufferLen);
}

void faasmSetOutput(const uint8_t* newOutput, long outputLen) {
  __faasm_write_output(newOutput, outputLen);
}

/* ---- Chaining ---- */

unsigned int faasmChainNamed(const char* name, const uint8_t* inputData, long inputDataSize) {
  return __faasm_chain_name(name, inputData, inputDataSize);
}

unsigned int faasmChainNamedCmdline(const char* name, const char* cmdline, const uint8_t* inputData,
                                    long inputDataSize) {
  return __nearfaas_chain_name_cmdline(name, cmdline == NULL ? "" : cmdline, inputData,
                                       inputDataSize);
}

unsigned int faasmChain(FaasmFuncPtr funcPtr, const uint8_t* inputData, long inputDataSize) {
  return __faasm_chain_ptr(funcPtr, inputData, inputDataSize);
}

/* Upper bound of calls faasmChainBatch starts; ids live on the stack. */
#define FAASM_CHAIN_BATCH_MAX 1024

unsigned int faasmChainBatch(FaasmFuncPtr funcPtr, const char* inputData, int nFuncs) {
  if (nFuncs <= 0) return 0;
  if (nFuncs > FAASM_CHAIN_BATCH_MAX) return 1;
  unsigned int ids[FAASM_CHAIN_BATCH_MAX];
  long len = inputData == NULL ? 0 : (long)strlen(inputData);
  for (int i = 0; i < nFuncs; ++i)
    ids[i] = faasmChain(funcPtr, BYTES_CONST(inputData), len);
  unsigned int failed = 0;
  for (int i = 0; i < nFuncs; ++i) {
    if (faasmAwaitCall(ids[i]) != 0) failed = 1;
  }
  return failed;
}

unsigned int faasmAwaitCall(unsigned int messageId) {
  return __faasm_await_call(messageId);
}

unsigned int faasmAwaitCallOutput(unsigned int messageId, uint8_t* buffer, long bufferLen) {
  return __faasm_await_call_output(messageId, buffer, bufferLen);
}

unsigned int faasmAwaitCallOutputAlloc(unsigned int messageId, char** output, int* outputLen) {
  *output = NULL;
  *outputLen = 0;
  /* The host waits here; awaiting the same call again below returns at once
   * with the same outcome. */
  int size = __nearfaas_await_call_output_size(messageId);
  if (size < 0) return 1;
  char* buffer = (char*)malloc((size_t)size + 1);
  if (buffer == NULL) return 1;
  unsigned int result = __faasm_await_call_output(messageId, (unsigned char*)buffer, size);
  buffer[size] = '\0';
  *output = buffer;
  *outputLen = size;
  return result;
}

/* ---- State ---- */

size_t faasmReadStateSize(const char* key) {
  return __faasm_read_state(key, NULL, 0);
}

long faasmReadState(const char* key, uint8_t* buffer, long bufferLen) {
  return (long)__faasm_read_state(key, buffer, bufferLen);
}

uint8_t* faasmReadStatePtr(const char* key, long totalLen) {
  return __faasm_read_state_ptr(key, totalLen);
}

void faasmReadStateOffset(const char* key, long totalLen, long offset, uint8_t* buffer,
                          long bufferLen) {
  __faasm_read_state_offset(key, totalLen, offset, buffer, bufferLen);
}

uint8_t* faasmReadStateOffsetPtr(const char* key, long totalLen, long offset, long len) {
  return __faasm_read_state_offset_ptr(key, totalLen, offset, len);
}

void faasmWriteState(const char* key, const uint8_t* data, long dataLen) {
  __faasm_write_state(key, data, dataLen);
}

void faasmWriteStateOffset(const char* key, long totalLen, long offset, const uint8_t* data,
                           long dataLen) {
  __faasm_write_state_offset(key, totalLen, offset, data, dataLen);
}

unsigned long faasmWriteStateFromFile(const char* key, const char* filePath) {
  return __faasm_write_state_from_file(key, filePath);
}

void faasmAppendState(const char* key, const uint8_t* data, long dataLen) {
  __faasm_append_state(key, data, dataLen);
}

void faasmReadAppendedState(const char* key, uint8_t* buffer, long bufferLen, long nElems) {
  __faasm_read_appended_state(key, buffer, bufferLen, nElems);
}

void faasmClearAppendedState(const char* key) {
  __faasm_clear_appended_state(key);
}

void faasmFlagStateDirty(const char* key, long totalLen) {
  __faasm_flag_state_dirty(key, totalLen);
}

void faasmFlagStateOffsetDirty(const char* key, long totalLen, long offset, long len) {
  __faasm_flag_state_offset_dirty(key, totalLen, offset, len);
}

void faasmPushState(const char* key) {
  __faasm_push_state(key);
}

void faasmPushStatePartial(const char* key) {
  __faasm_push_state_partial(key);
}

void faasmPushStatePartialMask(const char* key, const char* maskKey) {
  __faasm_push_state_partial_mask(key, maskKey);
}

void faasmPullState(const char* key, long stateLen) {
  __faasm_pull_state(key, stateLen);
}

void faasmLockStateRead(const char* key) {
  __faasm_lock_state_read(key);
}

void faasmUnlockStateRead(const char* key) {
  __faasm_unlock_state_read(key);
}

void faasmLockStateWrite(const char* key) {
  __faasm_lock_state_write(key);
}

void faasmUnlockStateWrite(const char* key) {
  __faasm_unlock_state_write(key);
}

void faasmLockStateGlobal(const char* key) {
  __faasm_lock_state_global(key);
}

void faasmUnlockStateGlobal(const char* key) {
  __faasm_unlock_state_global(key);
}

void faasmLockStateGlobalRead(const char* key) {
  __faasm_lock_state_global_read(key);
}

void faasmUnlockStateGlobalRead(const char* key) {
  __faasm_unlock_state_global_read(key);
}

void faasmLockStateGlobalWrite(const char* key) {
  __faasm_lock_state_global_write(key);
}

void faasmUnlockStateGlobalWrite(const char* key) {
  __faasm_unlock_state_global_write(key);
}

/* ---- Miscellaneous ---- */

unsigned int getConfFlag(const char* key) {
  return __faasm_conf_flag(key);
}

void faasmBacktrace(const int depth) {
  __faasm_backtrace(depth);
}

/* The host writes the string and its NUL without honouring the length, so
 * the buffers are sized as the runtime expects (20, 20 and 30 bytes) with
 * room to spare. */
static char pythonUser[32];
static char pythonFunc[32];
static char pythonEntry[48];

char* faasmGetPythonUser(void) {
  __faasm_get_py_user((unsigned char*)pythonUser, 20);
  return pythonUser;
}

char* faasmGetPythonFunc(void) {
  __faasm_get_py_func((unsigned char*)pythonFunc, 20);
  return pythonFunc;
}

char* faasmGetPythonEntry(void) {
  __faasm_get_py_entry((unsigned char*)pythonEntry, 30);
  return pythonEntry;
}
