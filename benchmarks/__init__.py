"""The benchmark suite: C programs run natively, through this project's compiler (guard
and bounds memory), Wasmtime and wasm2c, plus the costs of embedding (calls, host calls,
instantiation, loading, compiling). See benchmarks/README.md.

    python -m benchmarks run [--quick] [--filter NAME] [-o results.json]
    python -m benchmarks report results.json

Modules: catalog (the programs), toolchain (tools and flags), build (artifacts),
runners (how each engine runs a program), embed (embedding-cost operations), wasmgen
(a data-heavy test module), suite (the pyperf script), report (table and chart).
"""
