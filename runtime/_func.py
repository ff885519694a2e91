"""`Func`: a WebAssembly function, either exported by an instance or defined in Python."""
from __future__ import annotations

import weakref
from typing import Callable

from aot.model import FuncType, ValType

from ._caller import caller_entry, plain_entry
from ._errors import LinkError, ResourceError
from ._exclusive import Using
from ._links import link
from ._native_loader import ffi, lib
from ._refs import (extern_object, funcref_owner, hold_extern, register_funcrefs,
                    release_externs, unregister_funcrefs)
from ._trap import raise_trap
from ._types import functype, provider, type_id
from ._values import (MASK64, bits_to_num, mask, num_decoder, num_encoder, num_to_bits,
                      read_slot, write_slot)


class Func:
    """A function with a `FuncType`.

    `Func(callable, functype)` wraps a Python callable as a host function to import.
    Functions exported by an instance come from `instance.exports`. Calling either
    converts Python values (`__call__`) or exact bit patterns (`call_raw`).

    `Func(callable, functype, caller=True)` calls `callable(caller, *params)` with a
    `runtime.Caller` for the instance that imported it (its `.memory`, `.exports`).
    Such a function can only be called from Wasm, through an import: not from Python,
    and not as a funcref that Python puts in a table or passes to Wasm.
    """

    def __init__(self, fn: Callable, type: FuncType, *, caller: bool = False):
        if not callable(fn):
            raise TypeError(f"Func needs a callable, not {fn.__class__.__name__}")
        if not isinstance(type, FuncType):
            raise TypeError("Func needs an aot.model.FuncType as its type")
        self._init(type)
        self._callable = fn
        if caller:
            self._take_caller(caller_entry(fn, type))
        else:
            entry = plain_entry(fn, type)
            if entry is not None:  # numbers only: a call path made for the signature
                self._call_from_wasm = entry

    @classmethod
    def _raw_host(cls, fn: Callable, type: FuncType) -> "Func":
        """A host function called as `fn(caller, *param_bits)` returning result bits
        (unsigned ints, as `call_raw`); numeric types only. For hot host functions."""
        f = cls(fn, type)
        f._take_caller(caller_entry(fn, type, raw=True))
        return f

    def _take_caller(self, entry) -> None:
        # An instance attribute shadows the class's _call_from_wasm: ordinary host
        # functions keep the class method and pay nothing for this feature.
        self._call_from_wasm = entry
        self._takes_caller = True

    def _init(self, ft: FuncType) -> None:
        self._type = ft
        self._callable = None  # set for host functions
        self._owner = None  # the Instance a Wasm function belongs to (kept alive by us)
        self._ref = None  # VMFuncRef * (Wasm functions; host functions once put in a table)
        self._tramp = None  # the trampoline that calls _ref's signature
        self._keep = None  # native things a host function's own VMFuncRef needs
        self._plan = None  # how to call it, made on the first call
        self._fast = None  # aot_fast_target * when calls can take the fast path
        self._fast_pad = ()  # zeros filling the fast path's four argument places
        self._fast_result = False
        self._fast_using = None  # the Using of bounds memories the fast path must enter
        self._links: set = set()
        self._externs: set = set()
        self._takes_caller = False
        weakref.finalize(self, release_externs, self._externs)

    @classmethod
    def _wasm(cls, owner, ref, ft: FuncType, tramp) -> "Func":
        """A Wasm function: `ref` is its VMFuncRef *, `owner` what keeps it alive."""
        f = cls.__new__(cls)
        f._init(ft)
        f._owner = owner
        f._ref = ref
        f._tramp = tramp
        return f

    @classmethod
    def _native(cls, ft: FuncType, native_fn, ctx, keep) -> "Func":
        """A function implemented in native code outside any compiled module (the kernel's
        syscalls and translators): `native_fn(ctx, tctx, params...)` with the compiled-code
        convention. `keep` is what must outlive every instance that imports it."""
        ref = ffi.new("VMFuncRef *")
        ref.native_fn = native_fn
        ref.vmctx = ctx
        ref.type_id = type_id(ft)
        f = cls._wasm(keep, ref, ft, None)
        f._keep = ref
        return f

    @property
    def type(self) -> FuncType:
        return self._type

    def __repr__(self) -> str:
        kind = "host" if self._callable is not None else "wasm"
        return f"<Func {kind} {self._type}>"

    # ---- calls from Python -------------------------------------------------------------

    def __call__(self, *args, timeout: float | None = None, interrupt: "Interrupt | None" = None):
        """Call with Python values; returns None, one value, or a tuple of values.

        Keyword-only (Wasm parameters are always positional): `timeout` in seconds, after
        which the call traps with TrapCode.INTERRUPTED; `interrupt`, a `runtime.Interrupt`
        whose `.interrupt()` (from any thread) stops the call the same way. Both cover
        everything the call runs, nested instances included; host functions it calls are
        not stopped, but the Wasm code stops at its next check after they return."""
        fast = self._fast
        if fast is not None and timeout is None and interrupt is None:
            try:
                using = self._fast_using
                if using is None:
                    r = _fastcall(fast, *(args + self._fast_pad))
                else:  # bounds memories: one thread at a time (runtime._exclusive)
                    with using:
                        r = _fastcall(fast, *(args + self._fast_pad))
            except (TypeError, OverflowError):
                pass  # not four plain ints in range: the general path says what is wrong
            else:
                if r != _FAST_SENTINEL:
                    return r if self._fast_result else None
                info = ffi.new("aot_trap_info *")
                status = lib.aot_fast_status(info)
                if status == lib.AOT_FAST_OK:
                    return r  # the sentinel was the real result
                if status == lib.AOT_FAST_TRAPPED:
                    raise_trap(info)
        ft = self._type
        if self._takes_caller:
            raise TypeError(_NO_CALLER)
        if len(args) != len(ft.params):
            raise TypeError(f"function {ft} takes {len(ft.params)} arguments, got {len(args)}")
        if self._callable is not None:
            results = _split_results(ft, self._callable(*args))
            values = [_normalise(t, v) for t, v in zip(ft.results, results)]
        else:
            plan = self._plan or self._make_plan()
            holder = self._owner if self._owner is not None else self
            bits = [enc(a, holder) for enc, a in zip(plan.encoders, args)]
            if timeout is None and interrupt is None:
                out = self._invoke(bits)
            else:
                out = self._invoke(bits, timeout, interrupt)
            values = [dec(b) for dec, b in zip(plan.decoders, out)]
        if not values:
            return None
        return values[0] if len(values) == 1 else tuple(values)

    def call_raw(self, *bits: int, timeout: float | None = None,
                 interrupt: "Interrupt | None" = None) -> tuple[int, ...]:
        """Call with exact bit patterns (unsigned ints; f32 as its u32 bits, references as
        pointer-sized ints, 0 = null); returns the results' bits the same way.
        `timeout` and `interrupt` as for `__call__`."""
        ft = self._type
        if self._takes_caller:
            raise TypeError(_NO_CALLER)
        if len(bits) != len(ft.params):
            raise TypeError(f"function {ft} takes {len(ft.params)} arguments, got {len(bits)}")
        args = []
        for t, b in zip(ft.params, bits):
            if not isinstance(b, int):
                raise TypeError(f"call_raw takes ints, got {type(b).__name__}")
            b = mask(t, b)
            if t is ValType.FUNCREF and b:
                func = Func._from_address(b, strict=True)
                link(func, self._owner if self._owner is not None else self)
            args.append(b)
        if self._callable is None:
            return tuple(self._invoke(args, timeout, interrupt))
        results = _split_results(ft, self._callable(*[from_bits(t, b) for t, b in zip(ft.params, args)]))
        return tuple(to_bits(t, v, self) for t, v in zip(ft.results, results))

    def _make_plan(self) -> "_Plan":
        ref = self._ref  # immutable once the owning instance is built
        if self._tramp is None:  # a native function: any module with the signature calls it
            found = provider(type_id(self._type))
            if found is None:
                raise LinkError(f"cannot call native function {self._type} from Python: no "
                                "loaded module has that signature")
            self._tramp = found[0]._trampoline(found[1])
        self._plan = _Plan(self._type, self._tramp, ref.native_fn, ref.vmctx)
        # An instance with 'bounds' memories runs in one thread at a time (runtime._exclusive).
        held = [m._exclusive for m in getattr(self._owner, "_memories", ())
                if getattr(m, "_exclusive", None) is not None]
        self._plan.exclusive = Using(held) if held else None
        self._fast_using = self._plan.exclusive
        self._make_fast(self._plan)
        return self._plan

    def _make_fast(self, plan: "_Plan") -> None:
        """Set up the fast path when the signature allows it: <= 4 params, all i32/i64,
        and no result or one i32/i64 (numbers only, so no references to keep alive)."""
        ft = self._type
        ints = (ValType.I32, ValType.I64)
        if len(ft.params) > 4 or len(ft.results) > 1 or not all(t in ints for t in ft.params + ft.results):
            return
        t = ffi.new("aot_fast_target *")
        t.tramp, t.fn, t.vmctx = plan.tramp, plan.fn, plan.vmctx
        t.nparams = len(ft.params)
        t.param_is_i32 = sum(1 << i for i, p in enumerate(ft.params) if p is ValType.I32)
        t.result = (lib.AOT_FAST_RESULT_NONE if not ft.results else
                    lib.AOT_FAST_RESULT_I32 if ft.results[0] is ValType.I32 else lib.AOT_FAST_RESULT_I64)
        self._fast_pad = (0,) * (4 - len(ft.params))
        self._fast_result = bool(ft.results)
        self._fast = t
        self._fast_addr = int(ffi.cast("uintptr_t", t))
        if _C_FAST_CALLS and self._fast_using is None and type(self) is Func:
            self.__class__ = _FastFunc  # later calls skip the Python frame (pycall.c)

    def _invoke(self, bits: list[int], timeout: float | None = None,
                interrupt: "Interrupt | None" = None) -> list[int]:
        """Run the Wasm function on raw bits through aot_invoke (the GIL is released)."""
        plan = self._plan or self._make_plan()
        n = plan.nwords
        words = ffi.new("uint64_t[]", n + _TRAP_INFO_WORDS)  # slots, then the trap record
        for i, b in enumerate(bits):
            words[2 * i] = b & MASK64
            if b > MASK64:
                words[2 * i + 1] = b >> 64
        info = words + n
        if plan.exclusive is not None:
            with plan.exclusive:
                status = self._invoke_watched(plan, words, info, timeout, interrupt)
        elif timeout is None and interrupt is None:
            status = lib.aot_invoke(plan.tramp, plan.fn, plan.vmctx, words, info)
        else:
            status = self._invoke_watched(plan, words, info, timeout, interrupt)
        if status:
            raise_trap(ffi.cast("aot_trap_info *", info))
        return [read_slot(words, i, t) for i, t in enumerate(self._type.results)]

    def _invoke_watched(self, plan, words, info, timeout, interrupt) -> int:
        """aot_invoke_ex: the call with a deadline and/or an interrupt token."""
        if timeout is None and interrupt is None:
            return lib.aot_invoke(plan.tramp, plan.fn, plan.vmctx, words, info)
        module = getattr(self._owner, "module", None)
        if (module is not None and not module.manifest.get("interrupt_checks", False)
                and not lib.aot_interrupt_signal()):
            raise ValueError(f"{module.path} has no interrupt checks and the runtime has no "
                             "interrupt signal (AOT_INTERRUPT_SIGNAL=0, or another handler owns "
                             "it): timeout= and interrupt= cannot stop it; compile it with "
                             "interrupt_checks=True")
        ns = 0
        if timeout is not None:
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout != timeout:
                raise TypeError(f"timeout is a number of seconds, not {timeout!r}")
            ns = max(1, min(int(timeout * 1e9), 1 << 62))  # <= 0: stop at the first check
        token = ffi.NULL
        if interrupt is not None:
            if not isinstance(interrupt, Interrupt):
                raise TypeError(f"interrupt= takes a runtime.Interrupt, not {type(interrupt).__name__}")
            token = interrupt._token
        status = lib.aot_invoke_ex(plan.tramp, plan.fn, plan.vmctx, words, info, ns, token)
        if status < 0:
            raise ResourceError("could not start the runtime's watchdog thread for timeout=")
        return status

    # ---- calls from Wasm (host functions) ----------------------------------------------

    def _call_from_wasm(self, words, holder) -> None:
        """Run the callable on the params in slot buffer `words` (uint64_t *) and store its
        results there. `holder` is the instance that receives the results (it keeps
        references alive)."""
        ft = self._type
        args = [from_bits(t, read_slot(words, i, t)) for i, t in enumerate(ft.params)]
        results = _split_results(ft, self._callable(*args))
        out = [to_bits(t, v, holder) for t, v in zip(ft.results, results)]
        for i, (t, b) in enumerate(zip(ft.results, out)):
            write_slot(words, i, t, b)

    # ---- as a funcref ------------------------------------------------------------------

    def _funcref_address(self) -> int:
        """The VMFuncRef * that stands for this function in tables, globals and calls."""
        if self._ref is None:
            self._make_host_ref()
        return int(ffi.cast("uintptr_t", self._ref))

    def _make_host_ref(self) -> None:
        # A host function gets its own VMFuncRef through the host adapter of any loaded
        # module with the same signature (adapters are only generated into modules).
        if self._takes_caller:
            # Its calls would come from any instance that reaches the table or value,
            # and nothing says which one: there is no caller to give it.
            raise LinkError(f"host function {self._type} takes a Caller, so it can only be "
                            "imported, not used as a funcref from Python")
        tid = type_id(self._type)
        found = provider(tid)
        if found is None:
            raise LinkError(f"cannot use host function {self._type} as a funcref: no loaded "
                            "module has that signature (load one that does first)")
        module, type_index = found
        hc = ffi.new("HostContext *")
        handle = ffi.new_handle(HostBinding(self, self))
        hc.builtins = lib.aot_builtins_table()
        hc.callback = host_callback_pointer()
        hc.handle = handle
        ref = ffi.new("VMFuncRef *")
        ref.native_fn = module._adapter(type_index)
        ref.vmctx = hc
        ref.type_id = tid
        self._keep = (hc, handle, module)
        self._ref = ref
        from ._hostcall import register_binding
        register_binding(hc, ffi.from_handle(handle), self)
        self._tramp = module._trampoline(type_index)
        addr = int(ffi.cast("uintptr_t", ref))
        register_funcrefs(self, [(addr, None)])
        weakref.finalize(self, unregister_funcrefs, [addr])

    @staticmethod
    def _from_address(addr: int, *, strict: bool = False) -> "Func":
        """The Func a funcref pointer stands for."""
        hit = funcref_owner(addr)
        if hit is not None:
            owner, index = hit
            return owner if index is None else owner._func(index)
        if strict:
            raise ValueError(f"{addr:#x} is not a funcref this runtime knows")
        # Not registered (should not happen): call it through any module with its signature.
        ref = ffi.cast("VMFuncRef *", addr)
        ft = functype(ref.type_id)
        found = provider(ref.type_id)
        if ft is None or found is None:
            raise ValueError(f"{addr:#x} is not a funcref this runtime knows")
        module, type_index = found
        f = Func._wasm(module, ref, ft, module._trampoline(type_index))
        return f


