"""The checks of 02_autograd: the worked solutions pass, skeletons are "not done yet", and plausible wrong
answers are "wrong" with a message that names the fault."""

from __future__ import annotations

import torch

from helpers.exercises.autograd import check_exercise_1, check_exercise_2, check_exercise_3, check_exercise_4


def skeleton(*args, **kwargs):
    """A skeleton function: its body is ``...``, so it returns None."""


def test_1():
    assert check_exercise_1.verdict([3.0, 12.0, 27.0]).correct
    assert check_exercise_1.verdict(...).status == "not done yet"
    for wrong in ([1.0, 8.0, 27.0], [3.0, 6.0, 9.0]):  # x ** 3 itself; 3 x instead of 3 x ** 2
        v = check_exercise_1.verdict(wrong)
        assert v.status == "wrong" and "you said" in v.detail
    assert check_exercise_1.verdict([3.0, 12.0]).status == "wrong"


def test_2():
    assert check_exercise_2.verdict(0.75).correct
    assert check_exercise_2.verdict(...).status == "not done yet"
    for wrong in (3.0, 0.5):  # forgot the mean's 1/4; forgot the + x
        v = check_exercise_2.verdict(wrong)
        assert v.status == "wrong" and "mean divides" in v.detail


def fit_solution(x, y, steps=100, learning_rate=0.1, *, zero=True, sign=1.0):
    w = torch.zeros(x.shape[1], 1, device=x.device, requires_grad=True)
    for _ in range(steps):
        loss = ((y - x @ w) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= sign * learning_rate * w.grad
        if zero:
            w.grad.zero_()
    return w


def test_3():
    assert check_exercise_3.verdict(fit_solution).correct
    assert check_exercise_3.verdict(skeleton).status == "not done yet"
    uphill = check_exercise_3.verdict(lambda x, y: fit_solution(x, y, sign=-1.0))
    assert uphill.status == "wrong" and "learned" in uphill.detail
    few = check_exercise_3.verdict(lambda x, y: fit_solution(x, y, steps=3))
    assert few.status == "wrong" and "learned" in few.detail
    no_update = check_exercise_3.verdict(lambda x, y: fit_solution(x, y, learning_rate=0.0))
    assert no_update.status == "wrong" and "still zero" in no_update.detail
    accumulating = check_exercise_3.verdict(lambda x, y: fit_solution(x, y, zero=False))
    assert accumulating.status == "wrong"
    closed_form = check_exercise_3.verdict(lambda x, y, steps=100, learning_rate=0.1: torch.linalg.lstsq(x, y).solution)
    assert closed_form.status == "wrong" and "two gradient-descent steps" in closed_form.detail
    ignores_steps = check_exercise_3.verdict(lambda x, y, steps=100, learning_rate=0.1: fit_solution(x, y))
    assert ignores_steps.status == "wrong" and "steps=2" in ignores_steps.detail


def jacobian_solution(f, x):
    x = x.detach().requires_grad_()
    y = f(x)
    rows = []
    for i in range(y.numel()):
        (row,) = torch.autograd.grad(y[i], x, retain_graph=True)
        rows.append(row)
    return torch.stack(rows)


def jacobian_calling_f_per_row(f, x):
    x = x.detach().requires_grad_()
    return torch.stack([torch.autograd.grad(f(x)[i], x)[0] for i in range(2)])


def test_4():
    assert check_exercise_4.verdict(jacobian_solution).correct
    jacrev = check_exercise_4.verdict(lambda f, x: torch.func.jacrev(f)(x))
    assert jacrev.status == "wrong" and "torch.func" in jacrev.detail
    one_f_per_row = check_exercise_4.verdict(jacobian_calling_f_per_row)
    assert one_f_per_row.status == "wrong" and "called 2 times" in one_f_per_row.detail
    assert check_exercise_4.verdict(skeleton).status == "not done yet"
    transposed = check_exercise_4.verdict(lambda f, x: jacobian_solution(f, x).T)
    assert transposed.status == "wrong" and "one row per output" in transposed.detail
    summed = check_exercise_4.verdict(lambda f, x: jacobian_solution(f, x).sum(dim=0))
    assert summed.status == "wrong" and "(3,)" in summed.detail
    rows_swapped = check_exercise_4.verdict(lambda f, x: jacobian_solution(f, x).flip(0))
    assert rows_swapped.status == "wrong" and "expected" in rows_swapped.detail
