"""Time every notebook against the floor (a notebook that only imports torch) and its stated run time.

    python scripts/bench.py [notebooks/NN_x.ipynb ...] [--repeat 3]

Each notebook (and the floor) runs in a fresh kernel through the notebook runner, kernel start-up
included; the median of the repeats is reported, with the run time the notebook's opening states
(the one place it is written) and whether the measurement rounds to it. Nothing is written back.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import nbformat

from notebook_runner import code_notebook, run_notebook, series_notebooks, stated_run_time


def median_seconds(nb, repeat: int) -> float:
    return statistics.median(run_notebook(nbformat.from_dict(nb)) for _ in range(repeat))  # a fresh copy each time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    floor = median_seconds(code_notebook("import torch"), args.repeat)
    print(f"floor (a notebook that only imports torch): {floor:.2f} s, median of {args.repeat}")
    print(f"{'notebook':40s} {'median s':>9s} {'x floor':>8s} {'stated':>7s}  agrees")
    for path in args.notebooks or series_notebooks():
        nb = nbformat.read(path, as_version=4)
        seconds = median_seconds(nb, args.repeat)
        stated = stated_run_time(nb) or "-"
        # The opening states whole seconds; within 25% (or 1 s) of the measurement counts as agreeing.
        agrees = stated != "-" and abs(int(stated.split()[0]) - seconds) <= max(1.0, 0.25 * seconds)
        print(f"{path.name:40s} {seconds:9.2f} {seconds / floor:8.2f} {stated:>7s}  {'yes' if agrees else 'NO'}",
              flush=True)


if __name__ == "__main__":
    main()