class Interrupt:
    """A handle to stop Wasm calls from another thread.

    Pass it to calls (`f(x, interrupt=handle)`, `call_raw(..., interrupt=handle)`); then
    `handle.interrupt()`, from any thread, makes every call running with it (and every
    Wasm call nested in those) trap with TrapCode.INTERRUPTED at its next check: a loop
    header or the entry of a function that calls. The handle stays interrupted, so a
    call started after `interrupt()` stops at once, until `reset()`.
    """

    __slots__ = ("_token", "__weakref__")

    def __init__(self) -> None:
        self._token = ffi.new("aot_token *")

    def interrupt(self) -> int:
        """Interrupt; returns how many calls were running with this handle."""
        return lib.aot_token_interrupt(self._token)

    def reset(self) -> None:
        """Let later calls with this handle run again."""
        lib.aot_token_reset(self._token)

    @property
    def interrupted(self) -> bool:
        return bool(self._token.interrupted)

    def __repr__(self) -> str:
        return f"<Interrupt {'interrupted' if self.interrupted else 'armed'}>"


_NO_CALLER = ("this host function takes a Caller (Func(..., caller=True)): only Wasm code "
              "that imported it can call it")

_TRAP_INFO_WORDS = (ffi.sizeof("aot_trap_info") + 7) // 8  # the trap record after the slots
_fastcall = lib.aot_fastcall
_FAST_SENTINEL = lib.AOT_FAST_SENTINEL


