"""Every Python file in the repository compiles on the Python running the tests (the
oldest we support is what CI has): a syntax error in an example or a script that no test
imports would otherwise surface only when a user runs it."""
from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_python_file_compiles():
    files = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True)
    paths = [ROOT / f for f in files.stdout.split()] if files.returncode == 0 else list(ROOT.rglob("*.py"))
    assert len(paths) > 100
    bad = []
    for path in paths:
        try:
            compile(path.read_text(), str(path), "exec")
        except SyntaxError as e:
            bad.append(f"{path.relative_to(ROOT)}:{e.lineno}: {e.msg}")
    assert not bad, "\n".join(bad)
