"""A minimal, test-only host for modules produced by aot.translate (no runtime needed).

It links the object into a `.so` (aot.link), dlopens it, and builds a vmctx by hand from
aot.abi: memories in an 8 GiB PROT_NONE reservation (both strategies), tables,
globals, segments, funcrefs, and host imports through the module's host adapters. A
small C helper provides the builtins, catches traps (TRAP builtin → siglongjmp) and
memory faults (SIGSEGV → trap code MEMORY_OUT_OF_BOUNDS, func index FAULT).

This is deliberately simpler than the real runtime: memories never move, tables have a
fixed capacity, only functions may be imported. It exists to test the translator's
ABI and semantics on their own.
"""
from __future__ import annotations

import ctypes
import functools
import os
import struct
import subprocess
import tempfile
import weakref

from aot import abi, codegen
from aot.abi import Builtin, VMContextLayout
from aot.decode import decode_module
from aot.link import link_shared
from aot.model import ExternKind, SegmentMode, ValType
from aot.translate import translate_module
from tests.spec.wast import wasm_tools

FAULT = 0xFFFFFFFE  # func_index reported for a trap that came from SIGSEGV

_C_SOURCE = r"""
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

typedef struct { uint8_t *base; uint64_t length; uint64_t max_pages; uint64_t pad[5]; } Mem;
typedef struct { uint64_t *elements; uint64_t length; uint64_t capacity; uint64_t pad[3]; } Tab;
typedef struct { const uint8_t *data; uint64_t length; } Seg;
typedef struct { const uint64_t *items; uint64_t length; } ESeg;

static sigjmp_buf *cur;
static volatile uint32_t trap_code, trap_func;

void h_trap(uint32_t code, uint32_t fi) { trap_code = code; trap_func = fi; siglongjmp(*cur, 1); }

static void on_fault(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)si; (void)uc;
    trap_code = 2; trap_func = 0xFFFFFFFEu; siglongjmp(*cur, 1);
}

typedef void (*tramp_fn)(void *, void *, void *, void *);

int h_invoke(tramp_fn tramp, void *fn, void *vmctx, void *slots, uint64_t depth, uint32_t *fi) {
    sigjmp_buf buf;
    sigjmp_buf *prev = cur;
    uint64_t tctx[8] = {0};
    struct sigaction sa, old_segv, old_bus;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
    tctx[0] = (uintptr_t)__builtin_frame_address(0) - depth;
    int r = 0;
    if (sigsetjmp(buf, 1) == 0) {
        cur = &buf;
        tramp(fn, vmctx, tctx, slots);
    } else {
        r = (int)trap_code;
        *fi = trap_func;
    }
    cur = prev;
    sigaction(SIGSEGV, &old_segv, 0);
    sigaction(SIGBUS, &old_bus, 0);
    return r;
}

void *h_reserve(uint64_t bytes) {
    void *p = mmap(0, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? 0 : p;
}

void h_release(void *p, uint64_t bytes) { munmap(p, bytes); }

int h_commit(uint8_t *p, uint64_t bytes) { return bytes ? mprotect(p, bytes, PROT_READ | PROT_WRITE) : 0; }

int32_t h_memory_grow(Mem *m, uint32_t delta) {
    uint64_t old = m->length >> 16, n = old + delta;
    if (n > m->max_pages) return -1;
    if (h_commit(m->base + m->length, (uint64_t)delta << 16)) return -1;
    m->length = n << 16;
    return (int32_t)old;
}
uint32_t h_memory_fill(Mem *m, uint32_t d, uint32_t v, uint32_t n) {
    if ((uint64_t)d + n > m->length) return 2;
    memset(m->base + d, (int)v, n); return 0;
}
uint32_t h_memory_copy(Mem *dm, Mem *sm, uint32_t d, uint32_t s, uint32_t n) {
    if ((uint64_t)d + n > dm->length || (uint64_t)s + n > sm->length) return 2;
    memmove(dm->base + d, sm->base + s, n); return 0;
}
uint32_t h_memory_init(Mem *m, Seg *g, uint32_t d, uint32_t s, uint32_t n) {
    if ((uint64_t)s + n > g->length || (uint64_t)d + n > m->length) return 2;
    memcpy(m->base + d, g->data + s, n); return 0;
}
int32_t h_table_grow(Tab *t, uint64_t init, uint32_t delta) {
    uint64_t old = t->length;
    if (old + delta > t->capacity) return -1;
    for (uint64_t i = 0; i < delta; i++) t->elements[old + i] = init;
    t->length = old + delta;
    return (int32_t)old;
}
uint32_t h_table_fill(Tab *t, uint32_t i, uint64_t ref, uint32_t n) {
    if ((uint64_t)i + n > t->length) return 3;
    for (uint32_t k = 0; k < n; k++) t->elements[i + k] = ref;
    return 0;
}
uint32_t h_table_copy(Tab *dt, Tab *st, uint32_t d, uint32_t s, uint32_t n) {
    if ((uint64_t)d + n > dt->length || (uint64_t)s + n > st->length) return 3;
    memmove(dt->elements + d, st->elements + s, 8 * (uint64_t)n); return 0;
}
uint32_t h_table_init(Tab *t, ESeg *g, uint32_t d, uint32_t s, uint32_t n) {
    if ((uint64_t)s + n > g->length || (uint64_t)d + n > t->length) return 3;
    memcpy(t->elements + d, g->items + s, 8 * (uint64_t)n); return 0;
}
"""

