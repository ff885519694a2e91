"""Polled interruption checks (opt-in): how a runaway Wasm call is stopped from outside.

The runtime stops a call that timed out (`timeout=`) or was interrupted
(`runtime.Interrupt`) in two ways (runtime/native/watchdog.c): it sends the thread a
signal whose handler leaves compiled code with TrapCode.INTERRUPTED (no code in the
module needed, no cost), and it stores a non-zero value in the call's `TCtx.INTERRUPT`
word. Modules compiled with `interrupt_checks=True` (`aot compile --interrupt-checks`)
also read that word at the points below and trap with TrapCode.INTERRUPTED when it is
set, which stops them deterministically even where the signal cannot be used:

- every loop header (the target of every back edge), so no loop runs unchecked;
- the entry of every function that calls another function, so unbounded (or merely very
  long) recursion without loops is covered. A function without calls and loops runs
  for a bounded time, so it needs no check.

The load is an atomic `monotonic` load: never hoisted out of a loop or merged across
iterations (a plain load could be), and an ordinary `mov` on x86-64 and aarch64. The
trap branch is marked unlikely, so the check costs a load, a compare and a
not-taken branch. Since nested instances receive the same tctx (the kernel passes it
through), setting the word of the outermost call stops every instance under it.

The checks are off by default because they cost: on the benchmark suite (guard,
quick run) 1.44x geomean, mostly from loops LLVM no longer vectorises (a loop with an
exit to the trap is not a countable single-exit loop). The manifest records the choice
(`interrupt_checks`), and the compile cache key includes it.
"""
from __future__ import annotations

from aot.abi import TCtx, TrapCode

from .irutils import I64, byte_gep, i64


def emit_interrupt_check(fx) -> None:
    """At the builder's position: trap INTERRUPTED when tctx->interrupt is non-zero."""
    b = fx.builder
    ptr = byte_gep(b, fx.tctx, TCtx.INTERRUPT)
    flag = b.load_atomic(ptr, "monotonic", 8, typ=I64)
    fx.trap_if(b.icmp_unsigned("!=", flag, i64(0)), TrapCode.INTERRUPTED)


__all__ = ["emit_interrupt_check"]
