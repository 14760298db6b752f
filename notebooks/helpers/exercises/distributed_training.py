"""Checks for the exercises of 13_distributed_training: a rank's shard, set_epoch, BatchNorm in eval mode."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DistributedSampler

from helpers.exercises import NotDoneYet, exercise, expect


class _Sized:
    """A stand-in dataset: DistributedSampler only needs its length."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n


@exercise(1)
def check_exercise_1(shard) -> None:
    """``shard(n, rank, world_size, seed, epoch)`` lists the indices DistributedSampler gives ``rank``."""
    if shard(10, 0, 2, 0, 0) is None:
        raise NotDoneYet
    for n, world_size, seed, epoch in ((10, 2, 0, 0), (1437, 2, 0, 1), (11, 3, 5, 2), (5, 4, 1, 0)):
        for rank in range(world_size):
            got = shard(n, rank, world_size, seed, epoch)
            got = got.tolist() if isinstance(got, torch.Tensor) else list(got)
            sampler = DistributedSampler(_Sized(n), num_replicas=world_size, rank=rank, shuffle=True, seed=seed)
            sampler.set_epoch(epoch)
            wanted = list(sampler)
            expect(len(got) == len(wanted), f"shard(n={n}, rank={rank}, world_size={world_size}) has {len(got)} "
                                            f"indices, DistributedSampler gives {len(wanted)} (padded to equal shards)")
            expect(got == wanted, f"shard(n={n}, rank={rank}, world_size={world_size}, seed={seed}, epoch={epoch}) "
                                  f"starts {got[:5]}, DistributedSampler's starts {wanted[:5]}")


@exercise(2)
def check_exercise_2(epoch_orders) -> None:
    """``epoch_orders(sampler, epochs)`` returns the order of each epoch, a new shuffle every epoch."""
    sampler = DistributedSampler(_Sized(12), num_replicas=2, rank=1, shuffle=True, seed=3)
    orders = epoch_orders(sampler, 3)
    if orders is None:
        raise NotDoneYet
    orders = [list(order) for order in orders]
    expect(len(orders) == 3, f"epoch_orders(sampler, 3) returned {len(orders)} orders, expected 3")
    for epoch, order in enumerate(orders):
        reference = DistributedSampler(_Sized(12), num_replicas=2, rank=1, shuffle=True, seed=3)
        reference.set_epoch(epoch)
        expect(order == list(reference), f"epoch {epoch}'s order is {order}, expected {list(reference)} "
                                         f"(set_epoch({epoch}) before iterating)")


def _model() -> nn.Sequential:
    with torch.random.fork_rng(devices=[]):  # the reader's global random state stays as it was
        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.5),
                             nn.Flatten(), nn.Linear(4 * 8 * 8, 10), nn.BatchNorm1d(10))


@exercise(3)
def check_exercise_3(freeze_batchnorm) -> None:
    """``freeze_batchnorm(model)`` puts every BatchNorm layer in eval mode and leaves the rest in training mode."""
    model = _model()
    model.train()
    returned = freeze_batchnorm(model)
    if returned is None and all(module.training for module in model.modules()):
        raise NotDoneYet
    expect(returned is model, "freeze_batchnorm should return the model it was given")
    norms = [module for module in model.modules() if isinstance(module, nn.modules.batchnorm._BatchNorm)]
    for index, module in enumerate(norms):
        expect(not module.training, f"BatchNorm layer {index} ({type(module).__name__}) is still in training mode")
    for module in model.modules():
        if not isinstance(module, nn.modules.batchnorm._BatchNorm) and not isinstance(module, nn.Sequential):
            expect(module.training, f"{type(module).__name__} is in eval mode too: only BatchNorm should be "
                                    "(model.eval() switches off dropout as well)")
    expect(all(p.requires_grad for p in model.parameters()),
           "some parameters no longer require gradients: freezing BatchNorm's statistics is eval mode, "
           "its weight and bias still learn")
    before = [module.running_mean.clone() for module in norms]
    batch = torch.rand(6, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    with torch.random.fork_rng(devices=[]):
        model(batch)
    expect(all(torch.equal(a, m.running_mean) for a, m in zip(before, norms)),
           "a forward pass changed BatchNorm's running mean")
