"""Run one program with several runners and collect the checksums (no timing).

Used by `python -m benchmarks check` and by tests/unit/test_benchmarks.py. Runners in
`runners.OWN_SIGNAL_HANDLER` run in a child process so they leave the caller's signal
handlers (our runtime's, in a test session) alone.
"""
from __future__ import annotations

import os
import subprocess
import sys

from .build import REPO, Layout
from .runners import OWN_SIGNAL_HANDLER, open_session


def checksum_here(layout: Layout, program: str, runner: str, n: int) -> int:
    session = open_session(runner, layout, program)
    session.setup(n)
    return session.run()


def checksum_in_child(layout: Layout, program: str, runner: str, n: int) -> int:
    code = ("import sys; from pathlib import Path; from benchmarks.build import Layout; "
            "from benchmarks.verify import checksum_here; "
            "print(checksum_here(Layout(Path(sys.argv[1])), sys.argv[2], sys.argv[3], int(sys.argv[4])))")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run([sys.executable, "-c", code, str(layout.root), program, runner, str(n)],
                          capture_output=True, text=True, env=env, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"{program}/{runner} failed in a child process:\n{proc.stderr[-2000:]}")
    return int(proc.stdout.strip())


def checksums(layout: Layout, program: str, runners: list[str], n: int) -> dict[str, int]:
    """{runner: checksum of run() after setup(n)} for `program`, already built."""
    return {r: (checksum_in_child if r in OWN_SIGNAL_HANDLER else checksum_here)(layout, program, r, n)
            for r in runners}
