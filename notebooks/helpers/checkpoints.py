"""Training checkpoints that are written atomically and resume training exactly."""

from __future__ import annotations

from pathlib import Path

import torch

_RNG_KEYS = frozenset({"torch_rng", "cuda_rng", "mps_rng", "generator"})
"""The parts of a checkpoint that hold random number generator states: always loaded as CPU byte tensors."""


def _moved(value, device):
    """``value`` with every tensor in it (in dicts, lists and tuples too) moved to ``device``."""
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, dict):
        return {key: _moved(item, device) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_moved(item, device) for item in value)
    return value


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
    batches) and of torch's global random number generators (CPU, and every CUDA GPU
    or Apple's MPS device when there is one), plus any ``extra`` plain values. Only tensors and plain
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
    if torch.backends.mps.is_available():
        state["mps_rng"] = torch.mps.get_rng_state()
    state.update(extra)
    return save_atomically(state, path)


def load_checkpoint(path: Path | str, *, model=None, optimizer=None, scheduler=None,
                    generator: torch.Generator | None = None, map_location="cpu",
                    restore_rng: bool = True) -> dict:
    """Read a checkpoint written by ``save_checkpoint`` and restore it into the given objects.

    Each object passed (model, optimizer, scheduler, generator) gets its state back;
    with ``restore_rng`` torch's global generators do too, so training continues
    exactly where it stopped. The file is read on the CPU; every tensor except the
    random number generator states is then moved to ``map_location`` (the CPU by
    default, which also works for files saved on a GPU), and ``model`` and
    ``optimizer`` copy them to wherever their parameters live. The generator states
    stay CPU byte tensors whatever ``map_location`` is, because that is the only
    kind ``Generator.set_state`` and ``torch.set_rng_state`` accept. Returns the
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
        # On the CPU first: RNG states must stay CPU byte tensors (see _RNG_KEYS).
        state = torch.load(path, map_location="cpu", weights_only=True)
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
    if torch.device(map_location) != torch.device("cpu"):
        state = {key: value if key in _RNG_KEYS else _moved(value, map_location) for key, value in state.items()}
    if model is not None:
        model.load_state_dict(state["model"])
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    if generator is not None:
        generator.set_state(state["generator"])  # a CPU byte tensor, whatever map_location is
    if restore_rng:
        torch.set_rng_state(state["torch_rng"])
        if "cuda_rng" in state and torch.cuda.is_available():
            # Only as many GPUs as this machine has (the file may come from a bigger one).
            for index, rng in enumerate(state["cuda_rng"][: torch.cuda.device_count()]):
                torch.cuda.set_rng_state(rng, index)
        if "mps_rng" in state and torch.backends.mps.is_available():
            torch.mps.set_rng_state(state["mps_rng"])
    return state
