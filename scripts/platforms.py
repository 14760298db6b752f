"""Prove that the pinned environment installs on every supported platform and Python, without installing.

    python scripts/platforms.py           resolve for each platform x Python from wheel metadata (seconds)
    python scripts/platforms.py --lock    regenerate constraints.txt from pyproject.toml first

uv resolves pyproject.toml's dependencies under constraints.txt for one target at a time, taking only
wheels (`--only-binary :all:`): a package without a wheel for that platform and Python, or a pin that
cannot hold there, fails the resolution. It needs the package index (PyPI), nothing else.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from notebook_runner import REPO_ROOT
from pythons import supported_versions

#: Platform name -> uv's --python-platform target.
PLATFORMS = {
    "Linux x86-64": "x86_64-manylinux_2_28",
    "Linux aarch64": "aarch64-manylinux_2_28",
    "macOS arm64 (14+)": "aarch64-apple-darwin",
    "Windows x86-64": "x86_64-pc-windows-msvc",
}
LOCK_HEADER = (
    "# Every package the series installs, pinned, for Linux x86-64/aarch64, macOS arm64 and Windows x86-64 on\n"
    "# Python 3.11-3.13 (environment markers pick per platform). Generated from pyproject.toml: `make lock`.\n"
)


def uv() -> str:
    return shutil.which("uv") or str(Path(sys.executable).with_name("uv"))


def lock() -> None:
    result = subprocess.run(
        [uv(), "pip", "compile", "pyproject.toml", "--universal", "--python-version", supported_versions()[0],
         "--only-binary", ":all:", "--no-annotate", "--no-header", "--quiet"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )
    (REPO_ROOT / "constraints.txt").write_text(LOCK_HEADER + result.stdout)
    print("wrote constraints.txt")


def resolve(target: str, python: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, MACOSX_DEPLOYMENT_TARGET="14.0")
    return subprocess.run(
        [uv(), "pip", "compile", "pyproject.toml", "-c", "constraints.txt", "--python-platform", target,
         "--python-version", python, "--only-binary", ":all:", "--no-header", "--no-annotate", "--quiet"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", action="store_true", help="regenerate constraints.txt first")
    args = parser.parse_args()
    if args.lock:
        lock()
    versions = supported_versions()
    print(f"{'platform':20}" + "".join(f"  {'Python ' + v:12}" for v in versions))
    failures = []
    for name, target in PLATFORMS.items():
        cells = []
        for version in versions:
            result = resolve(target, version)
            packages = [line for line in result.stdout.splitlines() if "==" in line]
            if result.returncode == 0:
                cells.append(f"{len(packages)} pkgs")
            else:
                cells.append("FAILED")
                failures.append(f"{name}, Python {version}:\n{result.stderr.strip()[-1500:]}")
        print(f"{name:20}" + "".join(f"  {c:12}" for c in cells), flush=True)
    for failure in failures:
        print("\n" + failure)
    print("every platform resolves" if not failures else f"{len(failures)} resolutions failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
