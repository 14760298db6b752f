"""The training template of 12_putting_it_together as a script you can copy and adapt.

    python notebooks/digits_template.py --epochs 15 --workers 2
    python notebooks/digits_template.py --epochs 15 --resume     # continue from the last checkpoint

It writes the digits as PNG files and a CSV table, splits them into training, validation and test
parts, trains ``helpers.digits.DigitsCNN`` with AdamW (no weight decay on biases and normalisation
parameters) and a one-cycle schedule, keeps the best model by validation accuracy, and evaluates it
once on the test part. Every function takes what it uses as arguments (the loss, optimizer, schedule
and metric too), so each one can be lifted into another project. Checkpoints go through
``helpers.checkpoints.save_checkpoint`` (atomic, with the optimizer, scheduler, scaler and random
states, and the run's settings: a resume with other settings is refused, naming them).

Training starts only under ``if __name__ == "__main__":``. With ``--workers`` above 0 this matters
on every system: under the "spawn" start method (macOS, Windows) and "forkserver" (Linux's default from
Python 3.14) every DataLoader worker imports this file; without the guard, each would start training.
Taught in 12_putting_it_together.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
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


def make_loaders(csv_path, *, batch_size=64, workers=2, seed=0, pin_memory=False, persistent_workers=False):
    """Three loaders over the table at ``csv_path``: (training, validation, test).

    The test part is 20% of the rows, stratified, always the same (seed 0); validation is 15% of the rest. The
    training loader shuffles and augments, drawing from its own generator seeded with ``seed``. With
    ``persistent_workers=False`` (the default) the workers restart every epoch, seeded from that generator, so a
    resumed run repeats the uninterrupted one exactly; ``True`` saves the restarts but not the exact resume.
    """
    train_set = ImagesDataset.from_csv(csv_path, transform=digits_transforms(train=True))
    eval_set = ImagesDataset.from_csv(csv_path, transform=digits_transforms(train=False))
    labels = np.array(eval_set.targets)
    train_val_idx, test_idx = stratified_split(labels, test_fraction=0.2, seed=0)
    train_pos, val_pos = stratified_split(labels[train_val_idx], test_fraction=0.15, seed=0)
    train_idx, val_idx = train_val_idx[train_pos], train_val_idx[val_pos]
    train_loader = DataLoader(Subset(train_set, train_idx), batch_size=batch_size, shuffle=True, drop_last=True,
                              num_workers=workers, persistent_workers=persistent_workers and workers > 0,
                              pin_memory=pin_memory, generator=torch.Generator().manual_seed(seed))
    val_loader = DataLoader(Subset(eval_set, val_idx), batch_size=512, pin_memory=pin_memory)
    test_loader = DataLoader(Subset(eval_set, test_idx), batch_size=512, pin_memory=pin_memory)
    return train_loader, val_loader, test_loader


def data_shape(loader):
    """(number of classes, channels, image size) read from the data, not hard-coded."""
    dataset = loader.dataset
    image, _ = dataset[0]
    targets = dataset.dataset.targets if isinstance(dataset, Subset) else dataset.targets
    return len(set(targets)), image.shape[0], image.shape[-1]


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


def parameter_groups(model, weight_decay):
    """The model's parameters in two groups: weight decay on the weight matrices and kernels, none on biases and
    normalisation parameters (the tensors with one dimension)."""
    decay, no_decay = [], []
    for parameter in model.parameters():
        if parameter.requires_grad:
            (decay if parameter.ndim > 1 else no_decay).append(parameter)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def default_optimizer(model, lr=3e-3, weight_decay=1e-4):
    """AdamW over ``parameter_groups(model, weight_decay)``; ``lr`` is the peak of the one-cycle schedule."""
    return torch.optim.AdamW(parameter_groups(model, weight_decay), lr=lr)


def one_cycle(optimizer, total_steps):
    """OneCycleLR over ``total_steps`` batches, peaking at each parameter group's learning rate."""
    peaks = [group["lr"] for group in optimizer.param_groups]
    return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=peaks, total_steps=total_steps)


