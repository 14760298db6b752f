"""What the tests share: where things are, what CI skips, a notebook's own code, and two suite-wide checks."""

from __future__ import annotations

import json
import subprocess

import pytest

from notebook_runner import CELL_TIMEOUT, NOTEBOOK_DIR, REPO_ROOT, series_notebooks

__all__ = ["NOTEBOOK_DIR", "NOTEBOOKS", "REPO_ROOT", "SKIPPED_CELLS", "notebook_definitions"]

NOTEBOOKS = series_notebooks()

# The one place that lists what CI does not run, with the reason. A notebook cell
# marked NBVAL_SKIP must appear here as "NN_name.ipynb#cell-index": reason.
SKIPPED_CELLS: dict[str, str] = {}


def notebook_definitions(notebook: str, *names: str) -> dict:
    """Run a notebook's setup cell and the cells that define ``names``; return the namespace.

    A lesson's code lives in its notebook, and the tests check that very code rather than a copy.
    """
    cells = [c for c in json.loads((NOTEBOOK_DIR / notebook).read_text())["cells"] if c["cell_type"] == "code"]
    sources = ["".join(c["source"]) for c in cells]
    defining = [s for s in sources if any(f"class {n}(" in s or f"def {n}(" in s for n in names)]
    namespace: dict = {}
    for source in [sources[0], *defining]:
        exec(compile(source, f"{notebook}", "exec"), namespace)
    missing = [n for n in names if n not in namespace]
    assert not missing, f"{notebook} defines no {missing}"
    return namespace


def pytest_configure(config):
    # nbval's per-cell time limit is the notebook runner's, so it is written once.
    if hasattr(config.option, "nbval_cell_timeout"):
        config.option.nbval_cell_timeout = CELL_TIMEOUT


def _git_status() -> str | None:
    try:
        return subprocess.run(["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True,
                              text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None  # not a git checkout (a tarball, say): nothing to compare


def _is_controller(session) -> bool:
    return not hasattr(session.config, "workerinput")  # xdist workers have it; the main process does not


def pytest_sessionstart(session):
    if _is_controller(session):
        session.config.stash[_STATUS_KEY] = _git_status()


def pytest_sessionfinish(session, exitstatus):
    """Everything the suite runs writes below output/ (or a temporary folder): git must see nothing new."""
    if not _is_controller(session) or session.config.getoption("collectonly"):
        return
    before, after = session.config.stash.get(_STATUS_KEY, None), _git_status()
    if before is None or after is None:
        return
    if before != after:
        new = sorted(set(after.splitlines()) - set(before.splitlines()))
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "FAILED: the test run left files that git sees (write them below output/):\n  " + "\n  ".join(new)
        if reporter:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif session.config.getoption("verbose", 0) >= 0:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line("git status unchanged by the test run")


_STATUS_KEY = pytest.StashKey[str | None]()
