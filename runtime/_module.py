"""`Module`: a loaded compiled module (a dlopen'ed `.so`) and what its manifest says."""
from __future__ import annotations

import bisect
import errno
import os
import platform
import struct
import warnings

from aot import abi
from aot import manifest as mf
from aot.abi import MemoryStrategy
from aot.model import FuncType

from ._errors import LoadError
from ._links import native_finalizer
from ._native_loader import ffi, lib
from ._trap import register_code, unregister_code
from ._types import register_module

_ELF_MACHINES = {0x3E: "x86_64", 0xB7: "aarch64"}


def _host_machine() -> str:
    m = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(m, m)


def check_elf(header: bytes, source: str) -> None:
    """Refuse, with a reason, a file that is not a 64-bit ELF for this machine."""
    if header[:4] != b"\x7fELF":
        raise LoadError(f"{source}: not a compiled module (expected an ELF .so made by `aot compile`)")
    if len(header) < 20 or header[4] != 2:
        raise LoadError(f"{source}: not a 64-bit ELF shared object")
    endian = "<" if header[5] == 1 else ">"
    machine = struct.unpack_from(endian + "H", header, 18)[0]
    name = _ELF_MACHINES.get(machine, f"machine {machine:#x}")
    if name != _host_machine():
        raise LoadError(f"{source}: compiled for {name}, but this machine is {_host_machine()}; "
                        "compile the .wasm again here (or with a matching --target)")


def _close(handle, slot: int, lo: int) -> None:
    # Unregister before unloading: once unmapped, the addresses may hold other code.
    if slot >= 0:
        lib.aot_code_unregister(slot)
    unregister_code(lo)
    lib.aot_dlclose(handle)


def extern_type(d: dict):
    """The aot.model type of an import descriptor from the manifest."""
    kind = d["kind"]
    if kind == "table":
        return mf.tabletype(d)
    if kind == "memory":
        return mf.memorytype(d)
    if kind == "global":
        return mf.globaltype(d)
    raise ValueError(kind)


