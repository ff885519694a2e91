"""Driver for the official WebAssembly spec test suite.

Run from the repository root:

    python -m tests.spec [--strategy guard|bounds|both] [--files PATTERN...] [--jobs N]
                         [--no-simd] [--verbose] [--timeout S] [--update-known-failures]
    python -m pytest -m spec                  # one test per (file, strategy)
    python -m pytest -m spec --spec-no-simd   # without the simd_*.wast files

The suite is `$AOT_SPEC_TESTSUITE` or `<repo>/../shared/wasm-testsuite` (its `2.0/`).

- `wast`: locating the suite, converting `.wast` to JSON (cached), the command model
- `values`: argument/result bits, NaN patterns
- `spectest`: the `spectest` host module
- `runner`: executes one file's commands against the runtime
- `worker`: runs one (file, strategy) in a subprocess, survives crashes and hangs
- `known_failures`: the checked-in lists per strategy and the two-way comparison
- `test_spec`: the pytest entry point
"""
