"""Unit tests for the foundation part of notebooks/helpers.py."""

from __future__ import annotations

import pytest
import torch

import helpers


def test_output_path_creates_parent_below_output(tmp_path, monkeypatch):
    monkeypatch.setattr(helpers, "OUTPUT_DIR", tmp_path / "output")
    path = helpers.output_path("07_x", "sub", "file.txt")
    assert path == tmp_path / "output" / "07_x" / "sub" / "file.txt"
    assert path.parent.is_dir() and not path.exists()


def test_output_path_refuses_to_escape(tmp_path, monkeypatch):
    monkeypatch.setattr(helpers, "OUTPUT_DIR", tmp_path / "output")
    with pytest.raises(ValueError, match="not below"):
        helpers.output_path("..", "escaped.txt")
    with pytest.raises(ValueError):
        helpers.output_path()


def test_seed_everything_makes_all_generators_repeat():
    import random

    import numpy as np

    def draw(seed):
        g = helpers.seed_everything(seed)
        return random.random(), np.random.rand(), torch.rand(2).tolist(), torch.rand(2, generator=g).tolist()

    assert draw(7) == draw(7)
    assert all(a != b for a, b in zip(draw(7), draw(8)))


def test_get_device_falls_back_to_cpu_and_prefers_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert helpers.get_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert helpers.get_device() == torch.device("cuda")


def test_environment_summary_names_versions_and_device():
    line = helpers.environment_summary(torch.device("cpu"))
    assert torch.__version__ in line and "device cpu" in line


def test_read_pins_and_bad_line_names_file_and_line(tmp_path):
    good = tmp_path / "req.txt"
    good.write_text("# comment\ntorch==2.14.1  # trailing\n\nnumpy==2.0\n")
    assert helpers.read_pins(good) == {"torch": "2.14.1", "numpy": "2.0"}
    bad = tmp_path / "bad.txt"
    bad.write_text("torch==2.14.1\nnumpy>=2\n")
    with pytest.raises(ValueError, match=r"bad.txt, line 2: expected 'name==version'"):
        helpers.read_pins(bad)


def test_check_environment_names_every_missing_package():
    with pytest.raises(ImportError, match="missing package\\(s\\): no-such-pkg-a, no-such-pkg-b"):
        helpers.check_environment({"torch": "0", "no-such-pkg-a": "1", "no-such-pkg-b": "1"})


def test_check_environment_reports_version_mismatch():
    from importlib import metadata

    assert helpers.check_environment({"pytest": "0.0.1"}) == {"pytest": ("0.0.1", metadata.version("pytest"))}
    assert helpers.check_environment({"pytest": metadata.version("pytest")}) == {}
    assert helpers.check_environment() == {}, "the running environment should match requirements.txt"


def test_digits_arrays_and_stratified_split():
    import numpy as np

    images, labels = helpers.load_digits_arrays()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8 and images.max() == 255
    train, test = helpers.stratified_split(labels, test_fraction=0.2, seed=0)
    assert len(set(train) & set(test)) == 0 and len(train) + len(test) == 1797
    assert len(test) == 360
    # Every class keeps (to within one sample) its share in the test split.
    for digit in range(10):
        expected = (labels == digit).sum() * 0.2
        assert abs((labels[test] == digit).sum() - expected) <= 1
    again = helpers.stratified_split(labels, test_fraction=0.2, seed=0)
    assert (again[0] == train).all() and (again[1] == test).all()


def test_digits_cnn_shapes():
    model = helpers.DigitsCNN()
    out = model(torch.zeros(4, 1, 8, 8))
    assert out.shape == (4, 10)
