"""Seconds from a fresh clone to a JupyterLab that answers: the README's run command, uv and pip side by side.

    python scripts/bench_setup.py [RUNS] [--modes uv pip uv-bootstrap]

Each run clones the committed repository into a temporary folder and times one way of setting up and
starting JupyterLab, until its server answers on loopback:
- uv: `make lab`, with uv on PATH;
- uv-bootstrap: `make lab` where uv is not on PATH (the Makefile first installs the pinned uv with pip);
- pip: the README's lines without make (a venv, pip upgraded, `pip install -c constraints.txt -e .`,
  then `python -m jupyter lab`).
Package caches are warm after a first, uncounted run of each mode; the table gives the median and every run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from notebook_runner import REPO_ROOT

LAB = "-m jupyter lab --no-browser --ip=127.0.0.1 --port={port} --ServerApp.root_dir=. --allow-root"
COMMANDS = {
    "uv": "make lab PORT={port}",
    "uv-bootstrap": "make lab PORT={port} UV=.tools/bin/uv",
    "pip": ("python3 -m venv .venv && .venv/bin/python -m pip install --quiet --upgrade pip && "
            ".venv/bin/python -m pip install --quiet -c constraints.txt -e . && .venv/bin/python " + LAB),
}
TIMEOUT = 900


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def one_run(mode: str) -> float:
    """Seconds from a fresh clone's first command to JupyterLab answering, for one mode."""
    with tempfile.TemporaryDirectory(prefix="bench-setup-") as tmp:
        clone = Path(tmp) / "series"
        subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True)
        port = free_port()
        log = open(Path(tmp) / "log.txt", "w")
        start = time.perf_counter()
        process = subprocess.Popen(COMMANDS[mode].format(port=port), shell=True, cwd=clone, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            while not serving(port):
                if process.poll() is not None:
                    raise RuntimeError(f"{mode}: the command stopped (exit {process.returncode}) before serving:\n"
                                       + (Path(tmp) / "log.txt").read_text()[-2000:])
                if time.perf_counter() - start > TIMEOUT:
                    raise RuntimeError(f"{mode}: not serving after {TIMEOUT} s")
                time.sleep(0.2)
            return time.perf_counter() - start
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
            log.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="?", type=int, default=3, help="counted runs per mode (default 3)")
    parser.add_argument("--modes", nargs="*", default=list(COMMANDS), choices=list(COMMANDS))
    args = parser.parse_args()
    if shutil.which("uv") is None and "uv" in args.modes:
        print("uv is not on PATH: the 'uv' mode would measure the bootstrap; leaving it out")
        args.modes.remove("uv")
    results = {}
    for mode in args.modes:
        print(f"{mode}: warm-up run (caches) ...", flush=True)
        one_run(mode)
        results[mode] = []
        for run in range(1, args.runs + 1):
            results[mode].append(one_run(mode))
            print(f"{mode}: run {run}: {results[mode][-1]:.1f} s", flush=True)
    print(f"\n{'mode':14} {'median':>8}  runs (s)")
    for mode, seconds in results.items():
        print(f"{mode:14} {statistics.median(seconds):7.1f}s  {', '.join(f'{s:.1f}' for s in seconds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
