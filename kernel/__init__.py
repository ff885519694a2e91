"""The capability kernel: isolated plugin instances linked through unforgeable capabilities.

    from kernel import Kernel
    k = Kernel(memory_limit=256)                     # pages per plugin
    k.interface("canvas.kif")                        # declares which params are caps
    server = k.load("canvas_server.wasm")
    client = k.load("client.wasm", links={"canvas": server})
    client.call("draw")

Public API: Kernel (.interface .load .grant .message .loader .plugins .close),
Plugin (.call .endpoint .export .dead .trap .live_caps .namespace_size .memory .close),
Cap (.kind .alive .release), Grant (.revoke), Message (.reply), the interface parser
`kernel.idl`, and the errors below. Plugins include kernel/include/kernel.h (generated
from kernel/interfaces/kernel.kif; `python -m kernel header` writes interface headers).
"""
from .errors import CapError, InterfaceError, KernelError, LinkError, PluginDead
from .idl import Interface
from .kernel import Cap, Grant, Kernel, Message, Plugin

__all__ = ["Kernel", "Plugin", "Cap", "Grant", "Message", "Interface", "KernelError",
           "InterfaceError", "CapError", "PluginDead", "LinkError"]
