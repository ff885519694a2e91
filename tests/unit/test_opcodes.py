"""Tests of `aot.opcodes`: the table's shape, signatures, and its encodings against wasm-tools."""
from __future__ import annotations

import subprocess

import pytest

from aot.decode import decode_module
from aot.model import MemArg, ValType
from aot.opcodes import FC_OPS, FD_OPS, OPCODES, OPS_BY_NAME, SINGLE, Imm

I32, I64, F32, F64, V128 = ValType.I32, ValType.I64, ValType.F32, ValType.F64, ValType.V128


def test_table_sizes():
    assert len(FC_OPS) == 18  # 8 trunc_sat + 10 bulk memory / table ops
    assert len(FD_OPS) == 236  # the final SIMD proposal, without relaxed SIMD
    assert sum(1 for i in SINGLE if i is not None) == len(OPCODES) - 18 - 236


def test_names_unique_except_select():
    names = [i.name for i in OPCODES.values()]
    dups = {n for n in names if names.count(n) > 1}
    assert dups == {"select"}
    assert OPS_BY_NAME["select"].code == 0x1B
    assert OPCODES[0x1C].imm is Imm.SELECT_T


@pytest.mark.parametrize("name, code, sig", [
    ("i32.add", 0x6A, ((I32, I32), (I32,))),
    ("i64.eqz", 0x50, ((I64,), (I32,))),
    ("f64.lt", 0x63, ((F64, F64), (I32,))),
    ("f32.sqrt", 0x91, ((F32,), (F32,))),
    ("i64.extend_i32_u", 0xAD, ((I32,), (I64,))),
    ("f32.demote_f64", 0xB6, ((F64,), (F32,))),
    ("i64.reinterpret_f64", 0xBD, ((F64,), (I64,))),
    ("i64.extend32_s", 0xC4, ((I64,), (I64,))),
    ("i32.trunc_sat_f64_u", (0xFC, 3), ((F64,), (I32,))),
    ("i64.trunc_sat_f32_s", (0xFC, 4), ((F32,), (I64,))),
    ("memory.fill", (0xFC, 11), ((I32, I32, I32), ())),
    ("i32.store8", 0x3A, ((I32, I32), ())),
    ("f64.load", 0x2B, ((I32,), (F64,))),
    ("i8x16.extract_lane_s", (0xFD, 0x15), ((V128,), (I32,))),
    ("f64x2.replace_lane", (0xFD, 0x22), ((V128, F64), (V128,))),
    ("i64x2.shl", (0xFD, 0xCB), ((V128, I32), (V128,))),
    ("v128.bitselect", (0xFD, 0x52), ((V128, V128, V128), (V128,))),
    ("v128.store16_lane", (0xFD, 0x59), ((I32, V128), ())),
    ("i64x2.all_true", (0xFD, 0xC3), ((V128,), (I32,))),
    ("f64x2.convert_low_i32x4_u", (0xFD, 0xFF), ((V128,), (V128,))),
])
def test_code_and_signature(name, code, sig):
    info = OPS_BY_NAME[name]
    assert info.code == code
    assert info.sig == sig
    assert OPCODES[code] is info


@pytest.mark.parametrize("name", ["block", "br_table", "call", "local.get", "global.set",
                                  "select", "drop", "ref.null", "ref.is_null", "table.get",
                                  "table.grow", "table.copy", "unreachable", "return", "end"])
def test_context_dependent_ops_have_no_signature(name):
    assert OPS_BY_NAME[name].sig is None


@pytest.mark.parametrize("name, size", [
    ("i32.load", 4), ("i64.load", 8), ("i64.load32_u", 4), ("i32.load16_s", 2),
    ("i64.store8", 1), ("f64.store", 8), ("v128.load", 16), ("v128.load8x8_s", 8),
    ("v128.load16_splat", 2), ("v128.load64_zero", 8), ("v128.load32_lane", 4),
    ("v128.store64_lane", 8),
])
def test_mem_size(name, size):
    assert OPS_BY_NAME[name].mem_size == size


