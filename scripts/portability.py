"""Run strict nbval over the notebooks under CPU variants that one machine can emulate, as a table.

    python scripts/portability.py [VARIANT ...] [--notebooks notebooks/09_training_process.ipynb ...]

Each variant changes the kernels torch uses (generic or AVX2 code paths, oneDNN's instruction set or
oneDNN off), the number of threads, or the way DataLoader workers start. A stored output that passes
under all of them does not depend on this machine's CPU. Prints notebook x variant, then the cells that
differ. `make test` runs CI_VARIANT (tests/test_portability.py); this command runs the others on demand.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from notebook_runner import REPO_ROOT, series_notebooks

SITE_DIR = Path(__file__).resolve().parent / "variant_site"
#: An IPython startup file: each notebook's kernel logs, from inside, the variant it runs under.
KERNEL_PROBE = Path(__file__).resolve().parent / "variant_kernel_probe.py"

#: name -> environment. SERIES_VARIANT_* are applied by variant_site/sitecustomize.py.
VARIANTS: dict[str, dict[str, str]] = {
    "generic": {"ATEN_CPU_CAPABILITY": "default"},  # no SIMD code paths in ATen
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2"},  # a CPU without AVX-512
    "onednn-avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2"},
    "no-onednn": {"SERIES_VARIANT_MKLDNN": "0"},
    "1-thread": {"OMP_NUM_THREADS": "1"},
    "4-threads": {"OMP_NUM_THREADS": "4"},
    "spawn": {"SERIES_VARIANT_START_METHOD": "spawn"},  # how macOS and Windows start DataLoader workers
}
#: The variant `make test` runs besides the default, in one extra pass: the one that found the most
#: differences before the outputs were made portable (oneDNN limited to AVX2: 5 cells of notebook 12,
#: the others 2), with spawned workers (macOS and Windows) at the same time.
CI_VARIANT = "onednn-avx2+spawn"
VARIANTS[CI_VARIANT] = {**VARIANTS["onednn-avx2"], **VARIANTS["spawn"]}


def variant_environment(name: str, output_dir: Path, log_path: Path | None = None) -> dict[str, str]:
    """The environment for a run under variant ``name``; notebooks write below ``output_dir``.

    With ``log_path``, every Python process of the run logs there (variant_site/sitecustomize.py: one
    "process" line each, one "start" line per process it starts), and each notebook's kernel adds a "kernel"
    line written from inside it (variant_kernel_probe.py, run as an IPython startup file of a fresh
    IPYTHONDIR beside the log), with the environment, the start method and the ISA oneDNN reports there.
    """
    env = dict(os.environ)
    env.update(VARIANTS[name])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SITE_DIR), env.get("PYTHONPATH")]))
    env["SERIES_OUTPUT_DIR"] = str(output_dir)  # so that a run beside another one does not share files
    # torch.compile's on-disk cache does not key its C++ on the CPU capability a variant emulates: code built
    # for AVX-512 would be reused under generic kernels and fail to compile. One cache per variant.
    env["TORCHINDUCTOR_CACHE_DIR"] = str(REPO_ROOT / "output" / "inductor-cache" / name)
    if log_path is not None:
        env["SERIES_VARIANT_LOG"] = str(log_path)
        startup = log_path.parent / "ipython" / "profile_default" / "startup"
        startup.mkdir(parents=True, exist_ok=True)
        shutil.copy(KERNEL_PROBE, startup / "00-series-variant-probe.py")
        env["IPYTHONDIR"] = str(log_path.parent / "ipython")
    return env


def read_log(log_path: Path) -> tuple[list[list[str]], list[dict]]:
    """(the "process" and "start" lines split into fields, the kernels' records with their "pid") of a run's log."""
    lines, kernels = [], []
    for line in log_path.read_text().splitlines() if log_path.exists() else []:
        pid, kind, rest = (line.split(" ", 2) + ["", ""])[:3]
        if kind == "kernel":
            kernels.append({"pid": pid, **json.loads(rest)})
        else:
            lines.append(line.split())
    return lines, kernels


ONEDNN_ISA_SNIPPET = "import torch; torch.ones(8, 16).to_mkldnn().to_dense()"


def onednn_isa(env: dict[str, str]) -> str | None:
    """The instruction set oneDNN reports (ONEDNN_VERBOSE) in a fresh Python process with ``env``; None if none."""
    run = subprocess.run([sys.executable, "-c", ONEDNN_ISA_SNIPPET], env={**env, "ONEDNN_VERBOSE": "1"},
                         capture_output=True, text=True, timeout=300)
    return next((line.split(",isa:", 1)[1] for line in run.stdout.splitlines() if ",info,cpu,isa:" in line), None)


def _python_of(source: str) -> str:
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)  # magics and shell escapes become plain Python


def starts_default_context_workers(source: str) -> bool:
    """Whether Python ``source`` makes a DataLoader with worker processes started by the default context.

    That is a ``DataLoader(...)`` call with ``num_workers=`` anything but a literal 0 and no
    ``multiprocessing_context=``: its workers start with the default start method, the one a variant changes.
    """
    try:
        tree = ast.parse(_python_of(source))
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        workers = keywords.get("num_workers")
        if name == "DataLoader" and workers is not None and "multiprocessing_context" not in keywords:
            if not (isinstance(workers, ast.Constant) and workers.value == 0):
                return True
    return False


def notebooks_starting_workers(notebooks: list[Path]) -> list[str]:
    """The stems of the notebooks whose code starts DataLoader workers through the default context."""
    starting = []
    for path in notebooks:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                   for c in cells if c["cell_type"] == "code"]
        if any(starts_default_context_workers(source) for source in sources):
            starting.append(path.stem)
    return starting


def run_nbval(notebooks: list[Path], env: dict[str, str], junit: Path, workers: int = 2) -> subprocess.CompletedProcess:
    """Strict nbval over ``notebooks`` (the suite's own options) in a subprocess with ``env``."""
    # loadscope: all cells of a notebook on one worker (the subprocess does not load tests/conftest.py)
    parallel = [f"--numprocesses={workers}", "--dist=loadscope"] if workers > 1 else ["--numprocesses=0"]
    command = [sys.executable, "-m", "pytest", "-q", *parallel, f"--junitxml={junit}",
               *(str(path) for path in notebooks)]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)


def failing_cells(junit: Path) -> dict[str, list[str]]:
    """{notebook name: [failing test ids]} from a junit report."""
    failures: dict[str, list[str]] = {}
    if not junit.exists():
        return failures
    for case in ElementTree.parse(junit).iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            classname = case.get("classname", "")
            named = re.search(r"\d\d_[a-z0-9_]+\.ipynb", classname)
            notebook = named.group(0) if named else classname or "?"
            failures.setdefault(notebook, []).append(case.get("name", "?"))
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", default=[v for v in VARIANTS if v != CI_VARIANT],
                        help=f"default: all of {', '.join(VARIANTS)} except {CI_VARIANT}")
    parser.add_argument("--notebooks", nargs="*", type=Path, default=series_notebooks())
    args = parser.parse_args()
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; choose from {list(VARIANTS)}")

    results: dict[str, dict[str, list[str]]] = {}
    with tempfile.TemporaryDirectory(prefix="portability-") as tmp:
        for variant in args.variants:
            print(f"running {len(args.notebooks)} notebooks under {variant} ...", flush=True)
            junit = Path(tmp) / f"{variant}.xml"
            run = run_nbval(args.notebooks, variant_environment(variant, Path(tmp) / variant / "output"), junit)
            results[variant] = failing_cells(junit)
            if run.returncode not in (0, 1):  # 1: tests failed (reported below); anything else: it broke
                print(run.stdout[-3000:], run.stderr[-3000:])
                results[variant]["(the run itself)"] = [f"pytest exited {run.returncode}"]

    names = [p.name for p in args.notebooks]
    width = max(len(n) for n in names)
    print("\n" + "notebook".ljust(width) + "".join(f"  {v:>14}" for v in args.variants))
    for name in names:
        cells = [f"{len(results[v].get(name, []))} failed" if results[v].get(name) else "ok" for v in args.variants]
        print(name.ljust(width) + "".join(f"  {c:>14}" for c in cells))
    failed = {v: r for v, r in results.items() if r}
    for variant, notebooks in failed.items():
        for notebook, cells in notebooks.items():
            print(f"{variant}: {notebook}: {', '.join(cells)}")
    print("every variant passed" if not failed else f"{len(failed)} of {len(args.variants)} variants differ")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
