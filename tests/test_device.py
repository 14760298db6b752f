"""get_device() and GPUs this torch build cannot run: refused with a message, the CPU instead.

No GPU is needed: the GPU's name and compute capability are faked, and so is the build's list of
architectures where a test needs another build than the installed one.
"""

from __future__ import annotations

import warnings

import pytest
import torch

from helpers import environment

# The CUDA build of torch 2.14 from PyPI (torch.cuda.get_arch_list() on Linux x86-64).
CU130_ARCHS = ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"]


@pytest.fixture
def fake_gpu(monkeypatch):
    """Pretend that CUDA finds one GPU of a given capability; returns a function that sets it."""
    monkeypatch.delenv(environment.DEVICE_VARIABLE, raising=False)
    monkeypatch.setattr(torch.version, "cuda", "13.0")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.accelerator, "current_accelerator",
                        lambda check_available=False: torch.device("cuda", 0))

    def set_gpu(name, capability, archs=CU130_ARCHS):
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: name)
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
        monkeypatch.setattr(torch.cuda, "get_arch_list", lambda: list(archs))

    return set_gpu


def test_the_installed_build_lists_its_architectures():
    """The README's statement (compute capability 7.5 and newer) is this list; a CPU-only build lists none."""
    archs = torch.cuda.get_arch_list()
    if torch.version.cuda is None:
        assert archs == []
    else:
        assert archs == CU130_ARCHS, f"the README states which GPUs torch {torch.__version__} runs on: {archs}"


@pytest.mark.parametrize(("name", "capability"), [
    ("Tesla T4", (7, 5)), ("NVIDIA A100", (8, 0)), ("NVIDIA GeForce RTX 4090", (8, 9)),
    ("NVIDIA H100", (9, 0)), ("NVIDIA B200", (10, 0)), ("NVIDIA GeForce RTX 5090", (12, 0)),
])
def test_a_supported_gpu_is_chosen_silently(fake_gpu, name, capability):
    fake_gpu(name, capability)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails: a checked output would change
        assert environment.get_device() == torch.device("cuda")


@pytest.mark.parametrize(("name", "capability"), [
    ("Tesla P100-PCIE-16GB", (6, 0)), ("NVIDIA GeForce GTX 1080", (6, 1)), ("Tesla V100-SXM2-16GB", (7, 0)),
    ("NVIDIA Jetson AGX Xavier", (7, 2)),
])
def test_an_older_gpu_is_refused_with_a_message_and_the_cpu_instead(fake_gpu, name, capability):
    fake_gpu(name, capability)
    with pytest.warns(UserWarning) as caught:
        device = environment.get_device()
    assert device == torch.device("cpu")
    message = str(caught[0].message)
    assert name in message and f"compute capability {capability[0]}.{capability[1]}" in message
    assert "sm_75, sm_80, sm_86, sm_90, sm_100, sm_120" in message and "Using the CPU instead" in message
    assert caught[0].filename == __file__, "the warning should point at the caller's line, not into helpers"


def test_asking_for_an_unsupported_gpu_by_name_is_an_error(fake_gpu, monkeypatch):
    fake_gpu("Tesla V100-SXM2-16GB", (7, 0))
    monkeypatch.setenv(environment.DEVICE_VARIABLE, "cuda")
    with pytest.raises(ValueError, match=r"SERIES_DEVICE='cuda': the GPU Tesla V100-SXM2-16GB has compute "
                                         r"capability 7\.0.*set SERIES_DEVICE=cpu"):
        environment.get_device()
    monkeypatch.setenv(environment.DEVICE_VARIABLE, "cpu")
    assert environment.get_device() == torch.device("cpu")


def test_asking_for_an_accelerator_the_machine_lacks_is_an_error(monkeypatch):
    monkeypatch.setenv(environment.DEVICE_VARIABLE, "mps")
    monkeypatch.setattr(torch.mps, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"SERIES_DEVICE='mps', but this machine's torch finds no mps device"):
        environment.get_device()


@pytest.mark.parametrize(("archs", "capability", "runs"), [
    (["sm_86"], (8, 9), True),      # machine code runs on later GPUs of the same major version
    (["sm_86"], (8, 0), False),     # ... not on earlier ones
    (["sm_80"], (9, 0), False),     # ... nor on the next major version
    (["sm_90a"], (9, 0), True),     # arch-specific code: that capability only
    (["sm_90a"], (10, 0), False),
    (["sm_100f"], (10, 3), True),   # family code: the same major version
    (["sm_90", "compute_90"], (12, 0), True),   # PTX: compiled by the driver for any newer GPU
    (["sm_90", "compute_90"], (8, 9), False),
    (["sm_120", "compute_120"], (7, 5), False),
])
def test_which_builds_run_on_which_gpus(fake_gpu, archs, capability, runs):
    fake_gpu("Some GPU", capability, archs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        device = environment.get_device()
    assert (device.type == "cuda") is runs and (not caught) is runs, (archs, capability, caught)


def test_builds_without_an_architecture_list_are_not_second_guessed(fake_gpu, monkeypatch):
    """ROCm builds name gfx targets and pass no CUDA version; a build with an empty list is left to torch."""
    fake_gpu("AMD Instinct MI300X", (9, 4), ["gfx942"])
    monkeypatch.setattr(torch.version, "cuda", None)
    assert environment.get_device() == torch.device("cuda")
    fake_gpu("Some GPU", (5, 0), [])
    monkeypatch.setattr(torch.version, "cuda", "13.0")
    assert environment.get_device() == torch.device("cuda")


def test_gpu_check_refuses_a_gpu_the_build_cannot_run(fake_gpu, monkeypatch, capsys):
    import gpu_check

    fake_gpu("Tesla V100-SXM2-16GB", (7, 0))
    monkeypatch.setattr(gpu_check.subprocess, "run", lambda *a, **k: pytest.fail("the suite ran on an unusable GPU"))
    assert gpu_check.main() == 2
    out = capsys.readouterr().out
    assert "Tesla V100-SXM2-16GB has compute capability 7.0" in out and "nothing was checked" in out


def test_gpu_check_runs_the_strict_suite_on_the_gpu(fake_gpu, monkeypatch, capsys):
    import subprocess

    import gpu_check

    fake_gpu("NVIDIA H100", (9, 0))
    ran = {}

    def run(command, **kwargs):
        ran.update(command=command, env=kwargs["env"])
        return subprocess.CompletedProcess(command, 0, stdout="1 passed\n", stderr="")

    monkeypatch.setattr(gpu_check.subprocess, "run", run)
    assert gpu_check.main() == 0
    assert ran["env"]["SERIES_DEVICE"] == "cuda" and ran["command"][-2:] == ["notebooks", "tests"]
    assert "nbval-lax" not in " ".join(ran["command"])
    assert "every checked output holds on this GPU" in capsys.readouterr().out
