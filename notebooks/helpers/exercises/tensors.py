"""The exercise checks of 01_tensors (see ``helpers.exercises`` for how a check reports)."""

from __future__ import annotations

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

from helpers.exercises import NotDoneYet, exercise, expect


def _generator() -> torch.Generator:
    return torch.Generator().manual_seed(1)


@exercise(1)
def check_exercise_1(eye) -> None:
    """``eye``: the 4x4 identity matrix, so that ``t @ eye`` is ``t``. Taught in 01_tensors."""
    if eye is ...:
        raise NotDoneYet
    expect(isinstance(eye, torch.Tensor), f"eye should be a tensor, not {type(eye).__name__}")
    expect(eye.shape == (4, 4), f"eye has shape {tuple(eye.shape)}, expected (4, 4)")
    expect(eye.dtype == torch.float32,
           f"eye is {eye.dtype}, expected torch.float32 (what torch.eye gives): t @ eye needs the dtype of t")
    t = torch.randn(4, 4, generator=_generator())
    expect(torch.equal(t @ eye.cpu(), t), f"t @ eye does not give t back: eye is {eye.tolist()}")


class _InPlaceCalls(TorchFunctionMode):
    """Records the names of the in-place tensor operations (``fill_``, ``x[...] = ...``) run inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name == "__setitem__" or (name.endswith("_") and not name.endswith("__")):
            self.names.append(name)
        return func(*args, **(kwargs or {}))


@exercise(2)
def check_exercise_2(wrap_and_fill) -> None:
    """``wrap_and_fill(array)``: wraps a NumPy array without copying and fills it with ones in place.

    Taught in 01_tensors.
    """
    array = np.zeros((2, 3))
    with _InPlaceCalls() as calls:
        wrapped = wrap_and_fill(array)
    if wrapped is None:
        raise NotDoneYet
    expect(isinstance(wrapped, torch.Tensor), f"wrap_and_fill returned a {type(wrapped).__name__}, not a tensor")
    expect(np.shares_memory(wrapped.numpy(), array),
           "the tensor does not share memory with the array: wrap it with torch.from_numpy, which does not copy")
    expect((array == 1).all(), f"the array should be all ones now, it is {array.tolist()}: fill the tensor in place")
    expect(calls.names, "the array holds ones, but no in-place tensor operation ran: NumPy filled it; "
                        "fill the tensor with fill_ and let the shared memory carry the ones to the array")


@exercise(3)
def check_exercise_3(predicted_shape) -> None:
    """``predicted_shape``: the shape of ``torch.randn(3, 1, 5) + torch.randn(4, 1)``. Taught in 01_tensors."""
    if predicted_shape is ...:
        raise NotDoneYet
    actual = (torch.zeros(3, 1, 5) + torch.zeros(4, 1)).shape
    expect(tuple(predicted_shape) == tuple(actual),
           f"you predicted {tuple(predicted_shape)}: align the shapes from the right, (3, 1, 5) against (4, 1)")


@exercise(4)
def check_exercise_4(centre_rows) -> None:
    """``centre_rows(scores)``: each row minus its own mean. Taught in 01_tensors."""
    scores = torch.randn(3, 4, generator=_generator()) + torch.arange(3.0)[:, None]
    centred = centre_rows(scores.clone())
    if centred is None:
        raise NotDoneYet
    expect(isinstance(centred, torch.Tensor), f"centre_rows returned a {type(centred).__name__}, not a tensor")
    expect(centred.shape == scores.shape,
           f"the result has shape {tuple(centred.shape)}, expected {tuple(scores.shape)}")
    row_sums = centred.sum(dim=1)
    expect(torch.allclose(row_sums, torch.zeros(3), atol=1e-5),
           f"each row should sum to 0, the row sums are {[round(v, 4) for v in row_sums.tolist()]}")
    expect(torch.allclose(centred, scores - scores.mean(dim=1, keepdim=True), atol=1e-6),
           "each row should keep its spread: subtract the row's mean, nothing else")


@exercise(5)
def check_exercise_5(pick) -> None:
    """``pick(scores, labels)``: entry ``scores[i, labels[i]]`` of every row, shape ``(n,)``. Taught in 01_tensors."""
    scores = torch.randn(5, 4, generator=_generator())
    labels = torch.tensor([3, 0, 2, 2, 1])
    picked = pick(scores, labels)
    if picked is None:
        raise NotDoneYet
    expect(isinstance(picked, torch.Tensor), f"pick returned a {type(picked).__name__}, not a tensor")
    expect(picked.shape == (5,), f"the result has shape {tuple(picked.shape)}, expected (5,): one entry per row")
    expected = torch.stack([scores[i, label] for i, label in enumerate(labels.tolist())])
    expect(torch.equal(picked, expected),
           f"picked {[round(v, 4) for v in picked.tolist()]}, expected {[round(v, 4) for v in expected.tolist()]}")
