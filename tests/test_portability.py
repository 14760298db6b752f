"""Every notebook passes strict nbval under the CI variant too: other CPU kernels and spawned workers at once.

The regular run covers this machine's fastest kernels and Linux's "fork" start method. This extra pass
runs each notebook again with oneDNN limited to AVX2 instructions (the variant that found the most
differences between CPUs), and with "spawn" as the default start method, as on macOS and Windows, where
a DataLoader worker starts empty and unpickles the dataset. `make portability` runs the other variants
(scripts/portability.py).

What proves that the variant reached the notebook: the notebook's kernel itself, from inside (an IPython
startup file, which runs in kernels only), logs its environment, its default start method and the
instruction set oneDNN reports in that process. Where this CPU's oneDNN reports AVX2 or less anyway, the
limit changes nothing here and cannot be shown: the test that would show it is skipped, and says so. The
notebooks expected to start DataLoader workers through the default start method are found in their code.
"""

from __future__ import annotations

import os

import pytest

from conftest import NOTEBOOKS
from portability import (
    CI_VARIANT,
    VARIANTS,
    failing_cells,
    notebooks_starting_workers,
    onednn_isa,
    read_log,
    run_nbval,
    starts_default_context_workers,
    variant_environment,
)

STARTS_WORKERS = set(notebooks_starting_workers(NOTEBOOKS))


@pytest.fixture(scope="session")
def onednn_isas(tmp_path_factory):
    """(the ISA oneDNN reports here without the variant, with it), each from a fresh process."""
    plain = {k: v for k, v in os.environ.items() if k not in VARIANTS[CI_VARIANT]}
    return onednn_isa(plain), onednn_isa(variant_environment(CI_VARIANT, tmp_path_factory.mktemp("isa")))


def limit_is_visible(isas) -> bool:
    unlimited, limited = isas
    return bool(unlimited and limited and unlimited != limited)


def check_notebook_under_the_ci_variant(path, tmp_path, isas):
    log = tmp_path / "processes.log"
    env = variant_environment(CI_VARIANT, tmp_path / "output", log)
    run = run_nbval([path], env, tmp_path / "junit.xml", workers=1)
    assert run.returncode == 0, (
        f"{path.name} under {CI_VARIANT}: {failing_cells(tmp_path / 'junit.xml')}\n{run.stdout[-6000:]}"
    )
    lines, kernels = read_log(log)
    assert kernels, f"no kernel of {path.name} reported from inside: the variant never reached it"
    for kernel in kernels:
        assert kernel["kernel"] == "IPythonKernel", kernel
        for name, value in VARIANTS[CI_VARIANT].items():
            assert kernel["env"].get(name) == value, f"the kernel runs with {name}={kernel['env'].get(name)!r}"
        assert kernel["start_method"] == "spawn", f"the kernel's default start method is {kernel['start_method']}"
        if limit_is_visible(isas):
            assert kernel["onednn_isa"] == isas[1], (
                f"oneDNN in the kernel reports {kernel['onednn_isa']!r}; limited to AVX2 it reports {isas[1]!r}")
    starts = [fields[3] for fields in lines if fields[1] == "start" and fields[2] == "Process"]
    assert set(starts) <= {"spawn"}, f"processes started by the default context without spawn: {lines}"
    if path.stem in STARTS_WORKERS:
        assert starts, f"{path.name} makes DataLoaders with workers, but no worker was started: {lines}"


def test_the_onednn_limit_takes_effect_on_this_cpu(onednn_isas):
    unlimited, limited = onednn_isas
    if unlimited is None:
        pytest.skip("oneDNN reports no instruction set here (not built in, or not an x86 CPU): the AVX2 limit "
                    "of the CI variant could not be shown to take effect")
    if not limit_is_visible(onednn_isas):
        pytest.skip(f"this CPU's oneDNN reports {unlimited!r} with and without ONEDNN_MAX_CPU_ISA=AVX2: the limit "
                    "changes nothing here, so the CI variant could not be shown to take effect")
    assert "AVX2" in limited and "AVX-512" not in limited, f"limited to AVX2, oneDNN reports {limited!r}"


def test_the_notebooks_that_start_workers_are_found_in_their_code():
    assert starts_default_context_workers("loader = DataLoader(data, batch_size=8, num_workers=2)")
    assert starts_default_context_workers("torch.utils.data.DataLoader(data, num_workers=workers)")
    assert starts_default_context_workers("%time x = 1\nDataLoader(data, num_workers=n)")  # magics are fine
    assert not starts_default_context_workers("DataLoader(data, num_workers=0)")
    assert not starts_default_context_workers("DataLoader(data, batch_size=8)")
    assert not starts_default_context_workers("DataLoader(data, num_workers=2, multiprocessing_context='fork')")
    assert not starts_default_context_workers('BODY = """DataLoader(data, num_workers=2)"""')  # text, not code


@pytest.mark.slow
class _NotebookUnderTheCIVariant:
    notebook = None

    def test_passes_under_the_ci_variant(self, tmp_path, onednn_isas):
        check_notebook_under_the_ci_variant(self.notebook, tmp_path, onednn_isas)


# One class per notebook: pytest-xdist (--dist loadscope) keeps a class on one worker, so the long runs
# spread over the workers instead of queueing on one.
for _path in NOTEBOOKS:
    _name = f"TestNotebook{_path.stem[:2]}"
    globals()[_name] = type(_name, (_NotebookUnderTheCIVariant,), {"notebook": _path})
