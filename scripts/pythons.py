"""Run strict nbval and the quick tests under every Python that the series supports, as a table.

    python scripts/pythons.py [--only 3.12]

uv does the work: for each supported version (pyproject.toml's requires-python) it finds an installed
interpreter (on PATH, or one uv installed; pyenv's are made visible to it through PYENV_VERSION) and syncs
.venvs/py3.X from uv.lock, exactly as `make test` syncs .venv. Then the notebooks run
under strict nbval with the same stored outputs, and the tests not marked slow run too.
"""

from __future__ import annotations

import argparse
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


def uv_environment() -> dict[str, str]:
    """The environment for uv, with every Python that pyenv manages visible through its shims.

    pyenv's shims run only the versions PYENV_VERSION names (by default just the global one), so uv,
    which looks for python3.X on PATH, would not see the others.
    """
    env = dict(os.environ)
    if shutil.which("pyenv") and "PYENV_VERSION" not in env:
        versions = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True).stdout.split()
        if versions:
            env["PYENV_VERSION"] = ":".join(versions)
    return env


def sync(version: str) -> tuple[Path | None, str]:
    """.venvs/py<version> synced from uv.lock by uv, or None and uv's reason (no such Python installed)."""
    venv = VENVS / f"py{version}"
    env = dict(uv_environment(), UV_PROJECT_ENVIRONMENT=str(venv))
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))  # the pinned uv of the maintainers' set
    result = subprocess.run([uv, "sync", "--locked", "--quiet", "--python", version], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True)
    return (venv, "") if result.returncode == 0 else (None, result.stderr.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run only these versions (e.g. 3.12)")
    args = parser.parse_args()
    rows = []
    for version in args.only or supported_versions():
        venv, reason = sync(version)
        if venv is None:
            rows.append((version, "-", "not run", reason))
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
    print(f"\n{'python':8} {'version':8} {'result':10} details")
    for version, exact, result, detail in rows:
        print(f"{version:8} {exact:8} {result:10} {detail}")
    return 1 if any(result == "FAILED" for _, _, result, _ in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
