(module
  (memory 0 1)
  ;; The load's value is left under the result and discarded by the branch: it is
  ;; never used, yet the access is out of bounds and must trap.
  (func (export "f") (result i32)
    i32.const 1
    i64.load32_u
    i32.const 5
    br 0))
