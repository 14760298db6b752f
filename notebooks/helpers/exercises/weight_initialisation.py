"""Checks for the exercises of 07_weight_initialisation.

Each check builds its own layers and draws from its own seed (a local generator, or the global one inside
``torch.random.fork_rng``, which puts the reader's random state back afterwards), so a verdict does not
depend on what ran before.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from helpers.exercises import NotDoneYet, exercise, expect

# A normal distribution puts 8.3% of its values beyond sqrt(3) standard deviations; a uniform one, none.
_NORMAL_TAIL = 2 * (1 - 0.5 * (1 + math.erf(math.sqrt(3) / math.sqrt(2))))


@exercise(1)
def check_exercise_1(reinit) -> None:
    """``reinit(weight, generator)`` fills ``weight`` in place with ``kaiming_normal_`` for ReLU layers.

    Taught in 07_weight_initialisation.
    """
    weight = nn.Linear(512, 128).weight
    before = weight.detach().clone()
    returned = reinit(weight, torch.Generator().manual_seed(0))
    changed = not torch.equal(weight.detach(), before)
    if returned is None and not changed:
        raise NotDoneYet
    expect(changed, "the weight is unchanged: fill it in place (the init functions end in _), do not return a copy")
    expect(isinstance(weight, nn.Parameter) and weight.is_leaf, "the weight is no longer a leaf parameter")
    values = weight.detach()
    std, expected = values.std().item(), math.sqrt(2 / 512)
    expect(
        abs(std - expected) < 0.003,
        f"standard deviation {std:.4f}, expected sqrt(2 / 512) = {expected:.4f}"
        + (" (mode='fan_out' uses the 128 outputs: keep the default fan_in)" if abs(std - math.sqrt(2 / 128)) < 0.006
           else ": check mode and nonlinearity"),
    )
    tail = (values.abs() > math.sqrt(3) * expected).double().mean().item()
    expect(
        abs(tail - _NORMAL_TAIL) < 0.02,
        f"{tail:.1%} of the weights lie beyond sqrt(3) standard deviations, where a normal distribution puts "
        f"{_NORMAL_TAIL:.1%}: the values are not normally distributed (kaiming_uniform_ instead of kaiming_normal_?)",
    )
    again = torch.empty(128, 512)
    reinit(again, torch.Generator().manual_seed(0))
    expect(torch.equal(again, values), "two calls with equally seeded generators drew different numbers: pass "
           "generator=generator to the init function")


def _xavier_bound(linear: nn.Linear) -> float:
    return math.sqrt(6 / (linear.in_features + linear.out_features))


@exercise(2)
def check_exercise_2(init_linear) -> None:
    """``init_linear(m)`` for ``model.apply``: Xavier-uniform weights, zero biases, other modules untouched.

    Taught in 07_weight_initialisation.
    """
    with torch.random.fork_rng(devices=[]):  # the reader's function draws from the global generator
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(64, 128), nn.LayerNorm(128), nn.ReLU(), nn.Linear(128, 32))
        with torch.no_grad():  # a LayerNorm that is not at its defaults shows whether the answer touched it
            model[1].weight.uniform_(0.5, 1.5)
            model[1].bias.uniform_(-0.5, 0.5)
        before = {name: t.clone() for name, t in model.state_dict().items()}
        model.apply(init_linear)
    after = model.state_dict()
    if all(torch.equal(t, before[name]) for name, t in after.items()):
        raise NotDoneYet
    expect(
        all(torch.equal(after[name], before[name]) for name in ("1.weight", "1.bias")),
        "the LayerNorm's weight or bias changed: leave every module that is not an nn.Linear alone",
    )
    for index in (0, 3):
        linear = model[index]
        name = f"nn.Linear({linear.in_features}, {linear.out_features})"
        weight = linear.weight.detach()
        expect(not torch.equal(weight, before[f"{index}.weight"]), f"the weight of {name} was not re-initialised")
        bound = _xavier_bound(linear)
        largest = weight.abs().max().item()
        expect(largest <= bound, f"{name}: a weight of size {largest:.3f} lies outside Xavier-uniform's range "
               f"[-{bound:.3f}, {bound:.3f}] (xavier_normal_ instead of xavier_uniform_?)")
        expect(largest > 0.9 * bound, f"{name}: the largest weight is {largest:.3f}, far inside Xavier-uniform's "
               f"range [-{bound:.3f}, {bound:.3f}]: still the default initialisation, or a smaller gain?")
        nonzero = torch.count_nonzero(linear.bias).item()
        expect(nonzero == 0, f"{name}: {nonzero} of its {linear.out_features} biases are not zero")


def _model() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 4))


@exercise(3)
def check_exercise_3(materialise) -> None:
    """``materialise(model, device)``: a model built on the meta device, given memory and initialised.

    Taught in 07_weight_initialisation.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        eager = _model()  # built the ordinary way: each layer initialised as it is created
        with torch.device("meta"):
            model = _model()
        torch.manual_seed(0)
        returned = materialise(model, torch.device("cpu"))
    tensors = dict(model.named_parameters()) | dict(model.named_buffers())
    if returned is None and all(t.is_meta for t in tensors.values()):
        raise NotDoneYet
    if returned is not None and returned is not model:
        model = returned
        tensors = dict(model.named_parameters()) | dict(model.named_buffers())
    on_meta = [name for name, t in tensors.items() if t.is_meta]
    expect(not on_meta, f"still on the meta device (no memory, no values): {', '.join(on_meta)}")
    expected = eager.state_dict()
    differing = [name for name, t in model.state_dict().items() if not torch.equal(t, expected[name])]
    expect(
        not differing,
        f"{', '.join(differing)} differ from a model built the ordinary way with the same seed: to_empty() "
        "gives memory without values; call reset_parameters() on every module that has one, in model.modules() order",
    )
