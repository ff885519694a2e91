(module
  (memory 0 1)
  ;; The start function's out-of-bounds load feeds a conversion whose result is dropped:
  ;; instantiation must trap.
  (func $start
    i32.const 16
    i32.load
    f64.convert_i32_s
    drop)
  (start $start))
