"""The checks of 07_weight_initialisation: the worked solutions pass, skeletons are "not done yet", and
plausible wrong answers are "wrong" with a message that names the fault."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import init

from helpers.exercises.weight_initialisation import check_exercise_1, check_exercise_2, check_exercise_3


def verdict(check, answer):
    return check.verdict(answer)


# Exercise 1 -------------------------------------------------------------------------------------------------

def reinit_solution(weight, generator):
    init.kaiming_normal_(weight, nonlinearity="relu", generator=generator)


def test_1_solution_and_default_arguments_are_correct():
    assert verdict(check_exercise_1, reinit_solution).correct
    # nonlinearity's default, leaky_relu with a=0, has ReLU's gain sqrt(2): the same distribution
    assert verdict(check_exercise_1, lambda w, g: init.kaiming_normal_(w, generator=g)).correct


def test_1_skeleton_is_not_done_yet():
    assert verdict(check_exercise_1, lambda w, g: None).status == "not done yet"


def test_1_kaiming_uniform_is_wrong():
    v = verdict(check_exercise_1, lambda w, g: init.kaiming_uniform_(w, nonlinearity="relu", generator=g))
    assert v.status == "wrong" and "kaiming_uniform_" in v.detail and "not normally distributed" in v.detail


def test_1_fan_out_is_wrong():
    v = verdict(check_exercise_1, lambda w, g: init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu",
                                                                      generator=g))
    assert v.status == "wrong" and "0.1248" in v.detail and "fan_out" in v.detail


def test_1_other_wrong_answers():
    tanh = verdict(check_exercise_1, lambda w, g: init.kaiming_normal_(w, nonlinearity="tanh", generator=g))
    assert tanh.status == "wrong" and "0.0625" in tanh.detail
    xavier = verdict(check_exercise_1, lambda w, g: init.xavier_normal_(w, generator=g))
    assert xavier.status == "wrong" and "standard deviation" in xavier.detail
    copy = verdict(check_exercise_1, lambda w, g: init.kaiming_normal_(w.detach().clone(), generator=g))
    assert copy.status == "wrong" and "in place" in copy.detail
    unseeded = verdict(check_exercise_1, lambda w, g: init.kaiming_normal_(w, nonlinearity="relu"))
    assert unseeded.status == "wrong" and "generator" in unseeded.detail


# Exercise 2 -------------------------------------------------------------------------------------------------

def init_linear_solution(m):
    if isinstance(m, nn.Linear):
        init.xavier_uniform_(m.weight)
        if m.bias is not None:
            init.zeros_(m.bias)


def test_2_solution_is_correct():
    assert verdict(check_exercise_2, init_linear_solution).correct


def test_2_skeleton_is_not_done_yet():
    assert verdict(check_exercise_2, lambda m: None).status == "not done yet"


def test_2_xavier_normal_is_wrong():
    def answer(m):
        if isinstance(m, nn.Linear):
            init.xavier_normal_(m.weight)
            init.zeros_(m.bias)

    v = verdict(check_exercise_2, answer)
    assert v.status == "wrong" and "xavier_normal_" in v.detail


def test_2_touching_the_layer_norm_is_wrong():
    def answer(m):  # dispatches on "has a weight", not on the type
        if hasattr(m, "weight"):
            if m.weight.dim() >= 2:
                init.xavier_uniform_(m.weight)
            init.zeros_(m.bias)

    v = verdict(check_exercise_2, answer)
    assert v.status == "wrong" and "LayerNorm" in v.detail


def test_2_crashing_on_the_layer_norm_is_wrong():
    def answer(m):
        if hasattr(m, "weight"):
            init.xavier_uniform_(m.weight)
            init.zeros_(m.bias)

    v = verdict(check_exercise_2, answer)
    assert v.status == "wrong" and "ValueError" in v.detail


def test_2_biases_left_alone_is_wrong():
    def answer(m):
        if isinstance(m, nn.Linear):
            init.xavier_uniform_(m.weight)

    v = verdict(check_exercise_2, answer)
    assert v.status == "wrong" and "biases are not zero" in v.detail


def test_2_only_biases_is_wrong():
    def answer(m):
        if isinstance(m, nn.Linear):
            init.zeros_(m.bias)

    v = verdict(check_exercise_2, answer)
    assert v.status == "wrong" and "not re-initialised" in v.detail


# Exercise 3 -------------------------------------------------------------------------------------------------

def materialise_solution(model, device):
    model.to_empty(device=device)
    for module in model.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
    return model


def test_3_solution_is_correct():
    assert verdict(check_exercise_3, materialise_solution).correct
    assert verdict(check_exercise_3, lambda m, d: materialise_solution(m, d) and None).correct


def test_3_skeleton_is_not_done_yet():
    assert verdict(check_exercise_3, lambda m, d: None).status == "not done yet"


def test_3_to_instead_of_to_empty_is_wrong():
    v = verdict(check_exercise_3, lambda m, d: m.to(d))
    assert v.status == "wrong" and "NotImplementedError" in v.detail


def test_3_to_empty_alone_is_wrong():
    v = verdict(check_exercise_3, lambda m, d: m.to_empty(device=d))
    assert v.status == "wrong" and "to_empty() gives memory without values" in v.detail


def test_3_only_linear_layers_is_wrong():
    def answer(model, device):  # forgets BatchNorm: its weight, bias and running statistics stay garbage
        model.to_empty(device=device)
        for module in model.modules():
            if isinstance(module, nn.Linear):
                module.reset_parameters()

    v = verdict(check_exercise_3, answer)
    assert v.status == "wrong" and "1.running_var" in v.detail


def test_3_own_initialisation_is_wrong():
    def answer(model, device):  # initialised, but not as the layers' own reset_parameters would
        model.to_empty(device=device)
        for module in model.modules():
            if isinstance(module, nn.Linear):
                init.kaiming_normal_(module.weight)
                init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm1d):
                module.reset_parameters()

    v = verdict(check_exercise_3, answer)
    assert v.status == "wrong" and "0.weight" in v.detail


def test_checks_leave_the_global_generator_alone():
    state = torch.random.get_rng_state()
    check_exercise_2.verdict(init_linear_solution)
    check_exercise_3.verdict(materialise_solution)
    assert torch.equal(torch.random.get_rng_state(), state)
