"""Re-execute notebooks in place, top to bottom, to regenerate their stored outputs.

    python scripts/execute_notebooks.py [notebooks/01_tensors.ipynb ...]   (all notebooks by default)

This is the only way stored outputs are made: never edit them by hand. See notebook_runner.regenerate.
"""

from __future__ import annotations

import sys
from pathlib import Path

from notebook_runner import regenerate, series_notebooks


def main(argv: list[str]) -> int:
    for path in [Path(p) for p in argv] or series_notebooks():
        print(f"executing {path} ...", flush=True)
        print(f"  done in {regenerate(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
