"""The checks of 05_nn_models: the worked solutions pass, the skeletons are "not done yet", wrong answers are wrong."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from conftest import notebook_definitions
from helpers.exercises.nn_models import check_exercise_1, check_exercise_2, check_exercise_3, check_exercise_4

SOLUTIONS = notebook_definitions("solutions/05_nn_models.ipynb", "TwoHiddenLayerNet", "accuracy", "soft_targets")


def verdict(check, *answer):
    return check.verdict(*answer)


# Exercise 1 --------------------------------------------------------------------------------------------------

def test_exercise_1_solution_and_skeleton():
    assert verdict(check_exercise_1, 784 * 128 + 128 + 128 * 10 + 10).status == "correct"
    assert verdict(check_exercise_1, ...).status == "not done yet"


@pytest.mark.parametrize("answer, says", [
    (784 * 128 + 128 * 10, "weights only"),  # forgot the biases
    (784 * 128 + 128 + 128 * 10, "is not it"),  # forgot the second layer's biases
    (101770.0, "whole number"),  # right value, wrong type
])
def test_exercise_1_wrong(answer, says):
    result = verdict(check_exercise_1, answer)
    assert result.status == "wrong" and says in result.detail, result


# Exercise 2 --------------------------------------------------------------------------------------------------

class Skeleton2(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        ...


class OneHidden(nn.Module):  # 121 parameters: the lesson's HiddenLayerNet
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(10, 10)
        self.output = nn.Linear(10, 1)

    def forward(self, x):
        return self.output(torch.relu(self.hidden(x)))


class PlainList(nn.Module):  # the layers in a Python list: nothing registered
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(10, 10), nn.Linear(10, 10), nn.Linear(10, 1)]

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = torch.relu(layer(x))
        return self.layers[-1](x)


class NoReLU(nn.Module):  # 231 parameters but affine
    def __init__(self):
        super().__init__()
        self.stack = nn.Sequential(nn.Linear(10, 10), nn.Linear(10, 10), nn.Linear(10, 1))

    def forward(self, x):
        return self.stack(x)


class Wired(nn.Module):  # 231 parameters; `activations` says what follows each of the three layers
    activations = (torch.relu, torch.relu, None)

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(10, 10), nn.Linear(10, 10), nn.Linear(10, 1)])

    def forward(self, x):
        for layer, activation in zip(self.layers, type(self).activations):
            x = layer(x) if activation is None else activation(layer(x))
        return x


class FirstReLUOnly(Wired):
    activations = (torch.relu, None, None)


class SecondReLUOnly(Wired):
    activations = (None, torch.relu, None)


class ReLUAfterOutput(Wired):
    activations = (torch.relu, torch.relu, torch.relu)


class Sigmoids(Wired):
    activations = (torch.sigmoid, torch.sigmoid, None)


class Tanhs(Wired):
    activations = (torch.tanh, torch.tanh, None)


def test_exercise_2_solution_and_skeleton():
    assert verdict(check_exercise_2, SOLUTIONS["TwoHiddenLayerNet"]).status == "correct"
    assert verdict(check_exercise_2, Skeleton2).status == "not done yet"
    assert verdict(check_exercise_2, Wired).status == "correct"  # the same wiring, written another way


@pytest.mark.parametrize("answer, says", [
    (OneHidden, "121 parameters"),
    (PlainList, "plain list"),
    (NoReLU, "affine"),
    (FirstReLUOnly, "after the first hidden layer only"),
    (SecondReLUOnly, "after the second hidden layer only"),
    (ReLUAfterOutput, "never predict a negative number"),
    (Sigmoids, "sigmoid"),
    (Tanhs, "not last(relu(second(relu(first(x)))))"),
])
def test_exercise_2_wrong(answer, says):
    result = verdict(check_exercise_2, answer)
    assert result.status == "wrong" and says in result.detail, result


def test_exercise_2_leaves_the_global_generator_alone():
    torch.manual_seed(0)
    expected = torch.rand(1)
    torch.manual_seed(0)
    check_exercise_2.verdict(SOLUTIONS["TwoHiddenLayerNet"])
    assert torch.equal(torch.rand(1), expected)


# Exercise 3 --------------------------------------------------------------------------------------------------

def no_eval(model, loader):  # forgets model.eval(): dropout stays on
    right = total = 0
    with torch.no_grad():
        for xb, yb in loader:
            right += (model(xb).argmax(dim=1) == yb).sum().item()
            total += len(yb)
    return right / total


def mean_of_batches(model, loader):  # the short last batch weighs as much as a full one
    model.eval()
    with torch.no_grad():
        scores = [(model(xb).argmax(dim=1) == yb).float().mean().item() for xb, yb in loader]
    return sum(scores) / len(scores)


def count(model, loader):  # the number right, not the fraction
    model.eval()
    with torch.no_grad():
        return sum((model(xb).argmax(dim=1) == yb).sum().item() for xb, yb in loader)


def always_zero(model, loader):  # predicts class 0 for everything
    labels = torch.cat([yb for _, yb in loader])
    return (labels == 0).float().mean().item()


def test_exercise_3_solution_and_skeleton():
    assert verdict(check_exercise_3, SOLUTIONS["accuracy"]).status == "correct"
    assert verdict(check_exercise_3, lambda model, loader: None).status == "not done yet"


@pytest.mark.parametrize("answer, says", [
    (no_eval, "dropout switched on"),
    (mean_of_batches, "not all the same size"),
    (count, "not a count"),
    (always_zero, "expected"),
])
def test_exercise_3_wrong(answer, says):
    result = verdict(check_exercise_3, answer)
    assert result.status == "wrong" and says in result.detail, result


def test_exercise_3_the_wrong_answers_really_differ():
    # The check's data make forgetting eval() and averaging batches give other numbers (not luck of rounding).
    generator = torch.Generator().manual_seed(1)
    model = nn.Sequential(nn.Dropout(0.5), nn.Linear(4, 3))
    loader = DataLoader(TensorDataset(torch.randn(50, 4, generator=generator),
                                      torch.randint(0, 3, (50,), generator=generator)), batch_size=16)
    assert SOLUTIONS["accuracy"](model, loader) != pytest.approx(mean_of_batches(model, loader), abs=1e-9)


# Exercise 4 --------------------------------------------------------------------------------------------------

def plain_one_hot(labels, num_classes, smoothing):
    return nn.functional.one_hot(labels, num_classes).float()


def spread_over_others(labels, num_classes, smoothing):  # smoothing / (K - 1) on the wrong classes only
    one_hot = nn.functional.one_hot(labels, num_classes).float()
    return one_hot * (1 - smoothing) + (1 - one_hot) * smoothing / (num_classes - 1)


def integer_one_hot(labels, num_classes, smoothing):
    return nn.functional.one_hot(labels, num_classes)


def test_exercise_4_solution_and_skeleton():
    assert verdict(check_exercise_4, SOLUTIONS["soft_targets"]).status == "correct"
    assert verdict(check_exercise_4, lambda labels, num_classes, smoothing: None).status == "not done yet"


@pytest.mark.parametrize("answer, says", [
    (plain_one_hot, "smoothing was not applied"),
    (spread_over_others, "expected"),
    (integer_one_hot, "floating-point"),
])
def test_exercise_4_wrong(answer, says):
    result = verdict(check_exercise_4, answer)
    assert result.status == "wrong" and says in result.detail, result


def test_a_reader_error_is_wrong_not_not_done():
    def broken(labels, num_classes, smoothing):
        return labels.one_hot()  # no such method

    result = verdict(check_exercise_4, broken)
    assert result.status == "wrong" and "AttributeError" in result.detail, result
