/* The C interface between one generated module (wasm2c output plus its glue
 * file, compiled into a shared object) and the NearFaaS runtime. This header is
 * compiled into the runtime and also pasted verbatim into every glue file, so
 * it must stay plain C and must not include anything but wasm-rt.h.
 *
 * Every symbol of a generated shared object is hidden except one function,
 * nf_module_abi_<hash>, that returns a pointer to the nf_module_abi_t below.
 * Imports are resolved through an array of nf_binding_t that the runtime owns
 * per instance; every import module's "instance" pointer that wasm2c passes
 * around is that array. */
#ifndef NEARFAAS_GLUE_ABI_H_
#define NEARFAAS_GLUE_ABI_H_

#include <stdint.h>

#include "wasm-rt.h"

/* Bump whenever this header or the layout of generated glue changes: it is
 * part of the code cache key and checked when a shared object is loaded. */
#define NF_GLUE_ABI_VERSION 2

typedef union nf_value {
  uint32_t i32;
  uint64_t i64;
  float f32;
  double f64;
  wasm_rt_externref_t externref;
  wasm_rt_funcref_t funcref;
} nf_value_t;

/* One resolved import. Functions: fn(ctx, args...). Globals: ptr is the value
 * cell. Memories: ptr is a wasm_rt_memory_t*. Tables: ptr is a
 * wasm_rt_funcref_table_t* or wasm_rt_externref_table_t*. */
typedef struct nf_binding {
  wasm_rt_function_ptr_t fn;
  void* ctx;
  void* ptr;
} nf_binding_t;

/* Calls fn(ctx, args...) with the C signature of one function type of the
 * module, reading arguments from args[] and writing results to results[]. */
typedef void (*nf_thunk_t)(wasm_rt_function_ptr_t fn, void* ctx, const nf_value_t* args,
                           nf_value_t* results);

typedef struct nf_module_abi {
  uint32_t abi_version;
  uint32_t instance_size; /* bytes; the runtime allocates it zeroed */
  uint32_t num_imports;   /* length of the binding array */
  uint32_t num_types;
  uint32_t num_funcs; /* imported + defined */
  uint32_t num_imported_funcs;
  uint32_t num_globals;       /* imported + defined */
  const uint32_t* type_ids;   /* [num_types] process-wide ids, valid after init_module */
  const nf_thunk_t* thunks;   /* [num_types] */
  const uint32_t* func_types; /* [num_funcs] module type index of each function */
  const wasm_rt_function_ptr_t* defined_funcs; /* [num_funcs - num_imported_funcs] */

  /* Registers the module's function types. Call once, before anything else. */
  void (*init_module)(void);
  /* Runs imports binding, globals, memories, tables, segments and the start
   * function. May trap; the instance must then still be freed. */
  void (*instantiate)(void* instance, nf_binding_t* bindings);
  void (*free_instance)(void* instance);
  /* Pointers into the instance for any index, imported or defined. */
  void* (*global_ptr)(void* instance, uint32_t index);
  wasm_rt_memory_t* (*memory)(void* instance, uint32_t index);
  void* (*table)(void* instance, uint32_t index);
  /* Points the instance's imports at `bindings` again: for an instance struct
   * copied from another (snapshot restore), whose import pointers still name
   * the original's binding array. */
  void (*rebind)(void* instance, nf_binding_t* bindings);
} nf_module_abi_t;

typedef const nf_module_abi_t* (*nf_module_abi_fn)(void);

#endif /* NEARFAAS_GLUE_ABI_H_ */
