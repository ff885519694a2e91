(module
  (func (export "f") (param v128) (result v128)
    local.get 0
    f64x2.promote_low_f32x4
    f32x4.demote_f64x2_zero))