_BUILTIN_NAMES = {
    Builtin.TRAP: "h_trap", Builtin.MEMORY_GROW: "h_memory_grow",
    Builtin.MEMORY_FILL: "h_memory_fill", Builtin.MEMORY_COPY: "h_memory_copy",
    Builtin.MEMORY_INIT: "h_memory_init", Builtin.TABLE_GROW: "h_table_grow",
    Builtin.TABLE_FILL: "h_table_fill", Builtin.TABLE_COPY: "h_table_copy",
    Builtin.TABLE_INIT: "h_table_init",
}

CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)


@functools.cache
def native() -> ctypes.CDLL:
    d = tempfile.mkdtemp(prefix="aot-harness-")
    src, lib = os.path.join(d, "h.c"), os.path.join(d, "h.so")
    with open(src, "w") as f:
        f.write(_C_SOURCE)
    subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", lib, src], check=True)
    h = ctypes.CDLL(lib)
    h.h_invoke.argtypes = [ctypes.c_void_p] * 4 + [ctypes.c_uint64, ctypes.POINTER(ctypes.c_uint32)]
    h.h_invoke.restype = ctypes.c_int
    h.h_reserve.argtypes = [ctypes.c_uint64]
    h.h_reserve.restype = ctypes.c_void_p
    h.h_commit.argtypes = [ctypes.c_void_p, ctypes.c_uint64]
    h.h_release.argtypes = [ctypes.c_void_p, ctypes.c_uint64]
    return h


def _addr(lib, name: str) -> int:
    return ctypes.cast(getattr(lib, name), ctypes.c_void_p).value


def put(addr: int, fmt: str, value) -> None:
    ctypes.memmove(addr, struct.pack("<" + fmt, value), struct.calcsize(fmt))


def get(addr: int, fmt: str):
    return struct.unpack("<" + fmt, ctypes.string_at(addr, struct.calcsize(fmt)))[0]


# Value <-> slot conversion: ints as Python ints (signed for results), floats as floats,
# references as raw addresses. `("bits", n)` passes/returns raw float bits.
_FMT = {ValType.I32: "i", ValType.I64: "q", ValType.F32: "f", ValType.F64: "d",
        ValType.FUNCREF: "Q", ValType.EXTERNREF: "Q"}
_UFMT = {ValType.I32: "I", ValType.I64: "Q", ValType.F32: "I", ValType.F64: "Q",
         ValType.FUNCREF: "Q", ValType.EXTERNREF: "Q"}


def _to_slot(vt: ValType, v) -> bytes:
    if isinstance(v, tuple) and v[0] == "bits":
        return struct.pack("<" + _UFMT[vt], v[1]).ljust(16, b"\0")
    if vt in (ValType.I32, ValType.I64) and v >= 0:
        return struct.pack("<" + _UFMT[vt], v).ljust(16, b"\0")
    return struct.pack("<" + _FMT[vt], v).ljust(16, b"\0")


def wat_to_wasm(wat: str) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "m.wat")
        with open(p, "w") as f:
            f.write(wat)
        return subprocess.run([wasm_tools(), "parse", p], check=True, capture_output=True).stdout


def compile_so(wasm: bytes, strategy: str, opt: int = 2) -> tuple[object, str]:
    """(decoded module, path of the linked .so)."""
    module = decode_module(wasm)
    tm = codegen.target_machine(opt_level=opt)
    irm = translate_module(module, strategy=abi.MemoryStrategy(strategy), triple=tm.triple,
                           data_layout=str(tm.target_data), compiler_version="test", opt_level=opt)
    obj = codegen.emit_object(codegen.optimize(irm, tm, opt), tm)
    so = link_shared(obj, tm.triple)
    fd, path = tempfile.mkstemp(suffix=".so", prefix="aot-test-")
    with os.fdopen(fd, "wb") as f:
        f.write(so)
    return module, path


