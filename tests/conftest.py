"""What the tests share: where things are, what CI skips, a notebook's own code, and two suite-wide checks."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from notebook_runner import CELL_TIMEOUT, NOTEBOOK_DIR, REPO_ROOT, series_notebooks

__all__ = ["NOTEBOOK_DIR", "NOTEBOOKS", "REPO_ROOT", "notebook_definitions", "tree_fingerprint"]

NOTEBOOKS = series_notebooks()

# What nbval does not run or compare (NBVAL_SKIP, NBVAL_IGNORE_OUTPUT, NBVAL_RAISES_EXCEPTION and their tags) is
# listed in one place, tests/ignored_outputs.toml, with the reason (tests/test_ignored_outputs.py).


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


def tree_fingerprint(root: Path = REPO_ROOT) -> dict[str, str] | None:
    """{path: hash of its content} for every file git reports as changed or untracked below ``root``.

    Contents, not just names: a further edit to a file that was already modified, or a new file in a folder
    that was already untracked, changes the fingerprint. Ignored files (output/) are not reported.
    """
    try:
        listed = subprocess.run(["git", "status", "--porcelain=v1", "-z", "--untracked-files=all"], cwd=root,
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None  # not a git checkout (a tarball, say): nothing to compare
    entries = listed.split("\0")
    paths = []
    while entries:
        entry = entries.pop(0)
        if not entry:
            continue
        status, path = entry[:2], entry[3:]
        if "R" in status or "C" in status:
            entries.pop(0)  # the name it was renamed or copied from
        paths.append(path)
    fingerprint = {}
    for path in paths:
        file = root / path
        if file.is_symlink() or not file.exists():
            fingerprint[path] = "missing" if not file.is_symlink() else f"link to {os.readlink(file)}"
        elif file.is_file():
            fingerprint[path] = hashlib.sha256(file.read_bytes()).hexdigest()
        else:
            fingerprint[path] = "not a file"  # a nested repository, say
    return fingerprint


def _is_controller(session) -> bool:
    return not hasattr(session.config, "workerinput")  # xdist workers have it; the main process does not


def pytest_sessionstart(session):
    if _is_controller(session):
        session.config.stash[_STATUS_KEY] = tree_fingerprint()


def changed_files(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """What differs between two fingerprints, one line per file."""
    lines = []
    for path in sorted(set(before) | set(after)):
        if path not in before:
            lines.append(f"{path} (new to git status)")
        elif path not in after:
            lines.append(f"{path} (back to its committed state, or removed)")
        elif before[path] != after[path]:
            lines.append(f"{path} (content changed)")
    return lines


def pytest_sessionfinish(session, exitstatus):
    """Everything the suite runs writes below output/ (or a temporary folder): the files git sees must not change."""
    if not _is_controller(session) or session.config.getoption("collectonly"):
        return
    before, after = session.config.stash.get(_STATUS_KEY, None), tree_fingerprint()
    if before is None or after is None:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    changed = changed_files(before, after)
    if changed:
        message = ("FAILED: the test run changed files that git sees (write below output/):\n  "
                   + "\n  ".join(changed))
        if reporter:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif reporter and session.config.getoption("verbose", 0) >= 0:
        reporter.write_line(f"files git sees unchanged by the test run ({len(after)} modified or untracked, "
                            "compared by content)")


_STATUS_KEY = pytest.StashKey[dict[str, str] | None]()
