"""Data flows one way: import-linter's layers contract (pyproject.toml) over
the package, run for real. A module that reaches back up the pipeline
(reading importing speaking, say) breaks the build here."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT


def test_stages_use_only_the_stages_below_them():
    linter = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if linter is None:
        pytest.skip("import-linter is not installed: pip install -e '.[test]'")
    done = subprocess.run([linter], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout



def test_no_module_is_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "audio_guide").rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 500}
    assert not long, long
