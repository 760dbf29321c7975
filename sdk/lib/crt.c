/*
 * Start-up code of a NearFaaS function (replaces wasi-libc's crt1-command.o;
 * functions are linked with -nostartfiles).
 *
 * The runtime initialises a module once: it calls the exported
 * __wasm_call_ctors and then _faasm_zygote, and snapshots the memory. Every
 * call runs _start on a restored copy of that snapshot, so _start must not
 * run the constructors again. It does what wasi-libc's command start-up does
 * apart from that:
 *
 *   r = main(argc, argv)      argv from WASI args_sizes_get / args_get, via
 *                             wasi-libc's __original_main -> __main_void
 *   __wasm_call_dtors()       atexit handlers, then flush stdio (the same
 *                             steps wasi-libc's exit() takes)
 *   if r != 0: proc_exit(r)   a normal return means exit code 0
 *
 * exit(n) called inside main takes wasi-libc's own path (the same clean-up,
 * then proc_exit(n)).
 */
#include <wasi/api.h>

/* wasi-libc: calls the user's main (either form) with WASI arguments. */
extern int __original_main(void);
/* wasi-libc: runs atexit handlers and flushes stdio. */
extern void __wasm_call_dtors(void);

__attribute__((export_name("_start"))) void _start(void) {
  int r = __original_main();
  __wasm_call_dtors();
  if (r != 0) __wasi_proc_exit((__wasi_exitcode_t)r);
}

/* Default zygote: nothing to do. A function overrides it with FAASM_ZYGOTE().
 * Defined here so that linking _start always provides the export. */
__attribute__((weak)) int _faasm_zygote(void) {
  return 0;
}
