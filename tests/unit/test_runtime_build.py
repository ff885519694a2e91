"""The C support builds where it is needed: on first import into the cache, and with CMake."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(code: str, env: dict) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": REPO, "AOT_NATIVE_BUILD": "1", **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600, env=full, cwd=REPO)


@pytest.mark.skipif(not (shutil.which("cc") or shutil.which("gcc")), reason="no C compiler")
def test_first_import_builds_into_the_cache(tmp_path):
    code = ("import runtime, runtime._native_loader as n; "
            "print(n._native_module.__file__); print(runtime.Memory(1).size)")
    out = run(code, {"AOT_CACHE_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    path, size = out.stdout.split()
    assert path.startswith(str(tmp_path / "native-")) and size == "1"
    again = run(code, {"AOT_CACHE_DIR": str(tmp_path)})  # reused, not rebuilt
    assert again.stdout.split()[0] == path
    assert [p.name for p in tmp_path.iterdir()] == [os.path.basename(os.path.dirname(path))]


def test_missing_compiler_is_a_clear_error(tmp_path):
    out = run("import runtime", {"AOT_CACHE_DIR": str(tmp_path), "PATH": str(tmp_path / "empty"),
                                 "CC": "no-such-cc"})
    assert out.returncode != 0
    assert "NativeBuildError" in out.stderr and "no C compiler was found" in out.stderr
    assert "apt-get install gcc" in out.stderr


@pytest.mark.skipif(not shutil.which("cmake"), reason="cmake is not installed")
def test_cmake_builds_the_library_and_its_c_tests_pass(tmp_path):
    build = tmp_path / "build"
    subprocess.run(["cmake", "-S", REPO, "-B", str(build), "-DCMAKE_BUILD_TYPE=Release"],
                   check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(build), "-j", "2"], check=True, capture_output=True)
    names = os.listdir(build)
    assert "libaot_runtime.a" in names and "libaot_runtime.so" in names
    out = subprocess.run([str(build / "test_aot_runtime")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("passed, 0 failed")
