;; Imports host functions of the test registry ("test" module).
(module
  (import "test" "double" (func $double (param i32) (result i32)))
  (import "test" "fail" (func $fail (param i32)))
  (import "test" "throw" (func $throw))
  (import "test" "reenter" (func $reenter (param i32) (result i32)))
  (import "test" "slow" (func $slow))
  (memory (export "memory") 1)
  (table 2 funcref)
  (elem (i32.const 0) $inner_ok $inner_trap)
  (func $inner_ok (result i32) (i32.const 5))
  (func $inner_trap (result i32) (unreachable))
  (func (export "double") (param i32) (result i32) (call $double (local.get 0)))
  (func (export "fail") (param i32) (call $fail (local.get 0)))
  (func (export "throw") (call $throw))
  ;; The host calls table entry `i` back on the same instance and returns
  ;; its result, or -1 if it trapped.
  (func (export "reenter") (param i32) (result i32) (call $reenter (local.get 0)))
  ;; Spins calling a host function: the deadline must fire while the guest is
  ;; in host code as often as in guest code.
  (func (export "spin_in_host") (loop $l (call $slow) (br $l)))
)
