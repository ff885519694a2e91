"""The oracle for one (possibly malformed) input: decode → validate → compile.

Acceptable outcomes: DecodeError, ValidationError, or a successful compile. Anything
else is a problem: another exception from any stage (a crash or hang is caught by the
worker pool around this). Two more checks:

- Validity must agree with the reference: Wasmtime's validator configured for the
  2.0 feature set; when it disagrees with us, `wasm-tools validate --features wasm2`
  settles it (Wasmtime cannot switch off extended-const, which 2.0 lacks).
  One disagreement is the reference's: a reserved zero byte (memory.size, memory.grow,
  memory.fill, ...) written as an overlong LEB128 zero is malformed in 2.0 ("zero byte
  expected", binary.wast), while wasmparser reads a memory index there (3.0's
  multi-memory encoding) and accepts it. `overlong_reserved_zero` recognises it; such
  inputs are counted apart (`note`), not reported.
- With `cli`, `aot compile` on the input must exit 0 or 1 and print no traceback.

`UNSUPPORTED` lists the CompileError messages that mean "a feature not implemented
yet" (SIMD lowering is in progress); they are counted apart, not as problems.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass

UNSUPPORTED = ("SIMD is not supported yet",)


@dataclass
class InputReport:
    """How one input went through the stages, and what was wrong, if anything."""

    verdict: str = ""  # decode-error | validation-error | valid | compiled | unsupported
    message: str = ""  # our error message, if any
    reference_valid: bool | None = None
    problem: str | None = None  # set when the outcome is not acceptable
    note: str | None = None  # a known reference difference that is not a problem

    def to_json(self) -> dict:
        return asdict(self)


_VALIDATOR = None


def _reference_engine():
    global _VALIDATOR
    if _VALIDATOR is None:
        import wasmtime
        cfg = wasmtime.Config()
        cfg.wasm_simd = True
        cfg.wasm_relaxed_simd = False
        cfg.wasm_threads = False
        cfg.wasm_tail_call = False
        cfg.wasm_multi_memory = False
        cfg.wasm_memory64 = False
        cfg.wasm_gc = False
        cfg.wasm_function_references = False
        cfg.wasm_exceptions = False
        cfg.wasm_wide_arithmetic = False
        cfg.wasm_custom_page_sizes = False
        _VALIDATOR = wasmtime.Engine(cfg)
    return _VALIDATOR


def reference_valid(wasm: bytes) -> tuple[bool, str]:
    """Whether the 2.0 spec (as wasmparser implements it) accepts `wasm`, and why not."""
    import wasmtime
    try:
        wasmtime.Module.validate(_reference_engine(), wasm)
        valid, why = True, ""
    except wasmtime.WasmtimeError as e:
        valid, why = False, str(e).strip().splitlines()[0]
    return valid, why


def wasm_tools_valid(wasm: bytes) -> tuple[bool, str]:
    """The tie-breaker: wasm-tools with exactly the 2.0 features."""
    from .gen import wasm_tools
    proc = subprocess.run([wasm_tools(), "validate", "--features", "wasm2", "-"], input=wasm,
                          capture_output=True, timeout=60)
    return proc.returncode == 0, proc.stderr.decode(errors="replace").strip()[:300]


def overlong_reserved_zero(wasm: bytes, offset: int | None) -> bool:
    """Whether `wasm` holds an overlong LEB128 zero (0x80 ... 0x00, 2 to 5 bytes) at
    `offset`: where the 2.0 spec wants a single zero byte."""
    if offset is None:
        return False
    b = wasm[offset:offset + 5]
    for n in range(1, len(b)):
        if b[n - 1] != 0x80:
            return False
        if b[n] == 0x00:
            return True
    return False


def check_input(wasm: bytes, compile_config: str | None, *, cli: bool = False,
                progress=None) -> InputReport:
    """Run the stages on `wasm` and judge the outcome (see the module docstring)."""
    from aot.compiler import compile_wasm
    from aot.decode import decode_module
    from aot.errors import CompileError, DecodeError, ValidationError
    from aot.validate import validate_module

    from .diff import parse_config

    rep = InputReport()
    decode_offset = None
    stage = "decode"
    try:
        module = decode_module(wasm)
        stage = "validate"
        validate_module(module)
        rep.verdict = "valid"
    except DecodeError as e:
        rep.verdict, rep.message = "decode-error", str(e)
        decode_offset = e.offset if e.message == "zero byte expected" else None
    except ValidationError as e:
        rep.verdict, rep.message = "validation-error", str(e)
    except Exception as e:  # noqa: BLE001 - precisely what this oracle looks for
        rep.problem = f"{stage} raised {type(e).__name__}: {e}"
        return rep

    ours = rep.verdict == "valid"
    ref, why = reference_valid(wasm)
    if ref != ours:
        ref, why = wasm_tools_valid(wasm)
    rep.reference_valid = ref
    if ref and not ours and overlong_reserved_zero(wasm, decode_offset):
        rep.note = "overlong reserved zero: malformed in 2.0, a memory index to wasmparser"
    elif ref != ours:
        rep.problem = (f"validity: we say {'valid' if ours else rep.message!r}; the reference says "
                       f"{'valid' if ref else why!r}")

    if ours and compile_config and rep.problem is None:
        if progress:
            progress(f"compile {compile_config}")
        strategy, opt = parse_config(compile_config)
        try:
            compile_wasm(wasm, memory=strategy, opt_level=opt, emit="obj")
            rep.verdict = "compiled"
        except CompileError as e:
            if any(u in str(e) for u in UNSUPPORTED):
                rep.verdict, rep.message = "unsupported", str(e)
            else:
                rep.problem = f"compile ({compile_config}) raised CompileError: {e}"
        except Exception as e:  # noqa: BLE001
            rep.problem = f"compile ({compile_config}) raised {type(e).__name__}: {e}"

    if cli and rep.problem is None:
        if progress:
            progress("cli")
        rep.problem = cli_problem(wasm)
    return rep


def cli_problem(wasm: bytes) -> str | None:
    """What is wrong with how `aot compile` handles `wasm`, or None."""
    with tempfile.TemporaryDirectory(prefix="aot-fuzz-cli-") as tmp:
        src = os.path.join(tmp, "input.wasm")
        with open(src, "wb") as f:
            f.write(wasm)
        env = dict(os.environ)
        env.pop("AOT_DEBUG", None)
        proc = subprocess.run([sys.executable, "-m", "aot.cli", "compile", src, "-o",
                               os.path.join(tmp, "out.so")], capture_output=True, env=env,
                              timeout=120)
    err = proc.stderr.decode(errors="replace")
    if "Traceback" in err or "Traceback" in proc.stdout.decode(errors="replace"):
        return f"aot compile printed a traceback: {err[-800:]}"
    if proc.returncode not in (0, 1):
        return f"aot compile exited with {proc.returncode}: {err.strip()[-400:]}"
    # Stage lines ("aot: [  1.02s] ...") appear when a compile is slow; the error is one line.
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("aot: [")]
    if proc.returncode == 1 and (len(lines) != 1 or not lines[0].startswith("aot: error: ")):
        return f"aot compile's error is not one line: {err.strip()[-400:]}"
    return None
