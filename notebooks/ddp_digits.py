"""Data-parallel training of ``helpers.DigitsCNN`` on the digits: one process per rank.

torchrun starts the processes and tells each one its rank (environment variables RANK,
WORLD_SIZE, MASTER_ADDR, MASTER_PORT); on this machine, two CPU processes talk over gloo:

    python -m torch.distributed.run --standalone --nproc_per_node=2 notebooks/ddp_digits.py

(``--backend nccl`` on GPUs, one process per GPU; ``--data`` and ``--out-dir`` default to
``output/13_distributed_training/digits.pt`` and ``.../run``; rank 0 prepares the data if missing.)

Each rank writes ``rank<R>.json`` (its shard, losses, checksums) and ``rank<R>_*.pt`` (its
weights) into ``--out-dir``. Importing this module starts nothing: the notebook imports it
for the single-process reference (:func:`train_reference`) and for :func:`launch`, which
runs torchrun and always cleans up. Taught in 13_distributed_training.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psutil
import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.elastic.multiprocessing.errors import record
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from helpers.checkpoints import load_checkpoint, save_atomically, save_checkpoint
from helpers.digits import DigitsCNN, load_digits_arrays, stratified_split
from helpers.display import strip_colours
from helpers.environment import output_path, seed_everything

SEED = 0
PER_RANK_BATCH = 32
LEARNING_RATE = 0.01
MOMENTUM = 0.9


# ---------------------------------------------------------------------------
# Pieces shared by the ranks and by the single-process reference
# ---------------------------------------------------------------------------


def save_datasets(path: Path) -> Path:
    """Split the digits into train and test (the test split of notebook 12) and save the tensors to ``path``.

    Done once, before the ranks start: each rank then reads a small file instead of
    importing scikit-learn again (seconds per process). Images are floats in [0, 1],
    shape (N, 1, 8, 8).
    """
    images, labels = load_digits_arrays()
    x = torch.from_numpy(images).float().div(255.0).unsqueeze(1)
    y = torch.from_numpy(labels)
    train_idx, test_idx = (torch.from_numpy(i) for i in stratified_split(labels))
    # Atomically: where several machines share the folder, each one's first rank may write it at once.
    return save_atomically({"train": (x[train_idx], y[train_idx]), "test": (x[test_idx], y[test_idx])}, path)


def load_datasets(path: Path) -> tuple[TensorDataset, TensorDataset]:
    """(train, test) as saved by :func:`save_datasets`."""
    data = torch.load(path, weights_only=True)
    return TensorDataset(*data["train"]), TensorDataset(*data["test"])


def make_model() -> DigitsCNN:
    """A fresh ``DigitsCNN`` without dropout (``dropout=0.0``).

    Dropout masks are random draws: two processes cannot draw the masks that one process
    would, so a comparison with single-process training would only measure the dice.
    Everything else about the model is unchanged.
    """
    return DigitsCNN(dropout=0.0)


def make_optimizer(model: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)


def shard_sampler(dataset, rank: int, world_size: int) -> DistributedSampler:
    """The sampler that gives ``rank`` its own shard; every rank shuffles with the same seed."""
    return DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=SEED)


def checksum(model: nn.Module) -> float:
    """Sum of every parameter: equal weights give equal sums (a quick fingerprint)."""
    with torch.no_grad():
        return float(sum(p.double().sum() for p in model.parameters()))


def save_weights(model: nn.Module, path: Path) -> None:
    """Save the state dict with every tensor on the CPU, so any machine can load it."""
    torch.save({name: t.detach().cpu() for name, t in model.state_dict().items()}, path)


def evaluate(model: nn.Module, dataset: TensorDataset) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``model`` in eval mode on ``dataset``."""
    device = next(model.parameters()).device
    x, y = (t.to(device) for t in dataset.tensors)
    model.eval()
    with torch.no_grad():
        logits = model(x)
    model.train()
    return nn.functional.cross_entropy(logits, y).item(), (logits.argmax(dim=1) == y).float().mean().item()


