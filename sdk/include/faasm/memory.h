/*
 * Memory layout (upstream Faasm's faasm/memory.h; faasm/core.h includes it).
 *
 * Upstream puts a never-called function here that contains a memory.grow
 * instruction, because WAMR shrinks the memory of a module without one and
 * Faasm's host grows memories from outside. NearFaaS keeps every module's
 * declared maximum and grows memory itself (state, mmap, NDP mappings), so
 * nothing is needed and this header only exists so that code including it
 * compiles.
 */
#ifndef FAASM_MEMORY_H
#define FAASM_MEMORY_H

#endif /* FAASM_MEMORY_H */
