"""How good is notebook 12's model really? Train it with 5 seeds and compare with scikit-learn's SVC.

    python scripts/seed_bench.py [--seeds 0 1 2 3 4] [--epochs 15]

Each seed runs notebooks/digits_template.py (the notebook's template as a script) on the same fixed
split, so only the initial weights, the batch order and the augmentations change. Prints each seed's test
accuracy, min / mean / max next to SVC() on the raw pixels of the same split, and one closing line that
notebook 12's prose can quote. Exits 1 when any seed fails to beat SVC (the series' headline claim would
not hold for that seed), 2 when the template itself fails.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from helpers.digits import load_digits_arrays, stratified_split
from notebook_runner import NOTEBOOK_DIR, REPO_ROOT


def svc_accuracy() -> tuple[float, int]:
    """SVC()'s test accuracy on the template's test split, and the number of test images."""
    from sklearn.svm import SVC

    images, labels = load_digits_arrays()
    train_val_idx, test_idx = stratified_split(labels, test_fraction=0.2, seed=0)  # the template's test split
    flat = images.reshape(len(images), -1) / 255.0
    prediction = SVC().fit(flat[train_val_idx], labels[train_val_idx]).predict(flat[test_idx])
    return float((prediction == labels[test_idx]).mean()), len(test_idx)


def template_accuracy(seed: int, epochs: int, out_dir: Path) -> float:
    env = dict(os.environ, SERIES_OUTPUT_DIR=str(out_dir))
    run = subprocess.run([sys.executable, str(NOTEBOOK_DIR / "digits_template.py"), "--seed", str(seed),
                          "--epochs", str(epochs)], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    match = re.search(r"^test accuracy ([0-9.]+)$", run.stdout, re.MULTILINE)
    if run.returncode != 0 or not match:
        raise RuntimeError(f"seed {seed}: the template failed:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return float(match.group(1))


def verdict(accuracies: dict[int, float], svc: float, test_size: int) -> tuple[str, int]:
    """The closing line and the exit status: 0 if every seed's accuracy is above SVC's, else 1."""
    errors = {seed: round((1 - accuracy) * test_size) for seed, accuracy in accuracies.items()}
    svc_errors = round((1 - svc) * test_size)
    low, high = min(accuracies.values()), max(accuracies.values())
    losers = [seed for seed, accuracy in accuracies.items() if not accuracy > svc]
    span = (f"test accuracy {low:.1%} to {high:.1%} ({min(errors.values())} to {max(errors.values())} errors "
            f"of {test_size}) against SVC's {svc:.1%} ({svc_errors} errors)")
    if losers:
        return (f"DigitsCNN did NOT beat SVC with seed(s) {', '.join(map(str, losers))} of "
                f"{len(accuracies)}: {span}", 1)
    return f"DigitsCNN beat SVC with every one of {len(accuracies)} seeds: {span}", 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    accuracies: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="seed-bench-") as tmp:
        for seed in args.seeds:
            try:
                accuracies[seed] = template_accuracy(seed, args.epochs, Path(tmp) / f"seed{seed}")
            except RuntimeError as error:
                print(error, file=sys.stderr)
                return 2
            print(f"seed {seed}: test accuracy {accuracies[seed]:.4f}", flush=True)
    svc, test_size = svc_accuracy()
    values = list(accuracies.values())
    print(f"\nDigitsCNN, {len(values)} seeds, {args.epochs} epochs: min {min(values):.4f}, "
          f"mean {statistics.mean(values):.4f}, max {max(values):.4f} (std {np.std(values):.4f})")
    print(f"SVC() on raw pixels, same split:  {svc:.4f}")
    line, status = verdict(accuracies, svc, test_size)
    print(line)
    return status


if __name__ == "__main__":
    sys.exit(main())
