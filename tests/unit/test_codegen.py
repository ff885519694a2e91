"""Tests of aot.codegen: target machines (host and cross), the pipeline, emission."""
from __future__ import annotations

import llvmlite.binding as llvm
import pytest
from llvmlite import ir

from aot import codegen, elf
from aot.errors import CompileError

IR = """
define i32 @twice(i32 %x) {
  %a = alloca i32
  store i32 %x, ptr %a
  %v = load i32, ptr %a
  %r = add i32 %v, %v
  ret i32 %r
}
@table = constant [1 x ptr] [ptr @twice]
"""


def test_host_target_machine_is_the_process_triple():
    tm = codegen.target_machine()
    assert tm.triple == llvm.get_process_triple()


@pytest.mark.parametrize("triple,arch", [("x86_64-unknown-linux-gnu", "x86_64"),
                                         ("aarch64-unknown-linux-gnu", "aarch64")])
def test_cross_targets_emit_elf_objects(triple, arch):
    tm = codegen.target_machine(triple)
    mod = codegen.optimize(IR, tm, 2)
    obj = codegen.emit_object(mod, tm)
    assert elf.machine(obj) == arch
    assert "twice" in codegen.emit_assembly(mod, tm)


def test_unknown_triple_is_a_compile_error():
    with pytest.raises(CompileError):
        codegen.target_machine("nonsense-unknown-none")


@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_pipeline_levels(level):
    tm = codegen.target_machine(opt_level=level)
    mod = codegen.optimize(IR, tm, level)
    text = str(mod)
    # mem2reg/SROA run from -O1 on; -O0 keeps the alloca.
    assert ("alloca" in text) == (level == 0)


def test_accepts_llvmlite_modules():
    m = ir.Module()
    fn = ir.Function(m, ir.FunctionType(ir.IntType(32), []), "seven")
    ir.IRBuilder(fn.append_basic_block()).ret(ir.Constant(ir.IntType(32), 7))
    tm = codegen.target_machine()
    assert "ret i32 7" in str(codegen.optimize(m, tm, 2))


def test_invalid_ir_is_a_compile_error():
    tm = codegen.target_machine()
    with pytest.raises(CompileError, match="invalid"):
        codegen.optimize("define i32 @f() { ret i64 0 }", tm, 0)


def test_code_is_position_independent():
    # A PIC reference to a global goes through the GOT or PC-relative addressing: no
    # absolute relocation in .text (the object is linked with `ld -shared`).
    src = "@g = external global i32\ndefine i32 @f() {\n %v = load i32, ptr @g\n ret i32 %v\n}\n"
    tm = codegen.target_machine("x86_64-unknown-linux-gnu")
    asm = codegen.emit_assembly(codegen.optimize(src, tm, 2), tm)
    assert "g@GOTPCREL(%rip)" in asm