class _Plan:
    """What calling one Wasm function needs, computed once: entry points and converters."""

    __slots__ = ("tramp", "fn", "vmctx", "nwords", "encoders", "decoders", "exclusive")

    def __init__(self, ft: FuncType, tramp, fn, vmctx):
        self.tramp, self.fn, self.vmctx = tramp, fn, vmctx
        self.exclusive = None
        self.nwords = 2 * max(len(ft.params), len(ft.results), 1)
        self.encoders = [_ref_encoder(t) if t.is_ref else _num_encoder_with_holder(num_encoder(t))
                         for t in ft.params]
        self.decoders = [_ref_decoder(t) if t.is_ref else num_decoder(t) for t in ft.results]


def _num_encoder_with_holder(enc):
    return lambda v, holder: enc(v)


def _ref_encoder(t: ValType):
    return lambda v, holder: to_bits(t, v, holder)


def _ref_decoder(t: ValType):
    return lambda bits: from_bits(t, bits)


class HostBinding:
    """What a HostContext's handle points at: the function and who receives its results."""

    __slots__ = ("func", "holder", "__weakref__")

    def __init__(self, func: Func, holder) -> None:
        self.func = func
        self.holder = holder


def host_callback_pointer():
    """The C address of the runtime's host callback (HostContext.callback)."""
    from . import _hostcall  # noqa: F401  (defines the callback's Python side)
    return ffi.cast("void *", lib.aot_host_callback)


