;; Declares 100 pages of initial memory: refused by an instance limit below that.
(module (memory (export "memory") 100) (func (export "f") (result i32) (i32.const 1)))
