"""Checks for the exercises of 04_static_vs_dynamic_graphs.

The checks build their own inputs: exercise 1 runs the counting loop in plain Python, exercise 2 exports the
reader's module and looks for a ``cond`` in its graph, exercise 3 runs the reader's exported program on batch
sizes other than the example's. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import torch

from helpers.exercises import NotDoneYet, exercise, expect


def count_up(first: int, second: int) -> tuple[int, int]:
    """The lesson's loop: add 2 to the first counter and 1 to the second until the first catches up."""
    while first < second:
        first, second = first + 2, second + 1
    return first, second


@exercise(1)
def check_exercise_1(predicted) -> None:
    """``count_up(5, 10)`` worked out by hand, as a pair of numbers."""
    if predicted is ...:
        raise NotDoneYet
    expect(isinstance(predicted, tuple | list) and len(predicted) == 2,
           f"expected a pair of numbers such as (1, 2), got {predicted!r}")
    expected = count_up(5, 10)
    expect(tuple(int(v) for v in predicted) == expected,
           f"{tuple(predicted)} is not what the loop returns: after k rounds the counters are 5 + 2k and 10 + k")


@exercise(2)
def check_exercise_2(module_class) -> None:
    """``ClampNegative``: x when x.sum() > 0, zeros otherwise, with torch.cond so that export keeps both."""
    positive, negative = torch.tensor([1.0, 2.0]), torch.tensor([-3.0, 1.0])
    output = module_class()(positive)
    if output is None or output is ...:
        raise NotDoneYet
    exported = torch.export.export(module_class(), (positive,))
    calls = [str(node.target) for node in exported.graph.nodes if node.op == "call_function"]
    expect(any(call.endswith("cond") for call in calls),
           f"the exported graph has no cond, only {calls}: use torch.cond, which keeps both branches")
    for x, expected in ((positive, [1.0, 2.0]), (negative, [0.0, 0.0]), (torch.tensor([4.0, -1.0]), [4.0, -1.0])):
        got = exported.module()(x).tolist()
        expect(got == expected, f"for x = {x.tolist()} the exported module gives {got}, expected {expected}")


@exercise(3)
def check_exercise_3(export_any_batch) -> None:
    """``export_any_batch(model, example)``: an ExportedProgram whose first dimension may be any size, 1 included."""
    generator = torch.Generator().manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator))
    example = torch.randn(2, 4, generator=generator)
    exported = export_any_batch(model, example)
    if exported is None:
        raise NotDoneYet
    expect(isinstance(exported, torch.export.ExportedProgram),
           f"export_any_batch returned {type(exported).__name__}, not the torch.export.ExportedProgram")
    for batch in (1, 3, 17):
        x = torch.randn(batch, 4, generator=generator)
        try:
            got = exported.module()(x)
        except Exception as error:  # a guard on the batch size
            first_line = str(error).strip().splitlines()[0]
            raise AssertionError(f"a batch of {batch} fails: {first_line}") from None
        expect(torch.allclose(got, model(x)), f"a batch of {batch} gives other values than the model")
