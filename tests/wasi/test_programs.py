"""Real C programs, built for wasm32-wasi, run under `aot run` exactly as natively.

Each program in programs/ is built twice (clang for wasm32-wasi, cc for the host);
running the Wasm build with `aot run` (in both memory strategies) must give the same
stdout, stderr and exit status as the native build.
"""
from __future__ import annotations

import os

import pytest


def assert_same(wasm, native):
    assert wasm.stdout.decode() == native.stdout.decode()
    assert wasm.stderr.decode() == native.stderr.decode()
    assert wasm.returncode == native.returncode


def test_printf_numbers(corpus, aot_run, run_native, memory):
    wasm = aot_run("--memory", memory, corpus.wasm("printf_numbers"))
    native = run_native(corpus.native("printf_numbers"))
    assert_same(wasm, native)
    assert "dbl 3.141593|3.142e+00|3.14159|3.1415926535897931" in wasm.stdout.decode()


def test_args_and_environment(corpus, aot_run, run_native, memory):
    env = {"GREETING": "hello, world", "EMPTY": "", "UNICODE": "h\u00e9llo \u2603"}
    args = ["plain", "with space", "", "\u00fcnicode", "--looks-like-an-option", "a=b"]
    options = [opt for k, v in env.items() for opt in ("--env", f"{k}={v}")]
    wasm = aot_run("--memory", memory, *options, corpus.wasm("args_env"), "--", *args)
    native = run_native(corpus.native("args_env"), *args, env=env)
    assert_same(wasm, native)
    assert "argv[2]=[with space] len=10" in wasm.stdout.decode()
    assert "environ count=3" in wasm.stdout.decode()


def test_environment_is_only_what_is_granted(corpus, aot_run):
    # The host has a PATH, HOME, ...: none of it reaches the program unless asked for.
    out = aot_run(corpus.wasm("args_env")).stdout.decode()
    assert "environ count=0" in out and "GREETING=(unset)" in out
    os.environ["GREETING"] = "from the host"
    try:
        out = aot_run("--env", "GREETING", corpus.wasm("args_env")).stdout.decode()
    finally:
        del os.environ["GREETING"]
    assert "GREETING=from the host" in out and "environ count=1" in out


@pytest.mark.parametrize("mode, code", [("return", "0"), ("return", "7"), ("exit", "0"),
                                        ("exit", "3"), ("exit", "255"), ("usage", "")])
def test_exit_status(corpus, aot_run, run_native, memory, mode, code):
    args = [mode, code] if code else [mode]
    wasm = aot_run("--memory", memory, corpus.wasm("exit_code"), "--", *args)
    native = run_native(corpus.native("exit_code"), *args)
    assert_same(wasm, native)
    if mode == "exit":
        # exit() deep in the stack: atexit handlers ran and stdio was flushed.
        assert wasm.stdout.decode().endswith("atexit handler ran\n")


def test_clocks(corpus, aot_run, run_native, memory):
    wasm = aot_run("--memory", memory, corpus.wasm("clocks"))
    native = run_native(corpus.native("clocks"))
    assert_same(wasm, native)
    assert "monotonic backwards steps: 0" in wasm.stdout.decode()
    assert "slept at least 20ms: 1" in wasm.stdout.decode()


@pytest.mark.parametrize("data", [b"", b"one line without newline",
                                  b"".join(b"line %d: %s\n" % (i, b"x" * (i % 70)) for i in range(3000))],
                         ids=["empty", "no-newline", "3000-lines"])
def test_reading_stdin(corpus, aot_run, run_native, memory, data):
    wasm = aot_run("--memory", memory, corpus.wasm("stdin_cat"), stdin=data)
    native = run_native(corpus.native("stdin_cat"), stdin=data)
    assert_same(wasm, native)
    assert f"bytes={len(data)} ".encode() in wasm.stdout


def test_files_in_a_preopened_directory(corpus, aot_run, run_native, memory, tmp_path):
    sandbox, native_dir = tmp_path / "sandbox", tmp_path / "native"
    sandbox.mkdir()
    native_dir.mkdir()
    outside = sorted(os.listdir(tmp_path))
    wasm = aot_run("--memory", memory, "--dir", f"{sandbox}::/sandbox", corpus.wasm("files"),
                   "--", "/sandbox")
    native = run_native(corpus.native("files"), str(native_dir))
    assert_same(wasm, native)
    text = wasm.stdout.decode()
    for expected in ("first: line 0", "patched: line ZERO", "append.log: one\ntwo",
                     "open O_EXCL existing: EEXIST", "open dir for writing: EISDIR",
                     "opendir a file: ENOTDIR", "read a directory: -1 EISDIR",
                     "rmdir non-empty: ENOTEMPTY", "ls sub: . .. f00 f01", "opendir nope: ENOENT"):
        assert expected in text
    assert os.listdir(sandbox) == []  # the program cleaned up after itself, in the sandbox
    assert sorted(os.listdir(tmp_path)) == outside


def test_files_with_a_relative_guest_name(corpus, aot_run, run_native, tmp_path):
    # `--dir HOST` alone: the program names the directory as HOST is written, here '.'.
    (tmp_path / "work").mkdir()
    wasm = aot_run("--dir", ".", corpus.wasm("files"), "--", ".", cwd=tmp_path / "work")
    native = run_native(corpus.native("files"), ".", cwd=tmp_path / "work")
    assert_same(wasm, native)


@pytest.mark.slow
def test_allocating_hundreds_of_megabytes(corpus, aot_run, run_native, memory):
    wasm = aot_run("--memory", memory, corpus.wasm("bigalloc"))
    native = run_native(corpus.native("bigalloc"))
    assert_same(wasm, native)
    assert "realloc: 256 MB" in wasm.stdout.decode()
