"""Deviations from Wasmtime that this project documents as known gaps, not new bugs.

`aot/translate/memory/guard.py` states what the guard strategy does not guarantee: an
out-of-bounds load whose value becomes dead may be deleted (so the call does not trap,
or traps later for another reason), and stores before a faulting access may be
reordered past it (so memory or globals after the trap differ). Fuzzing shows the
first at -O0 too (instruction selection drops unused loads), in a few percent of
generated modules. A campaign would otherwise report these over and over, hiding
everything else.

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
is not exported (smith's fuel global), and a later call ran out of fuel earlier."""


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
    if ref.instantiate != got.instantiate:  # the start function
        ok = ref.instantiate == "trap:memory_oob" and not got.instantiate.startswith("error")
        return GUARD_DEAD_LOAD if ok else None
    i = comparison.first_call
    if i is not None:
        a, b = ref.calls[i], got.calls[i]
        if a.trap != "memory_oob" or b.error is not None:
            return None
        # Our call went past the access that should have trapped: it returned, trapped
        # for another reason, or made host calls Wasmtime never reached before trapping
        # at a later out-of-bounds access.
        went_further = len(b.host) > len(a.host) and b.host[:len(a.host)] == a.host
        if b.trap != "memory_oob" or went_further:
            return GUARD_DEAD_LOAD
        return None
    # Every call agreed; only the final state differs. Either a store before the trap
    # was removed or reordered, or a dead load was deleted and the call went on storing
    # until a later access trapped (same trap, more stores): from outside, the same.
    state_only = all(m.split(":", 1)[0] in ("memory", "global") for m in comparison.mismatches)
    if state_only and any(c.trap == "memory_oob" for c in ref.calls):
        return GUARD_TRAP_STORES
    return None
