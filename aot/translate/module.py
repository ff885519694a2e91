"""Module-level translation: functions, the functions table, adapters, manifest and data."""
from __future__ import annotations

from functools import partial

from llvmlite import ir

from aot import abi
from aot.abi import MemoryStrategy
from aot.manifest import build_manifest, encode
from aot.model import Module

from .adapters import define_host_adapter, define_trampoline
from .environ import ModuleEnv
from .function import FunctionTranslator
from .irutils import I8, I64, PTR, FnAttributes, FnPtr, native_fn_type
from .memory import memory_access
from .target import TargetInfo

# dso_local: calls between the module's functions are direct, not through the PLT, and
# cannot be interposed by a same-named symbol of another loaded module (every module
# defines wasm_func_0). The symbols keep default visibility so profilers see them.
LINKAGE = "dso_local"


def _fn_attrs(traps_by_fault: bool) -> FnAttributes:
    # nounwind: traps leave by siglongjmp, never by unwinding. Not under a strategy whose
    # accesses fault: its barriers must stay "may throw" when inlined (the inliner marks
    # every call it inlines from a nounwind call site nounwind). probe-stack: a frame larger
    # than a page touches each page in order, so it cannot jump over the stack guard page.
    # disable-tail-calls: no tail-recursion-to-loop and no sibling calls, so unbounded
    # recursion grows the stack and traps CALL_STACK_EXHAUSTED instead of looping forever.
    attrs = ['"probe-stack"="inline-asm"', '"disable-tail-calls"="true"']
    return FnAttributes(attrs if traps_by_fault else ["nounwind", *attrs])


def _declare_functions(env: ModuleEnv) -> None:
    n_imp = env.num_imported_funcs
    env.functions = [None] * n_imp
    for i, type_index in enumerate(env.wasm.funcs):
        fn = ir.Function(env.ir, native_fn_type(env.wasm.types[type_index]), abi.sym_function(n_imp + i))
        fn.linkage = LINKAGE
        fn.attributes = _fn_attrs(env.memory.traps_by_fault)
        env.functions.append(fn)


def _constant(m: ir.Module, name: str, ty: ir.Type, value, section: str | None = None) -> None:
    g = ir.GlobalVariable(m, ty, name)
    g.initializer = ir.Constant(ty, value)
    g.global_constant = True
    if section:
        g.section = section


def _bytes(m: ir.Module, name: str, data: bytes, section: str | None = None) -> None:
    _constant(m, name, ir.ArrayType(I8, len(data)), bytearray(data), section)


def translate_module(module: Module, *, strategy: MemoryStrategy, triple: str, data_layout: str,
                     compiler_version: str, features: str = "",
                     interrupt_checks: bool = False, batch_checks: bool = True,
                     opt_level: int = 2) -> ir.Module:
    """The LLVM module of a decoded, validated Wasm module (see aot.abi for its contents).

    `features`: CPU features the code may assume beyond the triple's baseline, as LLVM's
    "+a,-b" string (see aot.translate.target); empty for portable code.
    `interrupt_checks`: emit the polled checks of aot.translate.interrupt (loop headers,
    entries of calling functions); without them calls are still interrupted, by signal.
    `batch_checks`: BOUNDS checks accesses sharing an address once per group (exact; see
    aot.translate.memory.batching) and both strategies version simple counted loops
    (aot.translate.memory.versioning); False gives the plain lowering.
    `opt_level`: the -O level LLVM will run; a strategy may lower differently for -O0
    (GUARD keeps loads alive with `volatile` there, with an empty asm above).
    """
    strategy = MemoryStrategy(strategy)
    m = ir.Module(name="wasm")  # never a name from the binary: it would be printed into the IR text
    m.triple = triple
    m.data_layout = data_layout
    env = ModuleEnv(module, m, memory_access(strategy, batch_checks=batch_checks), TargetInfo.from_triple(triple, features))
    env.interrupt_checks = interrupt_checks
    env.opt_level = opt_level
    _declare_functions(env)
    n_imp = env.num_imported_funcs
    for i, code in enumerate(module.codes):
        FunctionTranslator(env, n_imp + i, env.functions[n_imp + i], code).translate()
    defined = env.functions[n_imp:]
    _constant(m, abi.SYM_FUNCTIONS, ir.ArrayType(PTR, len(defined)), [FnPtr(f) for f in defined])
    for t, ft in enumerate(module.types):
        attrs = partial(_fn_attrs, env.memory.traps_by_fault)
        define_trampoline(env, t, ft, attrs)
        define_host_adapter(env, t, ft, attrs)
    starts, pos = [], 0
    for seg in module.datas:
        starts.append(pos)
        pos += len(seg.data)
    _bytes(m, abi.SYM_DATA, b"".join(seg.data for seg in module.datas))
    manifest = encode(build_manifest(module, strategy=strategy.value, target=triple,
                                     compiler_version=compiler_version, data_starts=starts,
                                     interrupt_checks=interrupt_checks))
    _bytes(m, abi.SYM_MANIFEST, manifest, abi.MANIFEST_SECTION)
    _constant(m, abi.SYM_MANIFEST_LEN, I64, len(manifest))
    return m
