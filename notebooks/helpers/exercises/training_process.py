"""Checks for the exercises of 09_training_process: a warmup-cosine factor, gradient accumulation, a resume."""

from __future__ import annotations

import functools
import math

import torch
from torch import nn
from torch.optim import lr_scheduler

from helpers.exercises import NotDoneYet, exercise, expect

#: LinearLR's start_factor in the lesson's warmup: the first step uses a tenth of the peak rate.
START_FACTOR = 0.1


def _rates(scheduler_for, total_steps: int) -> list[float]:
    """The learning rate of each of ``total_steps`` optimizer steps under ``scheduler_for(optimizer)``."""
    with torch.random.fork_rng(devices=[]):  # the reader's global random state stays as it was
        optimizer = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.2)
    scheduler = scheduler_for(optimizer)
    rates = []
    for _ in range(total_steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


def warmup_cosine(optimizer, warmup_steps: int, total_steps: int) -> lr_scheduler.SequentialLR:
    """The lesson's schedule: LinearLR from START_FACTOR for ``warmup_steps``, then a cosine to zero."""
    return lr_scheduler.SequentialLR(optimizer, [
        lr_scheduler.LinearLR(optimizer, start_factor=START_FACTOR, total_iters=warmup_steps),
        lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps),
    ], milestones=[warmup_steps])


def _call_factor(factor, step: int, *, warmup_steps: int, total_steps: int) -> float:
    return factor(step, warmup_steps, total_steps)


@exercise(1)
def check_exercise_1(factor) -> None:
    """``factor(step, warmup_steps, total_steps)`` makes LambdaLR follow the warmup-cosine schedule."""
    if factor(0, 5, 40) is None:
        raise NotDoneYet
    for warmup_steps, total_steps in ((5, 40), (3, 17)):
        wanted = _rates(functools.partial(warmup_cosine, warmup_steps=warmup_steps, total_steps=total_steps),
                        total_steps)
        reader_factor = functools.partial(_call_factor, factor, warmup_steps=warmup_steps, total_steps=total_steps)
        got = _rates(functools.partial(lr_scheduler.LambdaLR, lr_lambda=reader_factor), total_steps)
        for step, (lr, expected) in enumerate(zip(got, wanted)):
            expect(math.isclose(lr, expected, rel_tol=1e-9, abs_tol=1e-12),
                   f"with warmup_steps={warmup_steps}, total_steps={total_steps}, step {step} uses learning rate "
                   f"{lr:.6f}, the warmup-cosine schedule {expected:.6f} (peak 0.2)")


def _accumulation_problem():
    """A small model, its optimizer and a batch of 20 samples in micro-batches of 8, 8 and 4 (a ragged end)."""
    generator = torch.Generator().manual_seed(9)
    x = torch.randn(20, 6, generator=generator)
    y = torch.randint(0, 3, (20,), generator=generator)
    with torch.random.fork_rng(devices=[]):  # the reader's global random state stays as it was
        model = nn.Linear(6, 3)
    with torch.no_grad():
        model.weight.copy_(torch.randn(3, 6, generator=generator))
        model.bias.copy_(torch.randn(3, generator=generator))
    return model, x, y, [(x[:8], y[:8]), (x[8:16], y[8:16]), (x[16:], y[16:])]