def constant_lr(optimizer, total_steps):
    """A schedule that keeps the optimizer's learning rate (for early stopping, which ends at no fixed step)."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)


def accuracy(logits, targets):
    """The share of samples whose largest logit is at the true class."""
    return (logits.argmax(dim=1) == targets).float().mean().item()


def autocast_for(device, dtype):
    """``torch.autocast`` for ``device`` with ``dtype``, or a context that does nothing when ``dtype`` is None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def train_one_epoch(model, loader, criterion, optimizer, scheduler, device, *, metric=accuracy, clip_norm=None,
                    amp_dtype=None, scaler=None):
    """One pass over ``loader`` in training mode, the scheduler stepped after every batch.

    Returns the mean loss and the mean of ``metric(logits, targets)`` over the batches, weighted by batch size.
    """
    model.train()
    total_loss, total_metric, seen = 0.0, 0.0, 0
    for inputs, targets in loader:
        inputs = inputs.to(device, non_blocking=True)
        targets = targets.to(device, non_blocking=True)
        with autocast_for(device, amp_dtype):
            logits = model(inputs)
            loss = criterion(logits, targets)
        optimizer.zero_grad()
        if scaler is not None:  # float16: scale the loss so that small gradients do not underflow
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
        else:
            loss.backward()
        if clip_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        if scaler is not None:
            scaler.step(optimizer)  # skipped if the gradients overflowed
            scaler.update()
        else:
            optimizer.step()
        scheduler.step()  # after optimizer.step()
        total_loss += loss.item() * len(targets)
        total_metric += metric(logits.detach().float(), targets) * len(targets)
        seen += len(targets)
    return total_loss / seen, total_metric / seen


@torch.no_grad()
def evaluate(model, loader, criterion, device, *, metric=accuracy, amp_dtype=None):
    """Mean loss, ``metric(logits, targets)`` over the whole loader, and every predicted class (on the CPU)."""
    model.eval()
    total_loss, all_logits, truth = 0.0, [], []
    for inputs, targets in loader:
        with autocast_for(device, amp_dtype):
            logits = model(inputs.to(device)).float()
        total_loss += criterion(logits, targets.to(device)).item() * len(targets)
        all_logits.append(logits.cpu())
        truth.append(targets)
    all_logits, truth = torch.cat(all_logits), torch.cat(truth)
    return total_loss / len(truth), metric(all_logits, truth), all_logits.argmax(dim=1)


class EarlyStopping:
    """Stop when the validation metric has not improved for ``patience`` epochs (larger is better)."""

    def __init__(self, patience):
        self.patience, self.best, self.best_epoch = patience, None, 0

    def step(self, metric, epoch):
        """Record ``metric`` for ``epoch``; return True when training should stop."""
        if self.best is None or metric > self.best:
            self.best, self.best_epoch = metric, epoch
        return self.patience is not None and epoch - self.best_epoch >= self.patience


def config_changes(saved, current):
    """The settings whose values differ between two run configurations, as 'name: was X, now Y' lines."""
    return [f"{name}: was {saved.get(name)!r}, now {current.get(name)!r}"
            for name in sorted(saved.keys() | current.keys()) if saved.get(name) != current.get(name)]


