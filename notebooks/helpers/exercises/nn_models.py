"""The exercise checks of 05_nn_models: counting parameters, a module subclass, accuracy, soft targets."""

from __future__ import annotations

import torch
from torch import nn

from helpers.exercises import NotDoneYet, exercise, expect


@exercise(1)
def check_exercise_1(mlp_parameters) -> None:
    """The number of parameters of ``Linear(784, 128), ReLU(), Linear(128, 10)``. Taught in 05_nn_models."""
    if mlp_parameters is ...:
        raise NotDoneYet
    expect(isinstance(mlp_parameters, int), f"give a whole number (an int), not {type(mlp_parameters).__name__}")
    weights = 784 * 128 + 128 * 10
    expect(mlp_parameters != weights, f"{mlp_parameters} counts the weights only: each nn.Linear also has "
                                      "one bias per output")
    expect(mlp_parameters == weights + 128 + 10,
           f"{mlp_parameters} is not it: each nn.Linear(n_in, n_out) has n_in * n_out weights and n_out biases")


def _fault(net: nn.Module, linears: list[nn.Linear], x: torch.Tensor) -> str | None:
    # What the net computes, compared with the intended wiring of its three layers and with the usual slips.
    first, second, last = linears
    wirings = {
        None: lambda: last(torch.relu(second(torch.relu(first(x))))),
        "the network is affine (no ReLU between the layers): put a ReLU after each hidden layer":
            lambda: last(second(first(x))),
        "there is a ReLU after the first hidden layer only: put one after the second hidden layer too":
            lambda: last(second(torch.relu(first(x)))),
        "there is a ReLU after the second hidden layer only: put one after the first hidden layer too":
            lambda: last(torch.relu(second(first(x)))),
        "the output goes through a ReLU too, so the net can never predict a negative number: leave the last "
        "layer's output as it is": lambda: torch.relu(last(torch.relu(second(torch.relu(first(x)))))),
        "the hidden layers use a sigmoid: the exercise asks for a ReLU after each":
            lambda: last(torch.sigmoid(second(torch.sigmoid(first(x))))),
    }
    with torch.no_grad():
        out = net(x)
        for fault, wiring in wirings.items():
            if torch.allclose(out, wiring(), atol=1e-6):
                return fault
    return ("the output is not last(relu(second(relu(first(x))))) for the three nn.Linear layers in the order "
            "they were created")


@exercise(2)
def check_exercise_2(net_class) -> None:
    """``TwoHiddenLayerNet``: 10 -> 10 -> 10 -> 1 with ReLUs, 231 parameters. Taught in 05_nn_models."""
    generator = torch.Generator().manual_seed(5)
    with torch.random.fork_rng(devices=[]):  # creating the layers draws from the global generator: keep it
        torch.manual_seed(5)
        net = net_class()
        out = net(torch.randn(4, 10, generator=generator))
    if out is None:
        raise NotDoneYet
    expect(isinstance(out, torch.Tensor) and out.shape == (4, 1),
           f"a batch of 4 inputs should give shape (4, 1), got {getattr(out, 'shape', type(out).__name__)}")
    count = sum(p.numel() for p in net.parameters())
    expect(count > 0, "net.parameters() is empty: are the layers in a plain list instead of attributes "
                      "(or an nn.ModuleList)?")
    expect(count == 231, f"{count} parameters, expected 231 (three nn.Linear layers: 10 -> 10 -> 10 -> 1)")
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    shapes = [(m.in_features, m.out_features) for m in linears]
    expect(shapes == [(10, 10), (10, 10), (10, 1)], f"linear layers {shapes}, expected 10 -> 10, 10 -> 10, 10 -> 1")
    # 64 inputs spread wide enough that every ReLU cuts somewhere and the outputs take both signs.
    fault = _fault(net, linears, 3 * torch.randn(64, 10, generator=generator))
    expect(fault is None, fault or "")


