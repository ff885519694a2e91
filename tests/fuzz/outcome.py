"""What running a module did, in terms both engines can produce, and comparing two runs.

Values are exact bit patterns: i32/f32 as 32-bit unsigned ints, i64/f64 as 64-bit, v128
as 128-bit (compared exactly: its float lanes are not NaN-aware, so SIMD runs need
canonicalised NaNs);
references only as null (0) or not (1), since the engines cannot name each other's
references. Traps use the engine-neutral names of `TRAPS`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

TRAPS = ("unreachable", "memory_oob", "table_oob", "div_by_zero", "int_overflow",
         "bad_conversion", "bad_signature", "null_element", "null_reference", "stack_overflow")
"""Trap kinds. Both engines map theirs onto these; anything else is 'other:<name>'."""

STACK_OVERFLOW = "stack_overflow"


@dataclass
class Call:
    """One call of an exported function."""

    export: str
    args: list[int]
    values: list[tuple[str, int]] | None = None  # (type, bits) per result if it returned
    trap: str | None = None  # trap kind if it trapped
    error: str | None = None  # anything else that went wrong (an engine failure)
    host: list[str] = field(default_factory=list)  # host calls it made

    def describe(self) -> str:
        """What the call did, in a few words."""
        if self.values is not None:
            return "returned [" + ", ".join(f"{t}:{b:#x}" for t, b in self.values) + "]"
        if self.trap is not None:
            return f"trapped ({self.trap})"
        return f"failed ({self.error})"


@dataclass
class Outcome:
    """One engine's run of one module: instantiation, calls, and the final state."""

    instantiate: str = "ok"  # "ok", "trap:<kind>" or "error:<text>"
    start_host: list[str] = field(default_factory=list)  # host calls during instantiation
    calls: list[Call] = field(default_factory=list)
    memories: dict[str, bytes] = field(default_factory=dict)  # export name / "import:mem"
    globals: dict[str, tuple[str, int]] = field(default_factory=dict)
    tables: dict[str, list[int]] = field(default_factory=dict)  # 0/1 per element (null or not)

    def stack_overflow_at(self) -> int | None:
        """Index of the first call that exhausted the stack, if any."""
        for i, c in enumerate(self.calls):
            if c.trap == STACK_OVERFLOW:
                return i
        return None


def is_nan(t: str, bits: int) -> bool:
    """Whether `bits` of type `t` are a NaN (never for non-float types)."""
    if t == "f32":
        return (bits >> 23) & 0xFF == 0xFF and bits & 0x7FFFFF != 0
    if t == "f64":
        return (bits >> 52) & 0x7FF == 0x7FF and bits & ((1 << 52) - 1) != 0
    return False


def _values_equal(a: list[tuple[str, int]], b: list[tuple[str, int]], exact_nan: bool) -> bool:
    if len(a) != len(b):
        return False
    for (ta, va), (tb, vb) in zip(a, b):
        if ta != tb:
            return False
        if va == vb:
            continue
        # The spec lets a NaN result be any NaN (of the right kind) unless the module
        # canonicalises every NaN it produces, as smith does with --canonicalize-nans.
        if not exact_nan and is_nan(ta, va) and is_nan(tb, vb):
            continue
        return False
    return True


def _first_difference(a: bytes, b: bytes) -> str:
    if len(a) != len(b):
        return f"size {len(a)} vs {len(b)} bytes"
    for i in range(0, len(a), 4096):
        if a[i:i + 4096] != b[i:i + 4096]:
            j = next(k for k in range(i, min(i + 4096, len(a))) if a[k] != b[k])
            return f"first difference at byte {j:#x}: {a[j]:#04x} vs {b[j]:#04x}"
    return "equal"


def _host_difference(a: list[str], b: list[str]) -> str:
    k = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return (f"{len(a)} host calls vs {len(b)}; first difference at #{k}: "
            f"{a[k] if k < len(a) else '(none)'} vs {b[k] if k < len(b) else '(none)'}")