def fit(model, train_loader, val_loader, *, epochs, device, criterion=None, make_optimizer=default_optimizer,
        make_scheduler=one_cycle, metric=accuracy, clip_norm=None, patience=None, amp_dtype=None,
        checkpoint_dir=None, resume=False, config=None, writer=None, stop_after=None, log=print):
    """Train ``model``; return its history, a dict of per-epoch lists (losses, metric values, learning rate).

    What it trains with comes in as arguments: ``criterion`` (default: cross-entropy), ``make_optimizer(model)``
    and ``make_scheduler(optimizer, total_steps)``, called here so that every call starts a fresh optimizer and
    schedule (the scheduler steps once per batch), and ``metric(logits, targets)``, larger is better.
    ``amp_dtype`` is None, ``torch.bfloat16`` or ``torch.float16`` (with a ``GradScaler``). ``patience`` stops
    after that many epochs without a better validation metric; it refuses a one-cycle schedule, which only ends
    well at its last step. ``writer`` (a TensorBoard ``SummaryWriter``) gets every logged value per epoch.

    With ``checkpoint_dir``, ``last.pt`` (model, optimizer, scheduler, scaler, the training loader's generator,
    history and the run's configuration) is written after every epoch and ``best.pt`` whenever the validation
    metric improves (ties go to the lower validation loss). ``resume=True`` continues from ``last.pt`` and
    refuses one whose configuration (the settings above, the data's size, and ``config``, a dict of the
    caller's own settings) differs, naming each difference; a run that had stopped early stays stopped.
    ``stop_after`` ends the call after that epoch (to show resuming).
    """
    criterion = criterion if criterion is not None else nn.CrossEntropyLoss()
    weights = getattr(model, "_orig_mod", model)  # a torch.compile'd model saves its original's weights
    optimizer = make_optimizer(model)
    groups = [{"lr": group["lr"], "weight_decay": group["weight_decay"]} for group in optimizer.param_groups]
    scheduler = make_scheduler(optimizer, epochs * len(train_loader))
    if patience is not None and isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR):
        raise ValueError(f"patience={patience} with OneCycleLR: a one-cycle schedule stopped early never anneals "
                         "its learning rate; pass make_scheduler=constant_lr (or another open-ended schedule)")
    scaler = torch.amp.GradScaler(device.type) if amp_dtype == torch.float16 else None
    run_config = {"epochs": epochs, "batches_per_epoch": len(train_loader), "batch_size": train_loader.batch_size,
                  "criterion": type(criterion).__name__, "optimizer": type(optimizer).__name__,
                  "optimizer_groups": groups, "scheduler": type(scheduler).__name__,
                  "metric": getattr(metric, "__name__", repr(metric)), "clip_norm": clip_norm, "patience": patience,
                  "amp_dtype": str(amp_dtype), **(config or {})}
    history = {"train_loss": [], "train_metric": [], "val_loss": [], "val_metric": [], "lr": []}
    best = (-float("inf"), 0.0)  # (validation metric, -validation loss): larger is better
    start_epoch, generator = 0, train_loader.generator
    if checkpoint_dir is not None:
        checkpoint_dir = Path(checkpoint_dir)
        last = checkpoint_dir / "last.pt"
        if resume and last.exists():
            saved = torch.load(last, map_location="cpu", weights_only=True)["config"]
            if changes := config_changes(saved, run_config):
                raise ValueError(f"cannot resume from {last.name}: the run was started with other settings "
                                 f"({'; '.join(changes)}); use the same settings or another checkpoint_dir")
            state = load_checkpoint(last, model=weights, optimizer=optimizer, scheduler=scheduler,
                                    generator=generator, map_location=device)
            if scaler is not None:
                scaler.load_state_dict(state["scaler"])
            start_epoch, history, best = state["epoch"], state["history"], tuple(state["best"])
            if state["stopped_early"]:
                log(f"the run stopped early after epoch {start_epoch}: nothing to resume")
                return history
            log(f"resumed after epoch {start_epoch}")
    stopper = EarlyStopping(patience)
    for epoch, val_metric in enumerate(history["val_metric"], start=1):
        stopper.step(val_metric, epoch)
    name = run_config["metric"]
    log(f"epoch  train loss  train {name}  val loss  val {name}")
    for epoch in range(start_epoch + 1, epochs + 1):
        train_loss, train_metric = train_one_epoch(model, train_loader, criterion, optimizer, scheduler, device,
                                                   metric=metric, clip_norm=clip_norm, amp_dtype=amp_dtype,
                                                   scaler=scaler)
        val_loss, val_metric, _ = evaluate(model, val_loader, criterion, device, metric=metric,
                                           amp_dtype=amp_dtype)
        lr = scheduler.get_last_lr()[0]  # where the schedule stands at the end of the epoch
        for key, value in zip(history, (train_loss, train_metric, val_loss, val_metric, lr)):
            history[key].append(value)
            if writer is not None:
                writer.add_scalar(key, value, epoch)
        note = ""
        if (val_metric, -val_loss) > best:
            best = (val_metric, -val_loss)
            if checkpoint_dir is not None:
                save_checkpoint(checkpoint_dir / "best.pt", model=weights, epoch=epoch, val_metric=val_metric)
            note = "  best"
        stop = stopper.step(val_metric, epoch)
        if checkpoint_dir is not None:
            save_checkpoint(checkpoint_dir / "last.pt", model=weights, epoch=epoch, optimizer=optimizer,
                            scheduler=scheduler, generator=generator, history=history, best=list(best),
                            scaler=scaler.state_dict() if scaler is not None else {}, config=run_config,
                            stopped_early=stop)
        log(f"{epoch:5d}  {train_loss:10.4f}  {train_metric:{len(name) + 6}.4f}  {val_loss:8.4f}  "
            f"{val_metric:{len(name) + 4}.4f}{note}")
        if stop:
            log(f"early stop: no better validation {name} for {patience} epochs")
            break
        if epoch == stop_after:
            break
    return history


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes (0: none)")
    parser.add_argument("--persistent-workers", action="store_true",
                        help="keep the workers between epochs (saves their start-up; a resume is then not exact)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for training (default: torch's choice; 1 suits tiny models on few cores)")
    parser.add_argument("--max-lr", type=float, default=3e-3)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--clip-norm", type=float, default=None, help="clip the gradient norm to this value")
    parser.add_argument("--patience", type=int, default=None,
                        help="early stopping after this many epochs without progress (with a constant learning rate)")
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument("--bf16", action="store_true", help="bfloat16 autocast (CPUs, NVIDIA GPUs since Ampere)")
    precision.add_argument("--fp16", action="store_true",
                           help="float16 autocast with a GradScaler (GPUs without bfloat16, such as T4 or V100)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model (slow to start)")
    parser.add_argument("--tensorboard", type=Path, default=None, help="write TensorBoard logs to this folder")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    parser.add_argument("--out-dir", type=Path, default=None, help="default: output/digits_template/checkpoints")
    parser.add_argument("--overwrite", action="store_true", help="start a new run over an existing checkpoint")
    args = parser.parse_args(argv)
    args.error = parser.error  # main reports a refused resume or an existing run the way argparse reports errors
    return args


