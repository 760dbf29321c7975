;; A Faasm function that calls host imports directly, for what a C guest
;; cannot reach through wasi-libc (whose heap grows with memory.grow). The
;; input's first byte selects the import; if it returns, the output is
;; "returned".
;;   l      takes the write lock of state "probe_lock" (test/probe's), then traps
;;   s      __sbrk of 1 GiB (Faasm's libc heap: past any test's memory limit)
;;   m      anonymous mmap of 1 GiB
;;   c      __faasm_chain_py
;;   u f e  __faasm_get_py_user, __faasm_get_py_func, __faasm_get_py_entry
;;   n      __faasmndp_storageCallAndAwait_py
;;   w      puts object "waiting", then calls __faasmndp_getMmap until object
;;          "go" exists: a call that runs until a test lets it end, even
;;          when it can reach the node only through the store's directory
;;   other  nothing
(module
  (import "env" "__faasm_read_input" (func $read_input (param i32 i32) (result i32)))
  (import "env" "__faasm_write_output" (func $write_output (param i32 i32)))
  (import "env" "__faasm_lock_state_write" (func $lock (param i32)))
  (import "env" "__sbrk" (func $sbrk (param i32) (result i32)))
  (import "env" "mmap" (func $mmap (param i32 i32 i32 i32 i32 i64) (result i32)))
  (import "env" "__faasm_chain_py" (func $chain_py (param i32 i32 i32) (result i32)))
  (import "env" "__faasm_get_py_user" (func $py_user (param i32 i32)))
  (import "env" "__faasm_get_py_func" (func $py_func (param i32 i32)))
  (import "env" "__faasm_get_py_entry" (func $py_entry (param i32 i32)))
  (import "env" "__faasmndp_storageCallAndAwait_py"
    (func $ndp_py (param i32 i32 i32) (result i32)))
  (import "env" "__faasmndp_put" (func $put (param i32 i32 i32 i32) (result i32)))
  (import "env" "__faasmndp_getMmap" (func $get_mmap (param i32 i32 i64 i64 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "probe_lock\00")
  (data (i32.const 32) "returned")
  (data (i32.const 48) "key")
  (data (i32.const 80) "waiting")
  (data (i32.const 96) "go")
  (func (export "_start")
    (local $sel i32)
    (drop (call $read_input (i32.const 0) (i32.const 1)))
    (local.set $sel (i32.load8_u (i32.const 0)))
    (block $done
      (if (i32.eq (local.get $sel) (i32.const 0x6c))  ;; l
        (then (call $lock (i32.const 16)) (unreachable)))
      (if (i32.eq (local.get $sel) (i32.const 0x73))  ;; s
        (then (drop (call $sbrk (i32.const 0x40000000))) (br $done)))
      (if (i32.eq (local.get $sel) (i32.const 0x6d))  ;; m
        (then
          (drop (call $mmap (i32.const 0) (i32.const 0x40000000) (i32.const 3) (i32.const 0x22)
                            (i32.const -1) (i64.const 0)))
          (br $done)))
      (if (i32.eq (local.get $sel) (i32.const 0x63))  ;; c
        (then (drop (call $chain_py (i32.const 48) (i32.const 48) (i32.const 3))) (br $done)))
      (if (i32.eq (local.get $sel) (i32.const 0x75))  ;; u
        (then (call $py_user (i32.const 64) (i32.const 16)) (br $done)))
      (if (i32.eq (local.get $sel) (i32.const 0x66))  ;; f
        (then (call $py_func (i32.const 64) (i32.const 16)) (br $done)))
      (if (i32.eq (local.get $sel) (i32.const 0x65))  ;; e
        (then (call $py_entry (i32.const 64) (i32.const 16)) (br $done)))
      (if (i32.eq (local.get $sel) (i32.const 0x6e))  ;; n
        (then (drop (call $ndp_py (i32.const 48) (i32.const 3) (i32.const 0))) (br $done)))
      (if (i32.eq (local.get $sel) (i32.const 0x77))  ;; w
        (then
          (drop (call $put (i32.const 80) (i32.const 7) (i32.const 80) (i32.const 1)))
          (loop $wait
            (br_if $wait (i32.eqz (call $get_mmap (i32.const 96) (i32.const 2) (i64.const 0)
                                                  (i64.const 1) (i32.const 112)))))
          (br $done))))
    (call $write_output (i32.const 32) (i32.const 8)))
)
