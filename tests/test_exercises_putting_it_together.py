"""The checks of 12_putting_it_together's exercises: the solutions pass, the skeletons are "not done yet", and
plausible wrong answers are "wrong"."""

from __future__ import annotations

import torch

from helpers.exercises.putting_it_together import check_exercise_1, check_exercise_2, check_exercise_3
from helpers.image_tables import digits_transforms, read_gray_image


def skeleton(*args):
    ...


# Exercise 1 -----------------------------------------------------------------------------------------------

def rates(max_lr, total_steps, *, after_step=False, pct_start=0.3):
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=max_lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=total_steps,
                                                    pct_start=pct_start)
    lrs = []
    for _ in range(total_steps):
        if not after_step:
            lrs.append(scheduler.get_last_lr()[0])
        optimizer.step()
        if not after_step or len(lrs) < total_steps - 1:
            scheduler.step()
        if after_step:
            lrs.append(scheduler.get_last_lr()[0])
    return lrs


def test_exercise_1():
    assert check_exercise_1.verdict(rates).status == "correct"
    assert check_exercise_1.verdict(skeleton).status == "not done yet"
    after = check_exercise_1.verdict(lambda m, t: rates(m, t, after_step=True))
    assert after.status == "wrong" and "step 0" in after.detail, after
    assert check_exercise_1.verdict(lambda m, t: rates(m, t, pct_start=0.25)).status == "wrong"
    assert check_exercise_1.verdict(lambda m, t: [m] * t).status == "wrong"
    assert check_exercise_1.verdict(lambda m, t: rates(m, t)[:-1]).status == "wrong"


# Exercise 2 -----------------------------------------------------------------------------------------------

@torch.no_grad()
def predict(model, path):
    model.eval()
    image = digits_transforms(train=False)(read_gray_image(path))
    return int(model(image.unsqueeze(0).to(next(model.parameters()).device)).argmax(dim=1).item())


def test_exercise_2():
    assert check_exercise_2.verdict(predict).status == "correct"
    assert check_exercise_2.verdict(skeleton).status == "not done yet"
    zero = check_exercise_2.verdict(lambda model, path: 0)
    assert zero.status == "wrong" and "returned 0" in zero.detail, zero

    def train_mode(model, path):
        with torch.no_grad():
            image = digits_transforms(train=False)(read_gray_image(path))
            return int(model(image.unsqueeze(0)).argmax(dim=1).item())

    verdict = check_exercise_2.verdict(train_mode)
    assert verdict.status == "wrong" and "training mode" in verdict.detail, verdict

    def with_gradients(model, path):
        model.eval()
        image = digits_transforms(train=False)(read_gray_image(path))
        return int(model(image.unsqueeze(0)).argmax(dim=1).item())

    verdict = check_exercise_2.verdict(with_gradients)
    assert verdict.status == "wrong" and "no_grad" in verdict.detail, verdict

    def tensor(model, path):
        model.eval()
        with torch.no_grad():
            return model(digits_transforms(train=False)(read_gray_image(path)).unsqueeze(0)).argmax(dim=1)

    verdict = check_exercise_2.verdict(tensor)
    assert verdict.status == "wrong" and "expected an int" in verdict.detail, verdict
    raw = check_exercise_2.verdict(lambda model, path: int(model(read_gray_image(path)).argmax()))
    assert raw.status == "wrong" and "raised" in raw.detail, raw


# Exercise 3 -----------------------------------------------------------------------------------------------

def stop_epoch(losses, patience):
    best, best_epoch = float("inf"), 0
    for epoch, loss in enumerate(losses, start=1):
        if loss < best:
            best, best_epoch = loss, epoch
        if epoch - best_epoch >= patience:
            return epoch
    return None


def larger_is_better(losses, patience):
    return stop_epoch([-loss for loss in losses], patience)


def counts_from_the_last_worse(losses, patience):
    worse = 0
    for epoch in range(1, len(losses)):
        worse = worse + 1 if losses[epoch] >= losses[epoch - 1] else 0
        if worse >= patience:
            return epoch + 1
    return None


def test_exercise_3():
    assert check_exercise_3.verdict(stop_epoch).status == "correct"
    assert check_exercise_3.verdict(skeleton).status == "not done yet"
    for wrong in (larger_is_better, counts_from_the_last_worse,
                  lambda losses, patience: stop_epoch(losses, patience + 1)):
        verdict = check_exercise_3.verdict(wrong)
        assert verdict.status == "wrong" and "expected" in verdict.detail, verdict