# ---- value conversion including references ---------------------------------------------

def _normalise(t: ValType, v):
    """A host function's result as Wasm would return it (checked; i32 wrapped signed)."""
    if t is ValType.FUNCREF:
        if v is not None and not isinstance(v, Func):
            raise TypeError(f"expected a Func or None for funcref, got {type(v).__name__}")
        return v
    if t is ValType.EXTERNREF:
        return v
    return bits_to_num(t, num_to_bits(t, v))


def to_bits(t: ValType, v, holder) -> int:
    """Bits for value `v` of type `t` going into Wasm; `holder` (an object with `_links`
    and `_externs`) is what will hold a reference, and so keeps it alive."""
    if t is ValType.FUNCREF:
        if v is None:
            return 0
        if not isinstance(v, Func):
            raise TypeError(f"expected a Func or None for funcref, got {type(v).__name__}")
        addr = v._funcref_address()
        link(v, holder)
        return addr
    if t is ValType.EXTERNREF:
        return hold_extern(v, holder._externs)
    return num_to_bits(t, v)


def from_bits(t: ValType, bits: int):
    """The Python value for bits of type `t` coming out of Wasm."""
    if t is ValType.FUNCREF:
        return Func._from_address(bits) if bits else None
    if t is ValType.EXTERNREF:
        return extern_object(bits)
    return bits_to_num(t, bits)


def _split_results(ft: FuncType, value) -> list:
    n = len(ft.results)
    if n == 0:
        if value is not None:
            raise TypeError(f"host function {ft} must return None, got {type(value).__name__}")
        return []
    if n == 1:
        return [value]
    if not isinstance(value, (tuple, list)) or len(value) != n:
        raise TypeError(f"host function {ft} must return a tuple of {n} values")
    return list(value)


class _FastFunc(Func):
    """A Wasm function whose calls from Python take the C fast path: `__call__` is a C
    method (runtime/native/pycall.c) that behaves as Func.__call__, which it falls back
    to for anything but plain int arguments (and keyword arguments)."""


def _fast_trapped():
    """Raise the trap this thread's last aot_fastcall recorded (called from pycall.c)."""
    info = ffi.new("aot_trap_info *")
    lib.aot_fast_status(info)
    raise_trap(info)


_C_FAST_CALLS = lib.aot_py_install_fastcall(
    ffi.cast("void *", id(_FastFunc)), ffi.cast("void *", id(Func.__call__)),
    ffi.cast("void *", id(_fast_trapped))) == 0
