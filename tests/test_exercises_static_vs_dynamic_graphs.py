"""The checks of 04_static_vs_dynamic_graphs: solutions pass, skeletons are "not done yet", wrong answers are wrong."""

from __future__ import annotations

import warnings

import pytest
import torch

from conftest import notebook_definitions
from helpers.exercises.static_vs_dynamic_graphs import check_exercise_1, check_exercise_2, check_exercise_3

# The lesson's setup cell imports TensorFlow; its skeleton cell needs only torch, so run that cell alone.
SOLUTIONS = notebook_definitions("solutions/04_static_vs_dynamic_graphs.ipynb", "ClampNegative", "export_any_batch")


def skeletons() -> dict:
    import json

    from conftest import NOTEBOOK_DIR

    cells = json.loads((NOTEBOOK_DIR / "04_static_vs_dynamic_graphs.ipynb").read_text())["cells"]
    source = next("".join(c["source"]) for c in cells if "class ClampNegative(" in "".join(c["source"]))
    namespace = {"torch": torch}
    exec(compile(source, "04_static_vs_dynamic_graphs.ipynb", "exec"), namespace)
    return namespace


SKELETONS = skeletons()


def test_solutions_are_correct_and_skeletons_not_done():
    assert check_exercise_1.verdict((15, 15)).status == "correct"
    assert check_exercise_2.verdict(SOLUTIONS["ClampNegative"]).status == "correct"
    assert check_exercise_3.verdict(SOLUTIONS["export_any_batch"]).status == "correct"
    assert check_exercise_1.verdict(SKELETONS["predicted"]).status == "not done yet"
    assert check_exercise_2.verdict(SKELETONS["ClampNegative"]).status == "not done yet"
    assert check_exercise_3.verdict(SKELETONS["export_any_batch"]).status == "not done yet"


@pytest.mark.parametrize("answer, says", [
    ((20, 20), "not what the loop returns"),  # the lesson's answer for (0, 10)
    ((15, 10), "not what the loop returns"),  # only the first counter moved
    (15, "pair of numbers"),
])
def test_exercise_1_wrong(answer, says):
    result = check_exercise_1.verdict(answer)
    assert result.status == "wrong" and says in result.detail, result


class WithWhere(torch.nn.Module):  # right values, but torch.where where torch.cond is asked
    def forward(self, x):
        return torch.where(x.sum() > 0, x, torch.zeros_like(x))


class WithIf(torch.nn.Module):  # a Python if: export cannot capture the decision
    def forward(self, x):
        if x.sum() > 0:
            return x
        return torch.zeros_like(x)


class SwappedBranches(torch.nn.Module):
    def forward(self, x):
        return torch.cond(x.sum() > 0, lambda x: torch.zeros_like(x), lambda x: x.clone(), (x,))


class ReluInstead(torch.nn.Module):  # clamps each entry instead of deciding on the sum
    def forward(self, x):
        return torch.cond(x.sum() > 0, lambda x: x.clone(), lambda x: x.clamp(min=0), (x,))


@pytest.mark.parametrize("answer, says", [
    (WithWhere, "no cond"),
    (WithIf, "your code raised"),
    (SwappedBranches, "expected [1.0, 2.0]"),
    (ReluInstead, "expected [0.0, 0.0]"),
])
def test_exercise_2_wrong(answer, says):
    result = check_exercise_2.verdict(answer)
    assert result.status == "wrong" and says in result.detail, result


def fixed_shape(model, example):  # no dynamic_shapes: only the example's batch size works
    return torch.export.export(model, (example,))


def returns_the_module(model, example):  # the exported program's module, not the program
    return torch.export.export(model, (example,), dynamic_shapes=({0: torch.export.Dim("batch")},)).module()


def traced(model, example):  # the old TorchScript way
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # TorchScript is deprecated: that is the point
        return torch.jit.trace(model, example)


@pytest.mark.parametrize("answer, says", [
    (fixed_shape, "a batch of 1 fails"),
    (returns_the_module, "not the torch.export.ExportedProgram"),
    (traced, "not the torch.export.ExportedProgram"),
])
def test_exercise_3_wrong(answer, says):
    result = check_exercise_3.verdict(answer)
    assert result.status == "wrong" and says in result.detail, result
