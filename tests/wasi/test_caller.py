"""Host functions that see their caller: `Func(fn, type, caller=True)`."""
from __future__ import annotations

import pytest

import runtime
from runtime import Func, FuncType, ValType as V

MODULE = """
(module
  (import "env" "h" (func $h (param i32 i64 f32 f64) (result i32 f64)))
  (import "env" "peek" (func $peek (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello")
  (table 1 funcref)
  (elem (i32.const 0) $peek)
  (func (export "go") (result i32 f64)
    (call $h (i32.const -5) (i64.const -7) (f32.const 1.5) (f64.const -2.25)))
  (func (export "peek") (param i32 i32) (result i32) (call $peek (local.get 0) (local.get 1)))
  (func (export "peek_indirect") (param i32 i32) (result i32)
    (call_indirect (param i32 i32) (result i32) (local.get 0) (local.get 1) (i32.const 0)))
  (func (export "answer") (result i32) i32.const 42))
"""

PEEK = FuncType((V.I32, V.I32), (V.I32,))
H = FuncType((V.I32, V.I64, V.F32, V.F64), (V.I32, V.F64))


@pytest.fixture
def module(wat, load, memory):
    return load(wat(MODULE), memory)


def _peek(caller, ptr, n):
    return sum(caller.memory.read(ptr, n))


def test_values_and_caller(module):
    seen = []

    def h(caller, a, b, c, d):
        seen.append((caller, a, b, c, d))
        return a * 2, d * 2

    inst = module.instantiate({"env": {"h": Func(h, H, caller=True), "peek": Func(_peek, PEEK, caller=True)}})
    assert inst.exports.go() == (-10, -4.5)
    caller, *values = seen[0]
    assert values == [-5, -7, 1.5, -2.25]  # the same values an ordinary host function gets
    assert isinstance(caller, runtime.Caller)
    assert caller.instance is inst
    assert caller.memory is inst.exports.memory
    assert caller.memory.read(16, 5) == b"hello"
    assert caller.exports.answer() == 42
    inst.exports.go()
    assert seen[1][0] is caller  # one Caller per instance, made once
    assert inst.exports.peek(16, 5) == sum(b"hello")


def test_each_importing_instance_is_its_own_caller(module):
    peek = Func(_peek, PEEK, caller=True)
    imports = {"env": {"h": Func(lambda c, *a: (0, 0.0), H, caller=True), "peek": peek}}
    a, b = module.instantiate(imports), module.instantiate(imports)
    b.exports.memory.write(16, b"HELLO")
    assert a.exports.peek(16, 5) == sum(b"hello")
    assert b.exports.peek(16, 5) == sum(b"HELLO")
    # Through a table too: the caller is the instance that imported it.
    assert b.exports.peek_indirect(16, 5) == sum(b"HELLO")


def test_results_are_checked_and_exceptions_propagate(module):
    class Boom(Exception):
        pass

    def bad(caller, *args):
        raise Boom("from the host")

    inst = module.instantiate({"env": {"h": Func(lambda c, *a: ("x", 1.0), H, caller=True),
                                       "peek": Func(bad, PEEK, caller=True)}})
    with pytest.raises(TypeError):
        inst.exports.go()
    with pytest.raises(Boom):
        inst.exports.peek(0, 0)


def test_a_caller_function_is_only_called_from_wasm(module):
    f = Func(_peek, PEEK, caller=True)
    with pytest.raises(TypeError, match="Caller"):
        f(1, 2)
    with pytest.raises(TypeError, match="Caller"):
        f.call_raw(1, 2)
    table = runtime.Table(V.FUNCREF, 1)
    with pytest.raises(runtime.LinkError, match="Caller"):
        table.set(0, f)


def test_ordinary_host_functions_are_unchanged(module):
    calls = []
    plain = Func(lambda p, n: calls.append((p, n)) or 7, PEEK)
    inst = module.instantiate({"env": {"h": Func(lambda *a: (1, 2.0), H), "peek": plain}})
    assert inst.exports.peek(-1, 3) == 7
    assert calls == [(-1, 3)]
    assert plain(4, 5) == 7  # callable from Python as before
    assert inst.exports.go() == (1, 2.0)
    assert not plain._takes_caller  # no Caller: an ordinary (numbers-only, fast) call path


def test_caller_memory_without_a_memory_export(wat, load):
    m = load(wat("""(module (import "env" "f" (func $f (result i32))) (memory 1)
                  (func (export "run") (result i32) call $f))"""))
    seen = []
    inst = m.instantiate({"env": {"f": Func(lambda c: seen.append(c.memory) or 0,
                                            FuncType((), (V.I32,)), caller=True)}})
    inst.exports.run()
    assert seen[0] is not None and seen[0].size == 1  # its first memory, unexported
    m2 = load(wat("""(module (import "env" "f" (func $f (result i32)))
                   (func (export "run") (result i32) call $f))"""))
    inst2 = m2.instantiate({"env": {"f": Func(lambda c: seen.append(c.memory) or 0,
                                              FuncType((), (V.I32,)), caller=True)}})
    inst2.exports.run()
    assert seen[1] is None


def test_v128_and_reference_values_match_ordinary_host_functions(wat, load):
    m = load(wat("""
      (module
        (import "env" "v" (func $v (param v128 externref) (result v128)))
        (func (export "go") (param externref) (result v128)
          (call $v (v128.const i32x4 1 2 3 0xffffffff) (local.get 0))))"""))
    ft = FuncType((V.V128, V.EXTERNREF), (V.V128,))
    seen = []

    def plain(v, ref):
        seen.append((v, ref))
        return v + 1

    def with_caller(caller, v, ref):
        return plain(v, ref)

    token = object()
    a = m.instantiate({"env": {"v": Func(plain, ft)}}).exports.go(token)
    b = m.instantiate({"env": {"v": Func(with_caller, ft, caller=True)}}).exports.go(token)
    assert a == b == seen[0][0] + 1
    assert seen[0] == seen[1] and seen[0][1] is token
