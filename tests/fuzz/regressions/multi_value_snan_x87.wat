(module
  ;; Six results: x86-64 returned the f64 (the third floating-point field) in x87's
  ;; ST0, whose load quiets the signalling NaN. Found by the diff campaign, seed
  ;; 20261128 module 90,285 (both strategies); minimised by hand.
  (func (export "six") (result i64 f32 f32 i32 f64 i64)
    i64.const 1 f32.const 1 f32.const -nan:0x600000 i32.const 3
    f64.const -nan:0x7ffffffffffff i64.const 5)
  (func (export "three") (result f64 f64 f64)
    f64.const 1 f64.const 2 f64.const -nan:0x7ffffffffffff))
