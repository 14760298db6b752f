"""The checks of 14_from_2017_code_to_today: the worked solutions pass, skeletons are "not done yet", and
plausible wrong answers are "wrong" with a message that names the fault."""

from __future__ import annotations

import torch
from torch.autograd import Variable

from helpers.exercises.from_2017_code_to_today import check_exercise_1, check_exercise_2


def skeleton(*args):
    """A skeleton function: its body is ``...``, so it returns None."""


def test_1():
    assert check_exercise_1.verdict(lambda g: torch.randn(5, 1, generator=g, requires_grad=True)).correct
    assert check_exercise_1.verdict(lambda g: torch.randn(5, 1, generator=g).requires_grad_()).correct
    assert check_exercise_1.verdict(skeleton).status == "not done yet"
    no_grad = check_exercise_1.verdict(lambda g: torch.randn(5, 1, generator=g))
    assert no_grad.status == "wrong" and "do not require gradients" in no_grad.detail
    scaled = check_exercise_1.verdict(lambda g: torch.randn(5, 1, generator=g, requires_grad=True) * 1.0)
    assert scaled.status == "wrong" and "not a leaf" in scaled.detail
    doubles = check_exercise_1.verdict(lambda g: torch.randn(5, 1, generator=g, dtype=torch.float64,
                                                             requires_grad=True))
    assert doubles.status == "wrong" and "float64" in doubles.detail
    unseeded = check_exercise_1.verdict(lambda g: torch.randn(5, 1, requires_grad=True))
    assert unseeded.status == "wrong" and "generator" in unseeded.detail


def old_weights(generator):
    return Variable(torch.randn(5, 1, generator=generator), requires_grad=True)


def test_1_rejects_the_2017_line():
    """Variable(...) returns a plain tensor that passes every behavioural check: the source gives it away."""
    old = check_exercise_1.verdict(old_weights)
    assert old.status == "wrong" and "Variable" in old.detail


def rates_solution(optimizer, scheduler, epochs, order="today"):
    rates = []
    for _ in range(epochs):
        if order == "2017":
            scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if order == "today":
            scheduler.step()
    return rates


def test_2():
    assert check_exercise_2.verdict(rates_solution).correct
    assert check_exercise_2.verdict(skeleton).status == "not done yet"
    old_order = check_exercise_2.verdict(lambda o, s, e: rates_solution(o, s, e, order="2017"))
    assert old_order.status == "wrong" and "before optimizer.step()" in old_order.detail
    never = check_exercise_2.verdict(lambda o, s, e: rates_solution(o, s, e, order="never"))
    assert never.status == "wrong" and "expected [0.2, 0.2, 0.1" in never.detail
    after_recording_next = check_exercise_2.verdict(
        lambda o, s, e: [(o.step(), s.step(), o.param_groups[0]["lr"])[2] for _ in range(e)])
    assert after_recording_next.status == "wrong"
