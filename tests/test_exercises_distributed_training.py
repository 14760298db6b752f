"""The checks of 13_distributed_training's exercises: the solutions pass, the skeletons are "not done yet", and
plausible wrong answers are "wrong"."""

from __future__ import annotations

import torch
from torch import nn

from helpers.exercises.distributed_training import check_exercise_1, check_exercise_2, check_exercise_3


def skeleton(*args):
    ...


def shard(n, rank, world_size, seed, epoch, *, pad=True, add_epoch=True, blocks=False):
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch * add_epoch)).tolist()
    per_rank = -(-n // world_size)  # ceiling
    if pad:
        while len(order) < per_rank * world_size:
            order += order[: per_rank * world_size - len(order)]
    if blocks:
        return order[rank * per_rank:(rank + 1) * per_rank]
    return order[rank::world_size]


def test_exercise_1():
    assert check_exercise_1.verdict(shard).status == "correct"
    assert check_exercise_1.verdict(skeleton).status == "not done yet"
    for options in ({"pad": False}, {"add_epoch": False}, {"blocks": True}):
        verdict = check_exercise_1.verdict(lambda *args, options=options: shard(*args, **options))
        assert verdict.status == "wrong" and "DistributedSampler" in verdict.detail, (options, verdict)


def epoch_orders(sampler, epochs):
    orders = []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        orders.append(list(sampler))
    return orders


def test_exercise_2():
    assert check_exercise_2.verdict(epoch_orders).status == "correct"
    assert check_exercise_2.verdict(skeleton).status == "not done yet"
    forgot = check_exercise_2.verdict(lambda sampler, epochs: [list(sampler) for _ in range(epochs)])
    assert forgot.status == "wrong" and "set_epoch(1)" in forgot.detail, forgot

    def counts_from_one(sampler, epochs):
        orders = []
        for epoch in range(1, epochs + 1):
            sampler.set_epoch(epoch)
            orders.append(list(sampler))
        return orders

    assert check_exercise_2.verdict(counts_from_one).status == "wrong"


def freeze_batchnorm(model):
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.eval()
    return model


def test_exercise_3():
    assert check_exercise_3.verdict(freeze_batchnorm).status == "correct"
    assert check_exercise_3.verdict(skeleton).status == "not done yet"
    whole = check_exercise_3.verdict(lambda model: model.eval())
    assert whole.status == "wrong" and "eval mode too" in whole.detail, whole

    def no_grad(model):
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.requires_grad_(False)
        return model

    verdict = check_exercise_3.verdict(no_grad)
    assert verdict.status == "wrong" and "training mode" in verdict.detail, verdict

    def only_2d(model):
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.eval()
        return model

    verdict = check_exercise_3.verdict(only_2d)
    assert verdict.status == "wrong" and "BatchNorm1d" in verdict.detail, verdict
    assert check_exercise_3.verdict(lambda model: freeze_batchnorm(model) and None).status == "wrong"
