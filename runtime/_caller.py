"""`Caller`, and how host functions made with `Func(fn, type, caller=True)` are called.

Such a function gets a `Caller` for the calling instance as its first argument. The
call path is built once per function (per-parameter converters chosen from the
type up front), so a call does no per-value type dispatch. Ordinary host functions
do not go through here at all.
"""
from __future__ import annotations

import struct

from aot.model import FuncType, ValType

from ._values import MASK32, MASK64, num_decoder, num_encoder, read_slot, write_slot


class Caller:
    """The instance whose code called a host function that takes a caller.

    It is the instance that *imported* the function (also when the function is reached
    through a table from another instance). `memory` is that instance's export named
    "memory" when it is a memory, else its first memory, else None; it is looked up
    once, when the instance first calls. `exports` are the instance's exports.
    """

    __slots__ = ("instance", "memory")

    def __init__(self, instance) -> None:
        self.instance = instance
        self.memory = _memory_of(instance)

    @property
    def exports(self):
        return self.instance.exports

    def __repr__(self) -> str:
        return f"<Caller {self.instance!r}>"


def _memory_of(instance):
    from ._memory import Memory

    exports = instance.exports
    if "memory" in exports:
        mem = exports["memory"]
        if isinstance(mem, Memory):
            return mem
    memories = instance._memories
    return memories[0] if memories else None


# ---- the call path ----------------------------------------------------------------------