class Module:
    """A compiled module, ready to instantiate. Made by `runtime.load`.

    `imports`: [(module, name, type)], `exports`: [(name, type)], with `type` one of
    FuncType, TableType, MemoryType, GlobalType. `strategy` and `target` say how it was
    compiled.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = os.path.abspath(os.fspath(path))
        try:
            with open(self.path, "rb") as f:
                check_elf(f.read(64), self.path)
        except OSError as e:
            raise LoadError(f"{self.path}: cannot read: {e.strerror}") from None
        err = ffi.new("char[]", 512)
        handle = lib.aot_dlopen(self.path.encode(), err, 512)
        if handle == ffi.NULL:
            raise LoadError(f"{self.path}: cannot load: {ffi.string(err).decode(errors='replace')}")
        lo, hi = ffi.new("uintptr_t *"), ffi.new("uintptr_t *")
        slot = lib.aot_code_register_lib(handle, lo, hi)
        native_finalizer(self, _close, handle, slot, int(lo[0]))
        if slot == -1:
            if ffi.errno == errno.ENOSPC:
                raise LoadError(f"{self.path}: cannot register its code (too many modules loaded "
                                f"at once: the runtime tracks {lib.AOT_MAX_CODE_RANGES})")
            raise LoadError(f"{self.path}: cannot find its code segment: {os.strerror(ffi.errno)}")
        self._handle = handle
        if slot >= 0:
            register_code(int(lo[0]), int(hi[0]), self)
        self.manifest = self._read_manifest()
        self._setup()
        if self.strategy is MemoryStrategy.GUARD and not lib.aot_signal_handler_installed():
            warnings.warn(
                "another SIGSEGV/SIGBUS handler replaced the aot-wasm runtime's (e.g. "
                "faulthandler.enable() after `import runtime`): an out-of-bounds access in a "
                "guard-memory module will now crash the process instead of trapping. Enable "
                "faulthandler before importing runtime, or compile with memory='bounds'.",
                RuntimeWarning, stacklevel=3)

    def _sym(self, name: str, required: bool = True):
        p = lib.aot_dlsym(self._handle, name.encode())
        if p == ffi.NULL and required:
            raise LoadError(f"{self.path}: missing symbol {name!r}; is it a module made by `aot compile`?")
        return p

    def _read_manifest(self) -> dict:
        data = self._sym(abi.SYM_MANIFEST)
        length = ffi.cast("uint64_t *", self._sym(abi.SYM_MANIFEST_LEN))[0]
        return mf.decode(ffi.buffer(ffi.cast("char *", data), length)[:], self.path)

    def _setup(self) -> None:
        m = self.manifest
        self.strategy = MemoryStrategy(m["strategy"])
        self.target = m["target"]
        self.types: list[FuncType] = [mf.functype(t) for t in m["types"]]
        self.layout = abi.VMContextLayout.from_dict(m["vmctx"])
        imports = m["imports"]
        self.func_imports = [i for i in imports if i["kind"] == "func"]
        self.num_imported_funcs = len(self.func_imports)
        # type index of every function in the function index space
        self.func_type_indices = [i["type"] for i in self.func_imports] + list(m["funcs"])
        self._tramps: dict[int, object] = {}
        self._adapters: dict[int, object] = {}
        funcs = m["funcs"]
        self.functions = []  # native address of each defined function
        if funcs:
            table = ffi.cast("void **", self._sym(abi.SYM_FUNCTIONS))
            self.functions = [table[k] for k in range(len(funcs))]
        data = self._sym(abi.SYM_DATA, required=False)
        if m["datas"] and data == ffi.NULL:
            raise LoadError(f"{self.path}: missing symbol {abi.SYM_DATA!r}")
        self.data = ffi.cast("uint8_t *", data)
        starts = sorted((int(ffi.cast("uintptr_t", p)), self.num_imported_funcs + k)
                        for k, p in enumerate(self.functions))
        self._starts = [s for s, _ in starts]
        self._start_index = [i for _, i in starts]
        self._image = None  # (memfd, bytes) of the initial memory, made on first use
        self._image_done = False
        register_module(self, self.types)

    # ---- the initial-memory image --------------------------------------------------------

    IMAGE_MIN_BYTES = 64 * 1024
    """Below this much data, copying the segments is as fast as mapping an image."""

    def memory_image(self):
        """(fd, length) of an image of memory 0 with every active data segment applied,
        for mapping copy-on-write over a fresh guard memory; None when the module does
        not qualify: a guard module whose memory 0 it defines, and whose active segments
        all target it at constant offsets inside its initial size (so none can trap)."""
        if self._image_done:
            return self._image
        self._image_done = True
        m = self.manifest
        datas = [d for d in m["datas"] if d["mode"] == "active"]
        if (self.strategy is not MemoryStrategy.GUARD or not m["memories"] or not datas
                or any(i["kind"] == "memory" for i in m["imports"])):
            return None
        initial = m["memories"][0]["min"] * 65536
        end = 0
        for d in datas:
            off = d["offset"]
            if d["memory"] != 0 or len(off) != 1 or off[0][0] != "i32.const":
                return None
            start = off[0][1] & 0xFFFFFFFF
            if start + d["length"] > initial:
                return None
            end = max(end, start + d["length"])
        if sum(d["length"] for d in datas) < self.IMAGE_MIN_BYTES:
            return None
        page = os.sysconf("SC_PAGESIZE")
        size = (end + page - 1) // page * page
        image = bytearray(size)
        for d in datas:  # in order: a later segment overwrites an earlier one, as at run time
            start = d["offset"][0][1] & 0xFFFFFFFF
            image[start:start + d["length"]] = ffi.buffer(self.data + d["start"], d["length"])
        fd = lib.aot_image_create(ffi.from_buffer(image), size)
        if fd < 0:
            return None  # no memfd here: instances copy the segments instead
        native_finalizer(self, lib.aot_image_close, fd)
        self._image = (fd, size)
        return self._image

    # ---- what the module declares ------------------------------------------------------

    @property
    def imports(self) -> list[tuple[str, str, object]]:
        out = []
        for d in self.manifest["imports"]:
            t = self.types[d["type"]] if d["kind"] == "func" else extern_type(d)
            out.append((d["module"], d["name"], t))
        return out

    def export_type(self, kind: str, index: int):
        m = self.manifest
        if kind == "func":
            return self.types[self.func_type_indices[index]]
        imported = [d for d in m["imports"] if d["kind"] == kind]
        if index < len(imported):
            return extern_type(imported[index])
        index -= len(imported)
        if kind == "table":
            return mf.tabletype(m["tables"][index])
        if kind == "memory":
            return mf.memorytype(m["memories"][index])
        return mf.globaltype(m["globals"][index])

    @property
    def exports(self) -> list[tuple[str, object]]:
        return [(e["name"], self.export_type(e["kind"], e["index"])) for e in self.manifest["exports"]]

    def func_type(self, func_index: int) -> FuncType:
        return self.types[self.func_type_indices[func_index]]

    def instantiate(self, imports: dict | None = None):
        """A new instance; `imports` maps module name -> {name: Func/Memory/Table/Global}."""
        from ._instance import Instance
        return Instance(self, imports)

    # ---- native entry points -----------------------------------------------------------

    def _trampoline(self, type_index: int):
        t = self._tramps.get(type_index)
        if t is None:
            t = self._tramps[type_index] = self._sym(abi.sym_trampoline(type_index))
        return t

    def _adapter(self, type_index: int):
        a = self._adapters.get(type_index)
        if a is None:
            a = self._adapters[type_index] = self._sym(abi.sym_host_adapter(type_index))
        return a

    def _func_at(self, pc: int) -> int | None:
        """Index of the defined function whose code contains `pc` (the closest start below)."""
        i = bisect.bisect_right(self._starts, pc) - 1
        return self._start_index[i] if i >= 0 else None

    def _func_name(self, func_index: int) -> str | None:
        return self.manifest.get("func_names", {}).get(str(func_index))

    def __repr__(self) -> str:
        return f"<Module {os.path.basename(self.path)} {self.strategy.value} {self.target}>"

