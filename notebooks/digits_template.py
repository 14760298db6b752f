"""The training template of 12_putting_it_together as a script you can copy and adapt.

    python notebooks/digits_template.py --epochs 15 --workers 2
    python notebooks/digits_template.py --epochs 15 --resume     # continue from the last checkpoint

It writes the digits as PNG files and a CSV table, splits them into training, validation and test
parts, trains ``helpers.digits.DigitsCNN`` with AdamW and a one-cycle schedule, keeps the best model
by validation accuracy, and evaluates it once on the test part. Every function takes what it uses as
arguments, so each one can be lifted into another project. Checkpoints go through
``helpers.checkpoints.save_checkpoint`` (atomic, with the optimizer and scheduler state).

Training starts only under ``if __name__ == "__main__":``. With ``--workers`` above 0 this matters:
under the "spawn" start method (the default on macOS and Windows) every DataLoader worker is a fresh
Python interpreter that imports this file; without the guard, each worker would start training again.
Taught in 12_putting_it_together.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Subset

from helpers.checkpoints import load_checkpoint, save_checkpoint
from helpers.digits import DigitsCNN, stratified_split
from helpers.environment import get_device, output_path, seed_everything
from helpers.image_tables import ImagesDataset, digits_transforms, write_digits_png


def make_loaders(csv_path, *, batch_size=64, workers=2, seed=0, pin_memory=False):
    """Training, validation and test loaders over the table at ``csv_path``, and the test rows."""
    train_set = ImagesDataset.from_csv(csv_path, transform=digits_transforms(train=True))
    eval_set = ImagesDataset.from_csv(csv_path, transform=digits_transforms(train=False))
    labels = np.array(eval_set.targets)
    train_val_idx, test_idx = stratified_split(labels, test_fraction=0.2, seed=0)
    train_pos, val_pos = stratified_split(labels[train_val_idx], test_fraction=0.15, seed=0)
    train_idx, val_idx = train_val_idx[train_pos], train_val_idx[val_pos]
    train_loader = DataLoader(Subset(train_set, train_idx), batch_size=batch_size, shuffle=True, drop_last=True,
                              num_workers=workers, persistent_workers=workers > 0, pin_memory=pin_memory,
                              generator=torch.Generator().manual_seed(seed))
    val_loader = DataLoader(Subset(eval_set, val_idx), batch_size=512, pin_memory=pin_memory)
    test_loader = DataLoader(Subset(eval_set, test_idx), batch_size=512, pin_memory=pin_memory)
    return train_loader, val_loader, test_loader


def data_shape(loader):
    """(number of classes, channels, image size) read from the data, not hard-coded."""
    dataset = loader.dataset
    image, _ = dataset[0]
    targets = dataset.dataset.targets if isinstance(dataset, Subset) else dataset.targets
    return len(set(targets)), image.shape[0], image.shape[-1]


def autocast_for(device, dtype):
    """``torch.autocast`` for ``device`` with ``dtype``, or a context that does nothing when ``dtype`` is None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


@contextlib.contextmanager
def compute_threads(threads):
    """Run the block with torch computing on ``threads`` CPU threads (None: leave it), then restore the number."""
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def train_one_epoch(model, loader, criterion, optimizer, scheduler, device, *, clip_norm=None, amp_dtype=None,
                    scaler=None):
    """One pass over ``loader`` in training mode; returns (mean loss, accuracy)."""
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for inputs, targets in loader:
        inputs = inputs.to(device, non_blocking=True)
        targets = targets.to(device, non_blocking=True)
        with autocast_for(device, amp_dtype):
            logits = model(inputs)
            loss = criterion(logits, targets)
        optimizer.zero_grad()
        if scaler is not None:  # float16 on CUDA: scale the loss so that small gradients do not underflow
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
        else:
            loss.backward()
        if clip_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        scheduler.step()  # after optimizer.step()
        total_loss += loss.item() * len(targets)
        correct += (logits.argmax(dim=1) == targets).sum().item()
        seen += len(targets)
    return total_loss / seen, correct / seen


@torch.no_grad()
def evaluate(model, loader, criterion, device, *, amp_dtype=None):
    """Mean loss, accuracy, and every prediction (on the CPU) in the loader's order."""
    model.eval()
    total_loss, predictions, truth = 0.0, [], []
    for inputs, targets in loader:
        with autocast_for(device, amp_dtype):
            logits = model(inputs.to(device))
            total_loss += criterion(logits.float(), targets.to(device)).item() * len(targets)
        predictions.append(logits.argmax(dim=1).cpu())
        truth.append(targets)
    predictions, truth = torch.cat(predictions), torch.cat(truth)
    return total_loss / len(truth), (predictions == truth).float().mean().item(), predictions


class EarlyStopping:
    """Stop when the validation metric has not improved for ``patience`` epochs (larger is better)."""

    def __init__(self, patience):
        self.patience, self.best, self.best_epoch = patience, None, 0

    def step(self, metric, epoch):
        """Record ``metric`` for ``epoch``; return True when training should stop."""
        if self.best is None or metric > self.best:
            self.best, self.best_epoch = metric, epoch
        return self.patience is not None and epoch - self.best_epoch >= self.patience


