"""The parent side: worker processes that run jobs, surviving their crashes and hangs.

A `Worker` is one long-lived `python -m tests.fuzz.worker` process (imports and the
compiler's setup are paid once, not per module). `run(job, timeout)` sends one job and
waits for its result; if the process dies the result says "crash" (with its signal or
exit status and the end of its stderr), if the time runs out the process group is
killed and the result says "timeout". Either way the next job gets a fresh process.
Processes are also replaced every `recycle` jobs, which bounds what a long campaign
can leak (dlopen'ed modules are never unloaded, for instance). Each process gets its own
TMPDIR, made and removed by the parent, so a killed worker leaves no temporary files.

`Pool.run_all(jobs)` spreads jobs over several workers (one thread each, since the
work happens in the children) and yields results as they complete.
"""
from __future__ import annotations

import json
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class JobResult:
    """How one job ended."""

    job: dict
    status: str  # "ok", "error" (the job raised in the worker), "crash" or "timeout"
    result: dict | None = None
    detail: str = ""  # traceback, signal, stderr tail...
    progress: list[str] = field(default_factory=list)  # what the worker said it was doing
    seconds: float = 0.0


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


class Worker:
    """One worker process, started on demand."""

    def __init__(self, max_memory_mb: int = 0, recycle: int = 200):
        self.max_memory_mb = max_memory_mb
        self.recycle = recycle
        self.proc: subprocess.Popen | None = None
        self.jobs_done = 0
        self.stderr = None
        self.tmp: str | None = None
        self._buf = b""

    def _start(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        env["PYTHONFAULTHANDLER"] = ""  # a Python-level SIGSEGV handler would replace the runtime's
        # The worker's temporary files (compile caches, CLI runs, its children's) go in a
        # directory of the parent's, removed in stop(): a killed worker cannot clean up.
        self.tmp = tempfile.mkdtemp(prefix="aot-fuzz-worker-")
        env["TMPDIR"] = self.tmp
        self.stderr = tempfile.TemporaryFile()
        cmd = [sys.executable, "-m", "tests.fuzz.worker"]
        if self.max_memory_mb:
            cmd += ["--max-memory-mb", str(self.max_memory_mb)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, cwd=REPO_ROOT, env=env,
                                     start_new_session=True)  # its own group: kill it whole
        self.jobs_done = 0
        self._buf = b""

    def _stderr_tail(self, n: int = 2000) -> str:
        if self.stderr is None:
            return ""
        self.stderr.seek(0, os.SEEK_END)
        size = self.stderr.tell()
        self.stderr.seek(max(0, size - n))
        return self.stderr.read().decode(errors="replace")

    def stop(self) -> None:
        """Kill the process (and its children) if it runs; forget it."""
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.wait()
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    f.close()
                except OSError:
                    pass
            self.proc = None
        if self.stderr is not None:
            self.stderr.close()
            self.stderr = None
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def _readline(self, deadline: float) -> bytes | None:
        """One line from the worker, or None at the deadline or when it exits."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def run(self, job: dict, timeout: float) -> JobResult:
        """Run one job, starting or replacing the process as needed; never raises for the job's sake."""
        if self.proc is None or self.proc.poll() is not None or self.jobs_done >= self.recycle:
            self.stop()
            self._start()
        t0 = time.monotonic()
        out = JobResult(job, "ok")
        try:
            self.proc.stdin.write((json.dumps(job) + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # it died: found out below
        deadline = t0 + timeout
        while True:
            line = self._readline(deadline)
            if line is None:
                out.seconds = time.monotonic() - t0
                if self.proc.poll() is None and time.monotonic() >= deadline:
                    out.status, out.detail = "timeout", f"no result after {timeout:.0f} s"
                    self.stop()
                else:
                    try:
                        code = self.proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        code = None
                    out.status = "crash"
                    out.detail = (_describe_exit(code) if code is not None else "stopped talking")
                    out.detail += "\n" + self._stderr_tail()
                    self.stop()
                return out
            msg = json.loads(line)
            if "progress" in msg:
                out.progress.append(msg["progress"])
                continue
            out.seconds = time.monotonic() - t0
            self.jobs_done += 1
            if "error" in msg:
                out.status, out.detail = "error", msg["error"]
            else:
                out.result = msg["result"]
            return out


class Pool:
    """`jobs` workers; `run_all` yields a JobResult per job, in completion order."""

    def __init__(self, jobs: int = 1, *, max_memory_mb: int = 0, recycle: int = 200):
        self.workers = [Worker(max_memory_mb, recycle) for _ in range(max(1, jobs))]

    def run_all(self, jobs, timeout: float):
        """Run every job of the iterable `jobs` (consumed lazily); yield JobResults as they end."""
        todo: queue.Queue = queue.Queue(maxsize=2 * len(self.workers))
        done: queue.Queue = queue.Queue()
        stop = threading.Event()
        DONE = object()

        def serve(worker: Worker) -> None:
            while True:
                job = todo.get()
                if job is DONE or stop.is_set():
                    done.put(DONE)
                    return
                try:
                    done.put(worker.run(job, timeout))
                except Exception as e:  # never lose the thread: report and go on
                    done.put(JobResult(job, "error", detail=f"pool: {type(e).__name__}: {e}"))

        threads = [threading.Thread(target=serve, args=(w,), daemon=True) for w in self.workers]
        for t in threads:
            t.start()

        def feed() -> None:
            for job in jobs:
                if stop.is_set():
                    break
                todo.put(job)
            for _ in threads:
                todo.put(DONE)

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        finished = 0
        try:
            while finished < len(threads):
                item = done.get()
                if item is DONE:
                    finished += 1
                    continue
                yield item
        finally:
            # Stopped early (an exception, or the consumer stopped iterating): unblock the
            # feeder and the threads; a thread finishes the job it is running first.
            stop.set()
            while feeder.is_alive() or any(t.is_alive() for t in threads):
                try:
                    todo.get_nowait()
                except queue.Empty:
                    pass
                try:
                    todo.put_nowait(DONE)
                except queue.Full:
                    pass
                time.sleep(0.01)

    def close(self) -> None:
        for w in self.workers:
            w.stop()

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
