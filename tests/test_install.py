"""The install: two sets in one lock, the run command's environment, and interpreters uv refuses.

The slow test follows a reader: a fresh clone, `make reader-env` (what `make lab` runs before JupyterLab),
notebook 00 in that environment, then the checkout moved and another Python asked for.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from conftest import REPO_ROOT
from helpers import environment
from pythons import uv_environment

UV = shutil.which("uv", path=str(Path(sys.executable).parent))  # the pinned uv of the maintainers' set
needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed (Windows)")
MAINTAINER_TOOLS = {"pytest", "pytest-xdist", "nbval", "ruff", "playwright", "uv"}
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def names(entries) -> set[str]:
    return {Requirement(entry).name.lower() for entry in entries}


def test_the_reader_set_has_none_of_the_maintainers_tools():
    reader, dev = names(PYPROJECT["project"]["dependencies"]), names(PYPROJECT["dependency-groups"]["dev"])
    assert not reader & dev, f"in both sets: {reader & dev}"
    assert MAINTAINER_TOOLS <= dev, f"maintainers' tools outside the dev group: {MAINTAINER_TOOLS - dev}"
    assert {"torch", "torchvision", "numpy", "pandas", "jupyterlab", "matplotlib"} <= reader


def test_the_environment_check_checks_the_reader_set_only():
    checked = set(environment.pinned_versions())
    assert checked <= names(PYPROJECT["project"]["dependencies"])
    assert not checked & MAINTAINER_TOOLS


def test_the_lock_matches_pyproject():
    result = subprocess.run([UV, "lock", "--check"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"uv.lock is out of date with pyproject.toml (run `make lock`):\n{result.stderr}"


def test_constraints_txt_is_the_lock_exported_for_pip():
    exported = subprocess.run(
        [UV, "export", "--frozen", "--all-groups", "--no-emit-project", "--no-hashes", "--no-annotate",
         "--no-header", "--quiet"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    header = (REPO_ROOT / "scripts" / "constraints_header.txt").read_text()
    assert (REPO_ROOT / "constraints.txt").read_text() == header + exported, "constraints.txt is stale: `make lock`"


def make(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    unset = ("VIRTUAL_ENV", "PYTHON", "UV_PROJECT_ENVIRONMENT")
    environ = {k: v for k, v in uv_environment().items() if k not in unset}
    return subprocess.run(["make", "--no-print-directory", *args, f"UV={UV}"], cwd=cwd,
                          env=dict(environ, **env), capture_output=True, text=True)


def installed_python(version: str) -> str | None:
    found = subprocess.run([UV, "python", "find", "--no-project", version], capture_output=True, text=True,
                           env=dict(uv_environment(), UV_PYTHON_DOWNLOADS="never"))
    return found.stdout.strip() if found.returncode == 0 else None


@needs_make
def test_make_passes_PYTHON_to_uv():
    dry = make("-n", "reader-env", "dev-env", cwd=REPO_ROOT, PYTHON="/opt/some python/bin/python3.12")
    assert dry.stdout.count('--python "/opt/some python/bin/python3.12"') == 2, dry.stdout


@needs_make
def test_an_unsupported_python_is_refused_with_the_supported_range(tmp_path):
    outside = next(filter(None, map(installed_python, ["3.10", "3.9", "3.14", "3.15"])), None)
    if outside is None:
        pytest.skip("no Python outside 3.11-3.13 is installed here to be refused")
    result = make("reader-env", cwd=REPO_ROOT, PYTHON=outside, UV_PROJECT_ENVIRONMENT=str(tmp_path / "env"))
    assert result.returncode != 0
    assert ">=3.11, <3.14" in result.stderr, result.stderr
    assert not (tmp_path / "env").exists(), "nothing should be installed for a refused interpreter"


@pytest.mark.slow
@needs_make
def test_a_reader_environment_runs_notebook_00_survives_a_move_and_follows_PYTHON(tmp_path):
    clone = tmp_path / "series"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True)
    synced = make("reader-env", cwd=clone)
    assert synced.returncode == 0, synced.stderr
    python = clone / ".venv" / "bin" / "python"
    for tool in ("pytest", "nbval", "ruff", "playwright", "uv"):
        probe = subprocess.run([python, "-c", f"import importlib.util as u; print(u.find_spec('{tool}'))"],
                               capture_output=True, text=True, check=True)
        assert probe.stdout.strip() == "None", f"the reader's environment has {tool}"

    # Notebook 00, environment check included, in the reader's environment alone.
    executed = tmp_path / "00.ipynb"
    run = subprocess.run([python, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
                          "--output", str(executed), "notebooks/00_before_you_start.ipynb"],
                         cwd=clone, capture_output=True, text=True,
                         env=dict(os.environ, SERIES_OUTPUT_DIR=str(tmp_path)))
    assert run.returncode == 0, run.stderr[-2000:]
    for cell in json.loads(executed.read_text())["cells"]:
        errors = [o for o in cell.get("outputs", []) if o["output_type"] == "error"]
        assert not errors or "NBVAL_RAISES_EXCEPTION" in "".join(cell["source"]), (cell["source"], errors)

    # The checkout moves: its editable install points at the old place until the run command re-syncs.
    moved = tmp_path / "moved"
    shutil.move(clone, moved)
    assert make("reader-env", cwd=moved).returncode == 0
    where = subprocess.run([moved / ".venv/bin/python", "-c", "import helpers; print(helpers.__file__)"],
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(moved)), where

    # PYTHON= is honoured although .venv exists.
    other = installed_python("3.12")
    if other is None:
        pytest.skip("no Python 3.12 installed here to switch to")
    assert make("reader-env", cwd=moved, PYTHON=other).returncode == 0
    version = subprocess.run([moved / ".venv/bin/python", "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == "(3, 12)"
