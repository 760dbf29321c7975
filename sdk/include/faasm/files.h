/*
 * File helpers (namespace faasm) over WASI file access.
 */
#ifndef FAASM_FILES_H
#define FAASM_FILES_H

#ifdef __cplusplus
namespace faasm {

/* Size of the file in bytes, or -1 if it cannot be opened. */
long getFileLength(const char* path);

/* The whole file as a NUL-terminated heap string (caller frees), or NULL if
 * it cannot be read. */
char* readFileToString(const char* path);

}  // namespace faasm
#endif /* __cplusplus */

#endif /* FAASM_FILES_H */
