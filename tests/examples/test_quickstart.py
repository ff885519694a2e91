"""The quick-start demo (`make demo`'s first step) runs end to end."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("clang") is None, reason="the demo's C plugin needs clang (apt-get install clang lld)")
def test_quickstart_demo_runs(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "quickstart" / "demo.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "trapped" in done.stdout
    assert "Traceback" not in done.stderr
