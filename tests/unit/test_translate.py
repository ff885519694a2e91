"""Tests of aot.translate that need no execution: IR shape, symbols, manifest, errors."""
from __future__ import annotations

import ctypes
import json
import re
import subprocess

import llvmlite.binding as llvm
import pytest

from aot import abi, codegen, elf, manifest
from aot.abi import MemoryStrategy
from aot.decode import decode_module
from aot.errors import CompileError
from aot.link import link_shared
from aot.model import FuncType, Function, Instr, Module, ValType
from aot.translate import translate_module
from tests.unit.translate_harness import wat_to_wasm

# One module touching every operator family the translator lowers itself.
KITCHEN_SINK = """
(module
  (type $v (func))
  (type $ii (func (param i32) (result i32)))
  (type $multi (func (param i32) (result i32 i64)))
  (import "env" "host" (func $host (param i32) (result i32)))
  (import "env" "g" (global $ig (mut i64)))
  (memory 1 2)
  (table $t 2 funcref)
  (table $e 1 externref)
  (global $g (mut i32) (i32.const 1))
  (global $f f64 (f64.const 2.5))
  (elem (i32.const 0) func $leaf $mv)
  (elem $p funcref (ref.func $leaf) (ref.null func))
  (data (i32.const 8) "abc")
  (data $d "xyz")
  (func $leaf (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $mv (type $multi) (local.get 0) (i64.const 2))
  (func (export "all") (param i32) (result i32) (local i64 f32 externref)
    (block $b (result i32)
      (loop $l
        (br_if $l (i32.eqz (local.get 0))))
      (br_table $b $b (i32.const 3) (local.get 0)))
    (drop)
    (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2)))
    (drop)
    (call $mv (local.get 0)) (local.set 1) (drop)
    (drop (call $host (call_indirect $t (type $ii) (i32.const 1) (i32.const 0))))
    (global.set $g (i32.add (global.get $g) (i32.wrap_i64 (global.get $ig))))
    (global.set $ig (i64.const 4))
    (drop (f64.add (global.get $f) (f64.const 1)))
    (local.set 2 (f32.const nan:0x1))
    (i32.store8 offset=3 (local.get 0) (i32.load16_s (local.get 0)))
    (i64.store32 (local.get 0) (i64.load32_u offset=4 (local.get 0)))
    (drop (memory.grow (memory.size)))
    (memory.fill (i32.const 0) (i32.const 1) (i32.const 2))
    (memory.copy (i32.const 0) (i32.const 1) (i32.const 2))
    (memory.init $d (i32.const 0) (i32.const 1) (i32.const 2))
    (data.drop $d)
    (table.set $t (i32.const 1) (table.get $t (i32.const 0)))
    (drop (table.grow $t (ref.func $leaf) (table.size $t)))
    (table.fill $e (i32.const 0) (local.get 3) (i32.const 1))
    (table.copy $t $t (i32.const 0) (i32.const 1) (i32.const 1))
    (table.init $t $p (i32.const 0) (i32.const 0) (i32.const 1))
    (elem.drop $p)
    (drop (ref.is_null (ref.func $leaf)))
    (drop (ref.is_null (ref.null extern)))
    (select (local.get 0) (i32.const 5) (i32.const 1))
    (select (result i32) (i32.const 6) (i32.const 7) (i32.const 0))
    (i32.add)
    (return)
    (unreachable))
)
"""


def _translate(wasm: bytes, strategy="guard", triple=None):
    tm = codegen.target_machine(triple) if triple else codegen.target_machine()
    module = decode_module(wasm)
    irm = translate_module(module, strategy=MemoryStrategy(strategy), triple=tm.triple,
                           data_layout=str(tm.target_data), compiler_version="9.9")
    return module, irm, tm


@pytest.fixture(scope="module")
def sink() -> bytes:
    return wat_to_wasm(KITCHEN_SINK)


@pytest.mark.parametrize("strategy", ["guard", "bounds"])
@pytest.mark.parametrize("opt", [0, 1, 2, 3])
def test_every_family_verifies_and_compiles(sink, strategy, opt):
    _, irm, tm = _translate(sink, strategy)
    mod = codegen.optimize(irm, tm, opt)
    obj = codegen.emit_object(mod, tm)
    assert obj[:4] == b"\x7fELF"


@pytest.mark.parametrize("strategy", ["guard", "bounds"])
def test_aarch64_cross_compiles(sink, strategy):
    _, irm, tm = _translate(sink, strategy, triple="aarch64-unknown-linux-gnu")
    assert str(irm).count('target triple = "aarch64-unknown-linux-gnu"') == 1
    obj = codegen.emit_object(codegen.optimize(irm, tm, 2), tm)
    assert elf.machine(obj) == "aarch64"


