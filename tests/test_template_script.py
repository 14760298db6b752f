"""notebooks/digits_template.py, notebook 12's template as a script, trains and tests under "spawn".

Under spawn (the default on macOS and Windows) every DataLoader worker is a fresh interpreter that
imports the script; the `if __name__ == "__main__":` guard is what keeps each worker from training again.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import NOTEBOOK_DIR, REPO_ROOT
from portability import variant_environment


@pytest.mark.slow
def test_the_template_script_trains_and_tests_under_spawn(tmp_path):
    log = tmp_path / "processes.log"
    env = variant_environment("spawn", tmp_path / "output", log)
    run = subprocess.run([sys.executable, str(NOTEBOOK_DIR / "digits_template.py"), "--epochs", "2",
                          "--workers", "2", "--seed", "0"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.stderr == "", f"noise on stderr: {run.stderr[-2000:]}"
    accuracy = float(re.search(r"^test accuracy ([0-9.]+)$", run.stdout, re.MULTILINE).group(1))
    assert accuracy > 0.8, f"after 2 epochs the template should already be far above chance: {accuracy}"
    starts = [line.split() for line in log.read_text().splitlines() if " start " in line]
    assert starts and {fields[3] for fields in starts if fields[2] == "Process"} == {"spawn"}, starts
    assert list((tmp_path / "output").rglob("*.pt")), "no checkpoint was written below the output folder"