@exercise(2)
def check_exercise_2(accumulate_and_step) -> None:
    """``accumulate_and_step(model, optimizer, micro_batches)`` takes the step of the whole batch, returns its loss."""
    reference, x, y, _ = _accumulation_problem()
    optimizer = torch.optim.SGD(reference.parameters(), lr=0.5)
    optimizer.zero_grad()
    whole_loss = nn.functional.cross_entropy(reference(x), y)
    whole_loss.backward()
    optimizer.step()

    model, _, _, micro_batches = _accumulation_problem()
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for p in model.parameters():  # gradients left over from an earlier batch must not count
        p.grad = torch.ones_like(p)
    loss = accumulate_and_step(model, optimizer, micro_batches)
    if loss is None and all(torch.equal(p, b) for p, b in zip(model.parameters(), before)):
        raise NotDoneYet
    expect(not all(torch.equal(p, b) for p, b in zip(model.parameters(), before)),
           "the parameters did not change: call optimizer.step() once, after the last micro-batch")
    expect(loss is not None, "return the loss of the whole batch (a float)")
    loss = float(loss)
    expect(math.isclose(loss, whole_loss.item(), rel_tol=1e-5),
           f"returned loss {loss:.6f}, the mean loss over all 20 samples is {whole_loss.item():.6f}")
    worst = max((p - r).abs().max().item() for p, r in zip(model.parameters(), reference.parameters()))
    expect(worst < 1e-5,
           f"the parameters after the step differ from one step on the whole batch by up to {worst:.4f}: "
           "start from zeroed gradients, weight each micro-batch's mean loss by its share of the samples "
           "(8/20, 8/20, 4/20) and step once at the end")


def _resume_setup(seed: int):
    """A model with momentum, a scheduler and a shuffling generator, all fresh, built from ``seed``."""
    with torch.random.fork_rng(devices=[]):  # the reader's global random state stays as it was
        torch.manual_seed(seed)
        model = nn.Linear(4, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    return model, optimizer, scheduler, torch.Generator().manual_seed(seed)


def _train(model, optimizer, scheduler, generator, epochs: int) -> list[float]:
    data = torch.Generator().manual_seed(1)
    x, y = torch.randn(24, 4, generator=data), torch.randint(0, 3, (24,), generator=data)
    losses = []
    for _ in range(epochs):
        for batch in torch.randperm(24, generator=generator).split(8):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
    return losses


@exercise(3)
def check_exercise_3(resume) -> None:
    """``resume(path, model, optimizer, scheduler, generator)`` restores every part and returns the epoch."""
    from helpers.environment import output_path

    path = output_path("09_training_process", "exercise_3_checkpoint.pt")
    model, optimizer, scheduler, generator = _resume_setup(seed=0)
    _train(model, optimizer, scheduler, generator, epochs=2)
    torch.save({"epoch": 2, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "generator": generator.get_state()}, path)
    uninterrupted = _train(model, optimizer, scheduler, generator, epochs=2)

    fresh = _resume_setup(seed=1)
    try:
        epoch = resume(path, *fresh)
    finally:
        path.unlink(missing_ok=True)
    fresh_model, fresh_optimizer, fresh_scheduler, fresh_generator = fresh
    untouched = _resume_setup(seed=1)
    if epoch is None and torch.equal(fresh_model.weight, untouched[0].weight):
        raise NotDoneYet
    expect(epoch == 2, f"resume returned {epoch!r}; the checkpoint says 2 epochs are done")
    reference_model, reference_optimizer, reference_scheduler, reference_generator = _resume_setup(seed=0)
    _train(reference_model, reference_optimizer, reference_scheduler, reference_generator, epochs=2)
    expect(all(torch.equal(a, b) for a, b in zip(fresh_model.state_dict().values(),
                                                    reference_model.state_dict().values())),
           "the model's weights were not restored (model.load_state_dict)")
    expect(bool(fresh_optimizer.state), "the optimizer's momentum buffers were not restored "
           "(optimizer.load_state_dict)")
    expect(fresh_scheduler.last_epoch == 2, f"the scheduler is at epoch {fresh_scheduler.last_epoch}, not 2 "
           "(scheduler.load_state_dict)")
    expect(torch.equal(fresh_generator.get_state(), reference_generator.get_state()),
           "the shuffling generator's state was not restored (generator.set_state)")
    resumed = _train(fresh_model, fresh_optimizer, fresh_scheduler, fresh_generator, epochs=2)
    expect(resumed == uninterrupted, "the resumed run's losses differ from the uninterrupted run's")
