(module
  (memory 0 1)
  (global $g (export "g") (mut i32) (i32.const 0))
  ;; g = 1, then a load traps before g = 2: after the trap g must be 1. Under the guard
  ;; strategy LLVM removes the first global.set, overwritten later, not knowing that
  ;; the load between them faults.
  (func (export "f") (result i32)
    i32.const 1
    global.set $g
    i32.const 8
    i32.load
    i32.const 2
    global.set $g))
