"""`python -m kernel header FILE.kif [-o OUT.h]`: the C header for an interface;
`python -m kernel header --kernel [-o kernel.h]`: regenerate kernel/include/kernel.h."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import headergen, idl
from .errors import InterfaceError

KERNEL_H = Path(__file__).resolve().parent / "include" / "kernel.h"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m kernel", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("header", help="write the C header of an interface file")
    h.add_argument("kif", nargs="?", help="the interface file (.kif)")
    h.add_argument("--kernel", action="store_true", help="regenerate kernel/include/kernel.h")
    h.add_argument("-o", "--output", help="where to write (default: stdout, or kernel.h for --kernel)")
    args = ap.parse_args(argv)
    try:
        if args.kernel:
            text = headergen.kernel_header(idl.kernel_interface())
            out = Path(args.output) if args.output else KERNEL_H
        elif args.kif:
            text = headergen.interface_header(idl.load(args.kif), Path(args.kif).name)
            out = Path(args.output) if args.output else None
        else:
            ap.error("give an interface file, or --kernel")
    except InterfaceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text)
        print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
