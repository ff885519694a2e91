"""Link an object file into an ELF shared object with the system's linker.

The generated code calls no library (the runtime reaches it through the vmctx
builtins table), so the object is linked with no libraries at all. LLVM may still
emit calls to `memcpy`/`memset`; those stay undefined and resolve against the C
library already loaded in the host process when the `.so` is dlopen'ed.

Linker choice, first that exists wins ($AOT_LINKER overrides):
- native target: `ld` (GNU binutils), `ld.lld`, then the C compiler driver `cc`;
- aarch64 on another host: `ld.lld`, `aarch64-linux-gnu-ld`, then `clang -fuse-ld=lld`.
GNU ld comes first for the host because the work is tiny (one object, no libraries)
and start-up dominates: 9 ms a link on the development machine against 50 ms for a
Debian `ld.lld`, which loads the shared libLLVM first.
"""
from __future__ import annotations

import os
import platform
import shlex
import shutil
import subprocess
import tempfile

from .errors import ToolchainError

# Read-only relocations and no executable stack: the .so is trusted code, but there is
# no reason to leave writable function pointers or an executable stack around.
_HARDENING = ["-z", "relro", "-z", "now", "-z", "noexecstack"]

INSTALL_HINT = ("install a linker: `apt-get install binutils` (or `lld`); for aarch64 "
                "cross-compiling `apt-get install lld`; or set AOT_LINKER to a linker command")


def _arch(triple: str) -> str:
    return triple.split("-", 1)[0]


def _host_arch() -> str:
    m = platform.machine()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(m.lower(), m)


def linker_command(triple: str) -> list[str]:
    """The command (without inputs/outputs) that links a shared object for `triple`."""
    override = os.environ.get("AOT_LINKER")
    if override:
        return shlex.split(override)
    arch = _arch(triple)
    native = arch == _host_arch()
    if native and shutil.which("ld"):
        return ["ld", "-shared"]
    if shutil.which("ld.lld"):
        return ["ld.lld", "-shared"]
    if native:
        for cc in (os.environ.get("CC"), "cc", "gcc", "clang"):
            if cc and shutil.which(cc):
                return [cc, "-shared", "-nostdlib"]
    else:
        if shutil.which(f"{arch}-linux-gnu-ld"):
            return [f"{arch}-linux-gnu-ld", "-shared"]
        if shutil.which("clang"):
            return ["clang", f"--target={triple}", "-fuse-ld=lld", "-shared", "-nostdlib"]
    where = "native" if native else f"cross ({arch})"
    raise ToolchainError(f"no {where} linker found for {triple}: {INSTALL_HINT}")


def link_shared(obj: bytes, triple: str) -> bytes:
    """Link one object file into a shared object and return its bytes."""
    cmd = linker_command(triple)
    with tempfile.TemporaryDirectory(prefix="aot-link-") as tmp:
        obj_path = os.path.join(tmp, "module.o")
        so_path = os.path.join(tmp, "module.so")
        with open(obj_path, "wb") as f:
            f.write(obj)
        # A compiler driver takes linker options through -Wl.
        is_driver = os.path.basename(cmd[0]).endswith(("cc", "gcc", "clang"))
        hardening = ["-Wl,-z,relro,-z,now,-z,noexecstack"] if is_driver else _HARDENING
        full = cmd + hardening + ["-o", so_path, obj_path]
        try:
            proc = subprocess.run(full, capture_output=True, text=True)
        except OSError as e:
            raise ToolchainError(f"could not run the linker {cmd[0]!r}: {e}; {INSTALL_HINT}") from None
        if proc.returncode != 0:
            msg = (proc.stderr or proc.stdout).strip().splitlines()
            first = msg[0] if msg else f"exit status {proc.returncode}"
            raise ToolchainError(f"linking failed ({' '.join(full[:2])}): {first}")
        with open(so_path, "rb") as f:
            return f.read()
