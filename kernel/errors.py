"""Exception types of the capability kernel, one per kind of failure."""
from __future__ import annotations

from runtime import Error


class KernelError(Error):
    """Base class of every error the kernel raises."""


class InterfaceError(KernelError):
    """An interface file (.kif) is malformed, or a plugin does not match its interface.
    The message names the file and line, or the plugin and function."""


class CapError(KernelError):
    """The host used a capability that is not live (released, revoked, or another
    kernel's), or of the wrong kind for the call."""


class PluginDead(KernelError):
    """The plugin trapped earlier (or was closed): it never runs again. `trap` is the
    Trap that killed it, when known. Load a new instance to start over."""

    def __init__(self, message: str, trap=None):
        super().__init__(message)
        self.trap = trap


class LinkError(KernelError):
    """Plugins cannot be linked as asked: a missing export, a signature that does not
    match the interface, an import nobody granted."""
