/*
 * Shared-memory markup for Faasm's OpenMP support (upstream Faasm's
 * faasm/shared_mem.h): which variables a parallel region reduces, and local
 * critical sections.
 *
 * NearFaaS runs no OpenMP threads yet (threads, OpenMP and MPI are a later
 * issue): __faasm_sm_reduce and __faasm_sm_critical_local{,_end} are provided
 * and do nothing, which is exact for one thread. FAASM_SHARED_ARRAY,
 * FAASM_SHARED_RAW, FAASM_SHARED_VAR and FAASM_DEFAULT_SHARED call functions
 * no runtime provides (Faasm's neither): using one fails at link time naming
 * the function.
 *
 * The type and operation codes are those of Faasm's runtime (its snapshot
 * merge types), so a module passes the same numbers to either runtime.
 */
#ifndef FAASM_SHARED_MEM_H
#define FAASM_SHARED_MEM_H

#include "faasm/host_interface.h"

/* Types of reduced variables. */
#define FAASM_TYPE_RAW 0
#define FAASM_TYPE_BOOL 1
#define FAASM_TYPE_INT 2
#define FAASM_TYPE_LONG 3
#define FAASM_TYPE_FLOAT 4
#define FAASM_TYPE_DOUBLE 5

/* Reduction operations. */
#define FAASM_OP_OVERWRITE 0
#define FAASM_OP_SUM 1
#define FAASM_OP_PRODUCT 2
#define FAASM_OP_SUBTRACT 3
#define FAASM_OP_MAX 4
#define FAASM_OP_MIN 5

/* Declares var as reduced with op by the next parallel region (before it)
 * or by the current one (_INNER, inside it). Statements, ending in ';'. */
#define FAASM_REDUCE(var, type, op) __faasm_sm_reduce((void*)&(var), (type), (op), 0);
#define FAASM_REDUCE_INNER(var, type, op) __faasm_sm_reduce((void*)&(var), (type), (op), 1);

/* Not provided by any runtime: link errors if used. */
#define FAASM_SHARED_ARRAY(var, type, len) __faasm_sm_array((void*)&(var), (type), (len));
#define FAASM_SHARED_RAW(var, len) __faasm_sm_raw((void*)&(var), (len));
#define FAASM_SHARED_VAR(var, type) __faasm_sm_var((void*)&(var), (type));
#define FAASM_DEFAULT_SHARED() __faasm_sm_default_shared();

/* A critical section local to this host. */
#define FAASM_START_CRITICAL_LOCAL() __faasm_sm_critical_local();
#define FAASM_END_CRITICAL_LOCAL() __faasm_sm_critical_local_end();
#define FAASM_CRITICAL_LOCAL(op) \
  __faasm_sm_critical_local();   \
  { op; }                        \
  __faasm_sm_critical_local_end();

/* Adds to an int shared by the threads of a parallel region. */
#define FAASM_ATOMIC_INCR(var)                    \
  FAASM_REDUCE(var, FAASM_TYPE_INT, FAASM_OP_SUM) \
  FAASM_CRITICAL_LOCAL(var++)
#define FAASM_ATOMIC_INCR_BY(var, value)          \
  FAASM_REDUCE(var, FAASM_TYPE_INT, FAASM_OP_SUM) \
  FAASM_CRITICAL_LOCAL(var += (value))

#endif /* FAASM_SHARED_MEM_H */
