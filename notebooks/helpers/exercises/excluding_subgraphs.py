"""Checks for the exercises of 08_excluding_subgraphs.

Each check builds its own tensors and networks; none draws from the global random generator's state in a way
that a verdict depends on.
"""

from __future__ import annotations

import torch
from torch import nn

from helpers.exercises import NotDoneYet, exercise, expect


@exercise(1)
def check_exercise_1(predicted_c, predicted_e) -> None:
    """Predictions: does ``x.detach() * 2 + z`` require a gradient? Does ``(x * 2).detach()``?

    Taught in 08_excluding_subgraphs.
    """
    if predicted_c is ... or predicted_e is ...:
        raise NotDoneYet
    for name, value in (("predicted_c", predicted_c), ("predicted_e", predicted_e)):
        expect(isinstance(value, bool), f"{name} is {value!r}: write True or False")
    x = torch.ones(2, requires_grad=True)
    z = torch.ones(2, requires_grad=True)
    c_requires = (x.detach() * 2 + z).requires_grad
    e_requires = (x * 2).detach().requires_grad
    expect(predicted_c == c_requires, f"c: you predicted {predicted_c}, but c.requires_grad is {c_requires}: "
           "x.detach() * 2 needs no gradient, but z does, and one such input is enough")
    expect(predicted_e == e_requires, f"e: you predicted {predicted_e}, but e.requires_grad is {e_requires}: "
           "detach() is applied last, to the result")


def _network() -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))


@exercise(2)
def check_exercise_2(freeze_all_but_last) -> None:
    """``freeze_all_but_last(net)`` leaves only the last layer of ``net`` trainable.

    Taught in 08_excluding_subgraphs.
    """
    net = _network()
    freeze_all_but_last(net)
    trainable = {name for name, p in net.named_parameters() if p.requires_grad}
    everything = {name for name, _ in net.named_parameters()}
    if trainable == everything:
        raise NotDoneYet
    frozen_last = sorted({"4.weight", "4.bias"} - trainable)
    expect(not frozen_last, f"the last layer must stay trainable, but {', '.join(frozen_last)} no longer "
           "requires a gradient")
    still = sorted(trainable - {"4.weight", "4.bias"})
    expect(not still, f"still trainable: {', '.join(still)}; freeze every layer but the last")
    count = sum(p.numel() for p in net.parameters() if p.requires_grad)
    expect(count == 10, f"{count} trainable parameters, expected 10")


@exercise(3)
def check_exercise_3(outputs) -> None:
    """``outputs(f, x, train)`` records a graph exactly when ``train`` is True, whatever the caller set.

    Taught in 08_excluding_subgraphs.
    """
    w = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    recording = []  # whether autograd recorded while f ran, one entry per call

    def f(x):
        recording.append(torch.is_grad_enabled())
        return x * w

    x = torch.tensor([0.5, 0.25, 2.0])
    result = outputs(f, x, True)
    if result is None:
        raise NotDoneYet
    with torch.no_grad():
        expect(torch.equal(result.detach(), f(x)), "the result should be f(x)")
    expect(result.grad_fn is not None, "outputs(f, x, train=True) recorded nothing: recording must be on")
    with torch.no_grad():
        inside = outputs(f, x, True)
    expect(inside.grad_fn is not None, "outputs(f, x, train=True) called inside torch.no_grad() recorded nothing: "
           "torch.set_grad_enabled(train) switches recording on as well as off")
    recording.clear()
    try:
        off = outputs(f, x, False)
        left_off = not torch.is_grad_enabled()
    finally:
        torch.set_grad_enabled(True)  # whatever the answer did, the reader's notebook records again
    expect(off.grad_fn is None and not off.requires_grad,
           f"outputs(f, x, train=False) recorded a graph (grad_fn {type(off.grad_fn).__name__}): recording must be off")
    expect(not any(recording), "outputs(f, x, train=False) ran f with recording on and detached the result: the "
           "graph was still built, which costs the memory that switching recording off saves")
    expect(not left_off, "recording was still off after your function returned: use a with block, which restores "
           "the previous setting")
    inside.sum().backward()
    expect(torch.equal(w.grad, x), "backward through outputs(f, x, True) did not reach f's weights as expected")
