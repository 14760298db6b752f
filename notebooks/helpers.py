"""Small helpers shared by the notebooks of this series.

Everything here is taught in a notebook first; each docstring names it. The
module imports only the standard library and torch at the top, so that
``import helpers`` stays cheap; heavier libraries (numpy, pandas, PIL,
torchvision, scikit-learn) are imported inside the functions that need them.

Sections (one per group of notebooks, so edits do not collide):
  * Foundation: paths, seeding, device, environment summary
  * Autograd (02-05)
  * Training process (06-09)
  * Data and the digits model (10-13)
"""

from __future__ import annotations

import os
import platform
import random
from pathlib import Path

import torch

# ---------------------------------------------------------------------------
# Foundation
# ---------------------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Everything a notebook writes lands below this folder, which git ignores.
OUTPUT_DIR = REPO_ROOT / "output"

REQUIRED_PACKAGES = (
    "torch",
    "torchvision",
    "numpy",
    "pandas",
    "matplotlib",
    "sklearn",
    "tensorboard",
    "tqdm",
    "PIL",
)


def output_path(*parts: str) -> Path:
    """Return a path below ``output/``, creating its parent folders.

    ``output_path("09_training", "checkpoint.pt")`` gives
    ``<repo>/output/09_training/checkpoint.pt``. Taught in 00_before_you_start.
    """
    if not parts:
        raise ValueError("output_path needs at least one path component")
    path = OUTPUT_DIR.joinpath(*parts)
    if OUTPUT_DIR.resolve() not in path.resolve().parents:
        raise ValueError(f"output_path: {path} is not below {OUTPUT_DIR}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and every GPU) and return a generator.

    The returned ``torch.Generator`` is seeded too: pass it to a DataLoader
    (``generator=``) or to ``torch.randn(..., generator=g)`` so that the
    numbers do not depend on what ran before. Taught in 01_tensors and
    09_training_process.
    """
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


def get_device() -> torch.device:
    """The best device on this machine: a CUDA GPU if there is one, else the CPU.

    Taught in 01_tensors; 06_devices_and_cuda explains the pattern.
    """
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def environment_summary(device: torch.device | None = None) -> str:
    """One line with the Python, torch versions and the device, for a setup cell.

    Print it in a cell marked ``# NBVAL_IGNORE_OUTPUT``: versions and devices
    differ between machines. Taught in 00_before_you_start.
    """
    device = device or get_device()
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.machine()
    return (
        f"Python {platform.python_version()} | torch {torch.__version__} | "
        f"device {device} ({where}) | CPU threads {torch.get_num_threads()}"
    )


def check_packages(names=REQUIRED_PACKAGES) -> dict[str, str]:
    """Import each package by name and return ``{name: version}``.

    Raises ``ImportError`` naming every missing package at once, with the
    command that installs them. Taught in 00_before_you_start.
    """
    import importlib

    versions, missing = {}, []
    for name in names:
        try:
            module = importlib.import_module(name)
        except ImportError:
            missing.append(name)
            continue
        versions[name] = getattr(module, "__version__", "unknown")
    if missing:
        raise ImportError(
            f"missing package(s): {', '.join(missing)}. "
            "Run `make lab` or `make test` from the repository root: they build .venv "
            "from requirements.txt."
        )
    return versions


# ---------------------------------------------------------------------------
# Autograd (02-05)
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Training process (06-09)
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Data and the digits model (10-13)
# ---------------------------------------------------------------------------


def load_digits_arrays():
    """The UCI handwritten digits that scikit-learn ships: 1797 images, 8x8.

    Returns ``(images, labels)`` as NumPy arrays: ``images`` is uint8 of shape
    (1797, 8, 8) scaled from the original 0..16 to 0..255, ``labels`` is int64.
    Nothing is downloaded. Taught in 11_data_handling.
    """
    import numpy as np
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)
    return images, digits.target.astype(np.int64)


def stratified_split(labels, test_fraction: float = 0.2, seed: int = 0):
    """Split indices into (train, test), keeping every class's share equal.

    The same labels and seed always give the same split, which is what makes
    results comparable between notebooks. Taught in 09_training_process.
    """
    from sklearn.model_selection import train_test_split

    import numpy as np

    indices = np.arange(len(labels))
    train_idx, test_idx = train_test_split(
        indices, test_size=test_fraction, stratify=labels, random_state=seed
    )
    return np.sort(train_idx), np.sort(test_idx)


class DigitsCNN(torch.nn.Module):
    """A small CNN for 1x8x8 digit images (10 classes).

    Taught in 12_putting_it_together; trained across processes in
    13_distributed_training.
    """

    def __init__(self, channels: int = 32, dropout: float = 0.25):
        super().__init__()
        nn = torch.nn
        self.features = nn.Sequential(
            nn.Conv2d(1, channels, kernel_size=3, padding=1),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, kernel_size=3, padding=1),
            nn.BatchNorm2d(2 * channels),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 8x8 -> 4x4
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(2 * channels * 4 * 4, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
