"""`python -m tests.fuzz COMMAND`: fuzzing campaigns and tools for their findings.

  diff    --count N --seed S   differential campaign against Wasmtime
  mutate  --count N --seed S   malformed-input campaign (decode → validate → compile)
  check   FILE.wasm            re-run the differential check of one module
  shrink  FILE.wasm -o OUT     minimise a module that shows a mismatch

The exit status is 1 when a campaign found something (or a check/shrink failed), so a
script can run campaigns unattended.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from .campaign import DEFAULT_FINDINGS
from .diff import parse_config


def _configs(args) -> list[tuple[str, int]]:
    if getattr(args, "configs", None):
        return [parse_config(c) for c in args.configs.split(",")]
    strategies = ("guard", "bounds") if args.strategy == "both" else (args.strategy,)
    opts = [int(o) for o in args.opt.split(",")]
    return [(s, o) for s in strategies for o in opts]


def _sidecar(path: str) -> dict:
    """The .json written next to a finding or a regression module, if any."""
    side = os.path.splitext(path)[0] + ".json"
    if os.path.exists(side):
        with open(side) as f:
            return json.load(f)
    return {}


def cmd_diff(args) -> int:
    from .campaign import run_diff

    s = run_diff(seed=args.seed, count=args.count, start=args.start, configs=_configs(args),
                 jobs=args.jobs, timeout=args.timeout, out_dir=args.out, simd=args.simd,
                 rotate_opt=args.rotate_opt)
    print(s.text())
    return 1 if s.failed else 0


def cmd_mutate(args) -> int:
    from .campaign_mutate import run_mutate

    s = run_mutate(seed=args.seed, count=args.count, start=args.start, jobs=args.jobs,
                   timeout=args.timeout, out_dir=args.out, cli_every=args.cli_every,
                   compile_every=args.compile_every)
    print(s.text())
    return 1 if s.failed else 0


def cmd_check(args) -> int:
    from .pool import Worker
    from .shrink import check_job

    with open(args.file, "rb") as f:
        wasm = f.read()
    args_seed = args.args_seed if args.args_seed is not None else _sidecar(args.file).get("args_seed", 0)
    worker = Worker()
    try:
        res = worker.run(check_job(wasm, args_seed, _configs(args)), args.timeout)
    finally:
        worker.stop()
    if res.status != "ok":
        print(f"{res.status} during {res.progress[-1] if res.progress else 'wasmtime'}:\n{res.detail}")
        return 1
    print(json.dumps(res.result, indent=2))
    return 1 if res.result["mismatches"] or res.result["reference"] != "ok" else 0


def cmd_shrink(args) -> int:
    from .shrink import shrink

    with open(args.file, "rb") as f:
        wasm = f.read()
    side = _sidecar(args.file)
    args_seed = args.args_seed if args.args_seed is not None else side.get("args_seed", 0)
    try:
        small, target = shrink(wasm, args_seed, configs=_configs(args), attempts=args.attempts,
                               timeout=args.timeout,
                               keep=set(args.keep.split(",")) if args.keep else None)
    except ValueError as e:
        print(f"shrink: {e}")
        return 1
    with open(args.output, "wb") as f:
        f.write(small)
    with open(os.path.splitext(args.output)[0] + ".json", "w") as f:
        json.dump({"args_seed": args_seed, "shows": sorted(target),
                   "from": os.path.basename(args.file)}, f, indent=2)
    print(f"wrote {args.output} ({len(small)} bytes), args seed {args_seed}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def configs_options(c, opt_default="0,2"):
        c.add_argument("--strategy", choices=["guard", "bounds", "both"], default="both")
        c.add_argument("--opt", default=opt_default, help="optimisation levels, e.g. 0,2")
        c.add_argument("--configs", help="explicit list instead, e.g. guard-O2,bounds-O0")

    d = sub.add_parser("diff", help="differential campaign against Wasmtime")
    d.add_argument("--count", type=int, default=100)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--start", type=int, default=0, help="first module index (to resume)")
    d.add_argument("--jobs", type=int, default=1, help="worker processes")
    d.add_argument("--timeout", type=float, default=120.0, help="seconds per module")
    d.add_argument("--out", default=DEFAULT_FINDINGS, help="findings directory")
    d.add_argument("--simd", action="store_true", help="let smith generate SIMD code too")
    d.add_argument("--rotate-opt", action="store_true",
                   help="module i runs only at the i-th of the --opt levels (in turn), in "
                        "each strategy: every level covered, at a fraction of the cost")
    configs_options(d)
    d.set_defaults(func=cmd_diff)

    m = sub.add_parser("mutate", help="malformed-input campaign")
    m.add_argument("--count", type=int, default=1000)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--start", type=int, default=0)
    m.add_argument("--jobs", type=int, default=1)
    m.add_argument("--timeout", type=float, default=60.0, help="seconds per input")
    m.add_argument("--out", default=DEFAULT_FINDINGS)
    m.add_argument("--cli-every", type=int, default=100,
                   help="also run `aot compile` on every Nth input (0: never)")
    m.add_argument("--compile-every", type=int, default=1,
                   help="compile every Nth input that validates (others stop after validation)")
    m.set_defaults(func=cmd_mutate)

    c = sub.add_parser("check", help="re-run the differential check of one module")
    c.add_argument("file")
    c.add_argument("--args-seed", type=int, help="default: from FILE's .json, else 0")
    c.add_argument("--timeout", type=float, default=300.0)
    configs_options(c)
    c.set_defaults(func=cmd_check)

    s = sub.add_parser("shrink", help="minimise a module that shows a mismatch")
    s.add_argument("file")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--args-seed", type=int, help="default: from FILE's .json, else 0")
    s.add_argument("--attempts", type=int, default=300)
    s.add_argument("--timeout", type=float, default=30.0, help="seconds per candidate")
    s.add_argument("--keep", help="only these mismatch categories count, e.g. trap,memory or crash")
    configs_options(s)
    s.set_defaults(func=cmd_shrink)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
