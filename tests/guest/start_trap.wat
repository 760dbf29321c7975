;; Traps in its start function: the module cannot be instantiated.
(module (func $start (unreachable)) (start $start))
