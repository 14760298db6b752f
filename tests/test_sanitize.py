"""nbval_sanitize.cfg makes an accelerator's device strings read as the CPU's, and changes nothing else.

No Mac or GPU is needed: the device strings are the ones torch prints for a device object
(``torch.device("mps")`` can be made anywhere), and the rules are applied the way nbval applies
them (its own parser, each regex in file order, to stored and fresh output alike).
"""

from __future__ import annotations

import re

import pytest
import torch
from nbval.plugin import get_sanitize_patterns

from conftest import REPO_ROOT

SANITIZE_FILE = REPO_ROOT / "nbval_sanitize.cfg"
PATTERNS = get_sanitize_patterns(SANITIZE_FILE.read_text(encoding="utf-8"))


def sanitize(text: str) -> str:
    """What nbval compares (nbval.plugin.IPyNbCell.sanitize)."""
    for regex, replace in PATTERNS:
        text = re.sub(regex, replace, text)
    return text


def printed(device: torch.device) -> list[str]:
    """What a cell prints about a tensor or module on ``device``, in every form the series uses."""
    tensor = "tensor([1., 2.])" if device.type == "cpu" else f"tensor([1., 2.], device='{device}')"
    return [
        repr(device),                                  # device(type='mps'), device(type='cuda', index=0)
        str(device),                                   # mps, cuda:0
        tensor,                                        # a tensor's repr
        f"tensor(3.5000, device='{device}')" if device.type != "cpu" else "tensor(3.5000)",
        f"saved on: {[str(device)]}",                  # ['mps'] (09: the devices a checkpoint names)
        f"loaded onto: { {device.type} }",             # {'mps'}
        f"predictions: (10, 1) torch.float32 on {device.type}",
        f"Tensor for argument weight is on {device} but expected on {device}!",
        f"{torch.device(device.type)!r} == {device!r}",
    ]


ACCELERATORS = [torch.device(kind, index) if index is not None else torch.device(kind)
                for kind in ("cuda", "mps", "xpu") for index in (None, 0, 1)]


def test_every_section_of_the_file_is_read_by_nbval():
    """A section nbval's parser skips (a missing space after 'replace:') would silently do nothing."""
    sections = re.findall(r"^\[[a-z_]+\]$", SANITIZE_FILE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert len(PATTERNS) == len(sections) >= 4


@pytest.mark.parametrize("device", ACCELERATORS, ids=str)
def test_an_accelerator_prints_like_the_cpu_after_sanitizing(device):
    for on_cpu, on_device in zip(printed(torch.device("cpu")), printed(device)):
        assert sanitize(on_device) == sanitize(on_cpu), f"{device}: {on_device!r} vs the CPU's {on_cpu!r}"


@pytest.mark.parametrize(("a", "b"), [
    ("tensor([1., 2.])", "tensor([1., 3.])"),            # numbers still count
    ("device(type='cpu')", "device(type='meta')"),       # so does a device that is neither CPU nor accelerator
    ("CUDA available: True", "CUDA available: False"),
    ("on cpu", "on gpu"),
    ("mpsx", "cpux"),                                    # only whole words are device names
    ("torch.float32", "torch.float64"),
])
def test_other_differences_survive_sanitizing(a, b):
    assert sanitize(a) != sanitize(b), f"the sanitize rules make {a!r} and {b!r} equal"


def test_memory_addresses_are_hidden():
    assert sanitize("<object at 0x7f3a2b1c9d80>") == sanitize("<object at 0x55d1e4a0b2c0>")
