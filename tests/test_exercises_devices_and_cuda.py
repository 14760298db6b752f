"""The checks of 06_devices_and_cuda: solutions pass, skeletons are "not done yet", wrong answers are wrong."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from conftest import notebook_definitions
from helpers.exercises.devices_and_cuda import check_exercise_1, check_exercise_2, check_exercise_3, check_exercise_4

SOLUTIONS = notebook_definitions("solutions/06_devices_and_cuda.ipynb", "to_device", "gflops", "clipped_step")


# Exercise 1 --------------------------------------------------------------------------------------------------

def identity(obj, device):
    return obj


def tuples_to_lists(obj, device):
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {key: tuples_to_lists(value, device) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [tuples_to_lists(value, device) for value in obj]
    return obj


def top_level_only(obj, device):
    if isinstance(obj, dict):
        return {key: value.to(device) if isinstance(value, torch.Tensor) else value for key, value in obj.items()}
    return obj.to(device) if isinstance(obj, torch.Tensor) else obj


def in_place(obj, device):  # moves the tensors but writes them into the caller's containers
    if isinstance(obj, dict):
        for key, value in obj.items():
            obj[key] = in_place(value, device)
        return obj
    if isinstance(obj, list):
        obj[:] = [in_place(value, device) for value in obj]
        return obj
    if isinstance(obj, tuple):
        return tuple(in_place(value, device) for value in obj)
    return obj.to(device) if isinstance(obj, torch.Tensor) else obj


def namedtuple_as_tuple(obj, device):  # a namedtuple comes back as a plain tuple
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {key: namedtuple_as_tuple(value, device) for key, value in obj.items()}
    if isinstance(obj, list):
        return [namedtuple_as_tuple(value, device) for value in obj]
    if isinstance(obj, tuple):
        return tuple(namedtuple_as_tuple(value, device) for value in obj)
    return obj


def generator_into_type(obj, device):  # type(obj)(generator): right for tuples, a TypeError for a namedtuple
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {key: generator_into_type(value, device) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(generator_into_type(value, device) for value in obj)
    return obj


def test_exercise_1_solution_and_skeleton():
    assert check_exercise_1.verdict(SOLUTIONS["to_device"]).status == "correct"
    assert check_exercise_1.verdict(lambda obj, device: None).status == "not done yet"


@pytest.mark.parametrize("answer, says", [
    (identity, "expected meta"),
    (tuples_to_lists, "keep tuples as tuples"),
    (top_level_only, "not moved"),
    (in_place, "input was changed"),
    (namedtuple_as_tuple, "namedtuple came back as a tuple"),
    (generator_into_type, "TypeError"),
])
def test_exercise_1_wrong(answer, says):
    result = check_exercise_1.verdict(answer)
    assert result.status == "wrong" and says in result.detail, result


# Exercise 2 --------------------------------------------------------------------------------------------------

def test_exercise_2_solution_and_skeleton():
    assert check_exercise_2.verdict(SOLUTIONS["gflops"]).status == "correct"
    assert check_exercise_2.verdict(lambda seconds, n: None).status == "not done yet"


@pytest.mark.parametrize("answer, says", [
    (lambda seconds, n: n**3 / seconds / 1e9, "2 n^3 in all"),  # multiplications only
    (lambda seconds, n: 2 * n**3 * seconds / 1e9, "divide by the time"),  # right only for 1 s
    (lambda seconds, n: 2 * n**3 / seconds, "units of 1e9"),  # FLOP/s, not GFLOP/s
])
def test_exercise_2_wrong(answer, says):
    result = check_exercise_2.verdict(answer)
    assert result.status == "wrong" and says in result.detail, result


# Exercise 3 --------------------------------------------------------------------------------------------------

def test_exercise_3_solution_and_skeleton():
    assert check_exercise_3.verdict(torch.bfloat16, torch.float32, torch.bfloat16).status == "correct"
    assert check_exercise_3.verdict(..., ..., ...).status == "not done yet"
    assert check_exercise_3.verdict(torch.bfloat16, torch.float32, ...).status == "not done yet"


@pytest.mark.parametrize("answer, says", [
    ((torch.bfloat16, torch.float32, torch.float32), "sum is on no list"),  # "autocast keeps reductions in float32"
    ((torch.float16, torch.float32, torch.bfloat16), "torch.mm gives torch.bfloat16"),  # the GPU default dtype
    ((torch.bfloat16, torch.bfloat16, torch.bfloat16), "an addition is on no list"),  # "everything runs in bfloat16"
])
def test_exercise_3_wrong(answer, says):
    result = check_exercise_3.verdict(*answer)
    assert result.status == "wrong" and says in result.detail, result


# Exercise 4 --------------------------------------------------------------------------------------------------

def no_unscale(loss, model, optimizer, scaler, max_norm):  # clips the scaled gradients
    scaler.scale(loss).backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    return norm


def no_clip(loss, model, optimizer, scaler, max_norm):  # measures the norm but never clips
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()]))
    scaler.step(optimizer)
    scaler.update()
    return norm


def no_step(loss, model, optimizer, scaler, max_norm):
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    return nn.utils.clip_grad_norm_(model.parameters(), max_norm)


def no_scaler(loss, model, optimizer, scaler, max_norm):  # a plain float32 step: the scaler is ignored
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return norm


def no_update(loss, model, optimizer, scaler, max_norm):  # the scale never adapts
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    return norm


def optimizer_step(loss, model, optimizer, scaler, max_norm):  # bypasses the scaler's check for inf gradients
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    scaler.update()
    return norm


def no_return(loss, model, optimizer, scaler, max_norm):
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()


def test_exercise_4_solution_and_skeleton():
    assert check_exercise_4.verdict(SOLUTIONS["clipped_step"]).status == "correct"
    assert check_exercise_4.verdict(lambda loss, model, optimizer, scaler, max_norm: None).status == "not done yet"


@pytest.mark.parametrize("answer, says", [
    (no_unscale, "unscale_"),
    (no_clip, "clip_grad_norm_"),
    (no_step, "scaler.step"),
    (no_return, "return the gradient norm"),
    (no_scaler, "scaler was not used"),
    (no_update, "call scaler.update()"),
    (optimizer_step, "optimizer.step() was called directly"),
])
def test_exercise_4_wrong(answer, says):
    result = check_exercise_4.verdict(answer)
    assert result.status == "wrong" and says in result.detail, result
