"""Every notebook passes strict nbval under the CI variant too: other CPU kernels and spawned workers at once.

The regular run covers this machine's fastest kernels and Linux's "fork" start method. This extra pass
runs each notebook again with oneDNN limited to AVX2 instructions (the variant that found the most
differences between CPUs), and with "spawn" as the default start method, as on macOS and Windows, where
a DataLoader worker starts empty and unpickles the dataset. `make portability` runs the other variants
(scripts/portability.py).
"""

from __future__ import annotations

import pytest

from conftest import NOTEBOOKS
from portability import CI_VARIANT, failing_cells, run_nbval, variant_environment

#: Notebooks whose DataLoaders start worker processes through the default context.
STARTS_WORKERS = {"11_data_handling", "12_putting_it_together"}


def check_notebook_under_the_ci_variant(path, tmp_path):
    log = tmp_path / "processes.log"
    env = variant_environment(CI_VARIANT, tmp_path / "output", log)
    run = run_nbval([path], env, tmp_path / "junit.xml", workers=1)
    assert run.returncode == 0, (
        f"{path.name} under {CI_VARIANT}: {failing_cells(tmp_path / 'junit.xml')}\n{run.stdout[-6000:]}"
    )
    lines = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    assert any(fields[1:] == ["process"] for fields in lines), "the variant never reached the notebook's kernel"
    starts = [fields[3] for fields in lines if fields[1] == "start" and fields[2] == "Process"]
    if path.stem in STARTS_WORKERS:
        assert starts and set(starts) == {"spawn"}, f"expected DataLoader workers started by spawn: {lines}"


@pytest.mark.slow
class _NotebookUnderTheCIVariant:
    notebook = None

    def test_passes_under_the_ci_variant(self, tmp_path):
        check_notebook_under_the_ci_variant(self.notebook, tmp_path)


# One class per notebook: pytest-xdist (--dist loadscope) keeps a class on one worker, so the 14 long runs
# spread over the workers instead of queueing on one.
for _path in NOTEBOOKS:
    _name = f"TestNotebook{_path.stem[:2]}"
    globals()[_name] = type(_name, (_NotebookUnderTheCIVariant,), {"notebook": _path})
