"""Re-execute notebooks in place, top to bottom, to regenerate their stored outputs.

    python scripts/execute_notebooks.py notebooks/01_tensors.ipynb [...]

This is the only way stored outputs are made: never edit them by hand. Each
notebook runs in a fresh kernel whose working directory is notebooks/, exactly
as nbval runs it, and per-cell timing metadata is not recorded so that a rerun
with unchanged results leaves the file unchanged.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    client = NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
        record_timing=False,
        store_widget_state=False,  # tqdm widgets: their state is random ids, not content
        allow_errors=False,
    )
    # nbclient only lets a cell raise if it carries the "raises-exception" tag;
    # mirror nbval's NBVAL_RAISES_EXCEPTION marker into that tag.
    for cell in nb.cells:
        if cell.cell_type == "code" and "NBVAL_RAISES_EXCEPTION" in cell.source:
            tags = cell.metadata.setdefault("tags", [])
            if "raises-exception" not in tags:
                tags.append("raises-exception")
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)  # widget state: random ids, nothing a reader or nbval needs
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        # Drop the tag again: nbval reads both, and warns when comment and tag overlap.
        tags = cell.metadata.get("tags")
        if tags and "raises-exception" in tags:
            tags.remove("raises-exception")
            if not tags:
                del cell.metadata["tags"]
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    for path in paths:
        print(f"executing {path} ...", flush=True)
        print(f"  done in {execute(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
