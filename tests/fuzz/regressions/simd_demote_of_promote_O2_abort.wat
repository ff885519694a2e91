(module
  (type (;0;) (func))
  (type (;1;) (func (param i32 f64) (result f64)))
  (global (;0;) (mut i32) i32.const 0)
  (global (;1;) (mut i64) i64.const 0)
  (global (;2;) (mut v128) v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)
  (global (;3;) (mut i32) i32.const 0)
  (global (;4;) (mut i64) i64.const 0)
  (export "" (func 0))
  (export "1" (func 1))
  (export "2" (func 2))
  (export "O" (global 0))
  (export "x" (global 1))
  (export "G\u{d}" (global 2))
  (export "P\u{1}~" (global 3))
  (export "7" (global 4))
  (elem (;0;) declare funcref)
  (func (;0;) (type 1) (param i32 f64) (result f64)
    local.get 1)
  (func (;1;) (type 1) (param i32 f64) (result f64)
    (local externref)
    v128.const i32x4 0x8b543a3e 0x0a709704 0xe755f0cc 0xa88d807d
    i16x8.extend_low_i8x16_s
    f64x2.promote_low_f32x4
    f32x4.demote_f64x2_zero
    f64x2.promote_low_f32x4
    i32.const 480634907
    i32.clz
    i16x8.shr_s
    i32x4.extend_high_i16x8_u
    i32x4.extract_lane 3
    elem.drop 0
    i32.const 2097151
    f32.const 0x1.889b6p-88 (;=0.000000000000000000000000004955396;)
    block ;; label = @1
      v128.const i32x4 0x24446aa3 0x499ea7cc 0x503950b4 0x10755476
      i64x2.neg
      i64x2.extract_lane 1
      f32.const 0x1.fffep-134 (;=0.000000000000000000000000000000000000000091834;)
      f32.ceil
      v128.const i32x4 0xafd70b03 0xd7c0b116 0xc4afc951 0x87740dab
      f32x4.floor
      i16x8.extract_lane_u 4
      br 0 (;@1;)
      f64.convert_i32_s
      i64.const 1125899906842623
      block (type 0) ;; label = @2
        f32.const -0x1.fffffep+0 (;=-1.9999999;)
        i32.trunc_sat_f32_u
        br 1 (;@1;)
        i32.ctz
        if (type 0) ;; label = @3
          elem.drop 0
          local.get 0
          f64.convert_i32_u
          f32.demote_f64
          loop (type 0) ;; label = @4
            i32.const -8192
            f64.const -nan:0xeffffffffffff (;=NaN;)
            f64.abs
            elem.drop 0
            i32.trunc_sat_f64_u
            br 0 (;@4;)
            i32.le_s
            i32.extend16_s
            local.set 0
            i64.const 1099511627776
            br 1 (;@3;)
            f32.convert_i64_s
            i32.trunc_sat_f32_s
            i32.const -439645087
            i32x4.splat
            local.get 2
            block (result v128) ;; label = @5
              block ;; label = @6
                block ;; label = @7
                  f64.const 0x1.905ec0e9f0617p-931 (;=0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000861580263355467;)
                  i64.trunc_f64_s
                  f32.const 0x1.1c4a0ap-108 (;=0.000000000000000000000000000000003422007;)
                  f32.nearest
                  ref.null extern
                  drop
                  i32.reinterpret_f32
                  global.get 0
                  i32.xor
                  global.set 0
                  global.get 1
                  i64.xor
                  global.set 1
                end
              end
              v128.const i32x4 0x00000000 0x00000002 0xffffefff 0xffffffff
            end
            global.get 2
            v128.xor
            global.set 2
            drop
            global.get 2
            v128.xor
            global.set 2
            global.get 3
            i32.xor
            global.set 3
          end
          i32.reinterpret_f32
          global.get 0
          i32.xor
          global.set 0
        end
      end
      global.get 1
      i64.xor
      global.set 1
      i64.reinterpret_f64
      global.get 4
      i64.xor
      global.set 4
      i32.reinterpret_f32
      global.get 0
      i32.xor
      global.set 0
      global.get 1
      i64.xor
      global.set 1
    end
    i32.reinterpret_f32
    global.get 0
    i32.xor
    global.set 0
    global.get 3
    i32.xor
    global.set 3
    global.get 3
    i32.xor
    global.set 3
    f64.const 0x1.4b8115921eff2p-466 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006796278022799951;)
  )
  (func (;2;) (type 1) (param i32 f64) (result f64)
    f32.const -0x1.7b7b62p+27 (;=-198957840;)
    v128.const i32x4 0xd4367d8b 0xcf1560f4 0xa4b50dd8 0x71af5f3b
    i32x4.abs
    ref.null func
    elem.drop 0
    local.get 0
    i64.extend_i32_s
    local.get 1
    block (type 0) ;; label = @1
      br 0 (;@1;)
      i64.const 1073741823
      i64.extend32_s
      i64.ctz
      elem.drop 0
      elem.drop 0
      v128.const i32x4 0x0fdbfd5c 0x308b0d7b 0xee7ef301 0xcba8d3fd
      i16x8.all_true
      f32.convert_i32_s
      f32.neg
      i64.const -2048
      i32.const -1148187148
      ref.null func
      f64.const -0x1.471c16355ba0cp-703 (;=-0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000030364527260673276;)
      f64x2.splat
      i32x4.extend_low_i16x8_u
      f64x2.neg
      i32x4.extend_high_i16x8_u
      i32x4.extadd_pairwise_i16x8_s
      i16x8.extend_high_i8x16_s
      i32x4.extend_low_i16x8_u
      i8x16.all_true
      loop ;; label = @2
        br 1 (;@1;)
        f32.const -0x1.03cc3ap-5 (;=-0.031713594;)
        block ;; label = @3
        end
        i32.reinterpret_f32
        i32.extend8_s
        i64.extend_i32_u
        f32.const 0x1.9a71dap-76 (;=0.000000000000000000000021219495;)
        elem.drop 0
        i64.trunc_sat_f32_s
        i64.gt_s
        i64.const -1099511627777
        i64.extend32_s
        br 1 (;@1;)
        br 0 (;@2;)
        i32.const -262145
        br_if 0 (;@2;)
        f64.reinterpret_i64
        i32.trunc_sat_f64_s
        i32.xor
        br_table 0 (;@2;) 1 (;@1;) 1 (;@1;)
        br 0 (;@2;)
        loop (result i64) ;; label = @3
          local.get 0
          local.tee 0
          f32.reinterpret_i32
          f32.abs
          f32.sqrt
          i32.reinterpret_f32
          global.get 0
          i32.xor
          global.set 0
          i64.const 36028797018963967
        end
        global.get 1
        i64.xor
        global.set 1
      end
      global.get 3
      i32.xor
      global.set 3
      drop
      global.get 3
      i32.xor
      global.set 3
      global.get 1
      i64.xor
      global.set 1
      i32.reinterpret_f32
      global.get 0
      i32.xor
      global.set 0
      global.get 1
      i64.xor
      global.set 1
    end
    i64.reinterpret_f64
    global.get 4
    i64.xor
    global.set 4
    global.get 1
    i64.xor
    global.set 1
    drop
    global.get 2
    v128.xor
    global.set 2
    i32.reinterpret_f32
    global.get 0
    i32.xor
    global.set 0
    f64.const 0x1.8c402b1216d27p-786 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000003803237427942902;)
  )
)
