"""The Python API end to end: load, instantiate, call, link, traps, memories, tables, globals."""
from __future__ import annotations

import gc
import os
import shutil
import struct
import subprocess
import sys
import weakref

import pytest

import runtime
from aot.abi import FORMAT_VERSION
from aot.model import FuncType, GlobalType, Limits, MemoryType, TableType
from aot.model import ValType as V
from runtime import Func, Global, LinkError, Memory, Table, Trap, TrapCode

WASM_TOOLS = shutil.which("wasm-tools") or os.path.join(os.path.dirname(sys.executable), "wasm-tools")

pytestmark = pytest.mark.skipif(not os.path.exists(WASM_TOOLS) and not shutil.which("wasm-tools"),
                                reason="wasm-tools is needed to write test modules")


def wat(text: str) -> bytes:
    return subprocess.run([WASM_TOOLS, "parse", "-"], input=text.encode(), capture_output=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("aot-cache"))


@pytest.fixture
def load(cache):
    def _load(text: str, memory: str = "guard"):
        return runtime.load(wat(text), memory=memory, cache_dir=cache)
    return _load


def ft(params, results):
    return FuncType(tuple(params), tuple(results))


# ---- loading and the module's description ---------------------------------------------

SIMPLE = """
(module
  (import "env" "f" (func (param i32) (result i32)))
  (import "env" "t" (table 1 funcref))
  (import "env" "m" (memory 1 2))
  (import "env" "g" (global (mut i64)))
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (table (export "tab") 2 externref)
  (global (export "answer") i32 (i32.const 42))
  (export "mem" (memory 0)))
"""


def test_module_describes_imports_and_exports(load):
    m = load(SIMPLE)
    assert m.imports == [
        ("env", "f", ft([V.I32], [V.I32])),
        ("env", "t", TableType(V.FUNCREF, Limits(1, None))),
        ("env", "m", MemoryType(Limits(1, 2))),
        ("env", "g", GlobalType(V.I64, True)),
    ]
    assert m.exports == [
        ("add", ft([V.I32, V.I32], [V.I32])),
        ("tab", TableType(V.EXTERNREF, Limits(2, None))),
        ("answer", GlobalType(V.I32, False)),
        ("mem", MemoryType(Limits(1, 2))),
    ]
    assert m.strategy is runtime.MemoryStrategy.GUARD
    assert m.target.startswith(("x86_64", "aarch64"))


def test_load_from_wasm_path_so_path_and_so_bytes(tmp_path, cache):
    wasm = tmp_path / "m.wasm"
    wasm.write_bytes(wat('(module (func (export "f") (result i32) i32.const 7))'))
    m1 = runtime.load(wasm, cache_dir=cache)
    assert m1.instantiate().exports.f() == 7
    m2 = runtime.load(m1.path)  # the cached .so itself
    assert m2.instantiate().exports.f() == 7
    with open(m1.path, "rb") as f:
        m3 = runtime.load(f.read(), cache_dir=cache)
    assert m3.instantiate().exports.f() == 7


def test_compile_cache_is_reused_and_keyed_by_options(tmp_path, monkeypatch):
    import aot.compiler
    calls = []
    real = aot.compiler.compile_wasm

    def counting(wasm, **kw):
        calls.append(kw)
        return real(wasm, **kw)

    monkeypatch.setattr(aot.compiler, "compile_wasm", counting)
    wasm = wat('(module (func (export "f") (result i32) i32.const 1))')
    a = runtime.load(wasm, cache_dir=tmp_path)
    b = runtime.load(wasm, cache_dir=tmp_path)
    assert a.path == b.path and len(calls) == 1
    c = runtime.load(wasm, cache_dir=tmp_path, memory="bounds")
    assert c.path != a.path and len(calls) == 2 and c.strategy.value == "bounds"
    assert not [p for p in os.listdir(tmp_path / "modules") if p.startswith(".tmp")]


def test_load_refuses_other_files(tmp_path):
    from aot.errors import DecodeError
    bad = tmp_path / "x.txt"
    bad.write_text("hello")
    with pytest.raises(DecodeError):  # not ELF, so taken as Wasm: the decoder explains
        runtime.load(bad, cache_dir=tmp_path)
    with pytest.raises(DecodeError):
        runtime.load(b"\0asm\x02\0\0\0", cache_dir=tmp_path)
    with pytest.raises(runtime.LoadError, match="cannot read"):
        runtime.load(tmp_path / "missing.so")


