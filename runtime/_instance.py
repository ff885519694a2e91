"""`Instance`: a module instantiated with its imports, and its `exports`.

Instantiation follows the 2.0 spec: every import is checked before anything
happens (LinkError); then the vmctx is built (header, canonical type ids, funcrefs,
memories, tables, globals, segment descriptors); then active element segments are
applied in order, active and declarative ones dropped, active data segments applied
in order and dropped, and the start function runs. A trap in those last steps raises
`Trap` and leaves the effects of the earlier steps in place (imported tables and
memories keep what was written, and this partial instance stays alive as long as they
can reach it).
"""
from __future__ import annotations

import weakref

from aot.abi import TrapCode
from aot.model import GlobalType, ValType
from aot import manifest as mf

from ._errors import LinkError, LoadError, ResourceError
from ._func import Func, HostBinding, host_callback_pointer
from ._hostcall import register_binding
from ._global import Global
from ._links import link, native_finalizer
from ._memory import Memory
from ._module import Module
from ._native_loader import ffi, lib
from ._refs import extern_object, hold_extern, register_funcrefs, release_externs, unregister_funcrefs
from ._table import Table
from ._trap import Trap
from ._types import type_id
from ._values import MASK32, MASK64, write_slot, read_slot


def _release(vmctx, addresses: list[int]) -> None:
    unregister_funcrefs(addresses)
    lib.aot_free(vmctx)


# ---- import matching (the spec's external subtyping) -----------------------------------

def _limits_match(size: int, max_: int | None, want_min: int, want_max: int | None) -> bool:
    if size < want_min:
        return False
    return want_max is None or (max_ is not None and max_ <= want_max)


def _describe(value) -> str:
    if isinstance(value, Func):
        return f"function {value.type}"
    if isinstance(value, Table):
        return f"table {value.elem.text} (size {value.size}, max {value.max})"
    if isinstance(value, Memory):
        return f"{value.strategy.value} memory (size {value.size}, max {value.max})"
    if isinstance(value, Global):
        return f"global {'mut ' if value.type.mutable else ''}{value.type.valtype.text}"
    return type(value).__name__


def _check_import(module: Module, d: dict, value) -> None:
    where = f"import {d['module']!r}.{d['name']!r}"
    kind = d["kind"]
    if kind == "func":
        want = module.types[d["type"]]
        if not isinstance(value, Func) or value.type != want:
            raise LinkError(f"{where}: expected function {want}, got {_describe(value)}")
    elif kind == "table":
        want = mf.tabletype(d)
        if not isinstance(value, Table) or value.elem is not want.elem or not _limits_match(
                value.size, value.max, want.limits.min, want.limits.max):
            raise LinkError(f"{where}: expected table {want.elem.text} (min {want.limits.min}, "
                            f"max {want.limits.max}), got {_describe(value)}")
    elif kind == "memory":
        want = mf.memorytype(d)
        if not isinstance(value, Memory) or not _limits_match(
                value.size, value.max, want.limits.min, want.limits.max):
            raise LinkError(f"{where}: expected memory (min {want.limits.min}, max "
                            f"{want.limits.max}), got {_describe(value)}")
        if value.strategy is not module.strategy:
            raise LinkError(f"{where}: the module was compiled for {module.strategy.value} "
                            f"memories and cannot use a {value.strategy.value} memory; create it "
                            f"with Memory(..., strategy={module.strategy.value!r})")
    else:
        want = mf.globaltype(d)
        if not isinstance(value, Global) or value.type != want:
            raise LinkError(f"{where}: expected global {'mut ' if want.mutable else ''}"
                            f"{want.valtype.text}, got {_describe(value)}")


def _lookup(imports, d: dict):
    where = f"import {d['module']!r}.{d['name']!r}"
    try:
        namespace = imports[d["module"]]
    except (KeyError, TypeError):
        raise LinkError(f"{where} is missing: no module {d['module']!r} in the imports") from None
    try:
        return namespace[d["name"]]
    except (KeyError, TypeError):
        raise LinkError(f"{where} is missing") from None


