"""The handwritten digits that scikit-learn ships, a stratified split of them, and a small CNN for them."""

from __future__ import annotations

from pathlib import Path

import torch


def load_digits_arrays():
    """The UCI handwritten digits that scikit-learn ships: 1797 images, 8x8.

    Returns ``(images, labels)`` as NumPy arrays: ``images`` is uint8 of shape
    (1797, 8, 8) scaled from the original 0..16 to 0..255, ``labels`` is int64.
    Nothing is downloaded. The table is read straight from scikit-learn's
    package data (``sklearn/datasets/data/digits.csv.gz``, what
    ``sklearn.datasets.load_digits`` reads), which skips importing
    scikit-learn and SciPy (seconds); if that file ever moves, it falls back
    to ``load_digits``. Taught in 05_nn_models.
    """
    import importlib.util

    import numpy as np

    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    table = None
    if spec is not None and spec.submodule_search_locations:
        csv_gz = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
        if csv_gz.is_file():
            table = np.loadtxt(csv_gz, delimiter=",")
    if table is not None and table.shape == (1797, 65):
        pixels, target = table[:, :-1].reshape(-1, 8, 8), table[:, -1]
    else:
        from sklearn.datasets import load_digits

        digits = load_digits()
        pixels, target = digits.images, digits.target
    images = np.round(pixels * (255.0 / 16.0)).astype(np.uint8)
    return images, target.astype(np.int64)


def stratified_split(labels, test_fraction: float = 0.2, seed: int = 0):
    """Split indices into (train, test), keeping every class's share equal.

    The same labels and seed always give the same split, which is what makes
    results comparable between notebooks. Taught in 05_nn_models.
    """
    import numpy as np
    from sklearn.model_selection import train_test_split

    indices = np.arange(len(labels))
    train_idx, test_idx = train_test_split(
        indices, test_size=test_fraction, stratify=labels, random_state=seed
    )
    return np.sort(train_idx), np.sort(test_idx)


class DigitsCNN(torch.nn.Module):
    """A small CNN for small square images: two 3x3 convolutions with BatchNorm, one 2x2 max-pool, a linear layer.

    The defaults fit the digits (1 channel, 8x8, 10 classes); pass what your data has. ``dropout=0.0``
    turns dropout off. Taught in 12_putting_it_together; trained across processes in 13_distributed_training.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, image_size: int = 8,
                 channels: int = 32, dropout: float = 0.25):
        super().__init__()
        if image_size % 2:
            raise ValueError(f"DigitsCNN: image_size must be even (the max-pool halves it), got {image_size}")
        nn = torch.nn
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, channels, kernel_size=3, padding=1),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, kernel_size=3, padding=1),
            nn.BatchNorm2d(2 * channels),
            nn.ReLU(),
            nn.MaxPool2d(2),  # image_size x image_size -> half that
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(2 * channels * (image_size // 2) ** 2, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
