(module
  (memory 1 1)
  (global $fuel (export "fuel") (mut i32) (i32.const 1000))
  ;; smith's fuel shape: a store to the fuel global in the loop, then a load of an
  ;; invariant address that faults. At guard -O3 loop unswitching copied the load above
  ;; the loop's first fuel store into the preheader: after the trap, fuel was one too
  ;; high (seed 20261128 module 91,611, seen as extra host calls three calls later).
  (func (export "f") (param $p i32) (result i32)
    (if (i32.eqz (global.get $fuel)) (then unreachable))
    (global.set $fuel (i32.sub (global.get $fuel) (i32.const 1)))
    (loop $l
      (if (i32.eqz (global.get $fuel)) (then unreachable))
      (global.set $fuel (i32.sub (global.get $fuel) (i32.const 1)))
      (br_if 1 (i32.const 7) (i32.load8_s offset=105815 (local.get $p)))
      (br $l))
    (i32.const 0)))
