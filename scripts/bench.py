"""Time every notebook against the floor: a notebook that only imports torch.

    python scripts/bench.py [notebooks/NN_x.ipynb ...] [--repeat 3]

Each notebook (and the floor) is executed in a fresh kernel, the way nbval and
`make execute` run it, kernel start-up included; the median of the repeats is
reported. Nothing is written back. Targets come from the issues that asked for
them; the last column says whether the median meets its target.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"

# Target per notebook number: ("x", k) means at most k times the floor;
# ("tf", s) means at most the floor plus TensorFlow's import plus s seconds.
TARGETS = {
    "00": ("x", 2), "01": ("x", 2), "02": ("x", 2), "03": ("x", 2), "05": ("x", 2),
    "04": ("tf", 5),
    "06": ("x", 3), "07": ("x", 3), "08": ("x", 3), "09": ("x", 3),
}


def run_once(nb) -> float:
    nb = nbformat.from_dict(nb)  # a fresh copy each time
    for cell in nb.cells:
        if cell.cell_type == "code" and "NBVAL_RAISES_EXCEPTION" in cell.source:
            cell.metadata.setdefault("tags", []).append("raises-exception")
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def code_notebook(source: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    return nb


def median_seconds(nb, repeat: int) -> float:
    return statistics.median(run_once(nb) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    paths = [Path(p) for p in args.notebooks] or sorted(NOTEBOOK_DIR.glob("*.ipynb"))

    floor = median_seconds(code_notebook("import torch"), args.repeat)
    print(f"floor (a notebook that only imports torch): {floor:.2f} s, median of {args.repeat}")
    tf_import = None
    print(f"{'notebook':40s} {'median s':>9s} {'x floor':>8s}  target")
    for path in paths:
        seconds = median_seconds(nbformat.read(path, as_version=4), args.repeat)
        kind, value = TARGETS.get(path.name[:2], (None, None))
        if kind == "x":
            limit, label = value * floor, f"<= {value}x floor ({value * floor:.1f} s)"
        elif kind == "tf":
            if tf_import is None:
                tf_import = median_seconds(code_notebook(
                    "import os\n"
                    "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
                    "os.environ['TF_ENABLE_ONEDNN_OPTS'] = '0'\n"
                    "import torch\nimport tensorflow"),
                    args.repeat) - floor
            limit = floor + tf_import + value
            label = f"<= floor + TF import ({tf_import:.1f} s) + {value} s ({limit:.1f} s)"
        else:
            limit, label = None, "-"
        verdict = "" if limit is None else ("ok" if seconds <= limit else "OVER")
        print(f"{path.name:40s} {seconds:9.2f} {seconds / floor:8.2f}  {label} {verdict}", flush=True)


if __name__ == "__main__":
    main()
