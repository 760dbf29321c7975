;; Calls fd_write with an iovec far outside memory: WASI must answer EFAULT
;; (21), never crash or trap.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "bad_iovec") (result i32) (call $fd_write (i32.const 1) (i32.const 0xfffffff0) (i32.const 1) (i32.const 0)))
  (func (export "bad_buffer") (result i32)
    (i32.store (i32.const 0) (i32.const 0x7fff0000))  ;; iov.buf
    (i32.store (i32.const 4) (i32.const 16))          ;; iov.len
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
)
