"""The `wasi_snapshot_preview1` import namespace: every function of preview 1 with its
core-Wasm signature, bound to one `Wasi` context.

Functions not implemented here answer ENOSYS. Every implementation is wrapped so
that a `Fail` or a host OSError becomes the errno result; `Exit` (proc_exit) and
anything else propagate and end the Wasm call.
"""
from __future__ import annotations

from aot.model import FuncType, ValType

from .._func import Func
from . import _calls_env, _calls_fd, _calls_path, _poll
from ._abi import Errno
from ._errors import Fail, from_os_error

MODULE = "wasi_snapshot_preview1"

_I, _L = ValType.I32, ValType.I64

# name -> params (every function but proc_exit returns an errno as i32)
SIGNATURES: dict[str, tuple] = {
    "args_get": (_I, _I),
    "args_sizes_get": (_I, _I),
    "environ_get": (_I, _I),
    "environ_sizes_get": (_I, _I),
    "clock_res_get": (_I, _I),
    "clock_time_get": (_I, _L, _I),
    "fd_advise": (_I, _L, _L, _I),
    "fd_allocate": (_I, _L, _L),
    "fd_close": (_I,),
    "fd_datasync": (_I,),
    "fd_fdstat_get": (_I, _I),
    "fd_fdstat_set_flags": (_I, _I),
    "fd_fdstat_set_rights": (_I, _L, _L),
    "fd_filestat_get": (_I, _I),
    "fd_filestat_set_size": (_I, _L),
    "fd_filestat_set_times": (_I, _L, _L, _I),
    "fd_pread": (_I, _I, _I, _L, _I),
    "fd_prestat_get": (_I, _I),
    "fd_prestat_dir_name": (_I, _I, _I),
    "fd_pwrite": (_I, _I, _I, _L, _I),
    "fd_read": (_I, _I, _I, _I),
    "fd_readdir": (_I, _I, _I, _L, _I),
    "fd_renumber": (_I, _I),
    "fd_seek": (_I, _L, _I, _I),
    "fd_sync": (_I,),
    "fd_tell": (_I, _I),
    "fd_write": (_I, _I, _I, _I),
    "path_create_directory": (_I, _I, _I),
    "path_filestat_get": (_I, _I, _I, _I, _I),
    "path_filestat_set_times": (_I, _I, _I, _I, _L, _L, _I),
    "path_link": (_I, _I, _I, _I, _I, _I, _I),
    "path_open": (_I, _I, _I, _I, _I, _L, _L, _I, _I),
    "path_readlink": (_I, _I, _I, _I, _I, _I),
    "path_remove_directory": (_I, _I, _I),
    "path_rename": (_I, _I, _I, _I, _I, _I),
    "path_symlink": (_I, _I, _I, _I, _I),
    "path_unlink_file": (_I, _I, _I),
    "poll_oneoff": (_I, _I, _I, _I),
    "proc_exit": (_I,),
    "proc_raise": (_I,),
    "sched_yield": (),
    "random_get": (_I, _I),
    "sock_accept": (_I, _I, _I),
    "sock_recv": (_I, _I, _I, _I, _I, _I),
    "sock_send": (_I, _I, _I, _I, _I),
    "sock_shutdown": (_I, _I),
}


def functype(name: str) -> FuncType:
    """The core-Wasm type of preview-1 function `name`."""
    return FuncType(SIGNATURES[name], () if name == "proc_exit" else (_I,))


# The hot calls: made per context, they return their errno themselves.
_HOT = {"fd_write": _calls_fd.make_fd_write, "fd_read": _calls_fd.make_fd_read,
        "clock_time_get": _calls_env.make_clock_time_get}


def _implementation(name: str):
    if name in _HOT:
        return _HOT[name]
    for module in (_calls_fd, _calls_path, _calls_env, _poll):
        impl = getattr(module, name, None)
        if impl is not None:
            return impl
    return None  # proc_raise (deprecated) and the socket calls


def _bind(w, impl):
    def call(caller, *args):
        try:
            return impl(w, caller, *args)
        except Fail as f:
            return f.errno
        except OSError as e:
            return from_os_error(e)
    return call


def _enosys(caller, *args):
    return int(Errno.NOSYS)


def build(w) -> dict[str, Func]:
    """Every preview-1 function, bound to the `Wasi` context `w`."""
    funcs = {}
    for name in SIGNATURES:
        impl = _implementation(name)
        if name == "proc_exit":
            fn = lambda caller, code: _calls_env.proc_exit(w, caller, code)  # noqa: E731
        elif name in _HOT:
            fn = impl(w)
        elif impl is None:
            fn = _enosys
        else:
            fn = _bind(w, impl)
        funcs[name] = Func._raw_host(fn, functype(name))
    return funcs


IMPLEMENTED = sorted(n for n in SIGNATURES if _implementation(n) is not None)