def test_load_refuses_a_so_of_another_strategy(load):
    m = load('(module)', memory="bounds")
    with pytest.raises(runtime.LoadError, match="memory='bounds'"):
        runtime.load(m.path, memory="guard")


def test_format_version_mismatch_is_refused(load, tmp_path):
    m = load('(module (func (export "f")))')
    data = open(m.path, "rb").read()
    current = f'"format_version":{FORMAT_VERSION}'.encode()
    assert data.count(current) == 1
    patched = tmp_path / "old.so"
    patched.write_bytes(data.replace(current, b'"format_version":9'))
    with pytest.raises(runtime.FormatVersionError, match="recompile"):
        runtime.load(patched)


# ---- calls and values ------------------------------------------------------------------

VALUES = """
(module
  (func (export "i32") (param i32) (result i32) local.get 0)
  (func (export "i64") (param i64) (result i64) local.get 0)
  (func (export "f32") (param f32) (result f32) local.get 0)
  (func (export "f64") (param f64) (result f64) local.get 0)
  (func (export "none"))
  (func (export "multi") (result i32 i64 f64) i32.const -1 i64.const -2 f64.const 0.5)
  (func (export "ext") (param externref) (result externref) local.get 0)
  (func $seven (result i32) i32.const 7)
  (elem declare func $seven)
  (func (export "fref") (result funcref) ref.func $seven)
  (func (export "fnull") (param funcref) (result i32) local.get 0 ref.is_null))
"""


def test_python_values_round_trip(load):
    e = load(VALUES).instantiate().exports
    assert e.i32(-5) == -5 and e.i32(0xFFFFFFFF) == -1
    assert e.i64(-(2**63)) == -(2**63)
    assert e.f32(1.1) == struct.unpack("<f", struct.pack("<f", 1.1))[0]
    assert e.f32(1e300) == float("inf")
    assert e.f64(2.5) == 2.5
    assert e.none() is None
    assert e.multi() == (-1, -2, 0.5)
    obj = object()
    assert e.ext(obj) is obj and e.ext(None) is None
    f = e.fref()
    assert isinstance(f, Func) and f.type == ft([], [V.I32]) and f() == 7
    assert e.fnull(None) == 1 and e.fnull(f) == 0 and e.fnull(e.i32) == 0


def test_call_raw_uses_exact_bits(load):
    e = load(VALUES).instantiate().exports
    assert e.i32.call_raw(0xFFFFFFFF) == (0xFFFFFFFF,)
    assert e.i32.call_raw(-1) == (0xFFFFFFFF,)
    nan_payload = 0x7FA00001  # a signalling NaN survives untouched
    assert e.f32.call_raw(nan_payload) == (nan_payload,)
    assert e.f64.call_raw(0xFFF8000000000001) == (0xFFF8000000000001,)
    assert e.ext.call_raw(1234) == (1234,)  # externref handles are opaque
    assert e.multi.call_raw() == (0xFFFFFFFF, 2**64 - 2, 0x3FE0000000000000)
    (fref,) = e.fref.call_raw()
    assert fref != 0 and e.fnull.call_raw(fref) == (0,)
    with pytest.raises(ValueError, match="not a funcref"):
        e.fnull.call_raw(0x1000)


def test_bad_arguments_are_rejected(load):
    e = load(VALUES).instantiate().exports
    with pytest.raises(TypeError, match="takes 1 arguments"):
        e.i32()
    with pytest.raises(ValueError, match="out of range"):
        e.i32(2**32)
    with pytest.raises(TypeError):
        e.i32("1")
    with pytest.raises(TypeError, match="Func or None"):
        e.fnull(42)


# ---- traps -----------------------------------------------------------------------------

TRAPS = """
(module
  (memory 1)
  (table 2 funcref)
  (type $v (func))
  (func $unreachable (export "unreachable") unreachable)
  (func $div (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func $load (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func $indirect (export "indirect") (param i32) local.get 0 call_indirect (type $v))
  (func $rec (export "rec") (param i32) (result i32) local.get 0 i32.const 1 i32.add call $rec))
"""


