"""The checks of 03_custom_autograd_functions: solutions pass, skeletons are "not done yet", wrong answers are wrong."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import notebook_definitions
from helpers.exercises.custom_autograd_functions import check_exercise_1, check_exercise_2, check_exercise_3

NAMES = ("MySquare", "ClippedStraightThroughSign", "NumpyExp")
SOLUTIONS = notebook_definitions("solutions/03_custom_autograd_functions.ipynb", *NAMES)
SKELETONS = notebook_definitions("03_custom_autograd_functions.ipynb", *NAMES)
CHECKS = {"MySquare": check_exercise_1, "ClippedStraightThroughSign": check_exercise_2, "NumpyExp": check_exercise_3}


def function(forward, backward, **attributes):
    """A Function with forward(ctx, x) and backward(ctx, grad_output, x)."""

    def _forward(ctx, x):
        ctx.save_for_backward(x)
        return forward(x)

    def _backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return backward(grad_output, x)

    namespace = {"forward": staticmethod(_forward), "backward": staticmethod(_backward), **attributes}
    return type("Answer", (torch.autograd.Function,), namespace)


@pytest.mark.parametrize("name", NAMES)
def test_solution_is_correct_and_skeleton_not_done(name):
    assert CHECKS[name].verdict(SOLUTIONS[name]).status == "correct"
    assert CHECKS[name].verdict(SKELETONS[name]).status == "not done yet"


def test_a_skeleton_with_only_the_forward_filled_in_is_not_done_yet():
    half = function(lambda x: x**2, lambda g, x: ...)
    assert check_exercise_1.verdict(half).status == "not done yet"


@pytest.mark.parametrize("answer, says", [
    (function(lambda x: x**2, lambda g, x: x * g), "0.5 times"),  # forgot the factor 2
    (function(lambda x: x**2, lambda g, x: g), "backward gives"),  # passes the gradient straight through
    (function(lambda x: 2 * x, lambda g, x: 2 * g), "expected x ** 2"),  # doubles instead of squaring
    (function(lambda x: x**2, lambda g, x: 2 * x), "backward gives"),  # forgot grad_output
])
def test_exercise_1_wrong(answer, says):
    result = check_exercise_1.verdict(answer)
    assert result.status == "wrong" and says in result.detail, result


@pytest.mark.parametrize("answer, says", [
    (function(torch.sign, lambda g, x: torch.zeros_like(g)), "unchanged"),  # the true derivative of sign
    (function(torch.sign, lambda g, x: g), "must be 0"),  # straight through everywhere, not clipped
    (function(lambda x: x, lambda g, x: g * (x.abs() <= 1)), "torch.sign"),  # forward forgot the sign
    (function(torch.sign, lambda g, x: g * (x.abs() < 1).double() * 2), "unchanged"),  # scaled by 2
    (function(torch.sign, lambda g, x: g * (x.abs() < 1)), "unchanged"),  # |x| < 1: drops the gradient at +-1
])
def test_exercise_2_wrong(answer, says):
    result = check_exercise_2.verdict(answer)
    assert result.status == "wrong" and says in result.detail, result


class CtxStyleExp(torch.autograd.Function):  # works eagerly, but torch.func needs setup_context
    @staticmethod
    def forward(ctx, x):
        result = torch.from_numpy(np.exp(x.numpy(force=True)))
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


class NoVmapRule(torch.autograd.Function):  # setup_context but no vmap rule
    @staticmethod
    def forward(x):
        return torch.from_numpy(np.exp(x.numpy(force=True)))

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


class GeneratedRule(NoVmapRule):  # NumPy cannot read vmap's batched tensors
    generate_vmap_rule = True


class WrongDerivative(NoVmapRule):  # backward forgets the derivative
    @staticmethod
    def backward(ctx, grad_output):
        return grad_output

    @staticmethod
    def vmap(info, in_dims, x):
        return WrongDerivative.apply(x), in_dims[0]


class BatchAlwaysFirst(NoVmapRule):  # the vmap rule says the batch is at dimension 0 whatever in_dims says
    @staticmethod
    def vmap(info, in_dims, x):
        return BatchAlwaysFirst.apply(x), 0


@pytest.mark.parametrize("answer, says", [
    (CtxStyleExp, "setup_context"),
    (NoVmapRule, "vmap fails"),
    (GeneratedRule, "vmap fails"),
    (WrongDerivative, "backward gives"),
    (BatchAlwaysFirst, "in_dims=1"),
])
def test_exercise_3_wrong(answer, says):
    result = check_exercise_3.verdict(answer)
    assert result.status == "wrong" and says in result.detail, result


def test_checks_leave_the_global_generator_alone():
    state = torch.get_rng_state()
    for name in NAMES:
        CHECKS[name].verdict(SOLUTIONS[name])
    assert torch.equal(state, torch.get_rng_state())
