"""Checks for the exercises of 11_data_handling: crop positions, integer classes, a balanced sampler."""

from __future__ import annotations

import re

import torch

from helpers.exercises import NotDoneYet, exercise, expect

#: Where the one white pixel of exercise 1's image sits: row 2, column 5.
PIXEL = (2, 5)


def _wanted_positions(padding: int) -> set[tuple[int, int]]:
    row, col = PIXEL
    shifts = range(-padding, padding + 1)
    return {(row + dy, col + dx) for dy in shifts for dx in shifts}


@exercise(1)
def check_exercise_1(pixel_positions) -> None:
    """``pixel_positions(transform, trials)``: the positions a random crop with padding moves a pixel to."""
    from torchvision.transforms import v2

    for padding, trials in ((1, 300), (2, 800)):
        with torch.random.fork_rng(devices=[]):  # the transforms draw from torch's global generator
            torch.manual_seed(padding)
            positions = pixel_positions(v2.RandomCrop(8, padding=padding), trials)
        if positions is None:
            raise NotDoneYet
        positions = set(positions)
        wanted = _wanted_positions(padding)
        odd = sorted((p for p in positions if not (isinstance(p, tuple) and len(p) == 2)), key=repr)
        expect(not odd, f"each position should be a (row, column) pair, found {odd[:3]}")
        as_ints = {tuple(int(v) for v in p) for p in positions}
        expect(as_ints == wanted,
               f"with padding={padding} and {trials} trials: got {len(as_ints)} positions, expected the "
               f"{len(wanted)} rows {PIXEL[0] - padding}..{PIXEL[0] + padding} x columns "
               f"{PIXEL[1] - padding}..{PIXEL[1] + padding}"
               + (f"; not expected: {sorted(as_ints - wanted)[:4]}" if as_ints - wanted else "")
               + (f"; missing: {sorted(wanted - as_ints)[:4]}" if wanted - as_ints else ""))


@exercise(2)
def check_exercise_2(integer_classes) -> None:
    """``integer_classes(df)``: the class_ column as ints, or a ValueError naming the column, row and value."""
    import pandas as pd

    good = pd.DataFrame({"path": ["a.png", "b.png", "c.png"], "class_": [3, 0, 9]})
    result = integer_classes(good)
    if result is None:
        raise NotDoneYet
    result = list(result)
    expect(result == [3, 0, 9] and all(type(v) is int for v in result),
           f"for the classes 3, 0, 9 it returned {result!r}; expected the Python ints [3, 0, 9]")
    bad_tables = {
        "a word": ([0, "three", 2], "three"),
        "a fraction": ([0, 2.5, 1], "2.5"),
        "a missing value": ([0.0, float("nan"), 1.0], "nan"),
    }
    for what, (values, shown) in bad_tables.items():
        table = pd.DataFrame({"path": ["a.png", "b.png", "c.png"], "class_": values})
        try:
            integer_classes(table)
        except ValueError as error:
            message = str(error)
            expect("class_" in message, f"the error for {what} does not name the column 'class_': {message!r}")
            # The row as its own words ("row 1", "row: 1"), not just a "1" somewhere in the message.
            expect(re.search(r"\brow\W{0,3}1\b", message, re.IGNORECASE) is not None,
                   f"the error for {what} does not name the row as 'row 1': {message!r}")
            expect(shown in message.lower(), f"the error for {what} does not show the value {shown}: {message!r}")
        else:
            raise AssertionError(f"no ValueError for a class_ column holding {what} in row 1: {values!r}")


@exercise(3)
def check_exercise_3(balanced_sampler) -> None:
    """``balanced_sampler(labels, generator)``: a WeightedRandomSampler that draws every class equally often."""
    from torch.utils.data import WeightedRandomSampler

    labels = torch.cat([torch.zeros(400), torch.ones(100), torch.full((20,), 2)]).long()
    draws = []
    for global_seed in (1, 2):  # the same generator must give the same draws, whatever the global state
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(global_seed)
            sampler = balanced_sampler(labels.clone(), torch.Generator().manual_seed(0))
            if sampler is None:
                raise NotDoneYet
            expect(isinstance(sampler, WeightedRandomSampler),
                   f"return a WeightedRandomSampler, not {type(sampler).__name__}")
            draws.append(torch.tensor(list(sampler)))
    drawn = draws[0]
    expect(len(drawn) == len(labels), f"it draws {len(drawn)} indices per epoch, expected len(labels) = {len(labels)}")
    expect(bool(sampler.replacement), "draw with replacement: without it an epoch is a permutation of the data, "
           "as imbalanced as the data")
    expect(int(drawn.max()) < len(labels) and int(drawn.max()) > 2,
           f"it only draws the indices {sorted(set(drawn.tolist()))[:5]}: give one weight per sample, not per class")
    expect(torch.equal(draws[0], draws[1]), "two samplers made with equally seeded generators draw different "
           "indices: pass the generator to WeightedRandomSampler")
    shares = torch.bincount(labels[drawn], minlength=3).double() / len(drawn)
    expect(bool(((shares - 1 / 3).abs() < 0.08).all()),
           f"the classes come up with the shares {[round(s, 2) for s in shares.tolist()]} (the data has "
           f"[0.77, 0.19, 0.04]); each should be about 0.33: weight each sample by 1 / (samples of its class)")
