"""Notebooks 11 and 12 pass strict nbval whatever the default multiprocessing start method is.

Linux up to Python 3.13 starts processes with "fork" (the regular nbval run covers that), macOS and
Windows with "spawn", Linux from Python 3.14 with "forkserver". Under spawn and forkserver a DataLoader
worker starts empty and unpickles the dataset, which fails for a Dataset defined in a notebook.

Each test copies the two notebooks and helpers.py into a temporary tree (so their output/ does not
collide with a regular run going on in parallel) and runs strict nbval on them in a subprocess whose
interpreters load a sitecustomize.py that forces the default start method. The same sitecustomize logs
every process start made through the default context together with the method it really used, so the
test fails if the forcing did not reach the kernels or if they started no worker at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import NOTEBOOK_DIR, REPO_ROOT

NOTEBOOKS = ("11_data_handling.ipynb", "12_putting_it_together.ipynb")

SITECUSTOMIZE = textwrap.dedent(
    '''
    """Force the default multiprocessing start method and log every process start (test_start_methods)."""
    import os

    _method = os.environ.get("FORCE_START_METHOD")
    if _method:
        import multiprocessing
        import multiprocessing.process

        multiprocessing.set_start_method(_method, force=True)
        _original_start = multiprocessing.process.BaseProcess.start

        def _logged_start(self):
            _original_start(self)
            # type "Process" = the default context; ForkProcess, SpawnProcess, ... = an explicit one.
            with open(os.environ["START_METHOD_LOG"], "a") as log:
                log.write(f"{os.getpid()} {type(self).__name__} {self._popen.method}\\n")

        multiprocessing.process.BaseProcess.start = _logged_start
    '''
)


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_notebooks_pass_under_start_method(method, tmp_path):
    tree = tmp_path / "tree"
    (tree / "notebooks").mkdir(parents=True)
    for name in (*NOTEBOOKS, "helpers.py"):
        shutil.copy(NOTEBOOK_DIR / name, tree / "notebooks" / name)
    for name in ("pytest.ini", "nbval_sanitize.cfg"):
        shutil.copy(REPO_ROOT / name, tree / name)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "process_starts.log"

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    env["FORCE_START_METHOD"] = method
    env["START_METHOD_LOG"] = str(log)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", *(f"notebooks/{n}" for n in NOTEBOOKS)],
        cwd=tree, env=env, capture_output=True, text=True, timeout=1200,
    )
    assert result.returncode == 0, f"nbval under {method!r} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"

    starts = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    default_starts = [(pid, used) for pid, kind, used in starts if kind == "Process"]
    assert default_starts, f"no process was started through the default context under {method!r}: {starts}"
    assert {used for _, used in default_starts} == {method}, default_starts
    kernels = {pid for pid, _ in default_starts}
    assert len(kernels) == len(NOTEBOOKS), f"expected DataLoader workers from {len(NOTEBOOKS)} kernels: {starts}"