def fit(model, train_loader, val_loader, *, epochs, device, max_lr=3e-3, weight_decay=1e-4, clip_norm=None,
        patience=None, amp_dtype=None, checkpoint_dir=None, resume=False, stop_after=None, log=print):
    """Train ``model`` and return its history: a dict of per-epoch lists (losses, accuracies, learning rate).

    Everything it uses comes in as an argument. The optimizer and the one-cycle schedule are built
    here, for this call, so calling ``fit`` again starts a fresh schedule. With ``checkpoint_dir``,
    ``last.pt`` (everything needed to resume) is written after every epoch and ``best.pt`` whenever
    the validation accuracy improves (ties go to the lower validation loss). ``resume=True``
    continues from ``last.pt``. ``stop_after`` ends the call after that epoch (to show resuming).
    """
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=max_lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, epochs=epochs,
                                                    steps_per_epoch=len(train_loader))
    scaler = torch.amp.GradScaler(device.type) if amp_dtype == torch.float16 else None
    history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "lr": []}
    best = (-1.0, 0.0)  # (validation accuracy, -validation loss): larger is better
    start_epoch = 0
    generator = train_loader.generator
    if checkpoint_dir is not None:
        checkpoint_dir = Path(checkpoint_dir)
        if resume and (checkpoint_dir / "last.pt").exists():
            state = load_checkpoint(checkpoint_dir / "last.pt", model=getattr(model, "_orig_mod", model),
                                    optimizer=optimizer, scheduler=scheduler, generator=generator,
                                    map_location=device)
            start_epoch, history, best = state["epoch"], state["history"], tuple(state["best"])
            log(f"resumed after epoch {start_epoch}")
    weights = getattr(model, "_orig_mod", model)  # a torch.compile'd model saves its original's weights
    stopper = EarlyStopping(patience)
    for epoch, val_acc in enumerate(history["val_acc"], start=1):
        stopper.step(val_acc, epoch)
    log("epoch  train loss  train acc  val loss  val acc")
    for epoch in range(start_epoch + 1, epochs + 1):
        train_loss, train_acc = train_one_epoch(model, train_loader, criterion, optimizer, scheduler, device,
                                                clip_norm=clip_norm, amp_dtype=amp_dtype, scaler=scaler)
        val_loss, val_acc, _ = evaluate(model, val_loader, criterion, device, amp_dtype=amp_dtype)
        lr = scheduler.get_last_lr()[0]  # where the schedule stands at the end of the epoch
        for key, value in zip(history, (train_loss, train_acc, val_loss, val_acc, lr)):
            history[key].append(value)
        note = ""
        if (val_acc, -val_loss) > best:
            best = (val_acc, -val_loss)
            if checkpoint_dir is not None:
                save_checkpoint(checkpoint_dir / "best.pt", model=weights, epoch=epoch, val_accuracy=val_acc)
            note = "  best"
        if checkpoint_dir is not None:
            save_checkpoint(checkpoint_dir / "last.pt", model=weights, epoch=epoch, optimizer=optimizer,
                            scheduler=scheduler, generator=generator, history=history, best=list(best))
        log(f"{epoch:5d}  {train_loss:10.4f}  {train_acc:9.4f}  {val_loss:8.4f}  {val_acc:7.4f}{note}")
        if stopper.step(val_acc, epoch):
            log(f"early stop: no better validation accuracy for {patience} epochs")
            break
        if epoch == stop_after:
            break
    return history


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for training (default: torch's choice; 1 suits tiny models on few cores)")
    parser.add_argument("--max-lr", type=float, default=3e-3)
    parser.add_argument("--clip-norm", type=float, default=None, help="clip the gradient norm to this value")
    parser.add_argument("--patience", type=int, default=None, help="early stopping after this many epochs")
    parser.add_argument("--bf16", action="store_true", help="bfloat16 autocast (CPU and recent GPUs)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model (slow to start)")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    parser.add_argument("--out-dir", type=Path, default=None, help="default: output/digits_template")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    seed_everything(args.seed)  # the weights; the training loader has its own generator, seeded the same
    device = get_device()
    out_dir = args.out_dir or output_path("digits_template", "checkpoints", "last.pt").parent
    csv_path = write_digits_png(output_path("digits_template", "digits"))
    train_loader, val_loader, test_loader = make_loaders(csv_path, workers=args.workers, seed=args.seed,
                                                         pin_memory=device.type == "cuda")
    num_classes, in_channels, image_size = data_shape(train_loader)
    model = DigitsCNN(num_classes=num_classes, in_channels=in_channels, image_size=image_size).to(device)
    trained = torch.compile(model) if args.compile else model
    start = time.perf_counter()
    with compute_threads(args.threads):
        fit(trained, train_loader, val_loader, epochs=args.epochs, device=device, max_lr=args.max_lr,
            clip_norm=args.clip_norm, patience=args.patience, amp_dtype=torch.bfloat16 if args.bf16 else None,
            checkpoint_dir=out_dir, resume=args.resume)
    print(f"trained in {time.perf_counter() - start:.1f} s")
    best = DigitsCNN(num_classes=num_classes, in_channels=in_channels, image_size=image_size).to(device)
    state = load_checkpoint(out_dir / "best.pt", model=best, map_location=device, restore_rng=False)
    test_loss, test_acc, _ = evaluate(best, test_loader, nn.CrossEntropyLoss(), device)
    print(f"best epoch {state['epoch']} (validation accuracy {state['val_accuracy']:.4f})")
    print(f"test loss {test_loss:.4f}")
    print(f"test accuracy {test_acc:.4f}")


if __name__ == "__main__":
    main()
