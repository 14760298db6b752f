"""Seeding, choosing the device, where notebooks write, and the environment check."""

from __future__ import annotations

import os
import platform
import random
from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Everything a notebook writes lands below this folder, which git ignores. SERIES_OUTPUT_DIR moves it
#: (the test suite does, to run a notebook twice at once).
OUTPUT_DIR = Path(os.environ.get("SERIES_OUTPUT_DIR") or REPO_ROOT / "output")
#: The file that pins every direct dependency of the series (its ``[project] dependencies``).
PYPROJECT = REPO_ROOT / "pyproject.toml"
#: Set it to ``cpu``, ``cuda``, ``mps``, ... to override the device ``get_device`` picks.
DEVICE_VARIABLE = "SERIES_DEVICE"


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


def shown_path(path: Path | str) -> str:
    """``path`` as a notebook prints it: relative to the repository root, with ``/`` on every system.

    ``shown_path(output_path("00_before_you_start", "hello.txt"))`` is ``output/00_before_you_start/hello.txt``
    on Linux, macOS and Windows alike; a path outside the repository keeps only its file name, so no
    printed path reveals a machine's folders. Taught in 00_before_you_start.
    """
    path = Path(path).resolve()
    # The output folder prints as output/ even where SERIES_OUTPUT_DIR moved it.
    for root, shown in ((OUTPUT_DIR.resolve(), Path("output")), (REPO_ROOT.resolve(), Path())):
        if path == root or root in path.parents:
            return (shown / path.relative_to(root)).as_posix()
    return path.name


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and every accelerator) and return a seeded CPU generator.

    Pass the generator to a DataLoader (``generator=``) or to ``torch.randn(..., generator=g)``
    so that the numbers do not depend on what ran before. Taught in 00_before_you_start.
    """
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA, MPS and XPU device
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


def get_device() -> torch.device:
    """The device to compute on: the accelerator PyTorch finds (CUDA, Apple's MPS, XPU, ...), else the CPU.

    Set the environment variable ``SERIES_DEVICE`` (``cpu``, ``cuda``, ``mps``, ...) before starting
    Jupyter to choose yourself, e.g. to compare an accelerator with the CPU. Taught in 00_before_you_start;
    06_devices_and_cuda explains the pattern.
    """
    wanted = os.environ.get(DEVICE_VARIABLE, "").strip()
    if wanted:
        try:
            return torch.device(wanted)
        except RuntimeError as error:
            raise ValueError(f"{DEVICE_VARIABLE}={wanted!r} is not a device torch knows ({error})") from None
    accelerator = torch.accelerator.current_accelerator(check_available=True)
    return torch.device(accelerator.type) if accelerator is not None else torch.device("cpu")


def environment_summary(device: torch.device | None = None) -> str:
    """One line with the Python and torch versions, the device and the CPU threads, for a setup cell.

    Print it in a cell marked ``# NBVAL_IGNORE_OUTPUT``: versions and devices differ between
    machines. Taught in 00_before_you_start.
    """
    device = device or get_device()
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.machine()
    return (
        f"Python {platform.python_version()} | torch {torch.__version__} | "
        f"device {device.type} ({where}) | CPU threads {torch.get_num_threads()}"
    )


def pinned_versions(pyproject: Path | str = PYPROJECT) -> dict[str, str]:
    """``{distribution name: version}`` for every direct dependency this machine installs.

    Read from the ``[project] dependencies`` of ``pyproject.toml``, where each is pinned as
    ``name==version``; a dependency whose environment marker does not apply here (``tensorflow``
    on Linux x86-64, say, which gets ``tensorflow-cpu``) is left out. Raises ``ValueError`` naming
    the file and the entry for anything that is not an exact pin. Taught in 00_before_you_start.
    """
    import tomllib

    from packaging.requirements import InvalidRequirement, Requirement

    pyproject = Path(pyproject)
    entries = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = {}
    for entry in entries:
        try:
            requirement = Requirement(entry)
        except InvalidRequirement as error:
            raise ValueError(f"{pyproject}: dependency {entry!r} is not a valid requirement ({error})") from None
        specifiers = list(requirement.specifier)
        if len(specifiers) != 1 or specifiers[0].operator != "==":
            raise ValueError(f"{pyproject}: dependency {entry!r} must be pinned exactly, as name==version")
        if requirement.marker is None or requirement.marker.evaluate():
            pins[requirement.name] = specifiers[0].version
    return pins


def check_environment(pins: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """Check that every pinned package is installed; return the ones at another version.

    ``pins`` defaults to :func:`pinned_versions`. Nothing is imported (so the check is fast):
    versions come from the installed packages' metadata, and a local build label counts as the
    same version (``2.14.1+cpu`` is 2.14.1). Raises ``ImportError`` naming every missing package at
    once, with the command that installs them. Returns ``{name: (pinned, installed)}`` for
    mismatches. Taught in 00_before_you_start.
    """
    from importlib import metadata

    from packaging.version import Version

    pins = pinned_versions() if pins is None else pins
    missing, mismatched = [], {}
    for name, pinned in pins.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        if Version(installed).public != Version(pinned).public:
            mismatched[name] = (pinned, installed)
    if missing:
        raise ImportError(
            f"missing package(s): {', '.join(missing)}. From the repository root, "
            "`make lab` (or `make test`) builds .venv with every pinned package."
        )
    return mismatched
