"""Unit tests for the checkpoint helpers taught in 09_training_process.

save_checkpoint / load_checkpoint must round-trip, resume a run exactly, refuse a
damaged file with an error that names it, and never destroy the last good
checkpoint when a write fails halfway.
"""

from __future__ import annotations

import io

import pytest
import torch
from torch import nn

from helpers import checkpoints
from helpers.checkpoints import CheckpointError, load_checkpoint, save_atomically, save_checkpoint


def make_run(seed: int, dropout: float = 0.0):
    """A tiny model, optimizer with momentum, scheduler and shuffling generator, all from one seed."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(dropout), nn.Linear(8, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    generator = torch.Generator().manual_seed(seed)
    return model, optimizer, scheduler, generator


def data():
    g = torch.Generator().manual_seed(123)
    x = torch.randn(40, 4, generator=g)
    y = torch.randint(0, 3, (40,), generator=g)
    return x, y


def train_epochs(model, optimizer, scheduler, generator, epochs: int) -> list[float]:
    x, y = data()
    losses = []
    model.train()
    for _ in range(epochs):
        total = 0.0
        for batch in torch.randperm(len(x), generator=generator).split(10):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            total += loss.item()
        scheduler.step()
        losses.append(total)
    return losses


def test_round_trip_restores_every_part(tmp_path):
    model, optimizer, scheduler, generator = make_run(0)
    train_epochs(model, optimizer, scheduler, generator, 2)
    path = save_checkpoint(tmp_path / "ck.pt", model=model, optimizer=optimizer, scheduler=scheduler,
                           generator=generator, epoch=2, best_accuracy=0.75)
    assert path == tmp_path / "ck.pt"

    model2, optimizer2, scheduler2, generator2 = make_run(1)  # different weights and state
    state = load_checkpoint(path, model=model2, optimizer=optimizer2, scheduler=scheduler2, generator=generator2)
    assert state["epoch"] == 2 and state["best_accuracy"] == 0.75
    for key, value in model.state_dict().items():
        assert torch.equal(value, model2.state_dict()[key]), key
    assert scheduler2.get_last_lr() == scheduler.get_last_lr() == [0.025]
    assert torch.equal(generator2.get_state(), generator.get_state())
    momentum = [s["momentum_buffer"] for s in optimizer.state_dict()["state"].values()]
    momentum2 = [s["momentum_buffer"] for s in optimizer2.state_dict()["state"].values()]
    assert all(torch.equal(a, b) for a, b in zip(momentum, momentum2)) and len(momentum) == 6


def test_checkpoint_loads_with_plain_weights_only_torch_load(tmp_path):
    model, optimizer, scheduler, generator = make_run(0)
    save_checkpoint(tmp_path / "ck.pt", model=model, optimizer=optimizer, scheduler=scheduler,
                    generator=generator, epoch=0)
    state = torch.load(tmp_path / "ck.pt", weights_only=True)
    assert {"epoch", "model", "optimizer", "scheduler", "generator", "torch_rng"} <= set(state)


@pytest.mark.parametrize("dropout", [0.0, 0.5], ids=["no-dropout", "dropout-uses-global-rng"])
def test_resume_continues_exactly_like_an_uninterrupted_run(tmp_path, dropout):
    straight = train_epochs(*make_run(0, dropout), epochs=4)

    model, optimizer, scheduler, generator = make_run(0, dropout)
    first_half = train_epochs(model, optimizer, scheduler, generator, 2)
    save_checkpoint(tmp_path / "ck.pt", model=model, optimizer=optimizer, scheduler=scheduler,
                    generator=generator, epoch=2)
    torch.manual_seed(999)  # whatever happens in between must not matter
    torch.rand(100)
    model, optimizer, scheduler, generator = make_run(7, dropout)
    state = load_checkpoint(tmp_path / "ck.pt", model=model, optimizer=optimizer, scheduler=scheduler,
                            generator=generator)
    second_half = train_epochs(model, optimizer, scheduler, generator, 4 - state["epoch"])

    assert first_half + second_half == straight  # bit for bit, not approximately


def test_resume_is_not_exact_without_the_optimizer_state(tmp_path):
    """The test above can fail: dropping the momentum buffers changes the continuation."""
    straight = train_epochs(*make_run(0), epochs=4)
    model, optimizer, scheduler, generator = make_run(0)
    first_half = train_epochs(model, optimizer, scheduler, generator, 2)
    save_checkpoint(tmp_path / "ck.pt", model=model, scheduler=scheduler, generator=generator, epoch=2)
    model, optimizer, scheduler, generator = make_run(7)
    load_checkpoint(tmp_path / "ck.pt", model=model, scheduler=scheduler, generator=generator)
    assert first_half + train_epochs(model, optimizer, scheduler, generator, 2) != straight


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing_here.pt"):
        load_checkpoint(tmp_path / "nothing_here.pt")


@pytest.mark.parametrize("cut", [0, 10, 0.5, -1], ids=["empty", "10-bytes", "half", "last-byte-missing"])
def test_truncated_file_gives_a_clear_error_naming_the_file(tmp_path, cut):
    path = save_checkpoint(tmp_path / "ck.pt", model=nn.Linear(3, 2), epoch=1)
    data = path.read_bytes()
    cut = int(len(data) * cut) if isinstance(cut, float) else cut
    path.write_bytes(data[:cut])
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, model=nn.Linear(3, 2))
    message = str(info.value)
    assert str(path) in message
    assert "empty" in message if cut == 0 else "truncated or corrupt" in message


def test_garbage_and_foreign_files_are_refused_clearly(tmp_path):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all " * 20)
    with pytest.raises(CheckpointError, match="garbage.pt.*truncated or corrupt"):
        load_checkpoint(garbage)

    not_a_checkpoint = tmp_path / "weights.pt"
    torch.save({"weight": torch.zeros(2)}, not_a_checkpoint)
    with pytest.raises(CheckpointError, match="weights.pt is not a training checkpoint"):
        load_checkpoint(not_a_checkpoint)

    whole_model = tmp_path / "whole.pt"
    torch.save(nn.Linear(3, 2), whole_model)
    with pytest.raises(CheckpointError, match="whole.pt.*weights_only"):
        load_checkpoint(whole_model)


def test_asking_for_a_part_the_file_lacks_is_an_error(tmp_path):
    path = save_checkpoint(tmp_path / "ck.pt", model=nn.Linear(3, 2), epoch=0)
    optimizer = torch.optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1)
    with pytest.raises(CheckpointError, match="no optimizer state"):
        load_checkpoint(path, optimizer=optimizer)


def test_a_write_that_fails_midway_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "ck.pt", model=nn.Linear(3, 2), epoch=1)
    good_bytes = path.read_bytes()

    real_save = torch.save

    def save_half_then_fail(obj, file):
        buffer = io.BytesIO()
        real_save(obj, buffer)
        file.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])  # half the bytes reach the disk ...
        raise OSError("No space left on device")  # ... then the disk is full

    monkeypatch.setattr(checkpoints.torch, "save", save_half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(path, model=nn.Linear(3, 2), epoch=2)
    monkeypatch.undo()

    assert path.read_bytes() == good_bytes
    assert load_checkpoint(path)["epoch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.pt"], "temporary file left behind"


def test_an_object_that_cannot_be_pickled_does_not_clobber_the_file(tmp_path):
    path = save_atomically({"epoch": 1}, tmp_path / "ck.pt")
    with pytest.raises(Exception, match="pickle"):
        save_atomically({"epoch": 2, "callback": lambda: None}, path)
    assert torch.load(path, weights_only=True) == {"epoch": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.pt"]


def test_save_creates_missing_folders(tmp_path):
    path = save_atomically({"x": torch.ones(2)}, tmp_path / "a" / "b" / "ck.pt")
    assert torch.equal(torch.load(path, weights_only=True)["x"], torch.ones(2))


def test_rng_states_stay_cpu_byte_tensors_whatever_map_location_is(tmp_path):
    """map_location="meta" is a device other than the CPU on every machine: the weights go there, while the
    generator states must still reach ``Generator.set_state`` as CPU byte tensors (on CUDA or MPS a plain
    ``torch.load(map_location=device)`` moves them too, and ``set_state`` raises a TypeError)."""
    model, optimizer, scheduler, generator = make_run(0)
    train_epochs(model, optimizer, scheduler, generator, 1)
    path = save_checkpoint(tmp_path / "ck.pt", model=model, optimizer=optimizer, scheduler=scheduler,
                           generator=generator, epoch=1)
    expected_next = torch.randperm(40, generator=generator.clone_state())
    plain = torch.load(path, map_location="meta", weights_only=True)
    with pytest.raises(TypeError, match="ByteTensor"):  # what the helper must avoid
        torch.Generator().set_state(plain["generator"])

    restored = torch.Generator().manual_seed(99)
    state = load_checkpoint(path, generator=restored, map_location="meta")
    assert {t.device.type for t in state["model"].values()} == {"meta"}, "map_location was not applied"
    for key in ("torch_rng", "generator"):
        assert state[key].device.type == "cpu" and state[key].dtype == torch.uint8, key
    assert torch.equal(torch.randperm(40, generator=restored), expected_next)
