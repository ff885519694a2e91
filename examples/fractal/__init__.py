"""The fractal viewer example: calculation plugins in C, rendered in parallel (viewer.py)."""
