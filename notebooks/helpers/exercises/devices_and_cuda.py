"""The exercise checks of 06_devices_and_cuda: moving nested data, throughput, autocast dtypes, a scaled step."""

from __future__ import annotations

from collections import namedtuple

import torch
from torch import nn

from helpers.exercises import NotDoneYet, exercise, expect

_Batch = namedtuple("_Batch", ["inputs", "labels"])


@exercise(1)
def check_exercise_1(to_device) -> None:
    """``to_device(obj, device)`` moves every tensor in nested lists, tuples and dicts. Taught in 06_devices_and_cuda.

    The check moves CPU tensors to the ``meta`` device, which every machine has, so that an answer that
    moves nothing is caught on a CPU-only machine too.
    """
    text = "text"
    nested = {"x": torch.ones(2), "pair": (torch.zeros(1), 3), "items": [torch.ones(1), text, {"deep": torch.ones(3)}],
              "batch": _Batch(torch.ones(2, 3), torch.zeros(2))}
    out = to_device(nested, torch.device("meta"))
    if out is None:
        raise NotDoneYet
    expect(isinstance(out, dict) and set(out) == set(nested), "return a dict with the same keys for a dict")
    expect(isinstance(out["x"], torch.Tensor) and out["x"].device.type == "meta",
           f"out['x'] is on {getattr(out['x'], 'device', None)}, expected meta: move every tensor")
    expect(isinstance(out["pair"], tuple), f"out['pair'] is a {type(out['pair']).__name__}: keep tuples as tuples")
    expect(isinstance(out["items"], list), f"out['items'] is a {type(out['items']).__name__}: keep lists as lists")
    expect(out["pair"][0].device.type == "meta", "the tensor inside the tuple was not moved")
    expect(out["items"][2]["deep"].device.type == "meta", "the tensor in the dict inside the list was not moved: "
                                                          "move nested containers too (recursion)")
    expect(out["pair"][1] == 3 and out["items"][1] is text, "leave anything that is not a tensor as it is")
    expect(nested["x"].device.type == "cpu", "the input was changed: return new containers instead")
    batch = out["batch"]
    expect(type(batch) is _Batch, f"a namedtuple came back as a {type(batch).__name__}: build it with "
                                  "type(obj)(*moved), since a namedtuple takes its fields as separate arguments")
    expect(batch.inputs.device.type == "meta" and batch.labels.device.type == "meta",
           "the tensors inside the namedtuple were not moved")


@exercise(2)
def check_exercise_2(gflops) -> None:
    """``gflops(seconds, n)``: GFLOP/s of one n x n matrix product. Taught in 06_devices_and_cuda."""
    first = gflops(1.0, 1024)
    if first is None:
        raise NotDoneYet
    expect(abs(first - 1.073741824) > 1e-9, f"gflops(1.0, 1024) gave {first}: a product of n x n matrices "
                                            "takes n^3 multiplications and about as many additions, 2 n^3 in all")
    expect(abs(first - 2.147483648) < 1e-9, f"gflops(1.0, 1024) gave {first}, expected 2.147483648: 2 n^3 "
                                            "operations per second, counted in units of 1e9")
    second = gflops(0.5, 512)
    expect(abs(second - 0.536870912) < 1e-9, f"gflops(0.5, 512) gave {second}, expected 0.536870912: "
                                             "divide by the time")


@exercise(3)
def check_exercise_3(product_dtype, total_dtype, sum_dtype) -> None:
    """Predicted dtypes of ``mm``, ``+`` and ``.sum()`` under CPU bfloat16 autocast. Taught in 06_devices_and_cuda."""
    if ... in (product_dtype, total_dtype, sum_dtype):
        raise NotDoneYet
    a = torch.ones(4, 4)
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        product = torch.mm(a, a)
        total = a + a
        product_sum = product.sum()
    expect(product_dtype == product.dtype, f"torch.mm gives {product.dtype}, not {product_dtype}: matrix products "
                                           "are on autocast's lower-precision list")
    expect(total_dtype == total.dtype, f"a + b gives {total.dtype}, not {total_dtype}: an addition is on no list, "
                                       "it keeps its inputs' dtype")
    expect(sum_dtype == product_sum.dtype, f"product.sum() gives {product_sum.dtype}, not {sum_dtype}: on the CPU "
                                           "sum is on no list, so it keeps its input's dtype")


