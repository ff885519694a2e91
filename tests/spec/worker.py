"""Runs one (file, strategy) in a child process, so a crash or hang cannot stop the run.

Child: `python -m tests.spec.worker --strategy guard FILE.json` runs the converted file
and writes one JSON object per line to its stdout: `{"result": {line, type, status,
message}}` per command, as soon as the command finishes, then `{"done": true}`. Anything
else the process prints to stdout (e.g. from native code) is diverted to stderr.

Parent: `run_isolated()` starts the child with a timeout and turns its output, exit
status or signal into a `FileRun`; a crash keeps the results streamed before it.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .runner import FAILED, PASSED, SKIPPED, Result
from .wast import REPO_ROOT, SuiteError, convert, load_commands

DEFAULT_TIMEOUT = float(os.environ.get("AOT_SPEC_TIMEOUT", "300"))


@dataclass
class FileRun:
    """Everything one (file, strategy) run produced."""

    file: str  # "i32.wast"
    strategy: str
    results: list[Result] = field(default_factory=list)
    crash: str | None = None  # why the run did not complete, if it did not
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def passed(self) -> int:
        return self.count(PASSED)

    @property
    def failed(self) -> int:
        return self.count(FAILED)

    @property
    def skipped(self) -> int:
        return self.count(SKIPPED)


# ---- parent side ------------------------------------------------------------------

def _child_env(extra_path: tuple[str, ...]) -> dict:
    env = dict(os.environ)
    paths = (str(REPO_ROOT), *extra_path, env.get("PYTHONPATH"))
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return env


def _parse_output(stdout: str) -> tuple[list[Result], bool]:
    results, done = [], False
    for line in stdout.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue  # a torn last line after a crash
        if "result" in msg:
            results.append(Result.from_json(msg["result"]))
        elif msg.get("done"):
            done = True
    return results, done


def run_isolated(wast: Path, strategy: str, timeout: float = DEFAULT_TIMEOUT) -> FileRun:
    """Convert `wast` and run it in a worker process under `strategy`."""
    try:
        json_path = convert(Path(wast))
    except SuiteError as e:
        return FileRun(Path(wast).name, strategy, crash=str(e))
    return run_json(json_path, strategy, timeout)


def run_json(json_path: Path, strategy: str, timeout: float = DEFAULT_TIMEOUT, *,
             runtime: str = "runtime", extra_path: tuple[str, ...] = ()) -> FileRun:
    """Run a converted file in a worker; `runtime`/`extra_path` let tests use a stand-in."""
    commands = load_commands(json_path)
    run = FileRun(commands[0].file if commands else Path(json_path).stem + ".wast", strategy)
    start = time.monotonic()
    cmd = [sys.executable, "-m", "tests.spec.worker", "--strategy", strategy,
           "--runtime", runtime, str(json_path)]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=_child_env(extra_path), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        out, err = proc.communicate()
    run.seconds = time.monotonic() - start
    run.results, done = _parse_output(out)
    # Name the command that was running (the one after the last result), or say the
    # child died after finishing them all.
    n = len(run.results)
    where = " at exit" if done else (f" during {commands[n].id}" if n < len(commands) else "")
    if timed_out:
        run.crash = f"timed out after {timeout:g} s{where}"
    elif proc.returncode < 0:
        run.crash = f"killed by {signal.Signals(-proc.returncode).name}{where}"
    elif proc.returncode != 0 or not done:
        tail = (err.strip().splitlines() or ["(no stderr)"])[-1].strip()  # e.g. the exception
        run.crash = f"worker exited with code {proc.returncode}{where}: {tail}"
    return run


# ---- child side -------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.spec.worker", description=__doc__.split("\n")[0])
    ap.add_argument("--strategy", choices=("guard", "bounds"), required=True)
    ap.add_argument("--runtime", default="runtime", help="module providing the runtime API (tests use a stand-in)")
    ap.add_argument("json", type=Path, help="a file converted by wasm-tools json-from-wast")
    args = ap.parse_args(argv)

    # Keep our stdout for results only: native code or the runtime may print to fd 1.
    results_out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    # Imported here, not at the top, so the parent process never loads native code.
    runtime = importlib.import_module(args.runtime)

    from .runner import Runner

    def emit(result: Result) -> None:
        # One flushed line per command: what the parent keeps if we crash later.
        results_out.write(json.dumps({"result": result.to_json()}) + "\n")
        results_out.flush()

    runner = Runner(runtime, args.strategy, args.json.parent, on_result=emit)
    runner.run(load_commands(args.json))
    results_out.write(json.dumps({"done": True}) + "\n")
    results_out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
