;; Imports its memory: cannot be snapshotted on its own.
(module
  (import "other" "memory" (memory 1))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))
