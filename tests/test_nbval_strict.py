"""Proof that the harness is strict: a hand-edited stored output makes nbval fail.

A copy of notebook 00 is run twice under the same nbval options as `make test`:
once untouched (must pass) and once with one stored number changed (must fail on
exactly that cell). Without this, a sanitize rule that matched too much, or a
switch to --nbval-lax, could let drift through unnoticed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib

import pytest

from conftest import NOTEBOOK_DIR, REPO_ROOT

pytestmark = pytest.mark.slow

NOTEBOOK = "00_before_you_start.ipynb"
ORIGINAL_LINE = "identical: True\n"


def nbval_options():
    """The pytest options from pyproject.toml, so this test runs the suite's own configuration."""
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]


def test_hand_edited_output_fails_strict_nbval(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(REPO_ROOT / "nbval_sanitize.cfg", tmp_path)
    shutil.copy(NOTEBOOK_DIR / NOTEBOOK, notebooks / "untouched.ipynb")

    nb = json.loads((NOTEBOOK_DIR / NOTEBOOK).read_text())
    edited = 0
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and ORIGINAL_LINE in out["text"]:
                out["text"] = [line.replace("True", "False") for line in out["text"]]
                edited += 1
    assert edited == 1, f"expected one output containing {ORIGINAL_LINE!r} in {NOTEBOOK}"
    (notebooks / "edited.ipynb").write_text(json.dumps(nb))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")

    result = subprocess.run(
        [sys.executable, "-m", "pytest", *nbval_options(), "-q", "notebooks"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, SERIES_OUTPUT_DIR=str(tmp_path / "output")),
    )
    report = result.stdout + result.stderr
    assert "--nbval-lax" not in nbval_options()
    failed = [line for line in report.splitlines() if line.startswith("FAILED")]
    assert result.returncode == 1, report[-3000:]
    assert len(failed) == 1 and failed[0].startswith("FAILED notebooks/edited.ipynb::"), report[-3000:]
    assert "ical: False" in report and "Cell outputs differ" in report, report[-3000:]
