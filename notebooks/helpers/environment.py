"""Seeding, choosing the device, where notebooks write, and the environment check."""

from __future__ import annotations

import os
import platform
import random
import re
import warnings
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
            device = torch.device(wanted)
        except RuntimeError as error:
            raise ValueError(f"{DEVICE_VARIABLE}={wanted!r} is not a device torch knows ({error})") from None
        if device.type in ("cuda", "mps", "xpu") and not getattr(torch, device.type).is_available():
            raise ValueError(f"{DEVICE_VARIABLE}={wanted!r}, but this machine's torch finds no {device.type} device; "
                             f"set {DEVICE_VARIABLE}=cpu or leave it unset")
        problem = _unsupported_gpu(device)
        if problem:
            raise ValueError(f"{DEVICE_VARIABLE}={wanted!r}: {problem}; set {DEVICE_VARIABLE}=cpu or leave it unset")
        return device
    accelerator = torch.accelerator.current_accelerator(check_available=True)
    device = torch.device(accelerator.type) if accelerator is not None else torch.device("cpu")
    problem = _unsupported_gpu(device)
    if problem:
        # Only on such a GPU: everywhere else get_device() prints nothing.
        warnings.warn(f"{problem}. Using the CPU instead.", UserWarning, stacklevel=2)
        return torch.device("cpu")
    return device


def _runs_on(arch: str, capability: tuple[int, int]) -> bool:
    """Whether code built for ``arch`` (an entry of ``torch.cuda.get_arch_list()``) runs on a GPU of ``capability``.

    ``sm_86`` is machine code for compute capability 8.6: it runs on 8.6 and later GPUs of the same major
    version (8.9), not on 7.5 or 9.0. ``sm_90a`` runs on 9.0 only. ``compute_90`` is PTX, which the driver
    compiles for any GPU of capability 9.0 or newer.
    """
    kind, _, number = arch.partition("_")
    parts = re.fullmatch(r"(\d+)(\d)([af]?)", number)
    if parts is None or kind not in ("sm", "compute"):
        return False
    built = (int(parts[1]), int(parts[2]))
    if kind == "compute":
        return capability >= built
    if parts[3] == "a":
        return capability == built
    return capability[0] == built[0] and capability[1] >= built[1]


def _unsupported_gpu(device: torch.device) -> str | None:
    """Why this torch build cannot run on the CUDA GPU ``device``, or None when it can (or it is no CUDA GPU)."""
    if device.type != "cuda" or torch.version.cuda is None:  # ROCm builds list gfx targets, not sm_XY
        return None
    archs = torch.cuda.get_arch_list()
    capability = tuple(torch.cuda.get_device_capability(device))
    if not archs or any(_runs_on(arch, capability) for arch in archs):
        return None
    return (f"the GPU {torch.cuda.get_device_name(device)} has compute capability {capability[0]}.{capability[1]}, "
            f"and this torch {torch.__version__} (CUDA {torch.version.cuda}) runs only on {', '.join(archs)}")


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
