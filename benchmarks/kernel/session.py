"""A loaded benchmark: one Kernel per memory strategy, the server, one client per link mode.

    s = open_session("guard", build_dir)
    s.call("specialised", "loop", 100_000)   # -> the client's checksum

Every client is linked to the same server with the same Kernel settings; only the
`translator=` of its load differs:

    direct       the import bound straight to the server's export: no translation (baseline)
    generic      the one native translator that reads the signature at run time
    specialised  the translator generated for the shape (cap, i32, i32) -> i32

The cap passed to loop() is a real handle made by the server (make(), cap_result=True):
the host lends it to the client for the call, the client passes it to every op call.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .build import INTERFACE, build

MODES = ("direct", "generic", "specialised")
BASELINE = "direct"
STRATEGIES = ("guard", "bounds")
OPS = {"op": "loop", "op_badge": "loop_badge"}
"""The server function a call goes to -> the client export that loops over it."""
MASK32 = (1 << 32) - 1


def expected_checksum(op: str, n: int) -> int:
    """What loop(n, cap) returns: acc = op(c, acc, i) for i < n, each call adding 1 for
    the live cap (op: c != 0; op_badge: the handle's badge word, 1)."""
    return (n * (n - 1) // 2 + n) & MASK32


@dataclass
class Session:
    kernel: object
    server: object
    clients: dict
    cap: object

    def call(self, mode: str, op: str, n: int) -> int:
        """One call of the client's loop over `op`, `n` inner calls; its checksum."""
        return self.clients[mode].call(OPS[op], n, self.cap) & MASK32

    def time(self, mode: str, op: str, n: int, loops: int = 1) -> tuple[float, int]:
        """Seconds for `loops` calls of loop(n), and the last checksum."""
        f, export, cap = self.clients[mode].call, OPS[op], self.cap
        t0 = time.perf_counter()
        for _ in range(loops):
            r = f(export, n, cap)
        return time.perf_counter() - t0, r & MASK32

    def close(self) -> None:
        self.kernel.close()


def open_session(strategy: str, build_dir: Path, modes=MODES) -> Session:
    import runtime
    from kernel import Kernel

    paths = build(build_dir)
    cache = Path(build_dir) / "aot-cache"
    server_mod = runtime.load(paths["server"], memory=strategy, cache_dir=cache)
    client_mod = runtime.load(paths["client"], memory=strategy, cache_dir=cache)
    k = Kernel(strategy=strategy, memory_limit=16)
    k.interface(INTERFACE)
    server = k.load(server_mod, name="server")
    clients = {m: k.load(client_mod, name=f"client-{m}", links={"kbench": server}, translator=m)
               for m in modes}
    cap = server.call("make", cap_result=True)
    if cap is None:
        raise RuntimeError("the server's make() returned no cap")
    return Session(k, server, clients, cap)


__all__ = ["MODES", "BASELINE", "STRATEGIES", "OPS", "Session", "open_session", "expected_checksum"]