def _value_decoder(t: ValType):
    """(words, j) -> the Python value in the slot at word j, as ordinary host functions
    receive it."""
    if t.is_ref:
        from ._func import from_bits
        return lambda words, j: from_bits(t, words[j])
    dec = num_decoder(t)
    return lambda words, j: dec(read_slot(words, j // 2, t))


def caller_entry(fn, ft: FuncType, *, raw: bool = False):
    """The `_call_from_wasm(words, holder)` of a host function taking a Caller.

    `raw`: pass parameters as unsigned bit patterns (i32/f32 as u32, i64/f64 as u64) and
    take results the same way, as `Func.call_raw` does; only for numeric types. It
    skips value conversion, for hot host functions such as WASI's.
    """
    from ._func import _split_results, to_bits

    callers: dict = {}  # importing instance -> its Caller (they keep each other alive anyway)
    params, results = ft.params, ft.results
    n_results = len(results)

    def caller_for(holder) -> Caller:
        c = callers.get(holder)
        if c is None:
            c = callers[holder] = Caller(holder)
        return c

    if raw:
        if any(t.is_ref or t is ValType.V128 for t in params + results):
            raise TypeError("raw host functions take only i32, i64, f32 and f64 values")
        return _raw_entry(fn, ft, callers, caller_for)

    encoders = [(lambda v, h, t=t: to_bits(t, v, h)) if t.is_ref else
                (lambda v, h, enc=num_encoder(t): enc(v)) for t in results]

    def store(words, holder, value) -> None:
        values = _split_results(ft, value)
        out = [enc(v, holder) for enc, v in zip(encoders, values)]
        for i, (t, b) in enumerate(zip(results, out)):
            write_slot(words, i, t, b)

    if all(t in _VALUE_FORMAT for t in params):
        # Numbers only: one struct unpack gives the Python values (signed ints, floats
        # from their exact bits, as the ordinary path's decoders give them).
        unpack = struct.Struct("<" + "".join(_VALUE_FORMAT[t] for t in params)).unpack_from
        nbytes = 16 * len(params)
        from ._native_loader import ffi
        buffer = ffi.buffer

        def call(words, holder) -> None:
            store(words, holder, fn(caller_for(holder), *unpack(buffer(words, nbytes))))
        return call

    decoders = [(_value_decoder(t), 2 * i) for i, t in enumerate(params)]

    def call(words, holder) -> None:
        store(words, holder, fn(caller_for(holder), *[dec(words, j) for dec, j in decoders]))
    return call


_VALUE_FORMAT = {ValType.I32: "i12x", ValType.I64: "q8x", ValType.F32: "f12x", ValType.F64: "d8x"}


def _raw_entry(fn, ft: FuncType, callers: dict, caller_for):
    """The call path of a raw host function: one struct unpack reads every parameter."""
    from ._native_loader import ffi

    def is32(t: ValType) -> bool:
        return t in (ValType.I32, ValType.F32)

    params, n_results = ft.params, len(ft.results)
    # Each slot is 16 bytes, the value little-endian in its low bytes: read just those.
    unpack = struct.Struct("<" + "".join("I12x" if is32(t) else "Q8x" for t in params)).unpack_from
    nbytes = 16 * len(params)
    buffer = ffi.buffer
    out_masks = [MASK32 if is32(t) else MASK64 for t in ft.results]

    def store(words, value) -> None:
        if n_results == 0:
            if value is not None:
                raise TypeError(f"host function {ft} must return None, got {type(value).__name__}")
            return
        values = (value,) if n_results == 1 else tuple(value)
        if len(values) != n_results:
            raise TypeError(f"host function {ft} must return a tuple of {n_results} values")
        for i, (v, m) in enumerate(zip(values, out_masks)):
            if not isinstance(v, int):
                raise TypeError(f"raw host function {ft} must return ints, got {type(v).__name__}")
            words[2 * i] = v & m
            words[2 * i + 1] = 0

    if n_results == 1:
        general, m0 = store, out_masks[0]

        def store(words, value) -> None:  # the common case first: one int result
            if type(value) is int:
                words[0] = value & m0  # the adapter reads only the value's width
            else:
                general(words, value)

    # `callers.get(holder) or ...`: the lookup inline, a call only the first time.
    if not params:
        def call(words, holder) -> None:
            store(words, fn(callers.get(holder) or caller_for(holder)))
    else:
        def call(words, holder) -> None:
            store(words, fn(callers.get(holder) or caller_for(holder), *unpack(buffer(words, nbytes))))
    return call


# ---- ordinary host functions with numbers only --------------------------------------

_NUMERIC = (ValType.I32, ValType.I64, ValType.F32, ValType.F64)


def plain_entry(fn, ft: FuncType):
    """The `_call_from_wasm(words, holder)` of an ordinary host function whose params and
    results are all numbers, or None for other signatures: straight-line code made for
    the exact signature (values read from the slots and converted inline, one result
    stored inline), with the same values and errors as the general path."""
    if not all(t in _NUMERIC for t in ft.params + ft.results):
        return None
    from ._func import _split_results

    lines = ["def call(w, holder):"]
    names = []
    for i, t in enumerate(ft.params):
        a, j = f"a{i}", 2 * i
        names.append(a)
        if t is ValType.I32:
            lines += [f"    {a} = w[{j}] & 0xFFFFFFFF", f"    if {a} & 0x80000000: {a} -= 0x100000000"]
        elif t is ValType.I64:
            lines += [f"    {a} = w[{j}]", f"    if {a} >> 63: {a} -= 0x10000000000000000"]
        elif t is ValType.F32:
            lines.append(f"    {a} = _unpack_f(_pack_I(w[{j}] & 0xFFFFFFFF))[0]")
        else:
            lines.append(f"    {a} = _unpack_d(_pack_Q(w[{j}]))[0]")
    lines.append(f"    r = fn({', '.join(names)})")
    results = ft.results
    if not results:
        lines.append("    if r is not None: split(ft, r)")  # raises the general path's TypeError
    elif len(results) == 1:
        t = results[0]
        if t is ValType.I32:
            lines += ["    if type(r) is int and -0x80000000 <= r <= 0xFFFFFFFF: w[0] = r & 0xFFFFFFFF",
                      "    else: w[0] = enc0(r)"]
        elif t is ValType.I64:
            lines += ["    if type(r) is int and -0x8000000000000000 <= r <= 0xFFFFFFFFFFFFFFFF:",
                      "        w[0] = r & 0xFFFFFFFFFFFFFFFF",
                      "    else: w[0] = enc0(r)"]
        else:
            lines.append("    w[0] = enc0(r)")
    else:
        lines += ["    for i, (enc, v) in enumerate(zip(encs, split(ft, r))):",
                  "        w[2 * i] = enc(v)", "        w[2 * i + 1] = 0"]
    scope = {"fn": fn, "ft": ft, "split": _split_results, "enc0": num_encoder(results[0]) if results else None,
             "encs": [num_encoder(t) for t in results],
             "_unpack_f": _UNPACK_F, "_pack_I": _PACK_I, "_unpack_d": _UNPACK_D, "_pack_Q": _PACK_Q}
    exec("\n".join(lines), scope)  # noqa: S102 (our own text, made from the signature)
    return scope["call"]


_UNPACK_F, _PACK_I = struct.Struct("<f").unpack, struct.Struct("<I").pack
_UNPACK_D, _PACK_Q = struct.Struct("<d").unpack, struct.Struct("<Q").pack
