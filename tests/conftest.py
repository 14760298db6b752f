"""Shared fixtures and facts for the unit, convention and config tests."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))

# The helper module sits beside the notebooks (their working directory); make it importable here.
sys.path.insert(0, str(NOTEBOOK_DIR))

# The one place that lists what CI does not run, with the reason. A notebook cell
# marked NBVAL_SKIP must appear here as "NN_name.ipynb#cell-index": reason.
SKIPPED_CELLS: dict[str, str] = {}
