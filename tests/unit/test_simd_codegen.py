"""SIMD operators become native vector instructions: x86-64 assembly (this host, tuned,
and a portable build for a named CPU) names the expected SSE/AVX instructions and has no
branch (so no scalar loop); aarch64 cross-compiles to an object whose assembly uses NEON."""
from __future__ import annotations

import platform
import re

import llvmlite.binding as llvm
import pytest

from aot import elf
from aot.abi import MANIFEST_SECTION
from aot.compiler import compile_wasm
from aot.opcodes import OPCODES, PREFIX_FD, Imm
from aot.translate.target import TargetInfo
from tests.unit.simd_support import wat

# (op, number of v128 operands, x86-64 instruction (regex), aarch64 instruction (regex or None))
CASES = [
    ("i8x16.swizzle", 2, "pshufb", "tbl"),
    ("i8x16.popcnt", 1, r"(pshufb|vpopcntb)", "cnt"),
    ("i8x16.add_sat_s", 2, "paddsb", "sqadd"),
    ("i16x8.sub_sat_u", 2, "psubusw", "uqsub"),
    ("i8x16.avgr_u", 2, "pavgb", "urhadd"),
    ("i16x8.q15mulr_sat_s", 2, "pmulhrsw", "sqrdmulh"),
    ("i32x4.dot_i16x8_s", 2, "pmaddwd", "smull"),
    ("i8x16.narrow_i16x8_s", 2, "packsswb", "sqxtn"),
    ("i16x8.narrow_i32x4_u", 2, "packusdw", "sqxtun"),
    ("i32x4.trunc_sat_f32x4_s", 1, "cvttps2dq", "fcvtzs"),
    ("i32x4.trunc_sat_f64x2_s_zero", 1, "cvttpd2dq", "fcvtzs"),
    ("i8x16.bitmask", 1, "pmovmskb", None),
    ("f32x4.pmin", 2, "(minps|cmpltps)", None),
    ("f64x2.add", 2, "addpd", "fadd"),
    ("f32x4.nearest", 1, "roundps", "frintn"),
    ("i32x4.mul", 2, "pmulld", "mul"),
    ("i32x4.min_u", 2, "pminud", "umin"),
    ("i16x8.extmul_low_i8x16_s", 2, r"(pmullw|pmovsxbw)", "smull"),
    ("i64x2.shr_s", 1, r"(psraq|psrlq)", "sshl"),
    ("v128.bitselect", 3, r"(pand|andn?ps|pternlog|pblendvb)", "bsl|bit|bif"),
]


def _module() -> str:
    """One function per case: operands loaded from memory, the result stored back, so the
    assembly shows the operator between vector registers (not the i128 ABI moves)."""
    funcs = []
    for op, arity, _, _ in CASES:
        args = " ".join(f"(v128.load offset={16 * k} (local.get 0))" for k in range(arity))
        if op.endswith(("shr_s", "shl", "shr_u")):
            args += " (local.get 1)"
        store = "i32.store" if op.endswith("bitmask") else "v128.store"
        funcs.append(f'(func (export "{op}") (param i32 i32) ({store} (local.get 0) ({op} {args})))')
    return "(module (memory 1)\n  " + "\n  ".join(funcs) + ")"


def _functions(asm: str) -> dict[str, str]:
    """Assembly of each defined Wasm function, by the op it tests (function i = CASES[i])."""
    bodies = {}
    for i, (op, *_rest) in enumerate(CASES):
        m = re.search(rf"^wasm_func_{i}:\n(.*?)^\.Lfunc_end{i}:", asm, re.S | re.M)
        assert m, f"no wasm_func_{i} in the assembly"
        bodies[op] = m.group(1)
    return bodies


def _instructions(body: str) -> list[str]:
    return [line.split()[0] for line in body.splitlines()
            if line.strip() and not line.lstrip().startswith((".", "#", "//")) and not line.endswith(":")]


@pytest.fixture(scope="module")
def wasm() -> bytes:
    return wat(_module())


def _has_x86(feature: str) -> bool:
    return platform.machine() == "x86_64" and bool(llvm.get_host_cpu_features().get(feature))


@pytest.mark.skipif(not (_has_x86("ssse3") and _has_x86("sse4.1")),
                    reason="needs an x86-64 host with SSSE3 and SSE4.1")
