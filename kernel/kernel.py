"""`Kernel`: isolated plugin instances linked only through capabilities.

Each plugin is a runtime instance with its own memory (under a limit) and its own
capability namespace (a native KInstance). Its imports are served only by the kernel:
the module "kernel" by the syscalls (kernel.kif), any other module by translators
linking it to the exports of a plugin the host named when loading it. A plugin can reach
nothing else: it imports no memories, tables or globals, and every pointer it gives the
kernel is checked against its own memory.

The host (Python) has a namespace too: `Cap` objects are its caps; it lends them to
plugins it calls, makes grants over its own buffers, messages, endpoints and loaders.

One plugin call runs at a time per kernel (a lock around every entry from the host),
so the native namespaces need no atomics. A plugin that traps is dead: its caps are
released, everything it made is revoked, calls to it fail; its memory is freed once no
call of its is running.
"""
from __future__ import annotations

import os
import threading
import weakref
from pathlib import Path

import runtime
from aot.model import ExternKind, FuncType, ValType
from runtime import Func, Trap, TrapCode
from runtime._native_loader import ffi as rffi
from runtime._native_loader import lib as rlib

from . import idl
from ._native import ffi, lib, native_syscalls
from .errors import CapError, InterfaceError, KernelError, LinkError, PluginDead
from .idl import Interface
from .translators import translators

TRANSLATORS = ("specialised", "generic", "direct")
MSG_SHAPE = ("ciiii", "i")
MAX_LINK_PARAMS = 32  # the translators' limit (kcore.c's generic one lends at most 32 caps)
MSG_TYPE = FuncType((ValType.I32,) * 5, (ValType.I32,))

CONSTANTS = {name: value for name, value, _ in idl.kernel_interface().consts}
"""The K_* constants of kernel.kif (error values, kinds, rights)."""
K_EBADCAP, K_EKIND, K_EFAULT = CONSTANTS["K_EBADCAP"], CONSTANTS["K_EKIND"], CONSTANTS["K_EFAULT"]
K_EDEAD, K_ENOMEM, K_EINVAL = CONSTANTS["K_EDEAD"], CONSTANTS["K_ENOMEM"], CONSTANTS["K_EINVAL"]

KIND_NAMES = {lib.K_KIND_HANDLE: "handle", lib.K_KIND_MESSAGE: "message",
              lib.K_KIND_GRANT: "grant", lib.K_KIND_ENDPOINT: "endpoint",
              lib.K_KIND_INSTANCE: "instance", lib.K_KIND_LOADER: "loader"}


def _addr(cdata, the_ffi=rffi) -> int:
    return int(the_ffi.cast("uintptr_t", cdata))


class Cap:
    """A capability of the host's namespace. Pass it to `Plugin.call` (it is lent for
    the call); `release()` when done."""

    def __init__(self, kernel: "Kernel", number: int):
        self._kernel = kernel
        self.number = number

    def _object(self):
        obj = lib.k_ns_lookup(self._kernel._host, self.number) if self.number else ffi.NULL
        if obj == ffi.NULL:
            raise CapError(f"cap {self.number} is not a live capability of the host (released?)")
        return obj

    @property
    def kind(self) -> str:
        """'handle', 'message', 'grant', 'endpoint', 'instance' or 'loader'."""
        return KIND_NAMES.get(self._object().kind, "unknown")

    @property
    def alive(self) -> bool:
        """False once released, or revoked because the plugin that made it died."""
        obj = lib.k_ns_lookup(self._kernel._host, self.number) if self.number else ffi.NULL
        return obj != ffi.NULL and (obj.owner == ffi.NULL or not obj.owner.dead) and self._usable(obj)

    def _usable(self, obj) -> bool:
        return True

    def release(self) -> None:
        """Drop the host's cap (the object lives on while plugins hold caps to it)."""
        with self._kernel._lock:
            self._object()
            lib.k_ns_remove(self._kernel._host, self.number)
            self.number = 0

    def __repr__(self) -> str:
        return f"<Cap {self.number}>" if self.number else "<Cap released>"