@exercise(3)
def check_exercise_3(accuracy) -> None:
    """``accuracy(model, loader)``: the fraction of samples classified right, in eval mode. Taught in 05_nn_models."""
    from torch.utils.data import DataLoader, TensorDataset

    generator = torch.Generator().manual_seed(3)
    features = torch.randn(50, 4, generator=generator)
    labels = torch.randint(0, 3, (50,), generator=generator)
    linear = nn.Linear(4, 3)
    with torch.no_grad():
        linear.weight.copy_(torch.randn(3, 4, generator=generator))
        linear.bias.zero_()
    model = nn.Sequential(nn.Dropout(0.5), linear)
    with torch.no_grad():
        expected = (linear(features).argmax(dim=1) == labels).double().mean().item()
    # 50 samples in batches of 16: the last batch has 2, so a mean of batch accuracies is not the accuracy.
    loader = DataLoader(TensorDataset(features, labels), batch_size=16)
    model.train()  # as a model is left after training
    with torch.random.fork_rng(devices=[]):  # dropout in train mode draws from the global generator
        torch.manual_seed(3)
        result = accuracy(model, loader)
    if result is None:
        raise NotDoneYet
    expect(isinstance(result, (float, int, torch.Tensor)), f"return a number, not {type(result).__name__}")
    value = float(result)
    expect(0.0 <= value <= 1.0, f"got {value}: an accuracy is a fraction between 0 and 1, not a count")
    # What the two usual slips give: forgetting model.eval() (same dropout masks: same seed, same batches),
    # and averaging the accuracies of the batches.
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(3)
        model.train()
        right = [(model(xb).argmax(dim=1) == yb) for xb, yb in loader]
    in_train_mode = torch.cat(right).double().mean().item()
    model.eval()
    with torch.no_grad():
        batch_means = [(model(xb).argmax(dim=1) == yb).double().mean().item() for xb, yb in loader]
    expect(abs(value - expected) < 1e-6 or abs(value - in_train_mode) > 1e-6,
           f"got {value:.4f}, which is the accuracy with dropout switched on: call model.eval() first")
    expect(abs(value - expected) < 1e-6 or abs(value - sum(batch_means) / len(batch_means)) > 1e-6,
           f"got {value:.4f}, the mean of the batches' accuracies: the batches are not all the same size, so count "
           "the right predictions over all samples, then divide by the number of samples")
    expect(abs(value - expected) < 1e-6, f"got {value:.4f}, expected {expected:.4f}")


@exercise(4)
def check_exercise_4(soft_targets) -> None:
    """``soft_targets(labels, num_classes, smoothing)``: label-smoothed class probabilities. Taught in 05_nn_models."""
    labels = torch.tensor([0, 2, 1, 2])
    result = soft_targets(labels, 3, 0.1)
    if result is None:
        raise NotDoneYet
    expect(isinstance(result, torch.Tensor), f"return a tensor, not {type(result).__name__}")
    expect(result.shape == (4, 3), f"shape {tuple(result.shape)}, expected (4, 3): one row of probabilities per label")
    expect(result.is_floating_point(), f"dtype {result.dtype}: probabilities need a floating-point dtype")
    expected = torch.nn.functional.one_hot(labels, 3).float() * 0.9 + 0.1 / 3
    expect(torch.allclose(result.sum(dim=1), torch.ones(4), atol=1e-6), "each row should sum to 1")
    expect(not torch.equal(result, torch.nn.functional.one_hot(labels, 3).to(result.dtype)),
           "these are plain one-hot rows: the smoothing was not applied")
    expect(torch.allclose(result.float(), expected, atol=1e-6),
           f"row 0 is {[round(v, 4) for v in result[0].tolist()]}, "
           f"expected {[round(v, 4) for v in expected[0].tolist()]}: (1 - smoothing) on the right class "
           "plus smoothing / num_classes on every class")
    logits = torch.randn(4, 3, generator=torch.Generator().manual_seed(4))
    reference = nn.CrossEntropyLoss(label_smoothing=0.1)(logits, labels)
    expect(torch.allclose(nn.CrossEntropyLoss()(logits, result.float()), reference, atol=1e-6),
           "the loss with these targets differs from CrossEntropyLoss(label_smoothing=0.1)")
