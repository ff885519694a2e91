"""SIMD benchmark: kernels written with wasm_simd128.h, compiled to Wasm with and without
SIMD and run by this project's compiler (guard and bounds memory), against the same C
auto-vectorised natively. See benchmarks/simd/README.md.

    python -m benchmarks.simd [--kernel NAME] [--fast] [-o results.json]

Modules: build (kernels, flags, artifacts), runners (how each configuration runs a
kernel), __main__ (the pyperf script and the report).
"""
