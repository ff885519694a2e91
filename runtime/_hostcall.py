"""The Python side of `aot_host_callback`: how compiled code calls a host function.

The `.so`'s host adapter stores the params in a slots buffer and calls
`HostContext.callback(host_ctx, tctx, slots)`, which is this function (cffi acquires
the GIL). It runs the Python callable and stores the results. If the callable raises,
the exception is kept per thread and 1 is returned; the adapter then traps with
HOST_EXCEPTION and the Python caller of the Wasm function gets that same exception.
If the call was interrupted while the host function ran, the Wasm caller stops with
Trap(INTERRUPTED) as soon as it returns.
"""
from __future__ import annotations

import weakref

from ._native_loader import ffi
from aot.abi import TrapCode

from ._trap import Trap, set_pending

# HostContext (as the callback receives it, a `void *`) -> a weak reference to its
# HostBinding. cffi pointers hash and compare by address, so this is a dict lookup instead
# of a cast, a field read and ffi.from_handle (about 60 ns against 280). Weak, because the
# binding refers to its instance; the entry goes when the owner dies, before the context's
# memory is freed (so before its address can be reused). A context not found here still
# works through its handle.
_bindings: dict = {}
_HOST_CONTEXT = ffi.typeof("HostContext *")


def register_binding(host_ctx, binding, owner) -> None:
    """Make calls through `host_ctx` find `binding` at once, until `owner` dies."""
    key = ffi.cast("void *", host_ctx)
    _bindings[key] = weakref.ref(binding)
    weakref.finalize(owner, _bindings.pop, key, None).atexit = False


# error=1: if something fails even before our try block, the adapter still traps.
@ffi.def_extern(name="aot_host_callback", error=1)
def _aot_host_callback(host_ctx, tctx, slots):
    try:
        ref = _bindings.get(host_ctx)
        binding = ref() if ref is not None else None
        if binding is None:
            binding = ffi.from_handle(ffi.cast(_HOST_CONTEXT, host_ctx).handle)
        binding.func._call_from_wasm(slots, binding.holder)
        if tctx.interrupt:
            # Interrupted (timeout or Interrupt) while the host function ran: stop the
            # Wasm caller now rather than when the watchdog's signal lands in its code.
            set_pending(Trap(TrapCode.INTERRUPTED))
            return 1
        return 0
    except BaseException as exc:  # every exception, KeyboardInterrupt included, goes back up
        set_pending(exc)
        return 1
