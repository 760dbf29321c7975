;; Recursion without end that calls a stack-hungry host function ("test"
;; "stack_hungry", which uses most of kHostStackReserve) at every level: near
;; the bottom of the thread's stack the host function must not be entered
;; (the call traps as stack exhaustion) rather than run off the stack.
(module
  (import "test" "stack_hungry" (func $hungry (param i32) (result i32)))
  (func $down (export "down") (param $n i32) (result i32)
    (i32.add
      (call $hungry (local.get $n))
      (call $down (i32.add (local.get $n) (i32.const 1)))))
  (func (export "once") (result i32) (call $hungry (i32.const 3)))
)
