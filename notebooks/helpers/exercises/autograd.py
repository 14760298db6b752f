"""The exercise checks of 02_autograd (see ``helpers.exercises`` for how a check reports)."""

from __future__ import annotations

import inspect

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
    # A closed-form fit (torch.linalg.lstsq, the normal equations) also lands near w_true; two steps tell
    # gradient descent apart: from zero weights, each step is w <- w - learning_rate * 2/n * x^T (x @ w - y).
    expected = torch.zeros(3, 1)
    for _ in range(2):
        expected = expected - 0.1 * 2 / len(x) * x.T @ (x @ expected - y)
    two_steps = fit_by_hand(x, y, steps=2)
    expect(isinstance(two_steps, torch.Tensor) and two_steps.shape == (3, 1)
           and torch.allclose(two_steps.detach().cpu(), expected, atol=1e-5),
           f"fit_by_hand(x, y, steps=2) should take two gradient-descent steps from zero weights, giving "
           f"{[round(v, 4) for v in expected.flatten().tolist()]}; it gave "
           f"{two_steps.detach().flatten().tolist() if isinstance(two_steps, torch.Tensor) else two_steps}")


@exercise(4)
def check_exercise_4(jacobian) -> None:
    """``jacobian(f, x)``: the Jacobian of ``f`` at ``x`` built from one backward per output entry.

    Taught in 02_autograd.
    """

    def f(x):  # from 3 inputs to 2 outputs, a Jacobian that is neither square nor symmetric
        return torch.stack([x[0] * x[1], x[1] + x[2] ** 2])

    calls = []

    def counted_f(x):
        calls.append(1)
        return f(x)

    x = torch.randn(3, generator=_generator())
    result = jacobian(counted_f, x.clone())
    if result is None:
        raise NotDoneYet
    try:
        source = inspect.getsource(jacobian)
    except (OSError, TypeError):  # no source to read
        source = ""
    for name in ("torch.func", "jacrev", "jacfwd", "functional.jacobian"):
        expect(name not in source, f"jacobian uses {name}: build the rows yourself with torch.autograd.grad")
    expect(len(calls) == 1, f"f was called {len(calls)} times: compute y = f(x) once and take every row from it "
                            "with retain_graph=True")
    expect(isinstance(result, torch.Tensor), f"jacobian returned a {type(result).__name__}, not a tensor")
    expected = torch.func.jacrev(f)(x)
    expect(result.shape == expected.shape,
           f"the Jacobian has shape {tuple(result.shape)}, expected {tuple(expected.shape)}: "
           "one row per output, one column per input")
    expect(torch.allclose(result.detach(), expected, atol=1e-6),
           f"got {result.detach().tolist()}, expected {expected.tolist()}")