# ---------------------------------------------------------------------------
# What one rank runs (under torchrun)
# ---------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None,
                        help="the .pt file written by save_datasets (default: output/13_distributed_training/"
                             "digits.pt, which rank 0 writes if it is missing)")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="where each rank writes its results (default: output/13_distributed_training/run)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--backend", default="gloo", help="gloo for CPUs; nccl for NVIDIA GPUs")
    parser.add_argument("--fail-rank", type=int, default=-1, help="this rank raises on purpose (a demo)")
    parser.add_argument("--fail-step", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a collective may wait")
    parser.add_argument("--stop-after", type=int, default=None, help="end after this many epochs (to show resuming)")
    parser.add_argument("--resume", action="store_true", help="continue from --out-dir's checkpoint.pt")
    return parser.parse_args(argv)


@record  # a failing rank's traceback goes into torchrun's error report
def main(argv=None) -> None:
    args = parse_args(argv)
    out_dir = args.out_dir or output_path("13_distributed_training", "run", "rank0.json").parent
    data = args.data or output_path("13_distributed_training", "digits.pt")
    out_dir.mkdir(parents=True, exist_ok=True)
    # torchrun set RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT; "env://" reads them.
    dist.init_process_group(args.backend, timeout=timedelta(seconds=args.timeout))
    try:
        rank, world_size = dist.get_rank(), dist.get_world_size()
        (out_dir / f"rank{rank}.pid").write_text(str(os.getpid()))
        if args.backend == "nccl":  # one GPU per process: the one numbered like this rank on its machine
            device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
            torch.cuda.set_device(device)
        else:
            device = torch.device("cpu")
        # Each rank seeds differently (as it should for dropout or augmentation), so the
        # freshly built models differ; DDP copies rank 0's weights to all ranks when it wraps.
        seed_everything(SEED + rank)
        model = make_model().to(device)
        before = checksum(model)
        ddp_model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
        after = checksum(model)

        # A run started without the notebook (on a GPU machine, say) prepares the data: the first rank of each
        # machine, so that a machine whose folder the others cannot see gets its own copy.
        if int(os.environ.get("LOCAL_RANK", rank)) == 0 and not data.exists():
            save_datasets(data)
        dist.barrier()  # the others wait until the data is there
        train_set, test_set = load_datasets(data)
        sampler = shard_sampler(train_set, rank, world_size)
        loader = DataLoader(train_set, batch_size=PER_RANK_BATCH, sampler=sampler)
        optimizer = make_optimizer(ddp_model)
        loss_fn = nn.CrossEntropyLoss()
        checkpoint_path = out_dir / "checkpoint.pt"
        start_epoch = 0
        if args.resume:  # every rank reads rank 0's checkpoint onto its own device, and its own random state
            start_epoch = load_checkpoint(checkpoint_path, model=model, optimizer=optimizer, map_location=device,
                                          restore_rng=False)["epoch"]
            rng = torch.load(out_dir / f"rng_rank{rank}.pt", weights_only=True)
            torch.set_rng_state(rng["cpu"])
            if device.type == "cuda":  # dropout on a GPU draws from that GPU's generator
                torch.cuda.set_rng_state(rng["cuda"], device)

        shard_epoch0, epoch_losses, step = None, [], 0
        for epoch in range(start_epoch, args.epochs):
            sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
            if shard_epoch0 is None:
                shard_epoch0 = list(sampler)
            total = torch.zeros(2, dtype=torch.float64)  # (sum of losses, samples) on this rank
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                if rank == args.fail_rank and step == args.fail_step:
                    print(f"rank {rank} fails on purpose at step {step}", flush=True)
                    raise RuntimeError(f"rank {rank} fails on purpose at step {step}")
                optimizer.zero_grad()
                loss = loss_fn(ddp_model(x), y)
                loss.backward()  # DDP all-reduces (averages) the gradients here
                optimizer.step()
                total += torch.tensor([loss.item() * len(y), len(y)], dtype=torch.float64)
                step += 1
                if step == 1:
                    save_weights(model, out_dir / f"rank{rank}_step1.pt")
            total = total.to(device)  # nccl reduces GPU tensors only
            dist.all_reduce(total)  # sum over ranks: the loss over the whole epoch
            epoch_losses.append(float(total[0] / total[1]))
            # A checkpoint: the parameters are the same on every rank, so rank 0 alone saves (the inner
            # model, not the DDP wrapper). Random states differ per rank: each rank keeps its own.
            if rank == 0:
                save_checkpoint(checkpoint_path, model=model, epoch=epoch + 1, optimizer=optimizer)
            rng = {"cpu": torch.get_rng_state()}
            if device.type == "cuda":
                rng["cuda"] = torch.cuda.get_rng_state(device)
            torch.save(rng, out_dir / f"rng_rank{rank}.pt")
            dist.barrier()  # nobody reads the file before rank 0 has finished writing it
            if epoch + 1 == args.stop_after:
                break

        save_weights(model, out_dir / f"rank{rank}_final.pt")
        # Every rank loads the checkpoint back onto its own device and compares.
        restored = make_model().to(device)
        load_checkpoint(checkpoint_path, model=restored, map_location=device, restore_rng=False)
        checkpoint_matches = all(torch.equal(a, b) for a, b in zip(restored.parameters(), model.parameters()))
        test_loss, test_accuracy = evaluate(model, test_set)
        result = {
            "rank": rank,
            "world_size": world_size,
            "backend": dist.get_backend(),
            "shard_epoch0": shard_epoch0,
            "steps": step,
            "checksum_before_ddp": before,
            "checksum_after_ddp": after,
            "epoch_losses": epoch_losses,
            "test_loss": test_loss,
            "test_accuracy": test_accuracy,
            "checkpoint_matches": checkpoint_matches,
        }
        (out_dir / f"rank{rank}.json").write_text(json.dumps(result))
    finally:
        dist.destroy_process_group()


# ---------------------------------------------------------------------------
# The single-process reference: the same global batches in one process
# ---------------------------------------------------------------------------


def train_reference(data: Path, epochs: int = 2, world_size: int = 2, per_rank_batchnorm: bool = True,
                    freeze_batchnorm: bool = False) -> nn.Module:
    """Train in one process on exactly the global batches the ``world_size`` ranks saw together.

    Step k uses batch k of every rank's shard. With ``per_rank_batchnorm`` the model sees each
    rank's part separately (so BatchNorm normalises with each part's own statistics, as on the
    ranks) and the losses are averaged, which is what DDP's gradient average amounts to. Without
    it, the parts are concatenated into one batch: BatchNorm then uses the statistics of the
    whole global batch, which no rank ever computed. ``freeze_batchnorm`` puts the BatchNorm
    layers in eval mode: they normalise with their (untouched) running statistics, so each
    sample's output no longer depends on the rest of its batch.
    """
    seed_everything(SEED)  # rank 0's seed: DDP gave every rank rank 0's initial weights
    model = make_model()
    optimizer = make_optimizer(model)
    loss_fn = nn.CrossEntropyLoss()
    train_set, _ = load_datasets(data)
    samplers = [shard_sampler(train_set, r, world_size) for r in range(world_size)]
    model.train()
    if freeze_batchnorm:
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.eval()
    for epoch in range(epochs):
        for sampler in samplers:
            sampler.set_epoch(epoch)
        loaders = [DataLoader(train_set, batch_size=PER_RANK_BATCH, sampler=s) for s in samplers]
        for parts in zip(*loaders):
            optimizer.zero_grad()
            if per_rank_batchnorm:
                loss = sum(loss_fn(model(x), y) for x, y in parts) / world_size
            else:
                loss = loss_fn(model(torch.cat([x for x, _ in parts])), torch.cat([y for _, y in parts]))
            loss.backward()
            optimizer.step()
    return model


# ---------------------------------------------------------------------------
# Launching torchrun from Python, with a timeout and a clean-up that always runs
# ---------------------------------------------------------------------------


def _alive(process: psutil.Process) -> bool:
    """True if ``process`` still runs (a zombie, dead but not yet collected, counts as gone)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _stop(processes: list[psutil.Process], grace: float) -> None:
    """Ask ``processes`` to end (SIGTERM on POSIX), wait up to ``grace`` seconds, then kill what is left."""
    for process in processes:
        try:
            process.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(processes, timeout=grace)
    for process in alive:
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=5)


def _rank_processes(out_dir: Path) -> list[psutil.Process]:
    """The processes whose pid the ranks wrote into ``out_dir``, if they still run this script."""
    processes = []
    for pid_file in sorted(out_dir.glob("rank*.pid")):
        try:
            process = psutil.Process(int(pid_file.read_text()))
            if Path(__file__).name in " ".join(process.cmdline()):  # not a recycled pid
                processes.append(process)
        except (psutil.Error, ValueError):
            pass
    return processes


def launch_environment(system: str | None = None) -> dict[str, str]:
    """The environment variables :func:`launch` sets for torchrun on this operating system (or on ``system``).

    - ``OMP_NUM_THREADS=1``: one compute thread per rank, so ranks on one machine do not compete for its cores.
      torchrun sets the same when the variable is unset and it starts more than one process per machine (and
      logs a warning saying so), not when it is set.
    - Windows: ``USE_LIBUV=0``. torchrun's rendezvous store uses libuv by default, which the Windows builds of
      PyTorch lack.
    - macOS: ``GLOO_SOCKET_IFNAME=lo0``, the loopback interface, unless set: gloo may find no interface to use.
    - ``PYTHONUNBUFFERED=1``: a rank's printed lines arrive in order, even when it dies.
    """
    system = system or platform.system()
    env = {"OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    if system == "Windows":
        env["USE_LIBUV"] = "0"
    if system == "Darwin" and "GLOO_SOCKET_IFNAME" not in os.environ:
        env["GLOO_SOCKET_IFNAME"] = "lo0"
    return env


def failures(report: str) -> dict[int, int]:
    """The ranks torchrun's error report lists as failed, with their exit codes; the root cause first.

    torchrun prints the other failures first and the root cause ("first observed failure") last; this puts
    the root cause first. Colour codes are ignored.
    """
    report = strip_colours(report)
    others, _, root = report.partition("Root Cause")
    found = {}
    for part in (root, others):
        for rank, code in re.findall(r"rank\s*:\s*(\d+) \(local_rank[^\n]*\n\s*exitcode\s*:\s*(-?\d+)", part):
            found.setdefault(int(rank), int(code))
    return found


def launch(data: Path, out_dir: Path, *script_args: str, nproc: int = 2, timeout: float = 120.0) -> dict:
    """Run this script under torchrun with ``nproc`` processes; never leave a process behind.

    Output is captured (never shown raw). While torchrun runs, its process tree is noted every
    0.2 s with psutil, which works the same on Linux, macOS and Windows. On a timeout, torchrun
    and every process it started are asked to stop, then killed; in any case, at the end, any
    process of the run still alive (noted in the tree or found through the pid files the ranks
    wrote) is killed. Returns the exit code (None on a timeout), stdout, stderr, the number of
    ranks that started and the number of processes left alive (0 unless something went wrong).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("rank*"):
        old.unlink()
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           str(Path(__file__).resolve()), "--data", str(data), "--out-dir", str(out_dir), *script_args]
    env = {**os.environ, **launch_environment()}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    torchrun = psutil.Process(proc.pid)
    seen = {proc.pid: torchrun}  # pid -> psutil.Process: every process of the run we have noticed
    deadline = time.monotonic() + timeout
    returncode = None
    try:
        while True:
            try:
                for child in torchrun.children(recursive=True):
                    seen.setdefault(child.pid, child)
            except psutil.Error:
                pass
            try:
                stdout, stderr = proc.communicate(timeout=0.2)  # may be called again after a timeout
                returncode = proc.returncode
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    _stop(list(seen.values()), grace=10)  # torchrun passes SIGTERM on to its ranks
                    stdout, stderr = proc.communicate()
                    break
    finally:
        ranks = _rank_processes(out_dir)
        leftovers = [p for p in [*seen.values(), *ranks] if _alive(p)]
        if leftovers:
            _stop(leftovers, grace=5)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    left_alive = sum(_alive(p) for p in {p.pid: p for p in [*seen.values(), *ranks]}.values())
    return {"cmd": cmd, "returncode": returncode, "stdout": stdout, "stderr": stderr,
            "left_alive": left_alive, "ranks_started": len(list(out_dir.glob("rank*.pid")))}


if __name__ == "__main__":
    main()
