"""The checks of 01_tensors: the worked solutions pass, skeletons are "not done yet", and plausible wrong
answers are "wrong" with a message that names the fault."""

from __future__ import annotations

import numpy as np
import torch

from helpers.exercises.tensors import (
    check_exercise_1,
    check_exercise_2,
    check_exercise_3,
    check_exercise_4,
    check_exercise_5,
)


def skeleton(*args):
    """A skeleton function: its body is ``...``, so it returns None."""


def test_1():
    assert check_exercise_1.verdict(torch.eye(4)).correct
    assert check_exercise_1.verdict(...).status == "not done yet"
    ones = check_exercise_1.verdict(torch.ones(4, 4))
    assert ones.status == "wrong" and "does not give t back" in ones.detail
    small = check_exercise_1.verdict(torch.eye(3))
    assert small.status == "wrong" and "(3, 3)" in small.detail
    integers = check_exercise_1.verdict(torch.eye(4, dtype=torch.int64))
    assert integers.status == "wrong" and "torch.int64" in integers.detail


def fill_solution(array):
    wrapped = torch.from_numpy(array)
    wrapped.fill_(1.0)
    return wrapped


def test_2():
    assert check_exercise_2.verdict(fill_solution).correct
    assert check_exercise_2.verdict(skeleton).status == "not done yet"
    copy = check_exercise_2.verdict(lambda array: torch.tensor(array).fill_(1.0))
    assert copy.status == "wrong" and "does not share memory" in copy.detail
    zeros = check_exercise_2.verdict(lambda array: torch.zeros(array.shape))
    assert zeros.status == "wrong" and "does not share memory" in zeros.detail
    unfilled = check_exercise_2.verdict(lambda array: torch.from_numpy(array))
    assert unfilled.status == "wrong" and "all ones" in unfilled.detail
    assert check_exercise_2.verdict(lambda array: np.ones(3)).status == "wrong"
    assert check_exercise_2.verdict(lambda array: torch.from_numpy(array).__setitem__(..., 1.0) or
                                    torch.from_numpy(array)).correct


def numpy_fills(array):
    array.fill(1.0)  # NumPy writes the ones; the tensor only wraps them afterwards
    return torch.from_numpy(array)


def numpy_fills_after(array):
    wrapped = torch.from_numpy(array)
    array[:] = 1.0
    return wrapped


def test_2_the_tensor_must_do_the_filling():
    for answer in (numpy_fills, numpy_fills_after):
        verdict = check_exercise_2.verdict(answer)
        assert verdict.status == "wrong" and "NumPy filled it" in verdict.detail


def test_3():
    assert check_exercise_3.verdict((3, 4, 5)).correct
    assert check_exercise_3.verdict(torch.Size([3, 4, 5])).correct
    assert check_exercise_3.verdict(...).status == "not done yet"
    for wrong in ((3, 1, 5), (4, 5)):
        v = check_exercise_3.verdict(wrong)
        assert v.status == "wrong" and "align the shapes" in v.detail


def test_4():
    assert check_exercise_4.verdict(lambda s: s - s.mean(dim=1, keepdim=True)).correct
    assert check_exercise_4.verdict(skeleton).status == "not done yet"
    overall = check_exercise_4.verdict(lambda s: s - s.mean())
    assert overall.status == "wrong" and "row sums" in overall.detail
    columns = check_exercise_4.verdict(lambda s: s - s.mean(dim=0, keepdim=True))
    assert columns.status == "wrong" and "row sums" in columns.detail
    no_keepdim = check_exercise_4.verdict(lambda s: s - s.mean(dim=1))
    assert no_keepdim.status == "wrong" and "RuntimeError" in no_keepdim.detail
    normalised = check_exercise_4.verdict(lambda s: (s - s.mean(dim=1, keepdim=True)) / 2)
    assert normalised.status == "wrong" and "spread" in normalised.detail


def test_5():
    assert check_exercise_5.verdict(lambda s, labels: s.gather(1, labels[:, None]).squeeze(1)).correct
    assert check_exercise_5.verdict(lambda s, labels: s[torch.arange(len(labels)), labels]).correct
    assert check_exercise_5.verdict(skeleton).status == "not done yet"
    table = check_exercise_5.verdict(lambda s, labels: s[:, labels])
    assert table.status == "wrong" and "(5, 5)" in table.detail
    maximum = check_exercise_5.verdict(lambda s, labels: s.max(dim=1).values)
    assert maximum.status == "wrong" and "expected" in maximum.detail
    by_column = check_exercise_5.verdict(lambda s, labels: s.gather(0, labels[None, :4]).squeeze(0))
    assert by_column.status == "wrong"