@dataclass
class Comparison:
    """The differences found, and whether the rest could not be compared."""

    mismatches: list[str] = field(default_factory=list)
    inconclusive: str | None = None  # e.g. one engine ran out of stack
    first_call: int | None = None  # the first call that differed (None: only the state did)

    @property
    def kinds(self) -> set[str]:
        """The categories of the mismatches ('result', 'trap', 'memory', ...)."""
        return {m.split(":", 1)[0] for m in self.mismatches}


def compare(ref: Outcome, got: Outcome, *, exact_nan: bool) -> Comparison:
    """Differences of `got` from the reference `ref`, one line each ('kind: detail')."""
    out = Comparison()
    m = out.mismatches
    if ref.instantiate != got.instantiate:
        m.append(f"instantiate: expected {ref.instantiate}, got {got.instantiate}")
        return out
    if ref.start_host != got.start_host:
        m.append(f"host: start function: {_host_difference(ref.start_host, got.start_host)}")
    # Stack exhaustion depends on frame sizes, so it may come at different depths: stop
    # comparing at the first call where either engine ran out of stack.
    cut = [i for i in (ref.stack_overflow_at(), got.stack_overflow_at()) if i is not None]
    n = min(cut) if cut else min(len(ref.calls), len(got.calls))
    if not cut and len(ref.calls) != len(got.calls):
        m.append(f"calls: {len(ref.calls)} calls vs {len(got.calls)}")
    before = len(m)
    for i in range(n):
        a, b = ref.calls[i], got.calls[i]
        where = f"call #{i} {a.export!r}{tuple(hex(x) for x in a.args)}"
        if b.error is not None or a.error is not None:
            m.append(f"error: {where}: expected {a.describe()}, got {b.describe()}")
        elif (a.trap is None) != (b.trap is None):
            m.append(f"{'trap' if b.trap else 'result'}: {where}: expected {a.describe()}, "
                     f"got {b.describe()}")
        elif a.trap is not None and a.trap != b.trap:
            m.append(f"trap: {where}: expected {a.describe()}, got {b.describe()}")
        elif a.trap is None and not _values_equal(a.values, b.values, exact_nan):
            m.append(f"result: {where}: expected {a.describe()}, got {b.describe()}")
        if a.host != b.host:
            m.append(f"host: {where}: {_host_difference(a.host, b.host)}")
        if len(m) > before and out.first_call is None:
            out.first_call = i
    if cut:
        i = min(cut)
        who = "both" if len(cut) == 2 else ("wasmtime" if ref.stack_overflow_at() == i else "aot")
        out.inconclusive = f"call #{i} exhausted the stack ({who}); later state not compared"
        return out
    for name in sorted(set(ref.memories) | set(got.memories)):
        a, b = ref.memories.get(name), got.memories.get(name)
        if a is None or b is None:
            m.append(f"memory: {name!r} missing on one side")
        elif a != b:
            m.append(f"memory: {name!r}: {_first_difference(a, b)}")
    for name in sorted(set(ref.globals) | set(got.globals)):
        a, b = ref.globals.get(name), got.globals.get(name)
        if a is None or b is None or not _values_equal([a], [b], exact_nan):
            m.append(f"global: {name!r}: expected {a}, got {b}")
    for name in sorted(set(ref.tables) | set(got.tables)):
        a, b = ref.tables.get(name), got.tables.get(name)
        if a is None or b is None:
            m.append(f"table: {name!r} missing on one side")
        elif len(a) != len(b):
            m.append(f"table: {name!r}: size {len(a)} vs {len(b)}")
        elif a != b:
            i = next(k for k in range(len(a)) if a[k] != b[k])
            m.append(f"table: {name!r}: element {i} is {'null' if not a[i] else 'set'} vs "
                     f"{'null' if not b[i] else 'set'}")
    return out