def test_every_memory_op_has_a_size_and_nothing_else_does():
    for info in OPCODES.values():
        has_memarg = info.imm in (Imm.MEMARG, Imm.MEMARG_LANE)
        assert (info.mem_size is not None) == has_memarg, info.name


def test_lane_counts():
    assert OPS_BY_NAME["i8x16.replace_lane"].lanes == 16
    assert OPS_BY_NAME["i16x8.extract_lane_u"].lanes == 8
    assert OPS_BY_NAME["f32x4.extract_lane"].lanes == 4
    assert OPS_BY_NAME["v128.load64_lane"].lanes == 2
    assert OPS_BY_NAME["v128.store8_lane"].lanes == 16
    for info in OPCODES.values():
        assert (info.lanes is not None) == (info.imm in (Imm.LANE, Imm.MEMARG_LANE)), info.name


# ---- the encodings, checked against an independent assembler -------------------------

_WAT_IMM = {
    Imm.BLOCK: "\nend", Imm.LABEL: " 0", Imm.BR_TABLE: " 0 0", Imm.FUNC: " 0",
    Imm.CALL_INDIRECT: " (type 0)", Imm.SELECT_T: " (result i32)", Imm.LOCAL: " 0",
    Imm.GLOBAL: " 0", Imm.TABLE: " 0", Imm.TABLE_COPY: " 0 0", Imm.TABLE_INIT: " 0 0",
    Imm.ELEM: " 0", Imm.MEMORY_INIT: " 0", Imm.DATA: " 0", Imm.I32: " -5", Imm.I64: " -5",
    Imm.F32: " 1.5", Imm.F64: " 1.5", Imm.REFTYPE: " extern", Imm.V128: " i32x4 1 2 3 4",
    Imm.SHUFFLE: "".join(f" {i}" for i in range(16)), Imm.LANE: " 1",
    Imm.MEMARG_LANE: " 1",
}


def test_every_opcode_round_trips_through_wasm_tools():
    """Assemble one function per opcode with wasm-tools (no validation), decode, compare."""
    from tests.spec.wast import SuiteError, wasm_tools

    try:
        tool = wasm_tools()
    except SuiteError as e:
        pytest.skip(str(e))
    ops = [i for i in OPCODES.values() if i.name not in ("else", "end")]
    funcs = "".join(f"(func {i.name}{_WAT_IMM.get(i.imm, '')})\n" for i in ops)
    # a passive data segment makes wasm-tools emit the data count section memory.init needs
    wat = f"(module (type (func)) (memory 1) (data \"\") {funcs})"
    proc = subprocess.run([tool, "parse", "-"], input=wat.encode(), capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode()
    m = decode_module(proc.stdout)
    assert len(m.codes) == len(ops)
    for info, fn in zip(ops, m.codes):
        first = fn.body[0]
        assert first.op == info.name
        if info.imm is Imm.MEMARG:
            assert isinstance(first.imm, MemArg)
        elif info.imm is Imm.SELECT_T:
            assert first.imm == (I32,)
        elif info.imm is Imm.LANE:
            assert first.imm == 1
        elif info.imm is Imm.MEMARG_LANE:
            assert isinstance(first.imm[0], MemArg) and first.imm[1] == 1
        elif info.imm is Imm.I32 or info.imm is Imm.I64:
            assert first.imm == -5
    by_name = {fn.body[0].op: fn.body[0] for fn in m.codes}
    assert by_name["f32.const"].imm == 0x3FC00000
    assert by_name["f64.const"].imm == 0x3FF8000000000000
    assert by_name["ref.null"].imm is ValType.EXTERNREF
    assert by_name["v128.const"].imm == bytes([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0])
    assert by_name["i8x16.shuffle"].imm == bytes(range(16))
    assert by_name["br_table"].imm == ((0,), 0)
    assert by_name["call_indirect"].imm == (0, 0)
    assert by_name["memory.init"].imm == (0, 0)
    assert by_name["memory.copy"].imm == (0, 0)
    assert by_name["memory.size"].imm == 0
    assert by_name["table.init"].imm == (0, 0)
