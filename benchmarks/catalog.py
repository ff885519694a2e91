"""The benchmark programs: name, problem size, and what each one stresses.

`n` is the size passed to `setup(n)` in a measurement (about 50-200 ms natively on a
2020s x86-64 core); `smoke_n` is a size small enough for the unit test to run every
runner in well under a second. Sources are `benchmarks/programs/<name>.c`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROGRAMS_DIR = Path(__file__).resolve().parent / "programs"


@dataclass(frozen=True)
class Program:
    name: str
    n: int
    smoke_n: int
    what: str

    @property
    def source(self) -> Path:
        return PROGRAMS_DIR / f"{self.name}.c"


PROGRAMS: tuple[Program, ...] = (
    Program("matmul", 768, 24, "dense f64 matrix multiply"),
    Program("lu", 1024, 24, "LU decomposition with partial pivoting"),
    Program("jacobi2d", 1024, 32, "2-D Jacobi 5-point stencil"),
    Program("heat3d", 192, 12, "3-D heat equation, 7-point f32 stencil"),
    Program("editdist", 8000, 200, "Levenshtein distance (dynamic programming)"),
    Program("sort", 1 << 20, 5000, "quicksort of 32-bit keys"),
    Program("sha256", 16 << 20, 10000, "SHA-256 of a buffer"),
    Program("crc32", 16 << 20, 10000, "CRC-32, slicing-by-8"),
    Program("hashtable", 1 << 20, 5000, "open-addressing hash table, random access"),
    Program("tokenize", 16 << 20, 20000, "JSON tokenizer over generated text"),
    Program("fib", 37, 20, "recursive Fibonacci (call overhead)"),
    Program("ptrchase", 1 << 20, 5000, "pointer chasing through a random cycle"),
    Program("imgfilter", 2048, 64, "3x3 blur and Sobel over an 8-bit image"),
    Program("nbody", 1024, 32, "all-pairs gravity, f64 with sqrt"),
    Program("interp", 25000, 300, "bytecode interpreter (switch dispatch)"),
)

BY_NAME = {p.name: p for p in PROGRAMS}

