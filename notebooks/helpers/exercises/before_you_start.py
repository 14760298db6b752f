"""The exercise checks of 00_before_you_start (see ``helpers.exercises`` for how a check reports)."""

from __future__ import annotations

from pathlib import Path

import torch

from helpers.environment import OUTPUT_DIR, shown_path
from helpers.exercises import NotDoneYet, exercise, expect


@exercise(1)
def check_exercise_1(notes) -> None:
    """``notes``: the path of ``notes.txt`` below ``output/00_before_you_start``, holding a line of text.

    Taught in 00_before_you_start.
    """
    if notes is ...:
        raise NotDoneYet
    expect(isinstance(notes, Path), f"notes should be a path (what output_path returns), not {type(notes).__name__}")
    wanted = (OUTPUT_DIR / "00_before_you_start" / "notes.txt").resolve()
    expect(notes.resolve() == wanted, f"the path is {shown_path(notes)}, expected {shown_path(wanted)}")
    expect(notes.is_file(), f"{shown_path(notes)} does not exist yet: write a line into it")
    expect(notes.read_text(encoding="utf-8").strip(), f"{shown_path(notes)} is empty: write a line into it")


@exercise(2)
def check_exercise_2(first_1, again_1) -> None:
    """Two draws of ``torch.rand(3)``, each from a fresh generator seeded with 1. Taught in 00_before_you_start."""
    if first_1 is ... or again_1 is ...:
        raise NotDoneYet
    for name, value in (("first_1", first_1), ("again_1", again_1)):
        expect(isinstance(value, torch.Tensor), f"{name} should be a tensor, not {type(value).__name__}")
        expect(value.shape == (3,), f"{name} has shape {tuple(value.shape)}, expected (3,)")
    expect(torch.equal(first_1, again_1),
           f"first_1 {first_1.tolist()} and again_1 {again_1.tolist()} differ: seed a fresh generator for each")
    expected = torch.rand(3, generator=torch.Generator().manual_seed(1))
    expect(torch.equal(first_1, expected), f"you drew {first_1.tolist()}, but seed 1 gives {expected.tolist()}")
