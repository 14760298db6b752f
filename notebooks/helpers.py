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


def read_pins(requirements_file: Path | str = REPO_ROOT / "requirements.txt") -> dict[str, str]:
    """``{distribution name: pinned version}`` from a requirements file of ``name==version`` lines.

    Taught in 00_before_you_start.
    """
    pins = {}
    for number, raw in enumerate(Path(requirements_file).read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not name.strip() or not version.strip():
            raise ValueError(f"{requirements_file}, line {number}: expected 'name==version', got {raw!r}")
        pins[name.strip()] = version.strip()
    return pins


def check_environment(pins: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """Check that every pinned package is installed; return the ones at another version.

    ``pins`` defaults to requirements.txt. Nothing is imported (so the check is
    fast); versions come from the installed distributions' metadata. Raises
    ``ImportError`` naming every missing package at once, with the command that
    installs them. Returns ``{name: (pinned, installed)}`` for version mismatches.
    Taught in 00_before_you_start.
    """
    from importlib import metadata

    pins = read_pins() if pins is None else pins
    missing, mismatched = [], {}
    for name, pinned in pins.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        if installed != pinned:
            mismatched[name] = (pinned, installed)
    if missing:
        raise ImportError(
            f"missing package(s): {', '.join(missing)}. From the repository root, "
            "`make lab` (or `make test`) builds .venv with everything in requirements.txt."
        )
    return mismatched


# ---------------------------------------------------------------------------
# Autograd (02-05)
# ---------------------------------------------------------------------------


def autograd_graph(root: torch.Tensor) -> tuple[list, list[tuple[int, int]]]:
    """Walk the autograd graph behind ``root`` by following ``grad_fn.next_functions``.

    Returns ``(nodes, edges)``: ``nodes`` are the backward nodes (``MeanBackward0``,
    ``AccumulateGrad``, ...) in breadth-first order from ``root.grad_fn``; ``edges``
    holds one ``(parent index, child index)`` pair per ``next_functions`` entry, so
    a tensor used twice (``y * y``) gives two edges. ``None`` entries (inputs that
    need no gradient, such as the constant in ``x + 2``) are skipped. Taught in
    02_autograd; ``scripts/make_images.py`` draws ``images/autograd_graph.png`` from it.
    """
    if root.grad_fn is None:
        raise ValueError("autograd_graph: the tensor has no grad_fn (a leaf, or made without tracking)")
    nodes, edges, index = [root.grad_fn], [], {root.grad_fn: 0}
    for parent in nodes:  # the list grows while we walk it: a breadth-first search
        for child, _ in parent.next_functions:
            if child is None:
                continue
            if child not in index:
                index[child] = len(nodes)
                nodes.append(child)
            edges.append((index[parent], index[child]))
    return nodes, edges


def node_label(node) -> str:
    """A backward node's type name; an ``AccumulateGrad`` also shows its leaf's shape.

    Taught in 02_autograd.
    """
    name = type(node).__name__
    if hasattr(node, "variable"):  # AccumulateGrad: the node that writes a leaf's .grad
        name += f" {list(node.variable.shape)}"
    return name


class MyReLU(torch.autograd.Function):
    """ReLU written by hand as an autograd Function (the 2017 article's example, today's API).

    ``forward`` and ``backward`` are static methods that receive a context object
    ``ctx``; call it as ``MyReLU.apply(x)``, never on an instance. Taught in
    03_custom_autograd_functions.
    """

    @staticmethod
    def forward(ctx, input: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(input)  # kept for backward, checked against in-place edits
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input <= 0] = 0  # relu'(x) is 1 for x > 0, else 0 (at 0 too, as in torch.relu)
        return grad_input


class StraightThroughRound(torch.autograd.Function):
    """Round to the nearest integer forward; pass the gradient straight through backward.

    The true derivative of rounding is 0 almost everywhere, so nothing before a
    ``torch.round`` could learn. The straight-through estimator pretends the
    forward was the identity and returns ``grad_output`` unchanged: deliberately
    not the true derivative (``gradcheck`` says so). Used to train quantised and
    binarised networks. Taught in 03_custom_autograd_functions.
    """

    @staticmethod
    def forward(ctx, input: torch.Tensor) -> torch.Tensor:
        return torch.round(input)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        return grad_output


# ---------------------------------------------------------------------------
# Training process (06-09)
# ---------------------------------------------------------------------------


class CheckpointError(RuntimeError):
    """A checkpoint file exists but cannot be used: truncated, corrupt, or not a checkpoint.

    The message always names the file. Taught in 09_training_process.
    """


def save_atomically(obj, path: Path | str) -> Path:
    """``torch.save(obj, path)`` in a way that never leaves ``path`` half-written.

    The object is written to a temporary file in the same folder, flushed to the
    disk, and only then renamed over ``path`` with ``os.replace``. A rename within
    one file system is atomic: anyone reading ``path`` (including a resume after a
    crash) sees either the previous complete file or the new complete file. If
    anything fails on the way, the temporary file is removed, the previous file is
    left untouched and the error is raised. Taught in 09_training_process.
    """
    import os
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Same folder as the target: os.replace is only atomic within one file system.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as file:
            torch.save(obj, file)
            file.flush()
            os.fsync(file.fileno())  # the bytes are on the disk before the name points at them
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # POSIX: make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path


def save_checkpoint(path: Path | str, *, model, epoch: int, optimizer=None, scheduler=None,
                    generator: torch.Generator | None = None, **extra) -> Path:
    """Write everything needed to resume training exactly, atomically (see ``save_atomically``).

    Stores ``epoch`` (the number of finished epochs), the state dicts of the model,
    optimizer and scheduler, the state of ``generator`` (the one that shuffles the
    batches) and of torch's global random number generators (CPU, and every GPU
    when there is one), plus any ``extra`` plain values. Only tensors and plain
    Python containers are stored, so ``torch.load(..., weights_only=True)`` reads it.
    Taught in 09_training_process.
    """
    state = {"epoch": int(epoch), "model": model.state_dict(), "torch_rng": torch.get_rng_state()}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    if generator is not None:
        state["generator"] = generator.get_state()
    if torch.cuda.is_available():
        state["cuda_rng"] = torch.cuda.get_rng_state_all()
    state.update(extra)
    return save_atomically(state, path)


def load_checkpoint(path: Path | str, *, model=None, optimizer=None, scheduler=None,
                    generator: torch.Generator | None = None, map_location="cpu",
                    restore_rng: bool = True) -> dict:
    """Read a checkpoint written by ``save_checkpoint`` and restore it into the given objects.

    Each object passed (model, optimizer, scheduler, generator) gets its state back;
    with ``restore_rng`` torch's global generators do too, so training continues
    exactly where it stopped. Tensors are loaded onto ``map_location`` first (the
    CPU by default, which also works for files saved on a GPU); ``model`` and
    ``optimizer`` then copy them to wherever their parameters live. Returns the
    whole checkpoint dict (``state["epoch"]`` is where to continue).

    Raises ``FileNotFoundError`` if there is no file, and ``CheckpointError``
    (naming the file) if it is truncated, corrupt, refused by the safe
    ``weights_only`` loader, or lacks a part that was asked for.
    Taught in 09_training_process.
    """
    import pickle
    import re

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint file at {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises RuntimeError, EOFError, KeyError, UnpicklingError, ...
        message = re.sub(r"\x1b\[[0-9;]*m", "", str(err)).strip()
        # The first sentence of torch's message is enough; some run to a paragraph.
        detail = f"{type(err).__name__}: {message.splitlines()[0].split('. ')[0]}" if message else type(err).__name__
        if path.stat().st_size == 0:
            reason = "the file is empty"
        elif isinstance(err, pickle.UnpicklingError) and "unsupported global" in message.lower():
            refused = re.search(r"Unsupported global: GLOBAL (\S+)", message)
            reason = (f"it holds Python objects that the safe weights_only loader refuses "
                      f"({refused.group(1) if refused else 'a class'}: a whole pickled model?); "
                      "save state_dicts instead")
        else:
            reason = "it is truncated or corrupt, or was not written by torch.save"
        raise CheckpointError(f"cannot load checkpoint {path}: {reason} ({detail})") from err
    if not isinstance(state, dict) or "model" not in state or "epoch" not in state:
        raise CheckpointError(f"{path} is not a training checkpoint: expected a dict with 'epoch' and 'model'")
    wanted = {"optimizer": optimizer, "scheduler": scheduler, "generator": generator}
    missing = [name for name, obj in wanted.items() if obj is not None and name not in state]
    if missing:
        raise CheckpointError(f"checkpoint {path} has no {', '.join(missing)} state to restore")
    if model is not None:
        model.load_state_dict(state["model"])
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    if generator is not None:
        generator.set_state(state["generator"])
    if restore_rng:
        torch.set_rng_state(state["torch_rng"].cpu())
        if "cuda_rng" in state and torch.cuda.is_available():
            # Only as many GPUs as this machine has (the file may come from a bigger one).
            for index, rng in enumerate(state["cuda_rng"][: torch.cuda.device_count()]):
                torch.cuda.set_rng_state(rng.cpu(), index)
    return state


# ---------------------------------------------------------------------------
# Data and the digits model (10-13)
# ---------------------------------------------------------------------------


def load_digits_arrays():
    """The UCI handwritten digits that scikit-learn ships: 1797 images, 8x8.

    Returns ``(images, labels)`` as NumPy arrays: ``images`` is uint8 of shape
    (1797, 8, 8) scaled from the original 0..16 to 0..255, ``labels`` is int64.
    Nothing is downloaded. The table is read straight from scikit-learn's
    package data (``sklearn/datasets/data/digits.csv.gz``, what
    ``sklearn.datasets.load_digits`` reads), which skips importing
    scikit-learn and SciPy (seconds); if that file ever moves, it falls back
    to ``load_digits``. Taught in 11_data_handling.
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
    results comparable between notebooks. Taught in 09_training_process.
    """
    import numpy as np
    from sklearn.model_selection import train_test_split

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


def quiet_tensorboard() -> None:
    """Let TensorBoard's writer and reader work without importing TensorFlow.

    ``torch.utils.tensorboard`` only writes event files, but TensorBoard looks
    for TensorFlow to get a file-system layer and imports it when installed:
    seconds of start-up and C++ log lines on stderr. TensorBoard ships a stub
    for exactly this case and uses it when a module named
    ``tensorboard.compat.notf`` exists; this registers that (empty) module.
    Call it before the first ``from torch.utils.tensorboard import ...``; it
    also tells TensorFlow, should anything still import it, to keep quiet.
    Taught in 10_logging.
    """
    import os
    import sys
    import types

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))


#: The columns a digits table (CSV) must have: the image file and its class.
IMAGE_TABLE_COLUMNS = ("path", "class_")


def write_digits_png(folder, images=None, labels=None) -> Path:
    """Write the digits as PNG files plus a CSV listing them; return the CSV's path.

    Each image goes to ``folder/images/NNNN.png`` (8-bit grayscale); the CSV
    ``folder/digits.csv`` has the columns ``path`` (relative to ``folder``)
    and ``class_``, made with pandas. ``images``/``labels`` default to
    :func:`load_digits_arrays`. Taught in 11_data_handling.
    """
    import pandas as pd
    from PIL import Image

    if images is None:
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


def check_columns(df, source: str = "table") -> None:
    """Raise ``ValueError`` naming the columns of :data:`IMAGE_TABLE_COLUMNS` that ``df`` lacks.

    Taught in 11_data_handling.
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
        check_columns(df, source)
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


class SlowLoader:
    """A loader that waits ``seconds`` before each read, imitating slow storage (a network disk, say).

    ``ImagesDataset(df, loader=SlowLoader(0.002))`` makes loading, not
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
