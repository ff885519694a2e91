;; A hostile plugin: every export tries to escape or to take the host down.
(module
  (memory (export "memory") 1)
  ;; Read 8 GiB away from the base: address 0xFFFFFFFF plus offset 0xFFFFFFFF.
  (func (export "read_far") (result i32)
    (i32.load offset=0xFFFFFFFF (i32.const 0xFFFFFFFF)))
  ;; Write just past the end of memory.
  (func (export "write_past_end")
    (i32.store (i32.const 65535) (i32.const 0x41414141)))
  ;; Recurse forever.
  (func $dive (export "dive") (param i32) (result i32)
    (call $dive (i32.add (local.get 0) (i32.const 1))))
  ;; Call through the table with a forged signature.
  (type $ii (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $nothing)
  (func $nothing)
  (func (export "forge_call") (result i32)
    (call_indirect (type $ii) (i32.const 7) (i32.const 0)))
  (func (export "divide") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1))))
