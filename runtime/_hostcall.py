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

from ._native_loader import ffi
from aot.abi import TrapCode

from ._trap import Trap, set_pending


# error=1: if something fails even before our try block, the adapter still traps.
@ffi.def_extern(name="aot_host_callback", error=1)
def _aot_host_callback(host_ctx, tctx, slots):
    try:
        binding = ffi.from_handle(ffi.cast("HostContext *", host_ctx).handle)
        binding.func._call_from_wasm(ffi.cast("uint64_t *", slots), binding.holder)
        if ffi.cast("TCtx *", tctx).interrupt:
            # Interrupted (timeout or Interrupt) while the host function ran: stop the
            # Wasm caller now rather than when the watchdog's signal lands in its code.
            set_pending(Trap(TrapCode.INTERRUPTED))
            return 1
        return 0
    except BaseException as exc:  # every exception, KeyboardInterrupt included, goes back up
        set_pending(exc)
        return 1
