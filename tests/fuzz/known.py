"""Deviations from Wasmtime that this project documents as known gaps, not new bugs.

`aot/translate/memory/guard.py` states what the guard strategy does not guarantee:
stores before a faulting access may be reordered past it or deleted (so memory or
globals after the trap differ; the call still traps). A campaign would otherwise
report these over and over, hiding everything else.

Until 2026-11-21 the strategy had a second gap: an out-of-bounds load whose value
became dead could be deleted, so the call did not trap (one generated module in
eleven at -O2). Guard loads are now kept alive (volatile at -O0, an empty asm taking the value
above), and a call that does not trap, or goes further than Wasmtime, is a finding
again (`GUARD_DEAD_LOAD` is no longer returned).

A guard configuration's mismatches are classified as the gap only on evidence, counted
and kept apart, never silently dropped. The evidence is two-fold, checked by `diff.check_module`: the bounds strategy at the
same optimisation level runs the module without any mismatch, and the mismatch
disappears when the guard build emits every linear-memory access as volatile (see
`strict`), which is exactly what LLVM is not allowed to delete or reorder. `classify`
only names the gap from the shape of the first difference, for the summary; a guard
mismatch that survives the volatile build stays a finding.
"""
from __future__ import annotations

from .outcome import Comparison, Outcome

GUARD_DEAD_LOAD = "guard-dead-load"
GUARD_TRAP_STORES = "guard-trap-stores"
GUARD_HIDDEN = "guard-hidden-effect"
"""Neither shape: e.g. a deleted load let a call run on while changing only state that
is not exported (smith's fuel global), and a later call ran out of fuel earlier. Was
excused until 2026-11-21; now such a mismatch is a finding (diff.check_module)."""


def candidate(config: str, clean_configs: set[str]) -> bool:
    """Whether `config`'s mismatches may be the guard gap: worth the volatile re-run."""
    strategy, _, opt = config.partition("-O")
    return strategy == "guard" and f"bounds-O{opt}" in clean_configs


def classify(config: str, ref: Outcome, got: Outcome, comparison: Comparison,
             clean_configs: set[str]) -> str | None:
    """The name of the known gap that the first difference looks like, or None."""
    strategy, _, opt = config.partition("-O")
    if strategy != "guard" or f"bounds-O{opt}" not in clean_configs:
        return None
    if ref.instantiate != got.instantiate:
        return None  # a start function that did not trap as Wasmtime's: a finding
    i = comparison.first_call
    if i is not None:
        # A call that differs is the store gap only when an earlier call trapped out of
        # bounds in both engines: stores (smith's fuel global, say) moved across that
        # fault left other state, which this call then saw. Otherwise it is a finding.
        earlier = any(a.trap == "memory_oob" and b.trap == "memory_oob"
                      for a, b in zip(ref.calls[:i], got.calls[:i]))
        return GUARD_TRAP_STORES if earlier else None
    # Every call agreed; only the final state differs: a store before the trap was
    # removed or reordered.
    state_only = all(m.split(":", 1)[0] in ("memory", "global") for m in comparison.mismatches)
    if state_only and any(c.trap == "memory_oob" for c in ref.calls):
        return GUARD_TRAP_STORES
    return None
