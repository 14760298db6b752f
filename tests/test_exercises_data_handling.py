"""The checks of 11_data_handling's exercises: solutions pass, skeletons are not done, wrong answers are wrong."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from torch.utils.data import WeightedRandomSampler

from helpers.exercises.data_handling import check_exercise_1, check_exercise_2, check_exercise_3


def skeleton(*args):
    ...


# Exercise 1: where a random crop with padding moves a pixel.
def _dot():
    dot = torch.zeros(1, 8, 8)
    dot[0, 2, 5] = 1.0
    return dot


def pixel_positions(transform, trials):
    return {tuple(torch.nonzero(transform(_dot())[0])[0].tolist()) for _ in range(trials)}


def positions_with_the_channel(transform, trials):
    return {tuple(torch.nonzero(transform(_dot()))[0].tolist()) for _ in range(trials)}


def positions_of_one_crop(transform, trials):
    moved = transform(_dot())
    return {tuple(torch.nonzero(moved[0])[0].tolist()) for _ in range(trials)}


def positions_column_first(transform, trials):
    return {tuple(torch.nonzero(transform(_dot())[0])[0].tolist()[::-1]) for _ in range(trials)}


def positions_as_flat_indices(transform, trials):
    return {int(transform(_dot()).argmax()) for _ in range(trials)}


# Exercise 2: the class_ column as ints, or an error naming column, row and value.
def integer_classes(df):
    classes = []
    for row, value in enumerate(df["class_"]):
        if isinstance(value, (bool, str)) or pd.isna(value) or value != int(value):
            raise ValueError(f"column 'class_', row {row}: {value!r} is not a whole number")
        classes.append(int(value))
    return classes


def classes_by_int(df):
    return [int(value) for value in df["class_"]]


def classes_unchecked(df):
    return df["class_"].tolist()


def classes_by_dtype(df):
    if not pd.api.types.is_integer_dtype(df["class_"]):
        raise ValueError(f"column 'class_' must hold integer classes, found {df['class_'].dtype} values")
    return df["class_"].tolist()


def classes_by_astype(df):
    return df["class_"].astype(int).tolist()


def classes_without_the_row(df):
    # Names the column and the value, but the only "1" in the message is an example, not the row.
    for value in df["class_"]:
        if isinstance(value, (bool, str)) or pd.isna(value) or value != int(value):
            raise ValueError(f"column 'class_' must hold whole numbers (e.g. 1), found {value!r}")
    return [int(value) for value in df["class_"]]


# Exercise 3: a sampler that draws every class equally often.
def balanced_sampler(labels, generator):
    counts = torch.bincount(labels)
    return WeightedRandomSampler(1.0 / counts[labels].double(), num_samples=len(labels), replacement=True,
                                 generator=generator)


def sampler_weighted_by_count(labels, generator):
    counts = torch.bincount(labels)
    return WeightedRandomSampler(counts[labels].double(), num_samples=len(labels), generator=generator)


def sampler_with_equal_weights(labels, generator):
    return WeightedRandomSampler(torch.ones(len(labels)), num_samples=len(labels), generator=generator)


def sampler_with_class_weights(labels, generator):
    return WeightedRandomSampler(1.0 / torch.bincount(labels).double(), num_samples=len(labels), generator=generator)


def sampler_without_replacement(labels, generator):
    counts = torch.bincount(labels)
    return WeightedRandomSampler(1.0 / counts[labels].double(), num_samples=len(labels), replacement=False,
                                 generator=generator)


def sampler_ignoring_the_generator(labels, generator):
    counts = torch.bincount(labels)
    return WeightedRandomSampler(1.0 / counts[labels].double(), num_samples=len(labels))


CASES = [
    (check_exercise_1, pixel_positions, [positions_with_the_channel, positions_of_one_crop, positions_column_first,
                                         positions_as_flat_indices]),
    (check_exercise_2, integer_classes, [classes_by_int, classes_unchecked, classes_by_dtype, classes_by_astype,
                                         classes_without_the_row]),
    (check_exercise_3, balanced_sampler, [sampler_weighted_by_count, sampler_with_equal_weights,
                                          sampler_with_class_weights, sampler_without_replacement,
                                          sampler_ignoring_the_generator]),
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
    assert verdict.detail, verdict


def test_the_checks_leave_the_global_random_state_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    assert [check.verdict(solution).status for check, solution, _ in CASES] == ["correct"] * 3
    assert torch.equal(torch.get_rng_state(), before), "a check drew from the reader's global generator"