@pytest.mark.parametrize("cpu", [None, "x86-64-v2"], ids=["host", "portable-x86-64-v2"])
def test_x86_64_uses_vector_instructions_and_never_loops(wasm, cpu):
    asm = compile_wasm(wasm, emit="asm", cpu=cpu).decode()
    for op, body in _functions(asm).items():
        x86 = next(c[2] for c in CASES if c[0] == op)
        if cpu and op == "i16x8.q15mulr_sat_s":
            x86 = "(pmul|pmadd)"  # no feature list: the portable form, widened products
        instrs = _instructions(body)
        assert any(re.fullmatch(rf"v?{x86}\w*", i) for i in instrs), (op, instrs)
        assert not any(i.startswith("j") for i in instrs), (op, "branches", instrs)
        assert not any(i.startswith("call") for i in instrs), (op, "calls", instrs)
        if op == "i8x16.popcnt":  # no scalar popcnt per byte
            assert "popcntl" not in instrs and "popcntq" not in instrs


def test_aarch64_object_and_neon_assembly(wasm):
    triple = "aarch64-unknown-linux-gnu"
    obj = compile_wasm(wasm, emit="obj", target=triple)
    assert obj[:4] == b"\x7fELF" and int.from_bytes(obj[18:20], "little") == 183  # EM_AARCH64
    asm = compile_wasm(wasm, emit="asm", target=triple).decode()
    for op, body in _functions(asm).items():
        a64 = next(c[3] for c in CASES if c[0] == op)
        instrs = _instructions(body)
        assert not any(re.fullmatch(r"b|b\.\w+|cbn?z|tbn?z|bl|blr|br", i) for i in instrs), (op, instrs)
        if a64:
            assert any(re.fullmatch(rf"({a64})2?", i) for i in instrs), (op, instrs)


def test_aarch64_shared_object_links(wasm):
    try:
        so = compile_wasm(wasm, target="aarch64-unknown-linux-gnu")
    except Exception as e:  # no cross linker on this machine
        pytest.skip(f"cannot link for aarch64 here: {e}")
    manifest = elf.read_section(so, MANIFEST_SECTION)
    assert manifest and b'"target":"aarch64' in manifest


def _every_simd_instruction() -> str:
    """A module with one function per SIMD instruction, operands from its parameters."""
    imms = {Imm.NONE: "", Imm.MEMARG: "", Imm.LANE: "1", Imm.MEMARG_LANE: "1",
            Imm.V128: "i32x4 1 2 3 4", Imm.SHUFFLE: " ".join(str(i) for i in range(0, 32, 2))}
    funcs = []
    for code, info in OPCODES.items():
        if not (isinstance(code, tuple) and code[0] == PREFIX_FD):
            continue
        params, results = info.sig
        sig = (f"(param {' '.join(t.text for t in params)})" if params else "") + \
              (f" (result {' '.join(t.text for t in results)})" if results else "")
        args = " ".join(f"(local.get {i})" for i in range(len(params)))
        funcs.append(f'(func (export "{info.name}") {sig} ({info.name} {imms[info.imm]} {args}))')
    return "(module (memory 1)\n  " + "\n  ".join(funcs) + ")"


def _called_symbols(asm: str) -> set[str]:
    calls = re.findall(r"^\s+(?:callq?|jmpq?|bl|b)\s+\*?([A-Za-z_][\w.@]*)", asm, re.M)
    return {c for c in calls if not c.startswith(".L")}


@pytest.mark.parametrize("target", [None, "aarch64-unknown-linux-gnu"], ids=["host", "aarch64"])
def test_no_simd_instruction_becomes_a_library_call(target):
    """Every SIMD instruction, both strategies: inline vector code, no libm or helper calls
    (only the trap builtin, which is called through a register)."""
    if target is None and platform.machine() == "x86_64" and not _has_x86("sse4.1"):
        pytest.skip("before SSE4.1, x86-64 has no rounding instruction: LLVM calls libm")
    wasm = wat(_every_simd_instruction())
    for memory in ("guard", "bounds"):
        asm = compile_wasm(wasm, emit="asm", target=target, memory=memory).decode()
        assert _called_symbols(asm) == set()


def test_target_info_reads_llvm_feature_strings():
    t = TargetInfo.from_triple("x86_64-unknown-linux-gnu", "+sse2,+ssse3,-avx512f,+sse4.1")
    assert t.is_x86_64 and t.has("ssse3") and t.has("sse4.1") and not t.has("avx512f")
    bare = TargetInfo.from_triple("x86_64-pc-linux-gnu")
    assert bare.has("sse2") and not bare.has("ssse3")  # only the baseline is assumed
    assert TargetInfo.from_triple("arm64-apple-darwin").is_aarch64
    assert not TargetInfo.from_triple("riscv64-unknown-linux-gnu").is_x86_64
