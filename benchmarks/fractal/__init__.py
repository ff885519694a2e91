"""Fractal benchmark: the fractal viewer's Mandelbrot plugin (examples/fractal) rendering a
1920x1080 image with 1 and 2 threads, compiled by us (guard and bounds memory) and the
same C compiled natively. See benchmarks/fractal/README.md.

    python -m benchmarks.fractal [--fractal NAME] [--size WxH] [--fast] [-o results.json]

Modules: runners (builds and opens each configuration), __main__ (the pyperf script and
the report).
"""
