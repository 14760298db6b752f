"""Checks for the exercises of 03_custom_autograd_functions.

Each check takes the reader's ``torch.autograd.Function`` subclass, runs it forward and backward on inputs
it builds itself (from a local generator), and says what is wrong: a forward with the wrong values, a
backward that ``gradcheck`` rejects, a gradient that differs from the one asked for.
"""

from __future__ import annotations

import numpy as np
import torch

from helpers.exercises import NotDoneYet, exercise, expect


def _inputs(seed: int, n: int = 12) -> torch.Tensor:
    """float64 inputs in [-3, 3] that keep 0.05 away from 0 and from +-1, the kinks of the exercises."""
    x = torch.empty(n, dtype=torch.float64).uniform_(-3, 3, generator=torch.Generator().manual_seed(seed))
    for kink in (-1.0, 0.0, 1.0):
        near = (x - kink).abs() < 0.05
        x[near] = kink + 0.05 * torch.where(x[near] >= kink, 1.0, -1.0).double()
    return x


def _forward(function, x: torch.Tensor) -> torch.Tensor:
    """``function.apply(x)``; NotDoneYet while the forward still returns ``...``."""
    output = function.apply(x.detach().clone().requires_grad_())
    if output is ... or output is None:
        raise NotDoneYet
    expect(isinstance(output, torch.Tensor), f"forward returned {type(output).__name__}, not a tensor")
    return output


def _gradient(function, x: torch.Tensor, upstream: torch.Tensor) -> torch.Tensor:
    """The gradient ``function``'s backward gives ``x`` for ``upstream``; NotDoneYet while it returns ``...``."""
    x = x.detach().clone().requires_grad_()
    output = function.apply(x)
    try:
        (grad,) = torch.autograd.grad(output, x, upstream)
    except RuntimeError as error:
        if "got ellipsis" in str(error):  # the backward still returns the skeleton's `...`
            raise NotDoneYet from None
        raise
    expect(grad is not None, "backward returned None for the input: it must return the input's gradient")
    return grad


@exercise(1)
def check_exercise_1(function) -> None:
    """``MySquare``: forward x ** 2, backward 2 x grad_output, checked with gradcheck."""
    x = _inputs(1)
    output = _forward(function, x)
    expect(torch.allclose(output.detach(), x**2), f"forward gives {output.detach()[:3].tolist()} for "
           f"x = {x[:3].tolist()}, expected x ** 2 = {(x[:3] ** 2).tolist()}")
    upstream = torch.linspace(-1, 2, len(x), dtype=torch.float64)
    grad = _gradient(function, x, upstream)
    expected = 2 * x * upstream
    ratio = (grad / expected).median().item()
    expect(torch.allclose(grad, expected), f"backward gives {grad[:3].tolist()}, expected 2 * x * grad_output = "
           f"{expected[:3].tolist()} (yours is {ratio:.3g} times that)")
    passes = torch.autograd.gradcheck(function.apply, (x.clone().requires_grad_(),), raise_exception=False)
    expect(passes, "gradcheck rejects the backward")


@exercise(2)
def check_exercise_2(function) -> None:
    """``ClippedStraightThroughSign``: forward sign(x), backward grad_output where |x| <= 1, else 0."""
    x = torch.cat([_inputs(2, n=16), torch.tensor([-1.0, 1.0], dtype=torch.float64)])  # |x| = 1 is inside
    output = _forward(function, x)
    expect(torch.equal(output.detach(), torch.sign(x)), f"forward gives {output.detach()[:4].tolist()} for "
           f"x = {x[:4].tolist()}, expected torch.sign(x) = {torch.sign(x[:4]).tolist()}")
    upstream = torch.linspace(0.5, 2, len(x), dtype=torch.float64)
    grad = _gradient(function, x, upstream)
    inside = x.abs() <= 1
    passed = grad[inside] == upstream[inside]
    expect(bool(passed.all()),
           "where |x| <= 1 the backward must pass grad_output through unchanged "
           f"(x = {x[inside][~passed][:2].tolist()}: gradient {grad[inside][~passed][:2].tolist()}, "
           f"grad_output {upstream[inside][~passed][:2].tolist()})")
    expect(torch.equal(grad[~inside], torch.zeros_like(grad[~inside])),
           f"where |x| > 1 the gradient must be 0 (x = {x[~inside][:2].tolist()}: "
           f"gradient {grad[~inside][:2].tolist()})")


@exercise(3)
def check_exercise_3(function) -> None:
    """``NumpyExp``: NumPy's exp as a Function with setup_context and a vmap rule."""
    x = _inputs(3, n=8)
    output = _forward(function, x)
    expect(torch.allclose(output.detach(), torch.exp(x)), f"forward gives {output.detach()[:2].tolist()}, "
           f"expected exp(x) = {torch.exp(x[:2]).tolist()}")
    upstream = torch.linspace(-1, 1, len(x), dtype=torch.float64)
    grad = _gradient(function, x, upstream)
    expect(torch.allclose(grad, torch.exp(x) * upstream), f"backward gives {grad[:2].tolist()}, expected "
           f"exp(x) * grad_output = {(torch.exp(x[:2]) * upstream[:2]).tolist()}")
    batch = x.reshape(2, 4)
    try:
        batched = torch.func.vmap(function.apply)(batch)
        columns = torch.func.vmap(function.apply, in_dims=1)(batch)  # the batch along dimension 1: 4 samples of 2
    except RuntimeError as error:
        message = str(error).split(". ")[0]
        raise AssertionError(f"torch.func.vmap fails: {message}") from None
    expect(torch.allclose(batched, torch.exp(batch)), "under vmap the Function gives other values than exp")
    expect(columns.shape == (4, 2) and torch.allclose(columns, torch.exp(batch).T),
           f"vmap with in_dims=1 over a {tuple(batch.shape)} batch gives shape {tuple(columns.shape)}, expected "
           "(4, 2): the vmap rule must return the dimension where the output's batch lies (in_dims[0] here)")
    expect(np.allclose(torch.func.grad(lambda t: function.apply(t).sum())(x).numpy(), torch.exp(x).numpy()),
           "torch.func.grad of the sum is not exp(x)")
