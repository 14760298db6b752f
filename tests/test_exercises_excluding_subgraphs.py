"""The checks of 08_excluding_subgraphs: the worked solutions pass, skeletons are "not done yet", and
plausible wrong answers are "wrong" with a message that names the fault."""

from __future__ import annotations

import contextlib

import torch

from helpers.exercises.excluding_subgraphs import check_exercise_1, check_exercise_2, check_exercise_3

# Exercise 1 -------------------------------------------------------------------------------------------------

def test_1_solution_is_correct():
    assert check_exercise_1.verdict(True, False).correct


def test_1_skeleton_is_not_done_yet():
    assert check_exercise_1.verdict(..., ...).status == "not done yet"
    assert check_exercise_1.verdict(True, ...).status == "not done yet"


def test_1_wrong_predictions_name_the_tensor():
    c_wrong = check_exercise_1.verdict(False, False)
    assert c_wrong.status == "wrong" and c_wrong.detail.startswith("c:") and "z does" in c_wrong.detail
    e_wrong = check_exercise_1.verdict(True, True)
    assert e_wrong.status == "wrong" and e_wrong.detail.startswith("e:") and "applied last" in e_wrong.detail
    text = check_exercise_1.verdict("True", False)
    assert text.status == "wrong" and "write True or False" in text.detail


# Exercise 2 -------------------------------------------------------------------------------------------------

def freeze_solution(net):
    net.requires_grad_(False)
    net[-1].requires_grad_(True)


def test_2_solution_is_correct():
    assert check_exercise_2.verdict(freeze_solution).correct
    assert check_exercise_2.verdict(lambda net: net[:-1].requires_grad_(False)).correct


def test_2_skeleton_is_not_done_yet():
    assert check_exercise_2.verdict(lambda net: None).status == "not done yet"


def test_2_freezing_everything_is_wrong():
    v = check_exercise_2.verdict(lambda net: net.requires_grad_(False))
    assert v.status == "wrong" and "last layer must stay trainable" in v.detail


def test_2_freezing_only_the_first_layer_is_wrong():
    v = check_exercise_2.verdict(lambda net: net[0].requires_grad_(False))
    assert v.status == "wrong" and "still trainable: 2.bias, 2.weight;" in v.detail


def test_2_freezing_only_the_last_layer_is_wrong():
    v = check_exercise_2.verdict(lambda net: net[-1].requires_grad_(False))
    assert v.status == "wrong" and "4.bias, 4.weight" in v.detail


# Exercise 3 -------------------------------------------------------------------------------------------------

def outputs_solution(f, x, train):
    with torch.set_grad_enabled(train):
        return f(x)


def test_3_solution_is_correct():
    assert check_exercise_3.verdict(outputs_solution).correct


def test_3_skeleton_is_not_done_yet():
    assert check_exercise_3.verdict(lambda f, x, train: None).status == "not done yet"


def test_3_ignoring_train_is_wrong():
    v = check_exercise_3.verdict(lambda f, x, train: f(x))
    assert v.status == "wrong" and "train=True) called inside torch.no_grad()" in v.detail


def test_3_no_grad_only_when_not_training_is_wrong():
    def answer(f, x, train):
        with contextlib.nullcontext() if train else torch.no_grad():
            return f(x)

    v = check_exercise_3.verdict(answer)
    assert v.status == "wrong" and "inside torch.no_grad()" in v.detail


def test_3_enable_grad_only_when_training_is_wrong():
    def answer(f, x, train):
        with torch.enable_grad() if train else contextlib.nullcontext():
            return f(x)

    v = check_exercise_3.verdict(answer)
    assert v.status == "wrong" and "train=False) recorded a graph (grad_fn MulBackward0)" in v.detail


def test_3_switch_left_off_is_wrong_and_restored():
    def answer(f, x, train):
        torch.set_grad_enabled(train)  # a call, not a with block: the setting stays
        return f(x)

    v = check_exercise_3.verdict(answer)
    assert v.status == "wrong" and "still off" in v.detail
    assert torch.is_grad_enabled()


def test_3_recording_then_detaching_is_wrong():
    def answer(f, x, train):
        with torch.enable_grad():
            y = f(x)
        return y if train else y.detach()

    v = check_exercise_3.verdict(answer)
    assert v.status == "wrong" and "ran f with recording on and detached the result" in v.detail
