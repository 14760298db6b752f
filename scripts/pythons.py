"""Run strict nbval and the quick tests under every installed Python that the series supports, as a table.

    python scripts/pythons.py [--only 3.12]

Supported versions come from pyproject.toml's requires-python. For each one found on this machine (on
PATH as python3.X, or installed by pyenv or uv), a virtual environment .venvs/py3.X is built once with
uv from the same constraints.txt, then the notebooks run under strict nbval with the same stored outputs,
and the tests not marked slow run too. `make test` keeps its single-Python run (.venv).
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from notebook_runner import REPO_ROOT
from portability import failing_cells

VENVS = REPO_ROOT / ".venvs"


def supported_versions() -> list[str]:
    spec = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low = int(re.search(r">=3\.(\d+)", spec).group(1))
    high = int(re.search(r"<3\.(\d+)", spec).group(1))
    return [f"3.{minor}" for minor in range(low, high)]


def find_interpreter(version: str) -> str | None:
    """An installed python<version>: on PATH, or in pyenv's or uv's folder of Pythons."""
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"), reverse=True)
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    found = subprocess.run([uv, "python", "find", "--no-project", version], capture_output=True, text=True)
    candidates.append(found.stdout.strip() if found.returncode == 0 else None)
    for candidate in filter(None, candidates):
        check = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True)
        if check.returncode == 0 and check.stdout.strip() == version:
            return candidate
    return None


def ensure_venv(version: str, interpreter: str) -> Path:
    """.venvs/py<version>, built with uv once, rebuilt when pyproject.toml or constraints.txt change."""
    venv = VENVS / f"py{version}"
    stamp = venv / ".installed"
    inputs = [REPO_ROOT / "pyproject.toml", REPO_ROOT / "constraints.txt"]
    if stamp.exists() and all(stamp.stat().st_mtime >= p.stat().st_mtime for p in inputs):
        return venv
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    print(f"  building {venv.relative_to(REPO_ROOT)} with {interpreter} ...", flush=True)
    subprocess.run([uv, "venv", "--quiet", "--allow-existing", "--python", interpreter, str(venv)], check=True)
    subprocess.run([uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
                    "-c", "constraints.txt", "-e", "."], cwd=REPO_ROOT, check=True)
    stamp.touch()
    return venv


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run only these versions (e.g. 3.12)")
    parser.add_argument("--build-only", action="store_true", help="build the environments, run nothing")
    args = parser.parse_args()
    rows = []
    for version in args.only or supported_versions():
        interpreter = find_interpreter(version)
        if interpreter is None:
            rows.append((version, "-", "not installed", ""))
            continue
        venv = ensure_venv(version, interpreter)
        if args.build_only:
            continue
        python = venv / "bin" / "python"
        exact = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                               capture_output=True, text=True).stdout.strip()
        print(f"running the notebooks and quick tests under Python {exact} ...", flush=True)
        with tempfile.TemporaryDirectory(prefix=f"py{version}-") as tmp:
            junit = Path(tmp) / "junit.xml"
            env = dict(os.environ, SERIES_OUTPUT_DIR=str(Path(tmp) / "output"))
            run = subprocess.run([python, "-m", "pytest", "-q", "-m", "not slow", f"--junitxml={junit}",
                                  "tests", "notebooks"], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
            failures = failing_cells(junit)
        summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else f"exit {run.returncode}"
        detail = "; ".join(f"{nb}: {', '.join(cells)}" for nb, cells in failures.items())
        result = "ok" if run.returncode == 0 else "FAILED"
        rows.append((version, exact, result, summary + (f" | {detail}" if detail else "")))
    if rows:
        print(f"\n{'python':8} {'version':8} {'result':14} details")
        for version, exact, result, detail in rows:
            print(f"{version:8} {exact:8} {result:14} {detail}")
    return 1 if any(result == "FAILED" for _, _, result, _ in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
