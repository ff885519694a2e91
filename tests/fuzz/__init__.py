"""Fuzzing the compiler and runtime (issue 8).

Two campaigns, each runnable for a long time (`python -m tests.fuzz --help`) and as a
short fixed-seed pass in pytest (`test_fuzz_ci.py`):

- `diff`: differential testing. `wasm-tools smith` generates valid, terminating
  modules (`gen`); each runs under Wasmtime (`engine_wasmtime`, the reference) and
  under this project in both memory strategies at -O0 and -O2 (`engine_aot`), every
  exported function called with seeded arguments (`values`) and the same deterministic
  host imports (`hostenv`); results, traps, host calls and the final state of
  memories, tables and globals must agree (`outcome`). Every difference is a finding;
  a guard one also says whether it goes away with all accesses volatile (`strict`).
- `mutate`: malformed inputs. Valid modules are mutated (`mutators`) and fed to
  decode → validate → compile (`malformed`): only DecodeError, ValidationError or a
  successful compile are acceptable, and our verdict on validity must agree with
  Wasmtime's 2.0 validator.

Every input runs in a worker process (`pool`, `worker`) so that a crash or a hang is
recorded instead of ending the campaign. Findings are written to a directory with
what is needed to replay them; `shrink` minimises a module with `wasm-tools shrink`,
and minimised modules live in `regressions/`, replayed by `test_regressions.py`.
README.md in this directory has the commands and the workflow for a finding.
"""
