"""The exercise checks of 14_from_2017_code_to_today (see ``helpers.exercises`` for how a check reports)."""

from __future__ import annotations

import inspect

import torch

from helpers.exercises import NotDoneYet, exercise, expect


@exercise(1)
def check_exercise_1(make_weights) -> None:
    """``make_weights(generator)``: a 5x1 float32 leaf drawn with ``torch.randn`` that requires gradients.

    Taught in 14_from_2017_code_to_today.
    """
    w = make_weights(torch.Generator().manual_seed(3))
    if w is None:
        raise NotDoneYet
    expect(isinstance(w, torch.Tensor), f"make_weights returned a {type(w).__name__}, not a tensor")
    expect(w.shape == (5, 1), f"the weights have shape {tuple(w.shape)}, expected (5, 1)")
    expect(w.dtype == torch.float32, f"the weights are {w.dtype}, expected torch.float32")
    expect(w.requires_grad, "the weights do not require gradients: backward() would not fill their .grad")
    expect(w.is_leaf, f"the weights are not a leaf (grad_fn {type(w.grad_fn).__name__}): backward() would not "
                      "fill their .grad; ask for requires_grad when you create them, or call requires_grad_()")
    expected = torch.randn(5, 1, generator=torch.Generator().manual_seed(3))
    expect(torch.equal(w.detach(), expected), "the values are not torch.randn(5, 1) drawn from the generator given")
    try:
        source = inspect.getsource(make_weights)
    except (OSError, TypeError):  # no source to read (a built-in, or defined where Python keeps none)
        source = ""
    expect("Variable" not in source, "make_weights still uses Variable, the 2017 wrapper the task asks to replace: "
                                     "ask torch.randn for requires_grad=True instead")


@exercise(2)
def check_exercise_2(rates_per_epoch) -> None:
    """``rates_per_epoch(optimizer, scheduler, epochs)``: the learning rate of each epoch, in today's order.

    Taught in 14_from_2017_code_to_today.
    """
    import warnings

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rates = rates_per_epoch(optimizer, scheduler, 6)
    if rates is None:
        raise NotDoneYet
    expected = [0.2, 0.2, 0.1, 0.1, 0.05, 0.05]
    ordering = [w for w in caught if "lr_scheduler.step()" in str(w.message)]
    expect(not ordering, "PyTorch warned that scheduler.step() was called before optimizer.step()")
    expect(len(rates) == len(expected), f"{len(rates)} rates for 6 epochs")
    expect([round(float(r), 6) for r in rates] == expected, f"rates {list(rates)}, expected {expected}")