class Instance:
    """An instance of a `Module`. `exports.name` / `exports["name"]` give its exports.

    `memory_limit` (pages) caps every memory the instance defines, below its declared
    maximum: `memory.grow` past it returns -1. A module whose memory starts above the
    limit is refused with `ResourceError` before anything runs. `table_limit` (elements)
    does the same for every table the instance defines (`table.grow` past it returns -1).
    `start=False` leaves the start function for the embedder to run with `run_start()`
    (after it has set up what the start function may use, e.g. the kernel's syscalls).
    """

    def __init__(self, module: Module, imports=None, *, memory_limit: int | None = None,
                 table_limit: int | None = None, start: bool = True):
        if not isinstance(module, Module):
            raise TypeError("Instance needs a runtime.Module (from runtime.load)")
        m = module.manifest
        if memory_limit is not None:
            if not isinstance(memory_limit, int) or memory_limit < 0:
                raise ValueError(f"memory_limit is a number of 64 KiB pages, not {memory_limit!r}")
            for md in m["memories"]:
                if md["min"] > memory_limit:
                    raise ResourceError(
                        f"{module.path}: its memory starts at {md['min']} pages, above the "
                        f"limit of {memory_limit} pages; raise the limit")
        if table_limit is not None:
            if not isinstance(table_limit, int) or table_limit < 0:
                raise ValueError(f"table_limit is a number of elements, not {table_limit!r}")
            for td in m["tables"]:
                if td["min"] > table_limit:
                    raise ResourceError(
                        f"{module.path}: its table starts at {td['min']} elements, above the "
                        f"limit of {table_limit} elements; raise the limit")
        resolved = []
        for d in m["imports"]:
            value = _lookup(imports if imports is not None else {}, d)
            _check_import(module, d, value)
            resolved.append(value)

        self.module = module
        self._links: set = set()
        self._externs: set = set()
        self._keep: list = []  # cdata (host contexts, handles, segment items) we must outlive
        weakref.finalize(self, release_externs, self._externs)
        layout = module.layout
        self._layout = layout
        vm = lib.aot_alloc(layout.size)
        if vm == ffi.NULL:
            raise MemoryError("could not allocate an instance context")
        base = ffi.cast("uint8_t *", vm)
        self._vmctx = vm
        self._base = base
        addr0 = int(ffi.cast("uintptr_t", vm))
        self._funcref_addrs = [addr0 + layout.funcref(i) for i in range(layout.num_funcs)]
        native_finalizer(self, _release, vm, self._funcref_addrs)

        ffi.cast("VMCtxHeader *", vm).builtins = lib.aot_builtins_table()
        type_ids = ffi.cast("uint32_t *", base + layout.type_ids)
        for t, ft in enumerate(module.types):
            type_ids[t] = type_id(ft)

        self._funcs: list[Func | None] = [None] * layout.num_funcs
        self._memories: list[Memory] = []
        self._tables: list[Table] = []
        self._globals: list[Global] = []
        gptrs = ffi.cast("void **", base + layout.globals)
        func_index = 0
        for d, value in zip(m["imports"], resolved):
            link(self, value)
            kind = d["kind"]
            if kind == "func":
                self._import_func(func_index, d["type"], value)
                func_index += 1
            elif kind == "memory":
                self._memories.append(value)
            elif kind == "table":
                self._tables.append(value)
            else:
                gptrs[len(self._globals)] = value._slot
                self._globals.append(value)

        for k, native in enumerate(module.functions):
            i = module.num_imported_funcs + k
            ref = self._funcref(i)
            ref.native_fn = native
            ref.vmctx = vm
            ref.type_id = type_ids[module.func_type_indices[i]]
        register_funcrefs(self, list(zip(self._funcref_addrs, range(layout.num_funcs))))

        for md in m["memories"]:
            mem = Memory(md["min"], md["max"], strategy=module.strategy)
            if memory_limit is not None:
                mem.set_limit(memory_limit)
            link(self, mem)
            self._memories.append(mem)
        mptrs = ffi.cast("VMMemory **", base + layout.memories)
        for i, mem in enumerate(self._memories):
            mptrs[i] = mem._ptr
        # The data segments as one copy-on-write mapping, when the module allows it.
        image = module.memory_image() if m["memories"] else None
        self._data_from_image = bool(image) and lib.aot_memory_map_image(
            self._memories[0]._ptr, image[0], image[1]) == 0

        for td in m["tables"]:
            table = Table(ValType.from_text(td["elem"]), td["min"], td["max"])
            if table_limit is not None:
                table.set_limit(table_limit)
            link(self, table)
            self._tables.append(table)
        tptrs = ffi.cast("VMTable **", base + layout.tables)
        for i, table in enumerate(self._tables):
            tptrs[i] = table._ptr

        for k, gd in enumerate(m["globals"]):
            gt = GlobalType(ValType.from_text(gd["valtype"]), gd["mutable"])
            slot = ffi.cast("uint64_t *", base + layout.defined_global(k))
            write_slot(slot, 0, gt.valtype, self._eval(gd["init"], gt.valtype))
            gptrs[len(self._globals)] = slot
            self._globals.append(Global._at(gt, slot, self))

        for i, dd in enumerate(m["datas"]):
            seg = self._data_segment(i)
            seg.data = module.data + dd["start"]
            seg.length = dd["length"]
        for i, ed in enumerate(m["elems"]):
            elem_type = ValType.from_text(ed["elem_type"])
            items = [self._eval(e, elem_type) for e in ed["items"]]
            array = ffi.new("uint64_t[]", max(len(items), 1))
            for j, bits in enumerate(items):
                array[j] = bits
            self._keep.append(array)
            seg = self._elem_segment(i)
            seg.items = array
            seg.length = len(items)

        self.exports = Exports(self)
        self._start_pending = m["start"] is not None
        self._initialise(m)
        if start:
            self.run_start()

    def run_start(self) -> None:
        """Run the start function, if any and not run yet (Trap if it traps)."""
        if self._start_pending:
            self._start_pending = False
            self._func(self.module.manifest["start"])()

    # ---- building the vmctx ------------------------------------------------------------

    def _funcref(self, i: int):
        return ffi.cast("VMFuncRef *", self._base + self._layout.funcref(i))

    def _data_segment(self, i: int):
        return ffi.cast("VMDataSegment *", self._base + self._layout.data_segment(i))

    def _elem_segment(self, i: int):
        return ffi.cast("VMElemSegment *", self._base + self._layout.elem_segment(i))

    def _import_func(self, i: int, type_index: int, func: Func) -> None:
        ref = self._funcref(i)
        if func._callable is not None:
            # A host function: this module's adapter for the type, with a HostContext.
            hc = ffi.new("HostContext *")
            handle = ffi.new_handle(HostBinding(func, self))
            hc.builtins = lib.aot_builtins_table()
            hc.callback = host_callback_pointer()
            hc.handle = handle
            ref.native_fn = self.module._adapter(type_index)
            ref.vmctx = hc
            ref.type_id = type_id(func.type)
            self._keep += [hc, handle]
            register_binding(hc, ffi.from_handle(handle), self)
        else:
            src = func._ref
            ref.native_fn = src.native_fn
            ref.vmctx = src.vmctx
            ref.type_id = src.type_id
        self._funcs[i] = func

    def _eval(self, expr: list, result: ValType) -> int:
        """Bits of a constant expression (the manifest's [[op, imm], ...])."""
        stack: list[int] = []
        for op, imm in expr:
            if op == "i32.const":
                stack.append(imm & MASK32)
            elif op == "i64.const":
                stack.append(imm & MASK64)
            elif op in ("f32.const", "f64.const", "v128.const"):  # raw bits already
                stack.append(imm)
            elif op == "ref.null":
                stack.append(0)
            elif op == "ref.func":
                stack.append(self._funcref_addrs[imm])
            elif op == "global.get":
                g = self._globals[imm]
                stack.append(read_slot(g._slot, 0, g.type.valtype))
            elif op in _BINARY:
                b, a = stack.pop(), stack.pop()
                width = MASK32 if op.startswith("i32") else MASK64
                stack.append(_BINARY[op](a, b) & width)
            else:
                raise LoadError(f"{self.module.path}: unsupported constant expression {op!r}")
        bits = stack[-1]
        if result is ValType.EXTERNREF and bits:
            obj = extern_object(bits)  # copied from an imported global: hold it here too
            if not isinstance(obj, int):
                hold_extern(obj, self._externs)
        return bits

    def _initialise(self, m: dict) -> None:
        for i, ed in enumerate(m["elems"]):
            seg = self._elem_segment(i)
            if ed["mode"] == "active":
                offset = self._eval(ed["offset"], ValType.I32)
                status = lib.aot_table_init(self._tables[ed["table"]]._ptr, seg, offset, 0, seg.length)
                if status:
                    raise Trap(TrapCode(status))
            if ed["mode"] in ("active", "declarative"):
                seg.length = 0
        for i, dd in enumerate(m["datas"]):
            if dd["mode"] == "active" and self._data_from_image:
                self._data_segment(i).length = 0  # applied by the image, dropped as usual
            elif dd["mode"] == "active":
                seg = self._data_segment(i)
                offset = self._eval(dd["offset"], ValType.I32)
                status = lib.aot_memory_init(self._memories[dd["memory"]]._ptr, seg, offset, 0, seg.length)
                if status:
                    raise Trap(TrapCode(status))
                seg.length = 0

    # ---- exports -----------------------------------------------------------------------

    def _func(self, index: int) -> Func:
        f = self._funcs[index]
        if f is None:
            t = self.module.func_type_indices[index]
            f = Func._wasm(self, self._funcref(index), self.module.types[t], self.module._trampoline(t))
            self._funcs[index] = f
        return f

    def _extern(self, kind: str, index: int):
        if kind == "func":
            return self._func(index)
        if kind == "memory":
            return self._memories[index]
        if kind == "table":
            return self._tables[index]
        return self._globals[index]

    def __repr__(self) -> str:
        return f"<Instance of {self.module!r}>"


_BINARY = {
    "i32.add": lambda a, b: a + b, "i32.sub": lambda a, b: a - b, "i32.mul": lambda a, b: a * b,
    "i64.add": lambda a, b: a + b, "i64.sub": lambda a, b: a - b, "i64.mul": lambda a, b: a * b,
}


class Exports:
    """An instance's exports by name: `exports.f`, `exports["f"]`, iteration over names."""

    def __init__(self, instance: Instance):
        self._instance = instance
        self._by_name = {e["name"]: (e["kind"], e["index"]) for e in instance.module.manifest["exports"]}

    def __getitem__(self, name: str):
        kind, index = self._by_name[name]
        return self._instance._extern(kind, index)

    def __getattr__(self, name: str):
        by_name = self.__dict__.get("_by_name")
        if by_name is None or name not in by_name:
            raise AttributeError(f"no export named {name!r}")
        return self[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self):
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def keys(self):
        return self._by_name.keys()

    def items(self):
        return [(name, self[name]) for name in self._by_name]

    def __repr__(self) -> str:
        return f"<Exports {', '.join(self._by_name)}>"


