"""notebooks/digits_template.py, notebook 12's template as a script, trains and tests under "spawn".

Under spawn (the default on macOS and Windows) every DataLoader worker is a fresh interpreter that
imports the script; the `if __name__ == "__main__":` guard is what keeps each worker from training again.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import NOTEBOOK_DIR, REPO_ROOT
from portability import variant_environment


@pytest.mark.slow
def test_the_template_script_trains_and_tests_under_spawn(tmp_path):
    log = tmp_path / "processes.log"
    env = variant_environment("spawn", tmp_path / "output", log)
    run = subprocess.run([sys.executable, str(NOTEBOOK_DIR / "digits_template.py"), "--epochs", "2",
                          "--workers", "2", "--seed", "0"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.stderr == "", f"noise on stderr: {run.stderr[-2000:]}"
    accuracy = float(re.search(r"^test accuracy ([0-9.]+)$", run.stdout, re.MULTILINE).group(1))
    assert accuracy > 0.8, f"after 2 epochs the template should already be far above chance: {accuracy}"
    starts = [line.split() for line in log.read_text().splitlines() if " start " in line]
    assert starts and {fields[3] for fields in starts if fields[2] == "Process"} == {"spawn"}, starts
    assert list((tmp_path / "output").rglob("*.pt")), "no checkpoint was written below the output folder"


# ---------------------------------------------------------------------------------------------------------
# fit() itself, on a tiny synthetic problem (seconds, no files, no workers)
# ---------------------------------------------------------------------------------------------------------

import importlib.util  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

_spec = importlib.util.spec_from_file_location("digits_template", NOTEBOOK_DIR / "digits_template.py")
template = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(template)  # importing starts nothing: training sits under the __main__ guard


def tiny_loaders(seed=0):
    g = torch.Generator().manual_seed(123)
    x = torch.randn(96, 6, generator=g)
    y = (x[:, 0] + 0.3 * torch.randn(96, generator=g) > 0).long()
    train = DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16, shuffle=True,
                       generator=torch.Generator().manual_seed(seed))
    return train, DataLoader(TensorDataset(x[64:], y[64:]), batch_size=32)


def tiny_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.LayerNorm(16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 2))


def tiny_fit(checkpoint_dir, **options):
    options = {"epochs": 4, "device": torch.device("cpu"), "log": lambda line: None, **options}
    return template.fit(tiny_model(), *tiny_loaders(), checkpoint_dir=checkpoint_dir, **options)


@pytest.mark.parametrize("amp_dtype", [None, torch.float16])
def test_an_interrupted_run_resumes_exactly(tmp_path, amp_dtype):
    full = tiny_fit(tmp_path / "full", amp_dtype=amp_dtype)
    tiny_fit(tmp_path / "cut", amp_dtype=amp_dtype, stop_after=2)
    resumed = tiny_fit(tmp_path / "cut", amp_dtype=amp_dtype, resume=True)
    assert resumed == full
    if amp_dtype is torch.float16:  # the GradScaler's state went into last.pt and came back from it
        scalers = [torch.load(tmp_path / run / "last.pt", weights_only=True)["scaler"] for run in ("full", "cut")]
        assert scalers[0]["_growth_tracker"] == 16 and scalers[1] == scalers[0], scalers


def test_a_resume_with_other_settings_is_refused_naming_them(tmp_path):
    tiny_fit(tmp_path, stop_after=1)
    with pytest.raises(ValueError, match=r"epochs: was 4, now 6") as refused:
        tiny_fit(tmp_path, epochs=6, resume=True, config={"seed": 0})
    assert "seed: was None, now 0" in str(refused.value)
    with pytest.raises(ValueError, match=r"clip_norm: was None, now 1.0"):
        tiny_fit(tmp_path, clip_norm=1.0, resume=True)


def test_a_run_that_stopped_early_stays_stopped_after_a_resume(tmp_path):
    options = {"epochs": 30, "patience": 1, "make_scheduler": template.constant_lr}
    first = tiny_fit(tmp_path, **options)
    assert len(first["val_metric"]) < 30, "this run was meant to stop early"
    lines = []
    again = tiny_fit(tmp_path, resume=True, **{**options, "log": lines.append})
    assert again == first and lines == [f"the run stopped early after epoch {len(first['val_metric'])}: "
                                        "nothing to resume"]


def test_early_stopping_with_a_one_cycle_schedule_is_refused(tmp_path):
    with pytest.raises(ValueError, match="patience=3 with OneCycleLR"):
        tiny_fit(tmp_path, patience=3)


def test_biases_and_normalisation_parameters_get_no_weight_decay():
    model = tiny_model()
    decay, no_decay = template.parameter_groups(model, 0.1)
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert {id(p) for p in decay["params"]} == {id(model[0].weight), id(model[4].weight)}
    assert {id(p) for p in no_decay["params"]} == {id(model[0].bias), id(model[1].weight), id(model[1].bias),
                                                   id(model[4].bias)}


def test_loss_optimizer_scheduler_metric_and_writer_come_from_the_caller(tmp_path):
    made, logged = [], []

    class Writer:
        def add_scalar(self, tag, value, step):
            logged.append((tag, step))

    def sgd(model):
        made.append("optimizer")
        return torch.optim.SGD(model.parameters(), lr=0.05)

    def step_lr(optimizer, total_steps):
        made.append(("scheduler", total_steps))
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.5)

    def always_half(logits, targets):
        return 0.5

    history = tiny_fit(None, epochs=2, criterion=nn.CrossEntropyLoss(label_smoothing=0.1), make_optimizer=sgd,
                       make_scheduler=step_lr, metric=always_half, writer=Writer())
    assert made == ["optimizer", ("scheduler", 8)]
    assert history["val_metric"] == [0.5, 0.5] and history["lr"] == [0.025, 0.0125]
    assert ("val_metric", 2) in logged and ("train_loss", 1) in logged


# ---------------------------------------------------------------------------------------------------------
# ddp_digits.py (notebook 13's script): the launch environment and torchrun's failure report
# ---------------------------------------------------------------------------------------------------------

_ddp_spec = importlib.util.spec_from_file_location("ddp_digits", NOTEBOOK_DIR / "ddp_digits.py")
ddp_digits = importlib.util.module_from_spec(_ddp_spec)
_ddp_spec.loader.exec_module(ddp_digits)

REPORT = """\
[rank1]: RuntimeError: rank 1 fails on purpose at step 2
E1201 torch/distributed/elastic/multiprocessing/api.py: failed (exitcode: 1) local_rank: 0
Traceback (most recent call last):
torch.distributed.elastic.multiprocessing.errors.ChildFailedError:
============================================================
notebooks/ddp_digits.py FAILED
------------------------------------------------------------
Failures:
[1]:
  time      : 2026-12-01_06:00:01
  host      : machine
  rank      : 1 (local_rank: 1)
  exitcode  : -15 (pid: 12)
  error_file: <N/A>