@pytest.mark.parametrize("strategy", ["guard", "bounds"])
def test_traps_have_kind_message_and_function(load, strategy):
    e = load(TRAPS, strategy).instantiate().exports
    cases = [
        (lambda: e.unreachable(), TrapCode.UNREACHABLE, "unreachable", "unreachable"),
        (lambda: e.div(1, 0), TrapCode.INTEGER_DIVIDE_BY_ZERO, "integer divide by zero", "div"),
        (lambda: e.div(-(2**31), -1), TrapCode.INTEGER_OVERFLOW, "integer overflow", "div"),
        (lambda: e.load(65533), TrapCode.MEMORY_OUT_OF_BOUNDS, "out of bounds memory access", "load"),
        (lambda: e.indirect(5), TrapCode.UNDEFINED_ELEMENT, "undefined element", "indirect"),
        (lambda: e.indirect(0), TrapCode.UNINITIALIZED_ELEMENT, "uninitialized element", "indirect"),
        (lambda: e.rec(0), TrapCode.CALL_STACK_EXHAUSTED, "call stack exhausted", "rec"),
    ]
    for call, kind, message, name in cases:
        with pytest.raises(Trap) as info:
            call()
        t = info.value
        assert (t.kind, t.message, t.func_name) == (kind, message, name)
        assert t.func_index is not None and name in str(t) and message in str(t)
    assert e.div(7, 2) == 3  # still usable after every kind of trap


# ---- host functions --------------------------------------------------------------------

HOST = """
(module
  (import "env" "cb" (func $cb (param i32) (result i32)))
  (import "env" "obj" (func $obj (result externref)))
  (func (export "call") (param i32) (result i32) local.get 0 call $cb i32.const 1000 i32.add)
  (func (export "obj") (result externref) call $obj)
  (export "cb" (func $cb)))
"""


def host_imports(cb, obj=lambda: None):
    return {"env": {"cb": Func(cb, ft([V.I32], [V.I32])), "obj": Func(obj, ft([], [V.EXTERNREF]))}}


def test_host_function_is_called_with_values(load):
    seen = []
    inst = load(HOST).instantiate(host_imports(lambda x: seen.append(x) or x * 2))
    assert inst.exports.call(21) == 1042 and seen == [21]


def test_host_exception_propagates_unchanged(load):
    class Boom(Exception):
        pass

    err = Boom("from the host")

    def cb(x):
        raise err

    inst = load(HOST).instantiate(host_imports(cb))
    with pytest.raises(Boom) as info:
        inst.exports.call(1)
    assert info.value is err
    with pytest.raises(KeyboardInterrupt):
        load(HOST).instantiate(host_imports(lambda x: (_ for _ in ()).throw(KeyboardInterrupt()))).exports.call(1)


def test_host_result_of_wrong_type_is_a_type_error(load):
    inst = load(HOST).instantiate(host_imports(lambda x: "nope"))
    with pytest.raises(TypeError):
        inst.exports.call(1)


def test_host_externref_result_reaches_the_caller(load):
    token = object()
    inst = load(HOST).instantiate(host_imports(lambda x: x, obj=lambda: token))
    assert inst.exports.obj() is token


def test_exported_import_is_the_same_func(load):
    f = Func(lambda x: x, ft([V.I32], [V.I32]))
    inst = load(HOST).instantiate({"env": {"cb": f, "obj": Func(lambda: None, ft([], [V.EXTERNREF]))}})
    assert inst.exports.cb is f


def test_nested_wasm_host_wasm_calls_and_inner_traps(load):
    inner = load("""
      (module
        (func (export "double") (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
        (func (export "trap") (param i32) (result i32) unreachable))""").instantiate().exports
    depth = []

    def cb(x):
        depth.append(x)
        if x == 0:
            return inner.trap(0)  # the inner Trap goes up through the outer Wasm call
        return inner.double(x)

    inst = load(HOST).instantiate(host_imports(cb))
    assert inst.exports.call(5) == 1010
    with pytest.raises(Trap) as info:
        inst.exports.call(0)
    assert info.value.kind is TrapCode.UNREACHABLE and info.value.func_name is None
    assert inst.exports.call(6) == 1012


def test_recursion_through_the_host_exhausts_the_stack_cleanly(load):
    mod = load("""
      (module
        (import "env" "cb" (func $cb (param i32) (result i32)))
        (func (export "go") (param i32) (result i32) local.get 0 call $cb))""")
    holder = {}

    def cb(x):
        return holder["go"](x + 1)

    inst = mod.instantiate({"env": {"cb": Func(cb, ft([V.I32], [V.I32]))}})
    holder["go"] = inst.exports.go
    # Python's recursion limit or the Wasm stack limit stops it; either way no crash.
    with pytest.raises((RecursionError, Trap)):
        inst.exports.go(0)
    holder["go"] = lambda x: x
    assert inst.exports.go(1) == 2


# ---- linking ---------------------------------------------------------------------------

