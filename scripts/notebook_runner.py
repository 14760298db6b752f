"""The one way this repository runs a notebook outside nbval: regeneration, the benchmark and tests use it.

A notebook runs in a fresh ``python3`` kernel whose working directory is notebooks/, as nbval runs it
(its settings come from here too: ``tests/conftest.py`` hands ``CELL_TIMEOUT`` to nbval).
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from helpers.environment import REPO_ROOT

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
KERNEL_NAME = "python3"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL_NAME}
#: Seconds one cell may run, here and under nbval.
CELL_TIMEOUT = 900
RAISES_MARK = "NBVAL_RAISES_EXCEPTION"
IGNORE_MARK = "NBVAL_IGNORE_OUTPUT"


def series_notebooks() -> list[Path]:
    """The numbered notebooks of the series, in reading order."""
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


SOLUTIONS_DIR = NOTEBOOK_DIR / "solutions"


def solutions_notebooks() -> list[Path]:
    """The worked solutions, one notebook per lesson with exercises, named as the lesson (solutions/NN_topic.ipynb)."""
    return sorted(SOLUTIONS_DIR.glob("*.ipynb"))


def _neutral_paths(text: str) -> str:
    """Replace this machine's absolute paths in a traceback with ones that hold on any machine."""
    prefixes = [(str(REPO_ROOT) + "/", ""), (sys.base_prefix + "/", "<python>/"), (str(Path.home()) + "/", "~/")]
    for prefix, replacement in prefixes:
        text = text.replace(prefix, replacement)
    return text


def run_notebook(nb: nbformat.NotebookNode) -> float:
    """Execute ``nb`` in place, top to bottom, in a fresh kernel; return the seconds it took.

    A cell may raise only if it is marked ``NBVAL_RAISES_EXCEPTION`` (nbclient reads that as the
    ``raises-exception`` tag, which is added for the run and removed afterwards: nbval reads both).
    """
    for cell in nb.cells:
        if cell.cell_type == "code" and RAISES_MARK in cell.source:
            cell.metadata.setdefault("tags", []).append("raises-exception")
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
        record_timing=False,
        store_widget_state=False,  # tqdm widgets: their state is random ids, not content
        allow_errors=False,
    )
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        for cell in nb.cells:
            tags = cell.metadata.get("tags")
            if tags and "raises-exception" in tags:
                tags.remove("raises-exception")
                if not tags:
                    del cell.metadata["tags"]
    return time.perf_counter() - start


def regenerate(path: Path) -> float:
    """Re-run the notebook at ``path`` and store its fresh outputs, without machine-specific noise."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    seconds = run_notebook(nb)
    nb.metadata.pop("widgets", None)  # widget state: random ids, nothing a reader or nbval needs
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            if output.output_type == "error":  # nbval compares only the error's name and message
                output.traceback = [_neutral_paths(line) for line in output.traceback]
    nbformat.write(nb, path)
    return seconds


def code_notebook(source: str) -> nbformat.NotebookNode:
    """A notebook of one code cell (the benchmark's floor)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    return nb


def title_of(nb: nbformat.NotebookNode) -> str:
    """The notebook's title, from the H1 of its first cell without a subtitle after ": " ("06 Devices and CUDA").

    Links to a notebook, the README table and the HTML index use this title (tests compare them).
    """
    first = nb.cells[0] if nb.cells else None
    match = re.search(r"^#\s+(.+)$", first.source, re.MULTILINE) if first and first.cell_type == "markdown" else None
    return match.group(1).split(": ")[0].strip() if match else ""


def stated_run_time(nb: nbformat.NotebookNode) -> str | None:
    """The CPU run time a notebook states in its opening ("**Time:** ..., 12 s to run on a CPU"): "12 s".

    The opening is the one place a run time is written: the README table and the HTML index are
    checked against it or read it, and `make bench` compares it with a measurement.
    """
    opening = nb.cells[0].source if nb.cells else ""
    match = re.search(r"(\d+)\s*s to run on a CPU", opening)
    return f"{match.group(1)} s" if match else None
