"""Gradient checks for notebook 03's custom autograd Functions (its own cells) and helpers.autograd_graphs."""

from __future__ import annotations

import pytest
import torch

from conftest import notebook_definitions
from helpers.autograd_graphs import autograd_graph, node_label

_lesson = notebook_definitions("03_custom_autograd_functions.ipynb", "MyReLU", "StraightThroughRound")
MyReLU, StraightThroughRound = _lesson["MyReLU"], _lesson["StraightThroughRound"]


def away_from(points: torch.Tensor, generator: torch.Generator, n: int = 64) -> torch.Tensor:
    """float64 inputs in [-3, 3] kept at least 0.05 away from every kink in ``points``.

    Finite differences across a kink (0 for ReLU, k + 0.5 for rounding) are meaningless.
    """
    x = torch.empty(n, dtype=torch.float64).uniform_(-3, 3, generator=generator)
    for p in points:
        near = (x - p).abs() < 0.05
        x[near] = p + 0.05 * torch.where(x[near] >= p, 1.0, -1.0).double()
    return x.requires_grad_()


@pytest.fixture
def generator():
    return torch.Generator().manual_seed(0)


def test_myrelu_passes_gradcheck_in_float64(generator):
    x = away_from(torch.tensor([0.0]), generator)
    assert torch.autograd.gradcheck(MyReLU.apply, (x,), eps=1e-6, atol=1e-5)


def test_myrelu_matches_torch_relu_forward_and_backward(generator):
    x = torch.randn(8, 5, generator=generator)
    x[0] = 0.0  # at exactly 0 torch.relu's gradient is 0: MyReLU must agree there too
    x.requires_grad_()
    x_ref = x.detach().clone().requires_grad_()
    upstream = torch.randn(8, 5, generator=generator)
    out, ref = MyReLU.apply(x), torch.relu(x_ref)
    assert torch.equal(out, ref)
    out.backward(upstream)
    ref.backward(upstream)
    assert torch.equal(x.grad, x_ref.grad)


def test_myrelu_leaves_its_input_untouched():
    x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    MyReLU.apply(x).sum().backward()
    assert torch.equal(x.detach(), torch.tensor([-1.0, 0.0, 2.0]))
    assert torch.equal(x.grad, torch.tensor([0.0, 0.0, 1.0]))


def test_straight_through_round_rounds_forward_and_passes_the_gradient_through():
    x = torch.tensor([-1.7, -0.2, 0.4, 1.6, 2.3], requires_grad=True)
    y = StraightThroughRound.apply(x)
    assert torch.equal(y, torch.round(x.detach()))
    (3.0 * y).sum().backward()
    assert torch.equal(x.grad, torch.full_like(x, 3.0))  # d(3y)/dy = 3, passed straight through
    # The true derivative of rounding, which autograd uses for torch.round, is zero.
    x_true = x.detach().clone().requires_grad_()
    (3.0 * torch.round(x_true)).sum().backward()
    assert torch.equal(x_true.grad, torch.zeros_like(x_true))


def test_straight_through_round_is_deliberately_not_the_true_derivative(generator):
    # gradcheck compares backward with finite differences of forward. Away from the
    # jumps, rounding is flat (numerical derivative 0) while the backward says 1, so
    # gradcheck must report a mismatch: that is the point of a straight-through estimator.
    x = away_from(torch.arange(-3, 3) + 0.5, generator)
    assert not torch.autograd.gradcheck(StraightThroughRound.apply, (x,), raise_exception=False)


def test_autograd_graph_of_the_classic_example():
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    nodes, edges = autograd_graph(out)
    assert [node_label(n) for n in nodes] == [
        "MeanBackward0", "MulBackward0", "MulBackward0", "AddBackward0", "AccumulateGrad [2, 2]",
    ]
    assert nodes[0] is out.grad_fn and nodes[1] is z.grad_fn and nodes[3] is y.grad_fn
    assert nodes[4].variable is x
    assert edges == [(0, 1), (1, 2), (2, 3), (2, 3), (3, 4)]  # y * y: two edges to the same node


def test_autograd_graph_rejects_a_leaf():
    with pytest.raises(ValueError, match="no grad_fn"):
        autograd_graph(torch.ones(2, requires_grad=True))