def main(argv=None):
    args = parse_args(argv)
    seed_everything(args.seed)  # the weights; the training loader has its own generator, seeded the same
    device = get_device()
    out_dir = args.out_dir or output_path("digits_template", "checkpoints", "last.pt").parent
    csv_path = write_digits_png(output_path("digits_template", "digits"))
    train_loader, val_loader, test_loader = make_loaders(csv_path, workers=args.workers, seed=args.seed,
                                                         pin_memory=device.type == "cuda",
                                                         persistent_workers=args.persistent_workers)
    num_classes, in_channels, image_size = data_shape(train_loader)
    model = DigitsCNN(num_classes=num_classes, in_channels=in_channels, image_size=image_size).to(device)
    trained = torch.compile(model) if args.compile else model
    amp_dtype = torch.bfloat16 if args.bf16 else torch.float16 if args.fp16 else None
    resuming = args.resume and (out_dir / "last.pt").exists()
    if args.resume and not resuming:
        print(f"no {out_dir.name}/last.pt yet: starting a new run")
    if not args.resume and not args.overwrite and (out_dir / "last.pt").exists():
        args.error(f"{out_dir / 'last.pt'} exists: pass --resume to continue that run or --overwrite to start anew")
    if args.fp16 and device.type == "cpu":
        print("warning: --fp16 with a GradScaler is meant for GPUs; on a CPU, --bf16 is the reduced precision to try")
    if args.bf16 and device.type == "cuda" and not torch.cuda.is_bf16_supported(including_emulation=False):
        print(f"warning: {torch.cuda.get_device_name(device)} has no native bfloat16 (emulated, slow); try --fp16")
    writer = None
    if args.tensorboard is not None:
        from torch.utils.tensorboard import SummaryWriter

        # On a resume, drop what the interrupted run logged after its last checkpoint.
        done = torch.load(out_dir / "last.pt", map_location="cpu", weights_only=True)["epoch"] if resuming else 0
        writer = SummaryWriter(args.tensorboard, purge_step=done + 1)
    config = {"seed": args.seed, "workers": args.workers, "persistent_workers": args.persistent_workers}
    start = time.perf_counter()
    try:
        with compute_threads(args.threads):
            fit(trained, train_loader, val_loader, epochs=args.epochs, device=device,
                make_optimizer=functools.partial(default_optimizer, lr=args.max_lr, weight_decay=args.weight_decay),
                make_scheduler=one_cycle if args.patience is None else constant_lr, clip_norm=args.clip_norm,
                patience=args.patience, amp_dtype=amp_dtype, checkpoint_dir=out_dir, resume=resuming,
                config=config, writer=writer)
    except ValueError as error:  # a resume with other settings: a usage error, not a crash
        args.error(str(error))
    finally:
        if writer is not None:
            writer.close()
    print(f"trained in {time.perf_counter() - start:.1f} s")
    best = DigitsCNN(num_classes=num_classes, in_channels=in_channels, image_size=image_size).to(device)
    state = load_checkpoint(out_dir / "best.pt", model=best, map_location=device, restore_rng=False)
    test_loss, test_acc, _ = evaluate(best, test_loader, nn.CrossEntropyLoss(), device)
    print(f"best epoch {state['epoch']} (validation accuracy {state['val_metric']:.4f})")
    print(f"test loss {test_loss:.4f}")
    print(f"test accuracy {test_acc:.4f}")


if __name__ == "__main__":
    main()