def _function_ir(irm, name: str) -> str:
    """The body (between the braces) of function `name`."""
    text = str(irm)
    start = text.index("{", text.index(f'@"{name}"('))
    return text[start:text.index("\n}\n", start)]


ACCESS = """
(module (memory 1)
  (func (export "load") (param i32) (result i32) (i32.load offset=4 (local.get 0)))
  (func (export "dropped") (param i32) (drop (i64.load (local.get 0))))
  (func (export "store") (param i32) (i32.store (local.get 0) (i32.const 1))))
"""


def test_guard_emits_no_check_and_keeps_dropped_loads():
    _, irm, _ = _translate(wat_to_wasm(ACCESS), "guard")
    load = _function_ir(irm, abi.sym_function(0))
    assert "icmp" not in load  # no bounds check
    # no trap call: the only call is the empty asm that keeps the load alive (the fault
    # is the check), and it survives inlining, unlike llvm.fake.use
    assert "call void %" not in load and "fake.use" not in load
    assert re.findall(r'call void asm sideeffect unwind "", "r"\(i32 %\S+\) memory\(inaccessiblemem: readwrite\)',
                      load)
    assert "!invariant.load" in load  # the base of a guard memory never moves
    assert re.search(r"load i32, ptr %\S+, align 1, !tbaa", load)
    dropped = _function_ir(irm, abi.sym_function(1))
    assert "load volatile i64" in dropped  # must still fault although unused
    # a store that may fault stands between barriers (the trap sees exactly the stores
    # before it): one at the block start, one after
    store = _function_ir(irm, abi.sym_function(2))
    fence = 'call void asm sideeffect unwind "", "r"(ptr'
    assert store.count(fence) == 2
    assert store.index(fence) < store.index("store i32 1") < store.rindex(fence)


def test_bounds_checks_end_against_length_before_access():
    _, irm, _ = _translate(wat_to_wasm(ACCESS), "bounds")
    for i, adds in ((0, 2), (2, 1)):  # end = zext(addr) + offset + size, offset 4 or 0
        body = _function_ir(irm, abi.sym_function(i))
        assert len(re.findall(r"add nuw i64 %\S+, 4\n", body)) == adds
        check = body.index("icmp ugt i64")
        access = max(body.rfind("load i32"), body.rfind("store i32"))
        assert check < access
        assert f"call void %" in body and "(i32 2, i32" in body  # TRAP(MEMORY_OUT_OF_BOUNDS, f)
    assert "volatile" not in str(irm)  # the explicit check already traps for dead loads


def test_base_and_length_are_reloaded_after_calls():
    # bounds: BASE/LENGTH loads must not be merged across memory.grow (a call).
    wat = """(module (memory 1)
      (func (export "f") (param i32) (result i32)
        (drop (i32.load (local.get 0)))
        (drop (memory.grow (i32.const 1)))
        (i32.load (local.get 0))))"""
    _, irm, tm = _translate(wat_to_wasm(wat), "bounds")
    opt = str(codegen.optimize(irm, tm, 2))
    body = opt[opt.index("@wasm_func_0("):]
    body = body[:body.index("\n}\n")]
    grow = body.index("call i32")
    assert "icmp" in body[grow:]  # the second access is checked against the new length
    assert "!range" in body[grow:]  # LENGTH was loaded again


def test_stack_check_only_in_functions_that_call():
    wat = """(module
      (func $leaf (result i32) (i32.const 1))
      (func (export "caller") (result i32) (call $leaf)))"""
    _, irm, _ = _translate(wat_to_wasm(wat))
    assert "llvm.stacksave" not in _function_ir(irm, abi.sym_function(0))
    caller = _function_ir(irm, abi.sym_function(1))
    assert "llvm.stacksave" in caller and "(i32 11, i32 1)" in caller  # CALL_STACK_EXHAUSTED