class _RecordingScaler(torch.amp.GradScaler):
    # A GradScaler that notes which of its methods the answer called, in order.
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = []

    def scale(self, outputs):
        self.calls.append("scale")
        return super().scale(outputs)

    def unscale_(self, optimizer):
        self.calls.append("unscale_")
        return super().unscale_(optimizer)

    def step(self, optimizer, *args, **kwargs):
        self.calls.append("step")
        return super().step(optimizer, *args, **kwargs)

    def update(self, new_scale=None):
        self.calls.append("update")
        return super().update(new_scale)


def _setup(seed: int = 6):
    generator = torch.Generator().manual_seed(seed)
    model = nn.Linear(5, 3)
    with torch.no_grad():
        model.weight.copy_(torch.randn(3, 5, generator=generator))
        model.bias.copy_(torch.randn(3, generator=generator))
    features = torch.randn(16, 5, generator=generator)
    targets = torch.randn(16, 3, generator=generator) * 10
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    scaler = _RecordingScaler("cpu", init_scale=2.0**10)
    loss = nn.functional.mse_loss(model(features), targets)
    return model, optimizer, scaler, loss


@exercise(4)
def check_exercise_4(clipped_step) -> None:
    """``clipped_step(loss, model, optimizer, scaler, max_norm)``: a scaled, clipped step.

    Taught in 06_devices_and_cuda.
    """
    model, optimizer, scaler, loss = _setup()
    before = [p.detach().clone() for p in model.parameters()]
    norm = clipped_step(loss, model, optimizer, scaler, 1.0)
    untouched = all(p.grad is None for p in model.parameters())
    if norm is None and untouched:
        raise NotDoneYet
    expect(not untouched, "no gradients were computed: call backward on the scaled loss")
    expect("scale" in scaler.calls, "the scaler was not used: backward through scaler.scale(loss), so that small "
                                    "float16 gradients do not underflow")
    expect(norm is not None, "return the gradient norm that clip_grad_norm_ gives")

    # What the step should do, computed without a scaler: the gradient norm, then SGD on clipped gradients.
    ref_model, ref_optimizer, _, ref_loss = _setup()
    ref_loss.backward()
    ref_norm = nn.utils.clip_grad_norm_(ref_model.parameters(), 1.0)
    ref_optimizer.step()

    value = float(norm)
    expect(abs(value - scaler.get_scale() * ref_norm.item()) > 1e-3 * value,
           f"the norm {value:.1f} is the scale ({scaler.get_scale():.0f}) times the true one ({ref_norm.item():.3f}): "
           "call scaler.unscale_(optimizer) before clipping")
    expect(abs(value - ref_norm.item()) <= 1e-4 * ref_norm.item(),
           f"gradient norm {value:.4f}, expected {ref_norm.item():.4f}")
    moved = any(not torch.equal(p, b) for p, b in zip(model.parameters(), before))
    expect(moved, "the parameters did not change: call scaler.step(optimizer)")
    expect("step" in scaler.calls, "optimizer.step() was called directly: call scaler.step(optimizer), which "
                                   "skips the step when the gradients are not finite")
    expect("update" in scaler.calls and scaler.calls.index("update") > scaler.calls.index("step"),
           f"the scaler's calls were {scaler.calls}: call scaler.update() after scaler.step(optimizer), so that "
           "the scale adapts")
    same = all(torch.allclose(p, r, atol=1e-6) for p, r in zip(model.parameters(), ref_model.parameters()))
    expect(same, "the parameters differ from a step with clipped gradients: clip with "
                 "torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm) between unscale_ and step")
