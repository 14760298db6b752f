"""The checks of 00_before_you_start: the worked solutions pass, skeletons are "not done yet", and
plausible wrong answers are "wrong" with a message that names the fault."""

from __future__ import annotations

import torch

from helpers.environment import output_path, seed_everything
from helpers.exercises.before_you_start import check_exercise_1, check_exercise_2


def test_1_solution_is_correct():
    notes = output_path("00_before_you_start", "notes.txt")
    notes.write_text("a line of my own\n", encoding="utf-8")
    assert check_exercise_1.verdict(notes).correct


def test_1_skeleton_is_not_done_yet():
    assert check_exercise_1.verdict(...).status == "not done yet"


def test_1_wrong_folder_is_wrong():
    elsewhere = output_path("00_notes", "notes.txt")
    elsewhere.write_text("a line\n", encoding="utf-8")
    v = check_exercise_1.verdict(elsewhere)
    assert v.status == "wrong" and "output/00_notes/notes.txt" in v.detail


def test_1_file_not_written_is_wrong():
    empty = output_path("00_before_you_start", "notes.txt")
    empty.write_text("", encoding="utf-8")
    v = check_exercise_1.verdict(empty)
    assert v.status == "wrong" and "is empty" in v.detail
    empty.unlink()
    v = check_exercise_1.verdict(empty)
    assert v.status == "wrong" and "does not exist" in v.detail


def test_1_a_string_is_wrong():
    v = check_exercise_1.verdict("output/00_before_you_start/notes.txt")
    assert v.status == "wrong" and "not str" in v.detail


def test_2_solution_is_correct():
    first_1 = torch.rand(3, generator=seed_everything(1))
    again_1 = torch.rand(3, generator=seed_everything(1))
    assert check_exercise_2.verdict(first_1, again_1).correct


def test_2_skeleton_is_not_done_yet():
    assert check_exercise_2.verdict(..., ...).status == "not done yet"
    assert check_exercise_2.verdict(torch.rand(3), ...).status == "not done yet"


def test_2_one_generator_drawn_twice_is_wrong():
    generator = seed_everything(1)
    v = check_exercise_2.verdict(torch.rand(3, generator=generator), torch.rand(3, generator=generator))
    assert v.status == "wrong" and "differ" in v.detail


def test_2_seed_0_is_wrong():
    seed_0 = torch.rand(3, generator=seed_everything(0))
    v = check_exercise_2.verdict(seed_0, torch.rand(3, generator=seed_everything(0)))
    assert v.status == "wrong" and "seed 1 gives" in v.detail