def test_so_symbols_manifest_and_data(sink, tmp_path):
    module, irm, tm = _translate(sink, "bounds")
    so = link_shared(codegen.emit_object(codegen.optimize(irm, tm, 2), tm), tm.triple)
    path = tmp_path / "m.so"
    path.write_bytes(so)
    nm = subprocess.run(["nm", "-D", "--defined-only", str(path)], capture_output=True, text=True,
                        check=True).stdout
    names = {line.split()[-1] for line in nm.splitlines()}
    n_imp = module.num_imported_funcs
    expected = {abi.sym_function(n_imp + i) for i in range(len(module.funcs))}
    expected |= {abi.sym_trampoline(t) for t in range(len(module.types))}
    expected |= {abi.sym_host_adapter(t) for t in range(len(module.types))}
    expected |= {abi.SYM_FUNCTIONS, abi.SYM_MANIFEST, abi.SYM_MANIFEST_LEN, abi.SYM_DATA}
    assert expected <= names
    assert abi.sym_function(0) not in names  # function 0 is imported

    raw = elf.read_section(so, abi.MANIFEST_SECTION)
    m = manifest.decode(raw.rstrip(b"\0"))
    assert m["strategy"] == "bounds" and m["target"] == tm.triple
    assert m["compiler_version"] == "9.9"
    assert [(d["start"], d["length"]) for d in m["datas"]] == [(0, 3), (3, 3)]

    lib = ctypes.CDLL(str(path))
    assert ctypes.c_uint64.in_dll(lib, abi.SYM_MANIFEST_LEN).value == len(raw.rstrip(b"\0"))
    assert ctypes.string_at(ctypes.addressof(ctypes.c_char.in_dll(lib, abi.SYM_DATA)), 6) == b"abcxyz"
    table = (ctypes.c_void_p * len(module.funcs)).in_dll(lib, abi.SYM_FUNCTIONS)
    for i in range(len(module.funcs)):
        fn = getattr(lib, abi.sym_function(n_imp + i))
        assert table[i] == ctypes.cast(fn, ctypes.c_void_p).value


def _module_with_body(body, params=(), results=(), locals_=()):
    m = Module()
    m.types.append(FuncType(tuple(params), tuple(results)))
    m.funcs.append(0)
    m.codes.append(Function(0, tuple(locals_), tuple(body), offset=0x20))
    return m


def _compile(m: Module):
    tm = codegen.target_machine()
    return translate_module(m, strategy=MemoryStrategy.GUARD, triple=tm.triple,
                            data_layout=str(tm.target_data), compiler_version="t")


def test_simd_lowers_to_llvm_vector_operations():
    body = [Instr("local.get", 0, 0x22), Instr("v128.const", bytes(range(16)), 0x24),
            Instr("i32x4.add", None, 0x36), Instr("end", None, 0x38)]
    ir_text = str(_compile(_module_with_body(body, [ValType.V128], [ValType.V128])))
    assert re.search(r"add <4 x i32> %\S+, %\S+", ir_text)
    assert "bitcast i128" in ir_text and "to i128" in ir_text  # the ABI type at the edges


def test_v128_values_in_signatures_are_passed_as_i128():
    body = [Instr("local.get", 0, 0x22), Instr("end", None, 0x24)]
    irm = _compile(_module_with_body(body, [ValType.V128], [ValType.V128]))
    assert "define dso_local i128 @\"wasm_func_0\"(ptr" in str(irm)


def test_lowering_failure_names_function_instruction_and_offset():
    body = [Instr("memory.size", 0, 0x30), Instr("drop", None, 0x32), Instr("end", None, 0x33)]
    with pytest.raises(CompileError) as e:
        _compile(_module_with_body(body))  # no memory: an internal error, still located
    msg = str(e.value)
    assert msg.startswith("function 0: memory.size at byte offset 0x30:")


def test_functions_are_dso_local_with_default_visibility(sink):
    _, irm, _ = _translate(sink)
    text = str(irm)
    assert re.search(r'define dso_local i32 @"wasm_func_1"\(ptr %\S+, ptr %\S+, i32', text)
    assert '"disable-tail-calls"="true"' in text and '"probe-stack"="inline-asm"' in text
    assert "hidden" not in text and "internal" not in text


def test_manifest_is_valid_json_in_its_section(sink):
    module, irm, _ = _translate(sink)
    text = str(irm)
    assert re.search(rf'@"{abi.SYM_MANIFEST}" = constant \[\d+ x i8\] c".*", section "\.aot_manifest"', text)
    line = next(l for l in text.splitlines() if l.startswith(f'@"{abi.SYM_MANIFEST}"'))
    raw = re.search(r'c"(.*)", section', line).group(1)
    decoded = re.sub(r"\\([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), raw)
    assert json.loads(decoded)["vmctx"] == abi.VMContextLayout.for_module(module).to_dict()


def test_ir_is_accepted_by_llvm_verifier(sink):
    _, irm, _ = _translate(sink, "bounds")
    llvm.parse_assembly(str(irm)).verify()


def test_names_from_the_binary_never_reach_the_ir_text():
    body = [Instr("end", None, 0x22)]
    m = _module_with_body(body)
    m.module_name = 'x"\ndefine void @evil() { ret void }\n'
    m.func_names = {0: "a\nb"}
    text = str(_compile(m))
    assert "evil" not in text
    llvm.parse_assembly(text).verify()
