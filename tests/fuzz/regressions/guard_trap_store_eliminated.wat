(module
  (memory (export "m") 1 1)
  ;; mem[0] = 1, then an out-of-bounds load traps before mem[0] is overwritten: the
  ;; first store must be visible after the trap.
  (func (export "f")
    i32.const 0
    i32.const 1
    i32.store
    i32.const 0
    i32.const 65536
    i32.load
    i32.store))
