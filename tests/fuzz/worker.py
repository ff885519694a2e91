"""The child side of `pool`: runs jobs read from stdin, one JSON object per line.

`python -m tests.fuzz.worker [--max-memory-mb N]`. For each job line
`{"id": n, "kind": ..., ...}` it writes `{"id": n, "progress": text}` lines while
working and then one `{"id": n, "result": {...}}` (or `{"id": n, "error": traceback}`
when the job itself raised, which is a harness bug or a finding to look at). Whatever
native code prints to stdout goes to stderr, so it cannot corrupt the protocol.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import traceback
import warnings


def _job_check(job: dict, progress) -> dict:
    from .diff import check_module, parse_config

    configs = [parse_config(c) for c in job["configs"]]
    report = check_module(bytes.fromhex(job["wasm"]), job["args_seed"], configs,
                          exact_nan=job.get("exact_nan", True), progress=progress)
    return report.to_json()


def _job_malformed(job: dict, progress) -> dict:
    from .malformed import check_input

    return check_input(bytes.fromhex(job["wasm"]), job.get("compile"), cli=job.get("cli", False),
                       progress=progress).to_json()


def _job_selftest(job: dict, progress) -> dict:
    """For the pool's own tests: behave like a crashing, hanging or raising job."""
    progress("selftest")
    action = job["action"]
    if action == "crash":
        os.abort()  # as a failed assertion in native code would
    if action == "hang":
        while True:
            pass
    if action == "raise":
        raise RuntimeError("selftest")
    if action == "handlers":
        # Both engines in this process, each trapping on an out-of-bounds load, and the
        # runtime's signal handler still the installed one (chained to Wasmtime's).
        from runtime._native_loader import lib

        from .diff import check_module
        wasm = bytes.fromhex(job["wasm"])
        report = check_module(wasm, 0, [("guard", 0), ("bounds", 0)])
        return {"installed": bool(lib.aot_signal_handler_installed()), "report": report.to_json()}
    return {"echo": job.get("echo")}


HANDLERS = {"check": _job_check, "malformed": _job_malformed, "selftest": _job_selftest}


def main(argv: list[str] | None = None) -> int:
    """Serve jobs from stdin until it closes."""
    p = argparse.ArgumentParser(prog="python -m tests.fuzz.worker")
    p.add_argument("--max-memory-mb", type=int, default=0,
                   help="address-space limit (not with guard memories, which reserve 8 GiB)")
    args = p.parse_args(argv)
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    # Crashes are expected here (that is what the pool records): no core files in the repo.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if args.max_memory_mb:
        limit = args.max_memory_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    # Wasmtime installs its SIGSEGV/SIGBUS handlers first, the runtime's then chain to
    # them. Should that order ever break, `runtime.load` warns that its handler was
    # replaced (guard-memory traps would then crash): make that an error, so every job
    # fails loudly instead of comparing against a crippled runtime.
    warnings.filterwarnings("error", message="another SIGSEGV/SIGBUS handler", category=RuntimeWarning)
    from . import engine_wasmtime
    engine_wasmtime.init_before_runtime()
    # Each module ends with a full collection (diff.check_module: instances hold guard
    # reservations). Freezing what the imports created keeps it from walking those
    # objects every time: it cost 55 ms a module, a quarter of a campaign's time.
    import aot.compiler  # noqa: F401
    import runtime  # noqa: F401

    from . import diff, engine_aot, malformed  # noqa: F401
    gc.collect()
    gc.freeze()

    def send(obj: dict) -> None:
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    for line in sys.stdin:
        job = json.loads(line)
        jid = job["id"]
        try:
            result = HANDLERS[job["kind"]](job, lambda text: send({"id": jid, "progress": text}))
            send({"id": jid, "result": result})
        except Exception:
            send({"id": jid, "error": traceback.format_exc()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
