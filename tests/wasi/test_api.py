"""The Python API: WasiConfig, Wasi (capture, stdin bytes, start/initialize/run, close),
runtime.wasi.run, Exit."""
from __future__ import annotations

import os

import pytest

import runtime
from runtime import Exit, Wasi, WasiConfig, WasiError


def test_run_captures_output_and_returns_the_status(corpus, load, memory):
    module = load(corpus.wasm("exit_code"), memory)
    with Wasi(WasiConfig(argv=["exit_code", "exit", "42"], stdout="capture", stderr="capture")) as w:
        assert w.run(module) == 42
        assert w.stdout == b"exiting from depth 51 with 42\natexit handler ran\n"
        assert w.stderr == b""
    with Wasi(WasiConfig(argv=["exit_code"], stdout="capture", stderr="capture")) as w:
        assert w.run(module) == 2
        assert w.stderr == b"usage: exit_code return|exit CODE\n"


def test_stdin_bytes_and_null(corpus, load):
    module = load(corpus.wasm("stdin_cat"))
    with Wasi(WasiConfig(stdin=b"a\nbb\n", stdout="capture")) as w:
        assert w.run(module) == 0
        assert w.stdout.startswith(b"bytes=5 lines=2 ")
        assert b"line: bb\nline: a\n" in w.stdout
    with Wasi(WasiConfig(stdout="capture")) as w:  # stdin defaults to nothing
        w.run(module)
        assert w.stdout.startswith(b"bytes=0 lines=0 ")


def test_output_to_null_and_capture_limit(corpus, load):
    module = load(corpus.wasm("printf_numbers"))
    with Wasi(WasiConfig(stdout="null")) as w:
        assert w.run(module) == 0 and w.stdout == b""
    with Wasi(WasiConfig(stdout="capture", capture_limit=100)) as w:
        w.run(module)
        assert len(w.stdout) == 100  # then writes failed with ENOSPC


def test_start_with_instantiate_and_module_level_run(corpus, load, tmp_path):
    module = load(corpus.wasm("files"))
    sandbox = tmp_path / "s"
    sandbox.mkdir()
    config = WasiConfig(argv=["files", "/data"], preopens={"/data": sandbox}, stdout="capture")
    w = Wasi(config)
    inst = module.instantiate(w.imports())
    assert w.start(inst) == 0
    assert b"ls sub: . .. f00" in w.stdout
    w.close()
    assert runtime.wasi.run(module, WasiConfig(argv=["files", "/data"], preopens={"/data": sandbox},
                                               stdout="null")) == 0


def test_reactor_initialize_and_exit(corpus, load):
    module = load(corpus.wasm("reactor"))
    with Wasi(WasiConfig(stdout="capture")) as w:
        inst = module.instantiate(w.imports())
        w.initialize(inst)
        assert inst.exports.square(7) == 49  # the constructor ran in _initialize
        assert inst.exports.shout(2) == 2
        assert w.stdout == b"shout 0\nshout 1\n"
        with pytest.raises(Exit) as info:
            inst.exports.quit(5)
        assert info.value.code == 5
        with pytest.raises(WasiError, match="_start"):
            w.start(inst)


def test_descriptors_are_closed(corpus, load, tmp_path):
    module = load(corpus.wasm("files"))
    before = len(os.listdir("/proc/self/fd"))
    w = Wasi(WasiConfig(preopens={"/a": tmp_path, "/b": tmp_path}))
    assert len(os.listdir("/proc/self/fd")) == before + 2
    w.close()
    assert len(os.listdir("/proc/self/fd")) == before
    w = Wasi(WasiConfig(preopens={"/a": tmp_path}))
    del w  # garbage collection closes them too
    assert len(os.listdir("/proc/self/fd")) == before


def test_config_errors(tmp_path):
    with pytest.raises(WasiError, match="cannot open host directory"):
        Wasi(WasiConfig(preopens={"/x": tmp_path / "missing"}))
    (tmp_path / "file").write_text("")
    with pytest.raises(WasiError, match="cannot open host directory"):
        Wasi(WasiConfig(preopens={"/x": tmp_path / "file"}))
    with pytest.raises(WasiError, match="NUL"):
        WasiConfig(argv=["a\0b"])
    with pytest.raises(WasiError, match="'='"):
        WasiConfig(env={"A=B": "c"})
    with pytest.raises(TypeError):
        WasiConfig(argv="prog")
    with pytest.raises(ValueError):
        WasiConfig(stdout="file")
    with pytest.raises(ValueError):
        WasiConfig(stdin="capture")
    with pytest.raises(TypeError):
        Wasi({"argv": []})
    assert issubclass(WasiError, runtime.Error) and not issubclass(Exit, runtime.Error)


def test_inherited_environment(corpus, load, monkeypatch):
    monkeypatch.setenv("GREETING", "inherited")
    module = load(corpus.wasm("args_env"))
    with Wasi(WasiConfig(argv=["x"], inherit_env=True, env={"EMPTY": ""}, stdout="capture")) as w:
        w.run(module)
        assert b"GREETING=inherited\n" in w.stdout and b"EMPTY=\n" in w.stdout


def test_missing_memory_export(wat, load):
    m = load(wat('(module (func (export "_start")))'))
    with Wasi() as w:
        with pytest.raises(WasiError, match="memory"):
            w.start(m.instantiate(w.imports()))


def test_a_wrong_signature_is_a_link_error(wat, load):
    m = load(wat('(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))'
                 ' (memory (export "memory") 1) (func (export "_start")))'))
    with Wasi() as w:
        with pytest.raises(runtime.LinkError, match="fd_write"):
            m.instantiate(w.imports())