------------------------------------------------------------
Root Cause (first observed failure):
[0]:
  time      : 2026-12-01_06:00:01
  host      : machine
  \x1b[1mrank\x1b[0m      : 0 (local_rank: 0)
  exitcode  : 1 (pid: 11)
  error_file: /tmp/error.json
============================================================
"""


def test_failures_lists_every_failed_rank_with_its_exit_code_whichever_comes_first():
    found = ddp_digits.failures(REPORT)
    assert found == {0: 1, 1: -15} and list(found) == [0, 1], "the root cause (rank 0 here) comes first"
    assert ddp_digits.failures("everything went well") == {}


@pytest.mark.parametrize("system, expected", [
    ("Linux", {}),
    ("Windows", {"USE_LIBUV": "0"}),
    ("Darwin", {"GLOO_SOCKET_IFNAME": "lo0"}),
])
def test_launch_sets_what_torchrun_needs_on_each_system(system, expected, monkeypatch):
    monkeypatch.delenv("GLOO_SOCKET_IFNAME", raising=False)
    env = ddp_digits.launch_environment(system)
    assert env == {"OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", **expected}
    monkeypatch.setenv("GLOO_SOCKET_IFNAME", "en0")  # a learner's own choice wins
    assert "GLOO_SOCKET_IFNAME" not in ddp_digits.launch_environment(system)


# ---------------------------------------------------------------------------------------------------------
# main(): usage errors instead of tracebacks, and no silent overwrite (stops before any training)
# ---------------------------------------------------------------------------------------------------------


def run_main(tmp_path, monkeypatch, capsys, *argv):
    def below_tmp(*parts):
        path = tmp_path.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    monkeypatch.setattr(template, "output_path", below_tmp)
    with pytest.raises(SystemExit) as exited:
        template.main(["--workers", "0", "--out-dir", str(tmp_path / "run"), *argv])
    return exited.value.code, capsys.readouterr().err


def test_main_refuses_to_start_over_an_existing_run(tmp_path, monkeypatch, capsys):
    from helpers.checkpoints import save_checkpoint

    save_checkpoint(tmp_path / "run" / "last.pt", model=nn.Linear(1, 1), epoch=1, config={"seed": 5})
    code, err = run_main(tmp_path, monkeypatch, capsys)
    assert code == 2 and "last.pt exists: pass --resume to continue that run or --overwrite" in err, err


def test_main_reports_a_refused_resume_as_a_usage_error(tmp_path, monkeypatch, capsys):
    from helpers.checkpoints import save_checkpoint

    save_checkpoint(tmp_path / "run" / "last.pt", model=nn.Linear(1, 1), epoch=1, config={"seed": 5})
    code, err = run_main(tmp_path, monkeypatch, capsys, "--resume")
    assert code == 2 and "error: cannot resume from last.pt" in err and "seed: was 5, now 0" in err, err
    assert "Traceback" not in err
