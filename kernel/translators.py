"""Per-signature translators: native trampolines that link one plugin's import to
another plugin's export.

A translator has the import's own native signature, `result fn(KLink *link, tctx,
params...)`, so compiled code calls it exactly as it would call the export directly.
It checks the callee is alive, lends each cap argument into the callee's namespace,
calls the export under a guard (a trap in the callee lands in the translator, which
marks the callee dead and returns zeros with K_ETRAPPED for the caller), takes the lent
caps back and moves a cap result into the caller's namespace. Scalars pass unchanged.

One C function is generated per *shape*: the params and results as letters, 'c' for a
cap and i/I/f/F for i32/i64/f32/f64 (interface.Function.shape). The C is compiled once
per set of shapes into a cffi extension cached like the runtime's. The generic
translator (kernel/native/kcore.c) does the same for any shape by reading the shape at
run time; it is the reference the specialised ones are tested against.
"""
from __future__ import annotations

import hashlib
import threading

import cffi

from runtime._extbuild import load_or_build

from . import _native

_CTYPE = {"c": "uint32_t", "i": "int32_t", "I": "int64_t", "f": "float", "F": "double"}
_MAX_PARAMS = 32


def shape_name(params: str, results: str) -> str:
    """The C name of the translator for a shape."""
    return f"ktr_{params or 'v'}_{results or 'v'}"


def translator_c(params: str, results: str) -> str:
    """The C source of one specialised translator."""
    if len(results) > 1:
        raise ValueError("translators return at most one value")
    if len(params) > _MAX_PARAMS or any(c not in _CTYPE for c in params + results):
        raise ValueError(f"unsupported translator shape {params!r} -> {results!r}")
    ret = _CTYPE[results] if results else "void"
    zero = "return 0;" if results else "return;"
    plist = "".join(f", {_CTYPE[c]} p{i}" for i, c in enumerate(params))
    fn_type = f"{ret} (*)(void *, void *{''.join(', ' + _CTYPE[c] for c in params)})"
    caps = [i for i, c in enumerate(params) if c == "c"]
    lines = [f"{ret} {shape_name(params, results)}(KLink *L, void *t{plist}) {{",
             "    KInstance *const caller = L->caller, *const callee = L->callee;",
             # a caller that died in a nested call may still be running: it calls nobody
             f"    if (K_UNLIKELY(callee->dead | caller->dead)) {{ k_fail(caller, K_EDEAD); {zero} }}"]
    for k, i in enumerate(caps):
        undo = "".join(f" if (l{j}) k_unlend(callee, l{j});" for j in caps[:k])
        lines += [
            f"    uint32_t l{i} = 0;",
            f"    if (p{i}) {{",
            f"        KObject *o = k_lookup(caller, p{i});",
            f"        if (K_UNLIKELY(!o)) {{{undo} k_fail(caller, K_EBADCAP); {zero} }}",
            f"        l{i} = k_lend(callee, o);",
            f"        if (K_UNLIKELY(!l{i})) {{{undo} k_fail(caller, K_ENOMEM); {zero} }}",
            "    }"]
    args = ", ".join(f"l{i}" if c == "c" else f"p{i}" for i, c in enumerate(params))
    call = f"(({fn_type})L->fn)(L->vmctx, t{', ' + args if args else ''})"
    if results:
        lines.append(f"    {ret} r = 0;")
        call = f"r = {call}"
    lines += ["    int trapped = 0;",
              f"    K_GUARDED_CALL(t, {{ k_callee_trapped(L, _k_trap); trapped = 1; }}, {call});",
              f"    if (K_UNLIKELY(trapped)) {zero}",
              f"    if (K_UNLIKELY(callee->dead)) {{ k_fail(caller, K_ETRAPPED); {zero} }}"]
    lines += [f"    if (l{i}) k_unlend(callee, l{i});" for i in caps]
    if results == "c":
        lines.append("    return k_move_result(callee, caller, r);")
    elif results:
        lines.append("    return r;")
    lines.append("}")
    return "\n".join(lines) + "\n"


class TranslatorCache:
    """Specialised translators by shape, built on demand (a batch of shapes per build)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._addresses: dict[tuple[str, str], int] = {}
        self._modules: list = []  # keep every built extension loaded

    def addresses(self, shapes) -> dict[tuple[str, str], int]:
        """The native address of the translator of every shape in `shapes`."""
        wanted = sorted(set(shapes))
        with self._lock:
            missing = [s for s in wanted if s not in self._addresses]
            if missing:
                self._build(missing)
            return {s: self._addresses[s] for s in wanted}

    def _build(self, shapes: list[tuple[str, str]]) -> None:
        source = "".join(translator_c(p, r) for p, r in shapes)
        names = [shape_name(p, r) for p, r in shapes]
        digest = hashlib.sha256(source.encode() + _native._digest().encode()).hexdigest()[:16]

        def builder(module_name: str) -> cffi.FFI:
            b = cffi.FFI()
            b.cdef("".join(f"void *{n}_address(void);\n" for n in names))
            b.set_source(module_name,
                         '#include "kapi.h"\n#include "kcore.c"\n' + source +
                         "".join(f"void *{n}_address(void) {{ return (void *){n}; }}\n" for n in names),
                         include_dirs=[str(_native.NATIVE_DIR), str(_native.RUNTIME_NATIVE_DIR)],
                         extra_compile_args=["-std=gnu11", "-O2", "-fno-strict-aliasing",
                                             "-Wall", "-Wno-clobbered", "-Wno-unused-function"])
            return b

        module = load_or_build(f"_aot_ktr_{digest}", "ktr", digest, builder,
                               "the kernel's translators")
        self._modules.append(module)
        for shape, name in zip(shapes, names):
            addr = getattr(module.lib, f"{name}_address")()
            self._addresses[shape] = int(module.ffi.cast("uintptr_t", addr))


translators = TranslatorCache()
"""The process's translators (the native code is shared by every kernel)."""
