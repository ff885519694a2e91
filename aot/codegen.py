"""Target machines, the optimisation pipeline, and object/assembly emission."""
from __future__ import annotations

import functools

import llvmlite.binding as llvm
from llvmlite import ir

from .errors import CompileError


@functools.cache
def _init_targets() -> None:
    # Every target, not just the host's: cross-compiling to aarch64 must work.
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    # x86's cmov converter turns selects in loops into branches when it guesses they
    # predict well. Wasm code is full of select-based min/max over data (clang lowers
    # `a < b ? a : b` to `select`), where the guess is wrong: editdist ran 1.7x native
    # with it, at native speed without (benchmarks/README.md). LLVM options are
    # process-wide: this also applies to other llvmlite users in the same process.
    llvm.set_option("aot", "-x86-cmov-converter=false")


def target_machine(triple: str | None = None, cpu: str | None = None, features: str | None = None,
                   opt_level: int = 2) -> llvm.TargetMachine:
    """A position-independent target machine (the object goes into a shared object).

    triple None = this host; then cpu/features None = this host's CPU and features.
    For another triple, cpu None means the target's generic CPU.
    """
    _init_targets()
    if triple is None:
        triple = llvm.get_process_triple()
        if cpu is None:
            cpu = llvm.get_host_cpu_name()
            if features is None:
                features = llvm.get_host_cpu_features().flatten()
    try:
        target = llvm.Target.from_triple(triple)
    except RuntimeError as e:
        raise CompileError(f"unknown target triple {triple!r}: {e}") from None
    return target.create_target_machine(cpu=cpu or "", features=features or "", opt=opt_level,
                                        reloc="pic", codemodel="default")


def known_features(triple: str | None = None, cpu: str | None = None) -> str:
    """The CPU features `target_machine(triple, cpu)` is built with, when they are known:
    this host's ("+sse2,+ssse3,-avx512f,...") for a host build, else "" (the target's or
    the named CPU's own defaults, which llvmlite cannot list)."""
    if triple is None and cpu is None:
        _init_targets()
        return llvm.get_host_cpu_features().flatten()
    return ""


def optimize(ir_text_or_module, tm: llvm.TargetMachine, opt_level: int) -> llvm.ModuleRef:
    """Parse and verify the IR, then run LLVM's default -O<opt_level> module pipeline."""
    text = str(ir_text_or_module) if isinstance(ir_text_or_module, ir.Module) else ir_text_or_module
    try:
        mod = llvm.parse_assembly(text)
        mod.verify()
    except RuntimeError as e:
        raise CompileError(f"generated LLVM IR is invalid: {e}") from None
    pto = llvm.create_pipeline_tuning_options(speed_level=opt_level)
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)
    return mod


def emit_object(modref: llvm.ModuleRef, tm: llvm.TargetMachine) -> bytes:
    return tm.emit_object(modref)


def emit_assembly(modref: llvm.ModuleRef, tm: llvm.TargetMachine) -> str:
    return tm.emit_assembly(modref)


__all__ = ["target_machine", "known_features", "optimize", "emit_object", "emit_assembly"]
