"""The checks of 09_training_process's exercises: solutions pass, skeletons are not done, wrong answers are wrong."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from helpers.exercises.training_process import check_exercise_1, check_exercise_2, check_exercise_3


def skeleton(*args):
    ...


# Exercise 1: the factor LambdaLR needs for warmup then cosine.
def factor(step, warmup_steps, total_steps):
    if step < warmup_steps:
        return 0.1 + 0.9 * step / warmup_steps
    return 0.5 * (1 + math.cos(math.pi * (step - warmup_steps) / (total_steps - warmup_steps)))


def factor_cosine_over_all_steps(step, warmup_steps, total_steps):
    if step < warmup_steps:
        return 0.1 + 0.9 * step / warmup_steps
    return 0.5 * (1 + math.cos(math.pi * (step - warmup_steps) / total_steps))


def factor_warmup_from_zero(step, warmup_steps, total_steps):
    if step < warmup_steps:
        return step / warmup_steps
    return factor(step, warmup_steps, total_steps)


def factor_warmup_one_step_late(step, warmup_steps, total_steps):
    if step <= warmup_steps:
        return 0.1 + 0.9 * step / (warmup_steps + 1)
    return factor(step - 1, warmup_steps, total_steps - 1)


# Exercise 2: gradient accumulation with micro-batches of different sizes.
def accumulate(model, optimizer, micro_batches):
    total = sum(len(x) for x, _ in micro_batches)
    optimizer.zero_grad()
    mean_loss = 0.0
    for x, y in micro_batches:
        loss = nn.functional.cross_entropy(model(x), y)
        (loss * len(x) / total).backward()
        mean_loss += loss.item() * len(x) / total
    optimizer.step()
    return mean_loss


def accumulate_dividing_by_count(model, optimizer, micro_batches):
    optimizer.zero_grad()
    losses = []
    for x, y in micro_batches:
        loss = nn.functional.cross_entropy(model(x), y)
        (loss / len(micro_batches)).backward()
        losses.append(loss.item())
    optimizer.step()
    return sum(losses) / len(losses)


def accumulate_without_zero_grad(model, optimizer, micro_batches):
    total = sum(len(x) for x, _ in micro_batches)
    mean_loss = 0.0
    for x, y in micro_batches:
        loss = nn.functional.cross_entropy(model(x), y)
        (loss * len(x) / total).backward()
        mean_loss += loss.item() * len(x) / total
    optimizer.step()
    return mean_loss


def accumulate_stepping_every_micro_batch(model, optimizer, micro_batches):
    total = sum(len(x) for x, _ in micro_batches)
    mean_loss = 0.0
    for x, y in micro_batches:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        (loss * len(x) / total).backward()
        optimizer.step()
        mean_loss += loss.item() * len(x) / total
    return mean_loss


def accumulate_unscaled(model, optimizer, micro_batches):
    optimizer.zero_grad()
    total_loss = 0.0
    for x, y in micro_batches:
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        total_loss += loss.item()
    optimizer.step()
    return total_loss


def accumulate_without_step(model, optimizer, micro_batches):
    total = sum(len(x) for x, _ in micro_batches)
    optimizer.zero_grad()
    mean_loss = 0.0
    for x, y in micro_batches:
        loss = nn.functional.cross_entropy(model(x), y)
        (loss * len(x) / total).backward()
        mean_loss += loss.item() * len(x) / total
    return mean_loss


# Exercise 3: resuming from a checkpoint dictionary.
def resume(path, model, optimizer, scheduler, generator):
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    generator.set_state(state["generator"])
    return state["epoch"]


def resume_model_only(path, model, optimizer, scheduler, generator):
    state = torch.load(path)
    model.load_state_dict(state["model"])
    return state["epoch"]


def resume_without_generator(path, model, optimizer, scheduler, generator):
    state = torch.load(path)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    return state["epoch"]


def resume_without_scheduler(path, model, optimizer, scheduler, generator):
    state = torch.load(path)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    generator.set_state(state["generator"])
    return state["epoch"]


CASES = [
    (check_exercise_1, factor, [factor_cosine_over_all_steps, factor_warmup_from_zero, factor_warmup_one_step_late]),
    (check_exercise_2, accumulate, [accumulate_dividing_by_count, accumulate_without_zero_grad,
                                    accumulate_stepping_every_micro_batch, accumulate_unscaled,
                                    accumulate_without_step]),
    (check_exercise_3, resume, [resume_model_only, resume_without_generator, resume_without_scheduler]),
]


@pytest.mark.parametrize("check, solution", [(c, s) for c, s, _ in CASES], ids=["1", "2", "3"])
def test_the_solution_is_correct(check, solution):
    verdict = check.verdict(solution)
    assert verdict.status == "correct", verdict


@pytest.mark.parametrize("check", [c for c, _, _ in CASES], ids=["1", "2", "3"])
def test_the_skeleton_is_not_done_yet(check):
    assert check.verdict(skeleton).status == "not done yet"


@pytest.mark.parametrize("check, wrong", [(c, w) for c, _, ws in CASES for w in ws],
                         ids=[w.__name__ for _, _, ws in CASES for w in ws])
def test_a_wrong_answer_is_wrong_and_says_why(check, wrong):
    verdict = check.verdict(wrong)
    assert verdict.status == "wrong", verdict
    assert verdict.detail and "raised" not in verdict.detail, verdict


def test_the_checks_leave_the_global_random_state_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    assert [check.verdict(solution).status for check, solution, _ in CASES] == ["correct"] * 3
    assert torch.equal(torch.get_rng_state(), before), "a check drew from the reader's global generator"
