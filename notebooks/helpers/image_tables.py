"""Images listed in a table (a CSV of file paths and classes), read as a ``Dataset``."""

from __future__ import annotations

from pathlib import Path

import torch

#: The columns a digits table (CSV) must have: the image file and its class.
IMAGE_TABLE_COLUMNS = ("path", "class_")


def write_digits_png(folder, images=None, labels=None) -> Path:
    """Write the digits as PNG files plus a CSV listing them; return the CSV's path.

    Each image goes to ``folder/images/NNNN.png`` (8-bit grayscale); the CSV
    ``folder/digits.csv`` has the columns ``path`` (relative to ``folder``)
    and ``class_``, made with pandas. ``images``/``labels`` default to
    :func:`helpers.digits.load_digits_arrays`. Taught in 11_data_handling.
    """
    import pandas as pd
    from PIL import Image

    if images is None:
        from helpers.digits import load_digits_arrays

        images, labels = load_digits_arrays()
    folder = Path(folder)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    rows = []
    for index, (image, label) in enumerate(zip(images, labels)):
        relative = f"images/{index:04d}.png"
        Image.fromarray(image).save(folder / relative)
        rows.append((relative, int(label)))
    csv_path = folder / "digits.csv"
    pd.DataFrame(rows, columns=list(IMAGE_TABLE_COLUMNS)).to_csv(csv_path, index=False)
    return csv_path


def read_gray_image(path) -> torch.Tensor:
    """Read an image file (PNG, JPEG, ...) into a uint8 tensor of shape (1, H, W), one channel.

    The default loader of :class:`ImagesDataset`: Pillow opens the file in
    grayscale mode "L". torchvision's ``default_loader`` would convert it to
    three-channel RGB instead. Taught in 11_data_handling.
    """
    import numpy as np
    from PIL import Image

    with Image.open(path) as image:
        pixels = np.array(image.convert("L"), dtype=np.uint8)
    return torch.from_numpy(pixels).unsqueeze(0)


def _check_columns(df, source: str = "table") -> None:
    """Raise ``ValueError`` naming the columns of :data:`IMAGE_TABLE_COLUMNS` that ``df`` lacks.

    """
    missing = [name for name in IMAGE_TABLE_COLUMNS if name not in df.columns]
    if missing:
        raise ValueError(
            f"{source} lacks column(s) {', '.join(map(repr, missing))}: expected "
            f"{', '.join(map(repr, IMAGE_TABLE_COLUMNS))}, found {', '.join(map(repr, map(str, df.columns)))}"
        )


class ImagesDataset(torch.utils.data.Dataset):
    """Images listed in a table with the columns ``path`` and ``class_``.

    The 2017 article's ``ImagesDataset(df, transform, loader)``, made real:
    ``dataset[i]`` loads row ``i``'s image with ``loader`` (default
    :func:`read_gray_image`), applies ``transform`` and returns
    ``(image, class_)``. Relative paths are resolved against ``root``.
    Errors name the row and the file: a missing file raises
    ``FileNotFoundError``, an unreadable one ``ValueError``; a table without
    the expected columns raises ``ValueError`` naming them.

    It lives in this module, not in a notebook, because DataLoader workers
    started with "spawn" or "forkserver" unpickle the dataset in a fresh
    interpreter, which can import a module but cannot see a notebook's
    classes. Taught in 11_data_handling.
    """

    def __init__(self, df, transform=None, loader=None, root=None, source: str = "table"):
        _check_columns(df, source)
        # Plain lists rather than the DataFrame: cheap to send to worker
        # processes, and a worker does not need pandas to read them.
        self.paths = [str(p) for p in df["path"]]
        self.targets = [int(c) for c in df["class_"]]
        self.transform = transform
        self.loader = read_gray_image if loader is None else loader
        self.root = None if root is None else Path(root)
        self.source = source

    @classmethod
    def from_csv(cls, csv_path, transform=None, loader=None) -> ImagesDataset:
        """Read ``csv_path`` with pandas; its paths are relative to the CSV's folder."""
        import pandas as pd

        csv_path = Path(csv_path)
        return cls(pd.read_csv(csv_path), transform, loader, root=csv_path.parent, source=csv_path.name)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int):
        path = self.paths[index]
        full_path = Path(path) if self.root is None else self.root / path
        if not full_path.is_file():
            raise FileNotFoundError(f"{self.source} row {index}: image file {path!r} does not exist")
        try:
            image = self.loader(full_path)
        except Exception as error:
            raise ValueError(
                f"{self.source} row {index}: cannot read image file {path!r} ({type(error).__name__})"
            ) from error
        if self.transform is not None:
            image = self.transform(image)
        return image, self.targets[index]


def digits_transforms(train: bool):
    """torchvision v2 transforms for the 8x8 digits: uint8 image in, float32 (1, 8, 8) in [0, 1] out.

    For training: a random shift of up to one pixel (crop with padding) and a
    small random rotation and scaling. No flips: a mirrored 3 is no 3.
    Taught in 11_data_handling.
    """
    from torchvision.transforms import v2

    steps = [v2.ToImage()]
    if train:
        steps += [
            v2.RandomCrop(8, padding=1),
            v2.RandomAffine(degrees=10, scale=(0.9, 1.1)),
        ]
    steps.append(v2.ToDtype(torch.float32, scale=True))
    return v2.Compose(steps)


class DelayedReader:
    """An image reader that waits ``seconds`` before each read, imitating slow storage (a network disk, say).

    ``ImagesDataset(df, loader=DelayedReader(0.002))`` makes loading, not
    computing, the bottleneck: the case where DataLoader workers pay off.
    A class in this module (not a lambda) so that workers can unpickle it.
    Taught in 11_data_handling.
    """

    def __init__(self, seconds: float, loader=None):
        self.seconds = seconds
        self.loader = read_gray_image if loader is None else loader

    def __call__(self, path):
        import time

        time.sleep(self.seconds)
        return self.loader(path)


def seed_worker(worker_id: int) -> None:
    """A DataLoader ``worker_init_fn`` that seeds Python's ``random`` and NumPy from the worker's torch seed.

    The recipe of PyTorch's reproducibility notes. The DataLoader already seeds torch and ``random`` in
    each worker with ``base_seed + worker_id`` (``base_seed`` drawn from the loader's ``generator``) and
    NumPy with a seed derived from the two; this seeds ``random`` and NumPy from the worker's torch seed
    explicitly. A function in a module, so that workers started with "spawn" can unpickle it.
    Taught in 09_training_process.
    """
    import random

    import numpy as np

    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)
    random.seed(worker_seed)


class NumberStream(torch.utils.data.IterableDataset):
    """The numbers ``0 .. count - 1`` as a stream: an ``IterableDataset``, with or without sharding across workers.

    Each DataLoader worker runs its own copy of ``__iter__``. With ``shard=True`` a
    worker asks ``get_worker_info()`` which one it is and yields only every
    ``num_workers``-th number, so each number arrives once; with ``shard=False``
    every worker yields them all. A class in this module so that workers can unpickle it.
    Taught in 11_data_handling.
    """

    def __init__(self, count: int, shard: bool = True):
        self.count, self.shard = count, shard

    def __iter__(self):
        info = torch.utils.data.get_worker_info()  # None in the main process
        if info is None or not self.shard:
            return iter(range(self.count))
        return iter(range(info.id, self.count, info.num_workers))
