"""Checks for the exercises of 12_putting_it_together: a one-cycle schedule, predicting one file, early stopping."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import torch
from torch import nn

from helpers.exercises import NotDoneYet, exercise, expect


def _one_cycle_rates(max_lr: float, total_steps: int) -> list[float]:
    """The learning rate before each of ``total_steps`` steps of ``OneCycleLR`` (the reference)."""
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=max_lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=total_steps)
    rates = []
    for _ in range(total_steps):
        rates.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    return rates


@exercise(1)
def check_exercise_1(one_cycle_rates) -> None:
    """``one_cycle_rates(max_lr, total_steps)`` lists the learning rate before each step of OneCycleLR."""
    first = one_cycle_rates(3e-3, 100)
    if first is None:
        raise NotDoneYet
    for max_lr, total_steps in ((3e-3, 100), (0.1, 37)):
        got = first if (max_lr, total_steps) == (3e-3, 100) else one_cycle_rates(max_lr, total_steps)
        wanted = _one_cycle_rates(max_lr, total_steps)
        expect(len(got) == total_steps, f"one_cycle_rates({max_lr}, {total_steps}) has {len(got)} values, "
                                        f"expected one per step: {total_steps}")
        for step, (lr, expected) in enumerate(zip(got, wanted)):
            expect(math.isclose(float(lr), expected, rel_tol=1e-6, abs_tol=1e-12),
                   f"one_cycle_rates({max_lr}, {total_steps}): step {step} has learning rate {float(lr):.6g}, "
                   f"OneCycleLR uses {expected:.6g} before that step")


class _ModeProbe(nn.Module):
    """Passes its input through and notes the mode and the gradient setting of every call."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, torch.is_grad_enabled()))
        return x


def _template_classifier(images: torch.Tensor, labels: torch.Tensor) -> nn.Sequential:
    """A linear model whose class scores are the dot products with each class's mean image (centred)."""
    from helpers.image_tables import digits_transforms

    transform = digits_transforms(train=False)
    x = torch.stack([transform(image.unsqueeze(0)) for image in images]).flatten(1)
    means = torch.stack([x[labels == c].mean(dim=0) for c in range(10)])
    model = nn.Sequential(_ModeProbe(), nn.Flatten(), nn.Linear(64, 10))
    with torch.no_grad():
        model[2].weight.copy_(means - means.mean(dim=0))
        model[2].bias.zero_()
    return model


@exercise(2)
def check_exercise_2(predict) -> None:
    """``predict(model, path)`` reads one PNG, transforms it for evaluation and returns the class as an int."""
    from PIL import Image

    from helpers.digits import load_digits_arrays

    pixels, labels = load_digits_arrays()
    images, labels = torch.from_numpy(pixels), torch.from_numpy(labels)
    model = _template_classifier(images[:500], labels[:500])
    model.train()  # as a model is after training: predict must switch it to evaluation mode
    with tempfile.TemporaryDirectory(prefix="exercise-12-") as folder:
        cases = []
        for index in range(500, len(labels)):  # one test image per class that this model gets right
            if labels[index].item() not in {label for _, label in cases}:
                with torch.no_grad():
                    score = model[2](model[1](images[index].float().div(255).unsqueeze(0)))
                if score.argmax().item() == labels[index].item():
                    path = Path(folder) / f"digit{len(cases)}.png"
                    Image.fromarray(pixels[index]).save(path)
                    cases.append((path, labels[index].item()))
            if len(cases) == 10:
                break
        model[0].calls.clear()
        answers = [predict(model, path) for path, _ in cases]
        if all(answer is None for answer in answers):
            raise NotDoneYet
    for (path, label), answer in zip(cases, answers):
        expect(type(answer) is int, f"predict returned {type(answer).__name__} {answer!r}, expected an int "
                                    "(int(... .item()) turns a one-element tensor into one)")
        expect(answer == label, f"predict(model, {path.name}) returned {answer}; the model predicts {label} for that "
                                f"image (its answers for the ten files: {answers})")
    expect(model[0].calls, "predict never called the model")
    expect(not any(training for training, _ in model[0].calls),
           "the model ran in training mode: call model.eval() first (dropout and batch norm behave differently)")
    expect(not any(grad for _, grad in model[0].calls),
           "gradients were tracked: run the model under torch.no_grad() (or torch.inference_mode())")


def _stop_epoch(losses, patience):
    best, best_epoch = math.inf, 0
    for epoch, loss in enumerate(losses, start=1):
        if loss < best:
            best, best_epoch = loss, epoch
        if epoch - best_epoch >= patience:
            return epoch
    return None


@exercise(3)
def check_exercise_3(stop_epoch) -> None:
    """``stop_epoch(losses, patience)``: the epoch after which training stops (smaller loss is better), or None."""
    cases = [([1.0, 0.8, 0.7, 0.72, 0.71, 0.75], 3), ([1.0, 0.8, 0.7, 0.72, 0.71, 0.75], 4),
             ([0.5, 0.6, 0.7, 0.8], 2), ([0.5, 0.6, 0.4, 0.45, 0.3], 2), ([0.9, 0.9, 0.9], 1),
             ([0.3, 0.2, 0.1], 1)]
    answers = [stop_epoch(list(losses), patience) for losses, patience in cases]
    if all(answer is None for answer in answers):
        raise NotDoneYet
    for (losses, patience), answer in zip(cases, answers):
        wanted = _stop_epoch(losses, patience)
        expect(answer == wanted, f"stop_epoch({losses}, patience={patience}) returned {answer!r}, expected "
                                 f"{wanted!r}")
