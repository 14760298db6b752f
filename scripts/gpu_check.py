"""On a machine with a CUDA GPU: run the strict suite over every notebook there and list the cells that differ.

    python scripts/gpu_check.py        (make gpu-check)

The stored outputs were made on a CPU; every checked cell is written to hold on a GPU too. This runs
the notebooks on the GPU (get_device() picks CUDA), then the unit tests, and prints each differing cell
with its notebook, so a maintainer can fix the cell (not the stored output) and rerun. It refuses to run
without CUDA, where it would prove nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import torch

from helpers.environment import DEVICE_VARIABLE, get_device
from notebook_runner import REPO_ROOT
from portability import failing_cells


def main() -> int:
    if not torch.cuda.is_available():
        print("no CUDA GPU here: run this on a machine with one (nothing was checked)")
        return 2
    # A GPU this torch build cannot run: get_device() says why and picks the CPU; the suite would prove nothing.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        os.environ.pop(DEVICE_VARIABLE, None)
        device = get_device()
    if device.type != "cuda":
        print("; ".join(str(w.message) for w in caught) or f"get_device() chose {device.type}, not the GPU")
        print("nothing was checked")
        return 2
    print(f"GPU: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}", flush=True)
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        junit = Path(tmp) / "junit.xml"
        env = dict(os.environ, SERIES_DEVICE="cuda", SERIES_OUTPUT_DIR=str(Path(tmp) / "output"))
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "not slow", f"--junitxml={junit}",
                              "notebooks", "tests"], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
        failures = failing_cells(junit)
    print(run.stdout[-20000:])
    for notebook, cells in failures.items():
        print(f"DIFFERS on the GPU: {notebook}: {', '.join(cells)}")
    print("every checked output holds on this GPU" if run.returncode == 0 else "some outputs differ on this GPU")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
