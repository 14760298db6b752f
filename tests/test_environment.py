"""Unit tests for helpers.environment: output paths, seeding, the device, the pins and the environment check."""

from __future__ import annotations

import pytest
import torch

from helpers import environment


def test_output_path_creates_parent_below_output(tmp_path, monkeypatch):
    monkeypatch.setattr(environment, "OUTPUT_DIR", tmp_path / "output")
    path = environment.output_path("07_x", "sub", "file.txt")
    assert path == tmp_path / "output" / "07_x" / "sub" / "file.txt"
    assert path.parent.is_dir() and not path.exists()


def test_output_path_refuses_to_escape(tmp_path, monkeypatch):
    monkeypatch.setattr(environment, "OUTPUT_DIR", tmp_path / "output")
    with pytest.raises(ValueError, match="not below"):
        environment.output_path("..", "escaped.txt")
    with pytest.raises(ValueError):
        environment.output_path()


def test_seed_everything_makes_all_generators_repeat():
    import random

    import numpy as np

    def draw(seed):
        g = environment.seed_everything(seed)
        return random.random(), np.random.rand(), torch.rand(2).tolist(), torch.rand(2, generator=g).tolist()

    assert draw(7) == draw(7)
    assert all(a != b for a, b in zip(draw(7), draw(8)))


def test_get_device_prefers_the_accelerator_and_falls_back_to_the_cpu(monkeypatch):
    monkeypatch.delenv(environment.DEVICE_VARIABLE, raising=False)
    monkeypatch.setattr(torch.accelerator, "current_accelerator", lambda check_available=False: None)
    assert environment.get_device() == torch.device("cpu")
    # A GPU this build runs on (tests/test_device.py fakes the ones it cannot run on).
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (9, 0))
    for kind in ("cuda", "mps", "xpu"):
        monkeypatch.setattr(torch.accelerator, "current_accelerator",
                            lambda check_available=False, kind=kind: torch.device(kind, 0))
        assert environment.get_device() == torch.device(kind)


def test_the_reader_can_choose_the_device(monkeypatch):
    monkeypatch.setenv(environment.DEVICE_VARIABLE, "cpu")
    monkeypatch.setattr(torch.accelerator, "current_accelerator", lambda check_available=False: torch.device("cuda"))
    assert environment.get_device() == torch.device("cpu")
    monkeypatch.setenv(environment.DEVICE_VARIABLE, "gpu-please")
    with pytest.raises(ValueError, match="SERIES_DEVICE='gpu-please'"):
        environment.get_device()


def test_environment_summary_names_versions_and_device():
    line = environment.environment_summary(torch.device("cpu"))
    assert torch.__version__ in line and "device cpu" in line


def test_pinned_versions_apply_markers_and_name_a_bad_entry(tmp_path):
    good = tmp_path / "pyproject.toml"
    good.write_text('[project]\ndependencies = ["torch==2.14.1", "numpy==2.0; python_version < \'3\'"]\n')
    assert environment.pinned_versions(good) == {"torch": "2.14.1"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[project]\ndependencies = ["torch==2.14.1", "numpy>=2"]\n')
    with pytest.raises(ValueError, match=r"bad.toml: dependency 'numpy>=2' must be pinned exactly"):
        environment.pinned_versions(bad)


def test_check_environment_names_every_missing_package():
    with pytest.raises(ImportError, match="missing package\\(s\\): no-such-pkg-a, no-such-pkg-b"):
        environment.check_environment({"torch": "0", "no-such-pkg-a": "1", "no-such-pkg-b": "1"})


def test_check_environment_reports_mismatch_and_accepts_local_builds(monkeypatch):
    from importlib import metadata

    assert environment.check_environment({"pytest": "0.0.1"}) == {"pytest": ("0.0.1", metadata.version("pytest"))}
    real_version = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "2.14.1+cpu" if name == "torch" else real_version(name))
    assert environment.check_environment({"torch": "2.14.1"}) == {}


def test_the_running_environment_is_the_pinned_one():
    """Stored outputs were made with these versions; another version may legitimately change them."""
    assert environment.check_environment() == {}