def good_imports(strategy="guard"):
    return {"env": {
        "f": Func(lambda x: x, ft([V.I32], [V.I32])),
        "t": Table(V.FUNCREF, 1),
        "m": Memory(1, 2, strategy=strategy),
        "g": Global(GlobalType(V.I64, True), 0),
    }}


@pytest.mark.parametrize("name, value, match", [
    ("f", None, "'env'.'f' is missing"),
    ("f", Func(lambda: 0, ft([], [V.I32])), r"expected function \[i32\] -> \[i32\]"),
    ("f", Memory(1), "expected function"),
    ("t", Table(V.EXTERNREF, 1), "expected table funcref"),
    ("t", Table(V.FUNCREF, 0), "expected table funcref"),
    ("m", Memory(0, 2), "expected memory"),
    ("m", Memory(1), "expected memory"),  # no max, but the import requires max <= 2
    ("m", Memory(1, 3), "expected memory"),
    ("m", Memory(1, 2, strategy="bounds"), "compiled for guard memories"),
    ("g", Global(GlobalType(V.I64, False), 0), "expected global mut i64"),
    ("g", Global(GlobalType(V.I32, True), 0), "expected global mut i64"),
])
def test_link_errors_name_the_import(load, name, value, match):
    imports = good_imports()
    if value is None:
        del imports["env"][name]
    else:
        imports["env"][name] = value
    with pytest.raises(LinkError, match=match):
        load(SIMPLE).instantiate(imports)


def test_limits_subtyping_accepts_larger_actual_sizes(load):
    imports = good_imports()
    imports["env"]["t"] = Table(V.FUNCREF, 5, 10)
    imports["env"]["m"] = Memory(2, 2)
    load(SIMPLE).instantiate(imports)
    with pytest.raises(LinkError, match="no module 'env'"):
        load(SIMPLE).instantiate({})


def test_instance_exports_can_be_imports(load):
    a = load(SIMPLE).instantiate(good_imports()).exports
    b = load("""
      (module
        (import "a" "add" (func $add (param i32 i32) (result i32)))
        (import "a" "mem" (memory 1))
        (func (export "go") (result i32) i32.const 2 i32.const 3 call $add))""").instantiate({"a": a})
    assert b.exports.go() == 5


# ---- instantiation order ---------------------------------------------------------------

def test_segments_and_start_function(load):
    inst = load("""
      (module
        (memory (export "mem") 1)
        (table (export "tab") 3 funcref)
        (global $g (export "g") (mut i32) (i32.const 0))
        (func $f (result i32) i32.const 11)
        (func $start i32.const 4 i32.load global.set $g)
        (elem (i32.const 1) $f)
        (data (i32.const 4) "\\2a\\00\\00\\00")
        (start $start))""").instantiate()
    e = inst.exports
    assert e.g.value == 42  # data was applied before start ran
    assert e.mem.read(4, 4) == b"*\0\0\0"
    assert e.tab.get(0) is None and e.tab.get(1)() == 11


def test_failed_instantiation_keeps_earlier_effects(load):
    mem = Memory(1)
    table = Table(V.FUNCREF, 2)
    module = load("""
      (module
        (import "env" "mem" (memory 1))
        (import "env" "tab" (table 2 funcref))
        (func $f (result i32) i32.const 5)
        (elem (i32.const 0) $f)
        (data (i32.const 0) "ok")
        (data (i32.const 65535) "too long"))""")
    with pytest.raises(Trap) as info:
        module.instantiate({"env": {"mem": mem, "tab": table}})
    assert info.value.kind is TrapCode.MEMORY_OUT_OF_BOUNDS
    assert mem.read(0, 2) == b"ok"
    del module
    gc.collect()
    assert table.get(0)() == 5  # the partial instance lives on through the table


def test_trap_in_start_function(load):
    with pytest.raises(Trap) as info:
        load("(module (func $s unreachable) (start $s))").instantiate()
    assert info.value.kind is TrapCode.UNREACHABLE


def test_element_segment_out_of_bounds(load):
    with pytest.raises(Trap) as info:
        load("(module (table 1 funcref) (func $f) (elem (i32.const 1) $f))").instantiate()
    assert info.value.kind is TrapCode.TABLE_OUT_OF_BOUNDS


# ---- memories, tables, globals from Python --------------------------------------------

