"""Minimising a module that shows a mismatch, with `wasm-tools shrink`.

wasm-tools shrink calls a predicate program on each smaller candidate. Starting
Python, the compiler and Wasmtime for each of hundreds of candidates would take
a second apiece, so the predicate is a tiny client: it sends the candidate's path
over a Unix socket to this process, which checks it with a warm `pool.Worker` and
answers whether the candidate still shows the same kind of mismatch
('<config>:<category>', e.g. 'guard-O2:trap') as the original.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading

from .diff import CONFIGS, config_name
from .gen import wasm_tools
from .pool import Worker

_CLIENT = """\
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect({sock!r})
s.sendall(sys.argv[1].encode() + b"\\n")
sys.exit(0 if s.recv(1) == b"1" else 1)
"""


def job_kinds(res) -> set[str]:
    """'<config>:<category>' of everything wrong with a JobResult of a 'check' job."""
    if res.status in ("crash", "timeout"):
        # Which configuration was running: the last one the worker announced. Nothing
        # announced means the reference (Wasmtime) was running: not our finding.
        return {f"{res.progress[-1]}:{res.status}"} if res.progress else set()
    if res.status != "ok" or res.result["reference"] != "ok":
        return set()
    return {f"{cfg}:{m.split(':', 1)[0]}" for cfg, ms in res.result["mismatches"].items() for m in ms}


def check_job(wasm: bytes, args_seed: int, configs) -> dict:
    """A 'check' job for the worker (see worker._job_check)."""
    return {"id": 0, "kind": "check", "wasm": wasm.hex(), "args_seed": args_seed,
            "configs": [c if isinstance(c, str) else config_name(*c) for c in configs]}


def shrink(wasm: bytes, args_seed: int, *, configs=CONFIGS, attempts: int = 300,
           timeout: float = 30.0, keep: set[str] | None = None,
           log=print) -> tuple[bytes, set[str]]:
    """The smallest module found that keeps one of `wasm`'s mismatch kinds (only those
    of the categories in `keep`, e.g. {"note"} or {"crash"}, when given), and the kinds
    the original showed. Raises ValueError when `wasm` shows no such mismatch."""
    worker = Worker()
    try:
        first = worker.run(check_job(wasm, args_seed, configs), timeout)
        target = {k for k in job_kinds(first) if keep is None or k.split(":")[1] in keep}
        if not target:
            raise ValueError(f"the module shows no mismatch ({first.status}: {first.result or first.detail})")
        wanted = sorted({k.split(":")[0] for k in target})  # only the configurations that matter
        log(f"shrink: keeping any of {sorted(target)}")
        with tempfile.TemporaryDirectory(prefix="aot-shrink-") as tmp:
            sock_path = os.path.join(tmp, "sock")
            server = socket.socket(socket.AF_UNIX)
            server.bind(sock_path)
            server.listen(4)
            tries = {"n": 0, "yes": 0}

            def serve() -> None:
                while True:
                    try:
                        conn, _ = server.accept()
                    except OSError:
                        return
                    with conn:
                        path = conn.makefile("rb").readline().decode().strip()
                        with open(path, "rb") as f:
                            candidate = f.read()
                        res = worker.run(check_job(candidate, args_seed, wanted), timeout)
                        ok = bool(job_kinds(res) & target)
                        tries["n"] += 1
                        tries["yes"] += ok
                        conn.sendall(b"1" if ok else b"0")

            thread = threading.Thread(target=serve, daemon=True)
            thread.start()
            client = os.path.join(tmp, "client.py")
            with open(client, "w") as f:
                f.write(_CLIENT.format(sock=sock_path))
            predicate = os.path.join(tmp, "predicate")
            with open(predicate, "w") as f:
                f.write(f'#!/bin/sh\nexec "{sys.executable}" -S "{client}" "$1"\n')
            os.chmod(predicate, 0o755)
            src = os.path.join(tmp, "input.wasm")
            out = os.path.join(tmp, "output.wasm")
            with open(src, "wb") as f:
                f.write(wasm)
            proc = subprocess.run([wasm_tools(), "shrink", "--attempts", str(attempts), predicate,
                                   src, "-o", out], capture_output=True)
            server.close()
            if proc.returncode != 0:
                raise RuntimeError(f"wasm-tools shrink failed: {proc.stderr.decode(errors='replace')[-1000:]}")
            with open(out, "rb") as f:
                small = f.read()
            log(f"shrink: {len(wasm)} → {len(small)} bytes ({tries['n']} candidates, "
                f"{tries['yes']} interesting)")
            return small, target
    finally:
        worker.stop()