class Trap(Exception):
    def __init__(self, code: int, func_index: int):
        super().__init__(f"trap {abi.TrapCode(code).name} in function {func_index:#x}")
        self.code = abi.TrapCode(code)
        self.func_index = func_index


class Instance:
    """One instance of a module; `call(export, *args)` runs an exported function."""

    type_ids: dict = {}  # canonical FuncType -> id, shared by all instances (like the runtime)

    def __init__(self, wasm: bytes, strategy: str = "guard", opt: int = 2, imports=None,
                 stack_depth: int = 256 << 10):
        self.h = native()
        self.module, path = compile_so(wasm, strategy, opt)
        self.lib = ctypes.CDLL(path)
        os.unlink(path)  # stays mapped
        self.stack_depth = stack_depth
        self._keep = []  # ctypes objects that must outlive the instance
        m = self.module
        self.layout = VMContextLayout.for_module(m)
        self.vmctx = self._alloc(self.layout.size)
        builtins = (ctypes.c_void_p * abi.NUM_BUILTINS)(
            *[_addr(self.h, _BUILTIN_NAMES[b]) for b in Builtin])
        self._keep.append(builtins)
        put(self.vmctx + abi.VMCtxHeader.BUILTINS, "Q", ctypes.addressof(builtins))
        self.builtins = ctypes.addressof(builtins)
        for t, ft in enumerate(m.types):
            put(self.vmctx + self.layout.type_id(t), "I", self.type_ids.setdefault(ft, len(self.type_ids) + 1))
        self._funcrefs(imports or {})
        self.memories = [self._memory(i, mt) for i, mt in enumerate(m.memories)]
        self.tables = [self._table(i, tt) for i, tt in enumerate(m.tables)]
        self._globals()
        self._segments()
        if m.start is not None:
            self._invoke(m.start, [])

    # ---- instantiation ---------------------------------------------------------------
    def _alloc(self, n: int) -> int:
        buf = ctypes.create_string_buffer(max(n, 16))
        self._keep.append(buf)
        return ctypes.addressof(buf)

    def _funcrefs(self, imports) -> None:
        m = self.module
        for i, imp in enumerate(m.imports_of(ExternKind.FUNC)):
            fn = imports[imp.name]
            ft = m.types[imp.desc]
            host = self._alloc(abi.HostContext.SIZE)
            cb = CALLBACK(self._host_callback(fn, ft))
            self._keep.append(cb)
            put(host + abi.HostContext.BUILTINS, "Q", self.builtins)
            put(host + abi.HostContext.CALLBACK, "Q", ctypes.cast(cb, ctypes.c_void_p).value)
            self._set_funcref(i, _addr(self.lib, abi.sym_host_adapter(imp.desc)), host, imp.desc)
        for k, t in enumerate(m.funcs):
            i = m.num_imported_funcs + k
            self._set_funcref(i, _addr(self.lib, abi.sym_function(i)), self.vmctx, t)

    def _set_funcref(self, i: int, native_fn: int, ctx: int, type_index: int) -> None:
        ref = self.vmctx + self.layout.funcref(i)
        put(ref + abi.VMFuncRef.NATIVE_FN, "Q", native_fn)
        put(ref + abi.VMFuncRef.VMCTX, "Q", ctx)
        put(ref + abi.VMFuncRef.TYPE_ID, "I", self.type_ids[self.module.types[type_index]])

    def _host_callback(self, fn, ft):
        def callback(host_ctx, tctx, slots):
            try:
                args = [struct.unpack_from("<" + _FMT[t], ctypes.string_at(slots + 16 * i, 8))[0]
                        for i, t in enumerate(ft.params)]
                res = fn(*args)
                res = () if res is None else (res if isinstance(res, tuple) else (res,))
                for i, (t, v) in enumerate(zip(ft.results, res)):
                    ctypes.memmove(slots + 16 * i, _to_slot(t, v), 16)
                return 0
            except Exception:
                return 1
        return callback

    def _memory(self, i: int, mt) -> int:
        mem = self._alloc(abi.VMMemory.SIZE)
        base = self.h.h_reserve(abi.GUARD_RESERVATION)
        if not base:
            raise MemoryError("could not reserve address space for a memory")
        weakref.finalize(self, self.h.h_release, base, abi.GUARD_RESERVATION)
        self.h.h_commit(base, mt.limits.min << 16)
        put(mem + abi.VMMemory.BASE, "Q", base)
        put(mem + abi.VMMemory.LENGTH, "Q", mt.limits.min << 16)
        put(mem + 16, "Q", mt.limits.max if mt.limits.max is not None else 65536)
        put(self.vmctx + self.layout.memory(i), "Q", mem)
        return mem

    def _table(self, i: int, tt) -> int:
        cap = min(tt.limits.max if tt.limits.max is not None else 1 << 32, tt.limits.min + 64)
        elems = self._alloc(8 * cap)
        tab = self._alloc(abi.VMTable.SIZE)
        put(tab + abi.VMTable.ELEMENTS, "Q", elems)
        put(tab + abi.VMTable.LENGTH, "Q", tt.limits.min)
        put(tab + 16, "Q", cap)
        put(self.vmctx + self.layout.table(i), "Q", tab)
        return tab

    def _const(self, expr):
        (ins,) = expr
        if ins.op in ("i32.const", "i64.const", "f32.const", "f64.const"):
            return ins.imm
        if ins.op == "ref.null":
            return 0
        if ins.op == "ref.func":
            return self.vmctx + self.layout.funcref(ins.imm)
        raise NotImplementedError(ins.op)

    def _globals(self) -> None:
        fmt = {ValType.I32: "i", ValType.I64: "q", ValType.F32: "I", ValType.F64: "Q"}
        for k, g in enumerate(self.module.globals):
            put(self.vmctx + self.layout.defined_global(k), fmt.get(g.type.valtype, "Q"), self._const(g.init))

    def _segments(self) -> None:
        m = self.module
        data = ctypes.addressof(ctypes.c_char.in_dll(self.lib, abi.SYM_DATA)) if m.datas else 0
        pos = 0
        for i, seg in enumerate(m.datas):
            rec = self.vmctx + self.layout.data_segment(i)
            put(rec + abi.VMDataSegment.DATA, "Q", data + pos)
            put(rec + abi.VMDataSegment.LENGTH, "Q", len(seg.data) if seg.mode is SegmentMode.PASSIVE else 0)
            if seg.mode is SegmentMode.ACTIVE:
                base = get(self.memories[seg.memory], "Q")
                ctypes.memmove(base + self._const(seg.offset), seg.data, len(seg.data))
            pos += len(seg.data)
        for i, seg in enumerate(m.elems):
            items = [self._const(e) for e in seg.items]
            arr = (ctypes.c_uint64 * max(len(items), 1))(*items)
            self._keep.append(arr)
            rec = self.vmctx + self.layout.elem_segment(i)
            put(rec + abi.VMElemSegment.ITEMS, "Q", ctypes.addressof(arr))
            put(rec + abi.VMElemSegment.LENGTH, "Q", len(items) if seg.mode is SegmentMode.PASSIVE else 0)
            if seg.mode is SegmentMode.ACTIVE:
                elems = get(self.tables[seg.table], "Q")
                ctypes.memmove(elems + 8 * self._const(seg.offset), arr, 8 * len(items))

    # ---- calls -----------------------------------------------------------------------------
    def export(self, name: str) -> int:
        for e in self.module.exports:
            if e.name == name:
                return e.index
        raise KeyError(name)

    def call(self, name: str, *args):
        res = self._invoke(self.export(name), args)
        return res[0] if len(res) == 1 else (None if not res else tuple(res))

    def _invoke(self, func_index: int, args, raw: bool = False) -> list:
        m = self.module
        t = m.all_func_types()[func_index]
        ft = m.types[t]
        slots = ctypes.create_string_buffer(16 * max(len(ft.params), len(ft.results), 1))
        for i, (vt, v) in enumerate(zip(ft.params, args)):
            ctypes.memmove(ctypes.addressof(slots) + 16 * i, _to_slot(vt, v), 16)
        ref = self.vmctx + self.layout.funcref(func_index)
        fi = ctypes.c_uint32()
        code = self.h.h_invoke(_addr(self.lib, abi.sym_trampoline(t)), get(ref, "Q"), get(ref + 8, "Q"),
                               ctypes.addressof(slots), self.stack_depth, ctypes.byref(fi))
        if code:
            raise Trap(code, fi.value)
        fmt = _UFMT if raw else _FMT
        return [struct.unpack_from("<" + fmt[vt], slots.raw, 16 * i)[0] for i, vt in enumerate(ft.results)]

    def call_bits(self, name: str, *args) -> int:
        """Raw bits of the single result (for NaN payloads)."""
        return self._invoke(self.export(name), args, raw=True)[0]

    # ---- memory inspection -------------------------------------------------------------------
    def memory_bytes(self, start: int, n: int, index: int = 0) -> bytes:
        base = get(self.memories[index], "Q")
        return ctypes.string_at(base + start, n)

    def memory_length(self, index: int = 0) -> int:
        return get(self.memories[index] + abi.VMMemory.LENGTH, "Q")