@pytest.mark.parametrize("strategy", ["guard", "bounds"])
def test_memory_api(load, strategy):
    e = load("""
      (module
        (memory (export "mem") 1 3)
        (func (export "peek") (param i32) (result i32) local.get 0 i32.load8_u)
        (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))""",
             strategy).instantiate().exports
    mem = e.mem
    assert (mem.size, mem.data_len, mem.strategy.value) == (1, 65536, strategy)
    mem.write(100, b"\x07\x08")
    assert e.peek(101) == 8 and mem.read(100, 2) == b"\x07\x08"
    mem.view()[200] = 9
    assert e.peek(200) == 9
    with pytest.raises(IndexError):
        mem.read(65535, 2)
    with pytest.raises(IndexError):
        mem.write(65536, b"x")
    assert mem.grow(1) == 1 and e.peek(65536 + 5) == 0
    assert e.grow(1) == 2 and mem.size == 3
    assert e.grow(1) == -1
    with pytest.raises(runtime.GrowError, match="maximum 3"):
        mem.grow(1)
    assert mem.read(100, 2) == b"\x07\x08"  # contents survive every grow


def test_table_api_and_call_indirect_through_host_set(load):
    e = load("""
      (module
        (type $i (func (result i32)))
        (table (export "tab") 2 funcref)
        (func (export "seven") (result i32) i32.const 7)
        (func (export "call") (param i32) (result i32) local.get 0 call_indirect (type $i)))""").instantiate().exports
    tab = e.tab  # the module has types [] -> [i32] and [i32] -> [i32]
    assert tab.size == 2 and tab.get(0) is None
    tab.set(1, e.seven)
    assert e.call(1) == 7 and tab.get(1)() == 7
    host = Func(lambda: 99, ft([], [V.I32]))
    tab.set(0, host)  # a host function through a loaded module's adapter
    assert e.call(0) == 99 and tab.get(0) is host
    with pytest.raises(LinkError, match="no loaded module has that signature"):
        tab.set(0, Func(lambda x: None, ft([V.F64, V.F64, V.F64], [])))
    tab.set(0, Func(lambda x: x, ft([V.I32], [V.I32])))
    with pytest.raises(Trap) as info:
        e.call(0)
    assert info.value.kind is TrapCode.INDIRECT_CALL_TYPE_MISMATCH
    assert tab.grow(2, e.seven) == 2 and e.call(3) == 7
    with pytest.raises(IndexError):
        tab.get(4)


def test_externref_table_holds_python_objects():
    t = Table(V.EXTERNREF, 2, 4, init="x")
    assert t.get(0) == "x"
    obj = [1, 2]
    t.set(1, obj)
    assert t.get(1) is obj
    t.grow(2)
    assert t.get(3) is None
    with pytest.raises(runtime.GrowError):
        t.grow(1)


def test_globals(load):
    e = load("""
      (module
        (global (export "c") f64 (f64.const 1.5))
        (global $m (export "m") (mut i32) (i32.const 1))
        (func (export "get") (result i32) global.get $m))""").instantiate().exports
    assert e.c.value == 1.5 and e.m.value == 1
    e.m.value = -7
    assert e.get() == -7
    with pytest.raises(AttributeError, match="immutable"):
        e.c.value = 2.0
    g = Global(GlobalType(V.F32, True), 0.1)
    assert g.value == struct.unpack("<f", struct.pack("<f", 0.1))[0]


# ---- lifetimes -------------------------------------------------------------------------

def test_exported_objects_keep_their_instance_alive(load):
    inst = load("""
      (module
        (memory (export "mem") 1)
        (func (export "f") (result i32) i32.const 3))""").instantiate()
    f, mem, ref = inst.exports.f, inst.exports.mem, weakref.ref(inst)
    del inst
    gc.collect()
    assert ref() is not None and f() == 3 and mem.size == 1


def test_table_keeps_another_instances_function_alive(load):
    table = Table(V.FUNCREF, 1)
    b = load('(module (func (export "f") (result i32) i32.const 8))').instantiate()
    table.set(0, b.exports.f)
    ref = weakref.ref(b)
    a = load("""
      (module
        (import "env" "t" (table 1 funcref))
        (type $i (func (result i32)))
        (func (export "call") (result i32) i32.const 0 call_indirect (type $i)))""").instantiate(
        {"env": {"t": table}})
    del b, table
    gc.collect()
    assert ref() is not None and a.exports.call() == 8


def test_unreachable_instances_are_freed(load):
    from runtime._native_loader import ffi, lib
    module = load('(module (memory (export "m") 1))')
    inst = module.instantiate()
    base = int(ffi.cast("uintptr_t", inst.exports.m._ptr.base))
    ref = weakref.ref(inst)
    assert lib.aot_guard_contains(base)
    del inst
    gc.collect()
    assert ref() is None and not lib.aot_guard_contains(base)
