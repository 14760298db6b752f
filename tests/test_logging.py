"""helpers.tensorboard_stub: TensorBoard in a PyTorch process without TensorFlow and without noise on stderr."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from helpers.display import without_timestamp

SCRIPT = textwrap.dedent(
    """
    import sys, warnings
    import torch
    from helpers.tensorboard_stub import use_tensorboard_without_tensorflow

    use_tensorboard_without_tensorflow()
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from torch.utils.tensorboard import SummaryWriter

    run_dir = sys.argv[1]
    writer = SummaryWriter(log_dir=run_dir)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU())
    with warnings.catch_warnings():  # as in the notebook: torch.jit.trace's own deprecation, nothing else
        warnings.filterwarnings("ignore", message=r".*torch\\.jit\\.trace", category=FutureWarning)
        writer.add_graph(model, torch.zeros(1, 4))
    values = [0.5, 0.25, 0.125]
    for step, value in enumerate(values):
        writer.add_scalar("loss", value, step)
    writer.add_histogram("weights", model[0].weight, 0)
    writer.close()

    accumulator = EventAccumulator(run_dir, size_guidance={"scalars": 0})
    accumulator.Reload()
    assert [e.value for e in accumulator.Scalars("loss")] == values
    assert accumulator.Histograms("weights")[0].histogram_value.num == 12
    assert accumulator.Tags()["graph"]
    print("tensorflow imported:", "tensorflow" in sys.modules)
    """
)


def test_tensorboard_round_trip_is_quiet_and_skips_tensorflow(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "run")],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "tensorflow imported: False"
    assert result.stderr == "", f"noise on stderr: {result.stderr[:2000]}"


def test_without_timestamp_strips_an_iso_timestamp_and_refuses_a_line_without_one():
    assert without_timestamp("2026-01-31T09:15:02 INFO    digits | epoch 1") == "INFO    digits | epoch 1"
    with pytest.raises(ValueError, match="does not start with an ISO 8601 timestamp: 'INFO    digits | x'"):
        without_timestamp("INFO    digits | x")


def test_stored_hparams_reads_back_what_add_hparams_wrote(tmp_path):
    script = textwrap.dedent(
        """
        import sys
        from helpers.tensorboard_stub import stored_hparams, use_tensorboard_without_tensorflow

        use_tensorboard_without_tensorflow()
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(log_dir=sys.argv[1])
        writer.add_hparams({"optimizer": "SGD", "lr": 0.1, "epochs": 8, "nesterov": True}, {"m": 0.5}, run_name=".")
        writer.close()
        run = EventAccumulator(sys.argv[1])
        run.Reload()
        print(sorted(stored_hparams(run).items()))
        """
    )
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "run")], capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    # torch stores the int and the bool as numbers
    assert result.stdout.strip() == "[('epochs', 8.0), ('lr', 0.1), ('nesterov', 1.0), ('optimizer', 'SGD')]"
