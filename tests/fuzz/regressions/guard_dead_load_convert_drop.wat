(module
  (memory 1 1)
  ;; The loaded value goes through conversions and is then dropped: an out-of-bounds
  ;; address must still trap.
  (func (export "f") (param i32) (result i32)
    local.get 0
    i32.load
    f64.convert_i32_s
    i32.trunc_f64_s
    drop
    i32.const 7))