class Grant(Cap):
    """A host buffer granted to plugins. `revoke()` ends every cap to it at once."""

    def __init__(self, kernel: "Kernel", number: int, obj):
        super().__init__(kernel, number)
        self._grant = ffi.cast("KGrant *", obj)

    def _usable(self, obj) -> bool:
        return bool(self._grant.rights)  # a revoked grant keeps its object, with no rights

    def revoke(self) -> None:
        """No plugin can use this grant any more (their calls get K_ERANGE/K_EPERM)."""
        with self._kernel._lock:
            self._grant.rights = 0
            self._grant.length = 0
            self._grant.host_base = ffi.NULL
            _unpin(self._kernel._pins.pop(_addr(self._grant, ffi), None))


class Message(Cap):
    """A message made by the host; after a call, `reply()` gives what the plugin replied."""

    def __init__(self, kernel: "Kernel", number: int, msg):
        super().__init__(kernel, number)
        self._msg = msg
        self._reply = None

    def reply(self) -> tuple[bytes, list[Cap]] | None:
        """(data, caps) of the reply, or None before one. The caps are host caps, made
        on the first call (later calls return the same ones)."""
        if self._reply is not None:
            return self._reply
        with self._kernel._lock:
            n, nc = ffi.new("uint32_t *"), ffi.new("uint32_t *")
            data = lib.k_message_reply(self._msg, n, nc)
            if data == ffi.NULL:
                return None
            caps = []
            for i in range(nc[0]):
                obj = lib.k_message_reply_cap(self._msg, i)
                c = lib.k_ns_install(self._kernel._host, obj, 0) if obj != ffi.NULL else 0
                caps.append(Cap(self._kernel, c))
            self._reply = (ffi.buffer(data, n[0])[:], caps)
            return self._reply


class Loader:
    """What a loader cap lets a plugin instantiate: modules by name, with a memory limit,
    at most `max_instances` times in all (each instance holds memory and address space)."""

    def __init__(self, modules: dict, memory_limit: int | None, max_instances: int):
        self.modules = dict(modules)
        self.memory_limit = memory_limit
        self.remaining = max_instances


class Plugin:
    """One isolated instance. `call(export, *args)` runs an export (Cap arguments are
    lent to it); `dead` says whether it trapped; `trap` is what killed it."""

    def __init__(self, kernel: "Kernel", name: str, module: runtime.Module):
        self.kernel = kernel
        self.name = name
        self.module = module
        self.instance: runtime.Instance | None = None
        self.trap: Trap | None = None
        self._k = None  # KInstance *
        self._keep: list = []

    # ---- state ---------------------------------------------------------------------

    @property
    def dead(self) -> bool:
        """True once the plugin trapped (here or in a call from another plugin) or was closed."""
        return bool(self._k.dead)

    @property
    def live_caps(self) -> int:
        """Caps in its namespace now."""
        return lib.k_instance_live_caps(self._k)

    @property
    def namespace_size(self) -> int:
        """Slots its namespace table has ever used (CAP_NULL included): what churn must not grow."""
        return lib.k_instance_table_size(self._k)

    @property
    def memory(self) -> runtime.Memory | None:
        """Its linear memory (the host may read and write it)."""
        return self.instance._memories[0] if self.instance and self.instance._memories else None

    def export(self, name: str) -> Func:
        """The raw runtime Func of an export (no cap translation, no death bookkeeping)."""
        self._check_alive()
        try:
            f = self.instance.exports[name]
        except KeyError:
            raise LinkError(f"plugin {self.name!r} has no export {name!r}") from None
        if not isinstance(f, Func):
            raise LinkError(f"plugin {self.name!r}: export {name!r} is not a function")
        return f

    def _check_alive(self) -> None:
        if self._k is None or self._k.dead:
            why = f" (it trapped: {self.trap})" if self.trap else ""
            raise PluginDead(f"plugin {self.name!r} is dead{why}; load it again", self.trap)

    # ---- calls from the host ----------------------------------------------------------

    def call(self, export: str, *args, cap_result: bool = False, **options):
        """Call an export. `Cap` arguments are lent to the plugin for the call; with
        `cap_result=True` the i32 result is a cap moved into the host namespace and
        returned as a `Cap`. A trap kills the plugin and is raised (runtime.Trap).
        `options` go to the runtime call (e.g. timeout=)."""
        k = self.kernel
        with k._lock:
            f = self.export(export)
            lent, values = [], []
            try:
                for a in args:
                    if isinstance(a, Cap):
                        if a._kernel is not k:
                            raise CapError("that cap belongs to another kernel")
                        c = lib.k_lend_cap(self._k, a._object())
                        if not c:
                            raise CapError(f"plugin {self.name!r} has no room for another cap")
                        lent.append(c)
                        values.append(c)
                    else:
                        values.append(a)
                k._depth += 1
                try:
                    result = f(*values, **options)
                except Trap as trap:
                    self._died(trap)
                    raise
                finally:
                    k._depth -= 1
            finally:
                for c in lent:
                    lib.k_unlend_cap(self._k, c)
                k._reap()
            if self._k.dead:  # died in a nested call and still returned
                raise PluginDead(f"plugin {self.name!r} died during the call", self.trap)
            if cap_result:
                if not isinstance(result, int):
                    raise InterfaceError(f"{export} does not return an i32 cap")
                c = lib.k_move_cap(self._k, k._host, result & 0xFFFFFFFF)
                return Cap(k, c) if c else None
            return result

    def endpoint(self, export: str) -> Cap:
        """A host cap to an export of the message convention
        (`i32 f(cap msg, i32, i32, i32, i32)`), to pass to plugins."""
        k = self.kernel
        with k._lock:
            f = self.export(export)
            if f.type != MSG_TYPE:
                raise LinkError(f"{self.name}.{export} has type {f.type}; an endpoint needs the "
                                "message convention (cap msg, i32 a0, i32 a1, i32 a2, i32 a3) -> i32")
            return Cap(k, k._install_host(k._endpoint_object(self, f)))

    def _died(self, trap: Trap | None) -> None:
        # A copy without the traceback, whose frames would keep the call's arguments alive.
        self.trap = None if trap is None else Trap(
            trap.kind, message=trap.message, func_index=trap.func_index,
            func_name=trap.func_name, pc=trap.pc)
        lib.k_instance_kill(self._k, int(trap.kind) if trap is not None and trap.kind else 0)
        self.kernel._dead.append(self)

    def close(self) -> None:
        """End the plugin: its caps are released and everything it made is revoked."""
        with self.kernel._lock:
            if self._k is not None and not self._k.dead:
                lib.k_instance_close(self._k)
                self.kernel._dead.append(self)
                self.kernel._reap()

    def __repr__(self) -> str:
        state = "dead" if self._k is not None and self._k.dead else "live"
        return f"<Plugin {self.name!r} {state}>"


