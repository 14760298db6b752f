"""The exercise checks of 02_autograd (see ``helpers.exercises`` for how a check reports)."""

from __future__ import annotations

import torch

from helpers.exercises import NotDoneYet, exercise, expect


def _generator() -> torch.Generator:
    return torch.Generator().manual_seed(2)


@exercise(1)
def check_exercise_1(expected_grad) -> None:
    """``expected_grad``: ``x.grad`` after ``(x ** 3).sum().backward()`` at ``x = [1, 2, 3]``. Taught in 02_autograd."""
    if expected_grad is ...:
        raise NotDoneYet
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x**3).sum().backward()
    given = [float(v) for v in expected_grad]
    expect(len(given) == 3, f"give three numbers, one per entry of x (you gave {len(given)})")
    expect(given == x.grad.tolist(), f"you said {given}; differentiate x ** 3 and evaluate at 1, 2 and 3")


@exercise(2)
def check_exercise_2(derivative) -> None:
    """``derivative``: d out / d x_i for ``out = (x * x + x).mean()`` at ``x = 1`` (2x2). Taught in 02_autograd."""
    if derivative is ...:
        raise NotDoneYet
    x = torch.ones(2, 2, requires_grad=True)
    (x * x + x).mean().backward()
    expect(abs(float(derivative) - x.grad[0, 0].item()) < 1e-6,
           f"you said {float(derivative)}; remember that mean divides by the 4 entries")


@exercise(3)
def check_exercise_3(fit_by_hand) -> None:
    """``fit_by_hand(x, y)``: gradient descent from zero weights recovers a linear model's weights.

    Taught in 02_autograd.
    """
    generator = _generator()
    w_true = torch.tensor([[1.0], [-2.0], [0.5]])
    x = torch.randn(30, 3, generator=generator)
    y = x @ w_true + 0.05 * torch.randn(30, 1, generator=generator)
    w = fit_by_hand(x, y)
    if w is None:
        raise NotDoneYet
    expect(isinstance(w, torch.Tensor), f"fit_by_hand returned a {type(w).__name__}, not a tensor")
    expect(w.shape == (3, 1), f"the weights have shape {tuple(w.shape)}, expected (3, 1)")
    learned = [round(v, 3) for v in w.detach().flatten().tolist()]
    expect(w.detach().any(), "the weights are still zero: update them with the gradient")
    expect(torch.allclose(w.detach(), w_true, atol=0.1),
           f"learned {learned}, expected within 0.1 of {w_true.flatten().tolist()}")


@exercise(4)
def check_exercise_4(jacobian) -> None:
    """``jacobian(f, x)``: the Jacobian of ``f`` at ``x`` built from one backward per output entry.

    Taught in 02_autograd.
    """

    def f(x):  # from 3 inputs to 2 outputs, a Jacobian that is neither square nor symmetric
        return torch.stack([x[0] * x[1], x[1] + x[2] ** 2])

    x = torch.randn(3, generator=_generator())
    result = jacobian(f, x.clone())
    if result is None:
        raise NotDoneYet
    expect(isinstance(result, torch.Tensor), f"jacobian returned a {type(result).__name__}, not a tensor")
    expected = torch.func.jacrev(f)(x)
    expect(result.shape == expected.shape,
           f"the Jacobian has shape {tuple(result.shape)}, expected {tuple(expected.shape)}: "
           "one row per output, one column per input")
    expect(torch.allclose(result.detach(), expected, atol=1e-6),
           f"got {result.detach().tolist()}, expected {expected.tolist()}")
