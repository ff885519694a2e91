"""WASI preview 1 (`wasi_snapshot_preview1`) for the aot-wasm runtime.

A WASI program only gets what the embedder grants in a `WasiConfig`: its arguments,
environment variables, preopened directories (it can reach nothing else of the host
filesystem: see `runtime.wasi._sandbox`) and what its stdio is connected to.

    import runtime
    config = runtime.WasiConfig(argv=["prog", "in.txt"], env={"LANG": "C"},
                                preopens={"/data": "/srv/plugin-data"}, stdout="capture")
    module = runtime.load("prog.wasm")
    with runtime.Wasi(config) as wasi:
        status = wasi.run(module)            # or: wasi.start(module.instantiate(wasi.imports()))
        print(status, wasi.stdout)

    runtime.wasi.run(module, config)         # the same in one call -> exit status

Public API: `WasiConfig`, `Wasi` (.imports() .start(instance) .initialize(instance)
.run(module) .stdout .stderr .close()), `run(module, config)`, `Exit` (proc_exit, as
an exception out of a Wasm call; `.code`), `WasiError`, `Errno` (the WASI error codes),
`MODULE` (the import namespace name), `functype(name)`.

Every guest pointer and length is checked against the guest's memory (EFAULT), bad
flags are EINVAL, calls not implemented (sockets, proc_raise) return ENOSYS.
"""
from ._abi import Errno
from ._config import WasiConfig
from ._context import Wasi, run
from ._errors import Exit, WasiError
from ._imports import MODULE, functype

__all__ = ["WasiConfig", "Wasi", "run", "Exit", "WasiError", "Errno", "MODULE", "functype"]