class Kernel:
    """Loads plugins as isolated instances and links them through capabilities.

    `memory_limit` (64 KiB pages) caps each plugin's memory; `cap_limit` its number of
    live caps; `kernel_memory` the bytes of kernel objects (message copies) it may hold.
    `.wasm` plugins are compiled through the runtime's cache with `strategy`.
    """

    def __init__(self, *, memory_limit: int = 1024, cap_limit: int = 4096,
                 kernel_memory: int = 64 << 20, strategy: str = "guard", opt_level: int = 2):
        self.memory_limit = memory_limit
        self.cap_limit = cap_limit
        self.kernel_memory = kernel_memory
        self.strategy = strategy
        self.opt_level = opt_level
        self._lock = threading.RLock()
        self._k = ffi.new("KKernel *")
        self._host = lib.k_instance_new(self._k, ffi.NULL, 1 << 20, 0)
        if self._host == ffi.NULL:
            raise MemoryError("could not create the host namespace")
        self._host.kmem_limit = 1 << 62
        self._interfaces: dict[str, Interface] = {"kernel": idl.kernel_interface()}
        self._plugins: list[Plugin] = []
        self._by_instance: dict[int, Plugin] = {}
        self._dead: list[Plugin] = []
        self._depth = 0  # host calls into plugins now running (nested through syscalls)
        # Host buffers granted, by KGrant address: (cffi buffer, the object). Released by
        # revoke(), close(), or a finalizer that runs before the garbage collector clears a
        # cycle holding them (a memoryview must not be cleared while cffi pins it).
        self._pins: dict[int, tuple] = {}
        weakref.finalize(self, _unpin_all, self._pins)
        self._handles: list = []  # cffi handles for loader / instance objects
        self._syscalls = self._make_syscalls()

    def _module(self, plugin) -> runtime.Module:
        if isinstance(plugin, runtime.Module):
            return plugin
        path = os.fspath(plugin)
        if path.endswith(".so"):
            return runtime.load(path)
        return runtime.load(path, memory=self.strategy, opt_level=self.opt_level)

    # ---- interfaces ------------------------------------------------------------------

    def interface(self, source) -> Interface:
        """Register an interface (a .kif path, its text, or an Interface); plugins that
        import its module are linked through it. Returns the Interface."""
        if isinstance(source, Interface):
            iface = source
        elif isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                          and source.endswith(".kif")):
            iface = idl.load(source)
        else:
            iface = idl.parse(source)
        if iface.name == "kernel":
            raise InterfaceError("the interface name 'kernel' is the kernel's own")
        self._interfaces[iface.name] = iface
        return iface

    # ---- loading ---------------------------------------------------------------------

    def load(self, plugin, *, name: str | None = None, links: dict | None = None,
             memory_limit: int | None = None, translator: str = "specialised",
             _endpoint_imports: list | None = None) -> Plugin:
        """Instantiate a plugin (`.so`/`.wasm` path or runtime.Module) in isolation.

        `links` maps each non-kernel import module to the Plugin that implements it
        (its exports of the same names): `{"canvas": canvas_server}`. `translator` picks
        how those calls are linked: "specialised" (default, native per signature),
        "generic" (one native translator reading the signature at run time), or
        "direct" (no translation at all: caps are not translated, only for plugins
        that pass no caps, and for measuring the translators' cost).
        """
        if translator not in TRANSLATORS:
            raise ValueError(f"translator must be one of {', '.join(TRANSLATORS)}")
        module = self._module(plugin)
        limit = self.memory_limit if memory_limit is None else memory_limit
        with self._lock:
            p = Plugin(self, name or Path(getattr(module, "path", "plugin") or "plugin").stem, module)
            p._k = lib.k_instance_new(self._k, ffi.NULL, self.cap_limit, len(self._plugins) + 1)
            if p._k == ffi.NULL:
                raise MemoryError("could not create a plugin namespace")
            p._k.kmem_limit = self.kernel_memory
            try:
                imports = self._resolve_imports(p, links or {}, translator, _endpoint_imports)
                # The start function runs only once the plugin is a kernel plugin: its
                # syscalls need its memory and its registration.
                p.instance = runtime.Instance(module, imports, memory_limit=limit, start=False)
            except Trap as trap:  # a segment out of bounds: nothing of it ever ran
                lib.k_instance_free(p._k)
                p._k = None
                raise
            except BaseException:
                lib.k_instance_free(p._k)
                p._k = None
                raise
            mem = p.memory
            if mem is not None:
                p._k.mem = ffi.cast("VMMemory *", _addr(mem._ptr))
            self._plugins.append(p)
            self._by_instance[id(p.instance)] = p
            self._depth += 1
            try:
                p.instance.run_start()
            except Trap as trap:
                p._died(trap)
                raise
            finally:
                self._depth -= 1
                self._reap()
            return p

    def _resolve_imports(self, p: Plugin, links: dict, translator: str, endpoint_imports) -> dict:
        imports: dict[str, dict] = {}
        endpoints = list(endpoint_imports) if endpoint_imports is not None else None
        for d in p.module.manifest["imports"]:
            mod, field, kind = d["module"], d["name"], d["kind"]
            where = f"plugin {p.name!r}: import {mod!r}.{field!r}"
            if kind != "func":
                raise LinkError(f"{where}: plugins may import only functions (no shared {kind})")
            ft = p.module.types[d["type"]]
            if mod == "kernel":
                value = self._syscall(p, field, ft, where)
            elif endpoints is not None:
                if not endpoints:
                    raise LinkError(f"{where}: no endpoint cap given for it")
                value = self._link_endpoint(p, endpoints.pop(0), ft, where)
            else:
                value = self._link(p, mod, field, ft, links, translator, where)
            imports.setdefault(mod, {})[field] = value
        return imports

    def _syscall(self, p: Plugin, field: str, ft: FuncType, where: str) -> Func:
        try:
            fn = self._interfaces["kernel"].function(field)
        except InterfaceError:
            raise LinkError(f"{where}: the kernel has no syscall {field!r} (see kernel.h)") from None
        if fn.functype != ft:
            raise LinkError(f"{where}: type {ft} does not match the syscall's {fn.functype} "
                            "(rebuild the plugin against kernel/include/kernel.h)")
        impl = self._syscalls[field]
        if isinstance(impl, int):  # native: the plugin's KInstance is its vmctx
            return Func._native(ft, rffi.cast("void *", impl), rffi.cast("void *", _addr(p._k, ffi)), self)
        return impl

    def _link(self, p: Plugin, mod: str, field: str, ft: FuncType, links: dict,
              translator: str, where: str) -> Func:
        iface = self._interfaces.get(mod)
        if iface is None:
            raise LinkError(f"{where}: no interface {mod!r} is registered (Kernel.interface)")
        try:
            fn = iface.function(field)
        except InterfaceError as e:
            raise LinkError(f"{where}: {e}") from None
        if fn.functype != ft:
            raise LinkError(f"{where}: type {ft} does not match the interface's {fn.functype}")
        if len(fn.params) > MAX_LINK_PARAMS or len(fn.results) > 1:
            raise LinkError(f"{where}: linked functions take at most {MAX_LINK_PARAMS} params "
                            "and return at most one value")
        provider = links.get(mod)
        if isinstance(provider, dict):
            provider = provider.get(field)
        if not isinstance(provider, Plugin):
            raise LinkError(f"{where}: nothing links it; pass links={{{mod!r}: <Plugin>}}")
        if provider.kernel is not self:
            raise LinkError(f"{where}: plugin {provider.name!r} belongs to another Kernel; "
                            "plugins can only be linked within one kernel")
        provider._check_alive()
        target = provider.export(field)
        if target.type != ft:
            raise LinkError(f"{where}: plugin {provider.name!r} exports {field!r} with type "
                            f"{target.type}, but the interface says {ft}")
        if translator == "direct":
            return target
        return self._translated(p, provider, target, ft, fn.shape, translator)

    def _link_endpoint(self, p: Plugin, ep, ft: FuncType, where: str) -> Func:
        if ft != MSG_TYPE:
            raise LinkError(f"{where}: imports bound to endpoints must have the message "
                            f"convention type {MSG_TYPE}, not {ft}")
        ep = ffi.cast("KEndpoint *", ep)
        link = ffi.new("KLink *")
        link.fn, link.vmctx, link.caller, link.callee = ep.fn, ep.vmctx, p._k, ep.target
        addr = translators.addresses([MSG_SHAPE])[MSG_SHAPE]
        p._keep.append(link)
        return Func._native(ft, rffi.cast("void *", addr), rffi.cast("void *", _addr(link, ffi)), self)

    def _translated(self, p: Plugin, provider: Plugin, target: Func, ft: FuncType,
                    shape: tuple[str, str], translator: str) -> Func:
        link = ffi.new("KLink *")
        ref = target._ref
        link.fn = ffi.cast("void *", _addr(ref.native_fn))
        link.vmctx = ffi.cast("void *", _addr(ref.vmctx))
        link.caller = p._k
        link.callee = provider._k
        p._keep.append(link)
        if translator == "specialised":
            addr = translators.addresses([shape])[shape]
            return Func._native(ft, rffi.cast("void *", addr), rffi.cast("void *", _addr(link, ffi)), provider)
        # generic: through the caller module's host adapter and the callee module's trampoline
        params, results = (ffi.new("char[]", s.encode()) for s in shape)
        t_caller = p.module.types.index(ft)
        t_callee = provider.module.types.index(ft)
        link.callee_tramp = ffi.cast("void *", _addr(provider.module._trampoline(t_callee)))
        link.params, link.results = params, results
        link.nparams, link.nresults = len(shape[0]), len(shape[1])
        builtins = ffi.cast("void *", _addr(rlib.aot_builtins_table()))
        ctx = lib.k_generic_ctx_new(builtins, link)
        p._keep += [params, results, ctx]
        adapter = p.module._adapter(t_caller)
        return Func._native(ft, adapter, rffi.cast("void *", _addr(ctx, ffi)), provider)

    # ---- the host's caps -------------------------------------------------------------

    def _install_host(self, obj) -> int:
        c = lib.k_ns_install(self._host, obj, 0)
        if not c:
            lib.k_obj_release(obj)
            raise KernelError("the host namespace is full")
        return c

    def _endpoint_object(self, target: Plugin, f: Func):
        obj = lib.k_object_new(lib.K_KIND_ENDPOINT, target._k)
        ep = ffi.cast("KEndpoint *", obj)
        ep.target = target._k
        ep.fn = ffi.cast("void *", _addr(f._ref.native_fn))
        ep.vmctx = ffi.cast("void *", _addr(f._ref.vmctx))
        target._keep.append(f)
        return obj

    def grant(self, buffer, rights: str = "r") -> Grant:
        """A grant cap over a host buffer (bytes-like; writable for "w"), with rights "r",
        "w" or "rw". The buffer stays pinned until `revoke()` or the kernel closes."""
        if not rights or set(rights) - {"r", "w"}:
            raise ValueError("rights are 'r', 'w' or 'rw'")
        writable = "w" in rights
        view = memoryview(buffer)
        if writable and view.readonly:
            raise ValueError("a writable grant needs a writable buffer (bytearray, not bytes)")
        cbuf = ffi.from_buffer("uint8_t[]", buffer, require_writable=writable)
        with self._lock:
            obj = lib.k_object_new(lib.K_KIND_GRANT, ffi.NULL)
            g = ffi.cast("KGrant *", obj)
            g.rights = (lib.K_RIGHT_READ if "r" in rights else 0) | (lib.K_RIGHT_WRITE if writable else 0)
            g.offset = 0
            g.length = len(cbuf)
            g.host_base = cbuf
            self._pins[_addr(g, ffi)] = (cbuf, buffer)
            return Grant(self, self._install_host(obj), obj)

    def message(self, data: bytes = b"", caps=(), *, reply_size: int = 4096, reply_caps: int = 8) -> Message:
        """A message from the host carrying `data` and `caps` (host Caps); a plugin's
        reply (up to reply_size bytes, reply_caps caps) is read with `.reply()`."""
        with self._lock:
            objs = ffi.new("KObject *[]", max(len(caps), 1))
            for i, c in enumerate(caps):
                objs[i] = c._object()
            m = lib.k_host_message_new(data, len(data), objs, len(caps), reply_size, reply_caps)
            if m == ffi.NULL:
                raise ValueError("message too large (at most 64 caps)")
            return Message(self, self._install_host(ffi.cast("KObject *", m)), m)

    def loader(self, modules: dict, *, memory_limit: int | None = None, max_instances: int = 16) -> Cap:
        """A loader cap: a plugin holding it may instantiate these modules (name ->
        path or runtime.Module) with instance_create, `max_instances` times in all."""
        loaded = {n: self._module(m) for n, m in modules.items()}
        with self._lock:
            obj = lib.k_object_new(lib.K_KIND_LOADER, ffi.NULL)
            h = ffi.new_handle(Loader(loaded, memory_limit, max_instances))
            self._handles.append(h)
            obj.host = h
            return Cap(self, self._install_host(obj))

    # ---- syscalls served in Python -------------------------------------------------------

    def _make_syscalls(self) -> dict:
        table: dict = {}
        for fn in native_syscalls():
            table[fn.name] = _addr(ffi.addressof(lib, f"ksys_{fn.name}"), ffi)
        python = {"instance_create": self._sys_instance_create,
                  "instance_export": self._sys_instance_export}
        for fn in self._interfaces["kernel"].functions:
            if fn.name in table:
                continue
            if fn.name not in python:
                raise KernelError(f"syscall {fn.name!r} of kernel.kif has no implementation")
            table[fn.name] = Func._raw_host(_guarded_syscall(self, python[fn.name]), fn.functype)
        return table

    def _caller_plugin(self, caller) -> Plugin | None:
        """None while its start function runs (load() registers it after)."""
        return self._by_instance.get(id(caller.instance))

    def _sys_instance_create(self, p: Plugin, loader_cap, name_ptr, name_len, caps_ptr, n_caps):
        obj = lib.k_ns_lookup(p._k, loader_cap)
        if obj == ffi.NULL:
            return _fail(p, K_EBADCAP)
        if obj.kind != lib.K_KIND_LOADER:
            return _fail(p, K_EKIND)
        loader = ffi.from_handle(obj.host)
        name = _read(p, name_ptr, name_len)
        caps = _read(p, caps_ptr, 4 * n_caps) if n_caps <= 256 else None
        if name is None or caps is None:
            return _fail(p, K_EFAULT if name is None or n_caps <= 256 else K_EINVAL)
        module = loader.modules.get(name.decode("utf-8", "replace"))
        if module is None:
            return _fail(p, K_EINVAL)
        if loader.remaining <= 0:
            return _fail(p, K_ENOMEM)
        endpoints = []
        for i in range(n_caps):
            c = int.from_bytes(caps[4 * i:4 * i + 4], "little")
            ep = lib.k_ns_lookup(p._k, c)
            if ep == ffi.NULL:
                return _fail(p, K_EBADCAP)
            if ep.kind != lib.K_KIND_ENDPOINT or (ep.owner != ffi.NULL and ep.owner.dead):
                return _fail(p, K_EKIND if ep.kind != lib.K_KIND_ENDPOINT else K_EDEAD)
            endpoints.append(ep)
        try:
            child = self.load(module, name=f"{p.name}/{name.decode('utf-8', 'replace')}",
                              memory_limit=loader.memory_limit, _endpoint_imports=endpoints)
        except (KernelError, runtime.Error):
            return _fail(p, K_EINVAL)
        loader.remaining -= 1
        inst = lib.k_object_new(lib.K_KIND_INSTANCE, p._k)
        h = ffi.new_handle(child)
        self._handles.append(h)
        inst.host = h
        c = lib.k_ns_install(p._k, inst, 0)
        if not c:
            lib.k_obj_release(inst)
            return _fail(p, K_ENOMEM)
        return c

    def _sys_instance_export(self, p: Plugin, inst_cap, name_ptr, name_len):
        obj = lib.k_ns_lookup(p._k, inst_cap)
        if obj == ffi.NULL:
            return _fail(p, K_EBADCAP)
        if obj.kind != lib.K_KIND_INSTANCE:
            return _fail(p, K_EKIND)
        child: Plugin = ffi.from_handle(obj.host)
        name = _read(p, name_ptr, name_len)
        if name is None:
            return _fail(p, K_EFAULT)
        if child.dead:
            return _fail(p, K_EDEAD)
        try:
            f = child.export(name.decode("utf-8", "replace"))
        except KernelError:
            return _fail(p, K_EINVAL)
        if f.type != MSG_TYPE:
            return _fail(p, K_EKIND)
        ep = self._endpoint_object(child, f)
        c = lib.k_ns_install(p._k, ep, 0)
        if not c:
            lib.k_obj_release(ep)
            return _fail(p, K_ENOMEM)
        return c

    # ---- bookkeeping ---------------------------------------------------------------------

    def _reap(self) -> None:
        """Drop the instances of dead plugins once no plugin code runs: that frees their
        memory (nothing reaches it any more: translators and endpoints check death
        before calling, grants before touching)."""
        if self._depth:
            return
        for p in self._plugins:
            if p.instance is None or p._k is None or not p._k.dead:
                continue
            if p.trap is None and p._k.trap_code:
                try:
                    p.trap = Trap(TrapCode(p._k.trap_code))
                except ValueError:
                    p.trap = Trap(None, message=f"trap code {p._k.trap_code}")
            p._k.mem = ffi.NULL
            self._by_instance.pop(id(p.instance), None)
            p.instance = None
        self._dead.clear()

    def plugins(self) -> list[Plugin]:
        """Every plugin loaded, dead or alive."""
        return list(self._plugins)

    def close(self) -> None:
        """Close every plugin and free the kernel's native state."""
        with self._lock:
            for p in self._plugins:
                if p._k is not None:
                    lib.k_instance_close(p._k)
            lib.k_instance_close(self._host)
            _unpin_all(self._pins)


def _unpin(pin) -> None:
    if pin is not None:
        ffi.release(pin[0])


def _unpin_all(pins: dict) -> None:
    while pins:
        _unpin(pins.popitem()[1])


def _fail(p: Plugin, err: int) -> int:
    p._k.error = err
    return 0


def _read(p: Plugin, ptr: int, n: int) -> bytes | None:
    mem = p.memory
    if mem is None or ptr + n > mem.data_len:
        return None
    return mem.read(ptr, n)


def _guarded_syscall(kernel: Kernel, impl):
    """A Python syscall as a raw host function: (caller, *bits) -> bits. It never
    raises into the plugin: an unexpected error becomes K_EINVAL for k_error()."""
    def call(caller, *bits):
        p = kernel._caller_plugin(caller)
        if p is None or p._k.dead:
            return 0
        try:
            return impl(p, *bits) & 0xFFFFFFFF
        except Exception:  # a kernel bug must not become a trap of the plugin
            return _fail(p, K_EINVAL)
    return call
